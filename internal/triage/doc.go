// Package triage is MP203's Triage Facilities: a Triage Facility Provider's
// facilities and their assurance, the Triage Tools and Triage Interfaces with
// the operators allowed on each, and the asset management record of every
// Triage Activity on a Device, append-only and hash-chained per facility.
//
//   - facility.go: facilities and their lifecycle (sec.FacilityLifecycle),
//     driven by the SSC's decision on the initial FUSA; the assessment
//     itself belongs to the assurance area and is linked by id through
//     AssessmentLookup.
//   - tool.go: Triage Tools and Interfaces, and who may use each.
//   - record.go: one Triage Activity (sec.TriageLifecycle), with the
//     Device's estate status, firmware history, catalogue and CPA status
//     changed or read through the estate and catalogue packages.
//   - chain.go: the chain and Verify, which finds any edit, deletion or
//     reorder of a facility's entries; the links are audit.Link.
//   - intake.go: the batch intake CSV, all rows or none.
//   - query.go, report.go: what each caller may read.
//
// Who sees what, in SQL: a facility is AMBER to its provider (and the SSC
// and secretariat); an entry is visible to the facility's provider, to the
// Supplier responsible for the Device when it was received (its own
// Devices' history only) and to the SSC; a manufacturer sees outcomes of its
// models in the report, never a Supplier. The tables triage_* are this
// package's; it never writes another area's tables.
package triage
