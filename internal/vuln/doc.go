// Package vuln coordinates security vulnerabilities in smart metering Devices
// (SEC G3.17–G3.20, G3.9): a report names one manufacturer's models and
// firmware ranges; the fan-out works out from the portfolio aggregates who
// must be told (every Supplier operating affected Devices, bilaterally; the
// MAPs owning them, for information; the DCC for SMETS2+ Communications Hubs;
// the SSC when material) and tells them through the delivery outbox in the
// same transaction; recipients acknowledge with a statement; Suppliers send
// the SSC their rectification plans; the SSC oversees it all. Vulnerabilities
// go out and come in as CSAF 2.0 advisories.
//
// Confidentiality is the point of the design (DESIGN.md "Users and what they
// see"): a Supplier never learns another Supplier's identity, Devices or
// acknowledgement. So each recipient row is a classified record of its own,
// whose audience is its organisation and the manufacturer; a rectification
// plan is seen by its owner and the SSC; timeline entries tied to either are
// shown only with them; totals are sums over the rows the caller may see. All
// of it is decided in SQL WHERE clauses (access.Caller.Visible), never by
// filtering in Go.
//
// A vulnerability concerns one manufacturer: the notification it drives is
// bilateral between that manufacturer and each Supplier (DOMAIN.md §1), and a
// manufacturer sees the Suppliers operating its own Devices, never anyone
// else's. An advisory naming several manufacturers' products is split.
//
// The lifecycles are sec.VulnLifecycle and sec.PlanLifecycle; this package
// works out which relational actors a caller holds on a record and asks the
// table, never restating it.
//
// What the package may not touch: the estate (it only reads the portfolio
// aggregates), the catalogue (it reads device_models and firmware_versions),
// and delivery's tables (it calls a Notifier).
package vuln
