// Package advisory turns what metersec knows about a vulnerability into a CSAF
// 2.0 security advisory and back: CVSS vectors (v3.1 and v4.0) are parsed and
// scored, a vulnerability is exported as a csaf_security_advisory that passes
// the CSAF 2.0 JSON schema, and a manufacturer's advisory is imported and its
// products mapped onto the Device catalogue.
//
// The package is pure: no SQL, no HTTP, no clock. The vulnerability service
// gathers the facts (from the store, under the caller's visibility), calls in
// here, and stores or serves the result. The catalogue is reached only through
// the small Catalogue interface, so imports can be tested with an in-memory one.
//
// The vulnerability service uses it like this:
//   - ParseCVSS when a vector is entered, to store the normalised vector, the
//     score and the rating;
//   - ExportCSAF with an Advisory built from the vulnerability, its affected
//     firmware (statuses computed from the ranges in the catalogue's version
//     order) and its remediations, and the configured Publisher; FileName
//     names the download;
//   - ImportCSAF with an uploaded file and a Catalogue (NewCatalogue over the
//     catalogue's manufacturers, models and firmware will do), to show a person
//     what the advisory says, what maps, and what does not.
//
// What an advisory must never carry: which Suppliers were notified and which
// acknowledged (DESIGN.md: Suppliers never learn another Supplier's identity).
// The input type Advisory has no place for recipients, so an export cannot leak
// them.
package advisory
