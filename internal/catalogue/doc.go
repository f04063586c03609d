// Package catalogue is the Device catalogue, a Central Products List: Device
// Models of each manufacturer, their firmware versions in a total order, and
// the CPA certificates that cover them.
//
// Pure parts, with no SQL: the firmware version order and affected-version
// ranges (version.go), the catalogue CSV row format (csvrows.go) and where a
// CPA certificate stands on a date (status.go). The Service keeps the
// catalogue in the database: models, firmware and certificates with their
// permissions (model.go, firmware.go, certificate.go), CSV import and export
// (importcsv.go, export.go), the report of Devices on bad certificates from the
// estate's portfolio aggregates (report.go), and an Index of the whole
// catalogue for other areas' importers and fan-out (index.go).
//
// Who sees what: a model is GREEN by default, seen by every signed-in user;
// its manufacturer may keep it AMBER, seen then by itself and the SSC.
// Firmware and certificates are seen with their model. A manufacturer changes
// only its own models; SSC members and the secretariat change any; everyone
// else reads. The package reads the estate's portfolio table and never
// writes it.
package catalogue
