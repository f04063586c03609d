// Package coverage answers SEC G3.20 coverage: for each Supplier and each
// model it operates on a day, whether its Devices are Covered (by a direct
// contract, through the owning MAP's contracts, or by the manufacturer's SSC
// scheme enrolment), under Reasonable steps (a Letter of Intent, or inherited
// Devices inside the churn window), Not practicable (what would be a Gap, where
// the SSC accepted the Supplier's record that no arrangement with the
// manufacturer is practicable: internal/impracticable) or in a Gap; with the
// Devices that are the DCC's, or under no G3.20(b) duty, listed apart. It also explains one
// Device's obligations, keeps monthly snapshots, and raises the coverage
// alerts.
//
// Coverage of today (and later days) is computed from the estate's portfolio
// aggregates (Devices by Supplier, model, firmware and MAP; inherited Devices
// by supply start), never by scanning Devices: the naive scan exists only as
// the benchmark's yardstick and the tests' oracle. The aggregates hold only
// the present, so a past day is computed from the supply periods and MAP
// periods valid on it (estate.CellsAt, one aggregate query: its cost is in
// BENCHMARKS.md), and every report says which it was (Report.Source, Basis). The rules themselves (rules.go) are pure: cells in,
// parts out, using sec.WhoCarries for who holds the duty.
//
// Visibility, in SQL: a Supplier's coverage is AMBER with the Supplier as its
// audience, so a Supplier sees its own and the SSC and secretariat see all.
// Manufacturers and MAPs do not see coverage: a Supplier's coverage shows its
// compliance and its arrangements with third parties; which Suppliers operate
// a manufacturer's Devices (counts) is the SSC's monthly report.
package coverage
