// Package report makes the Security Sub-Committee's reports and keeps them
// as they were sent.
//
// The monthly mailing (seeds/000, DOMAIN.md "SSC monthly outputs"): every
// month the SSC tells each Device manufacturer which Energy Suppliers operate
// its Devices, with counts by model and generation, and tells each Supplier
// every manufacturer's current security contacts. The standing report gathers
// the SSC's confidential standing items for its meetings (seeds/003 item 16).
//
// How it works:
//   - The figures describe a month's last day. The portfolio aggregates hold
//     only the present, so the scheduled job (Service.Tick) copies them, summed
//     by Supplier and model, as soon as the month ends (UK time): a
//     portfolio snapshot. A month that was never snapshotted then is computed
//     from the supply periods as at its last day when first run (through the
//     coverage area's EstateAt), and its reports say so. Security contacts
//     come from their history as at the month's end.
//   - A run generates a month's reports, renders each in CSV, JSON, HTML and
//     PDF, and stores the bytes with their SHA-256 digests, in one
//     transaction with the notices that tell each recipient (through the
//     delivery queue) and a delivery record. The tables are write-once:
//     triggers refuse UPDATE and DELETE. Running a month again does nothing
//     unless forced; a forced run is the next version, stored beside the old.
//   - Each monthly report is AMBER: its recipient organisation (by column) and
//     the SSC and secretariat. The standing report is RED to the SSC members
//     named when it is made (audience_users); it is never mailed. All of this
//     is in the SQL WHERE of every read.
//   - Who learns what (sec.NameUnderDuty): the duty, not the directory
//     marking, decides who a report names. A manufacturer's report holds
//     only the rows of its own models (the manufacturer is in the query's
//     WHERE) and names every Supplier operating them; a Supplier's report
//     names every manufacturer with its contacts; a model's name appears
//     only where the manufacturer may see the model's catalogue entry. An
//     organisation whose directory entry is RED is still a recipient and
//     still named to the counterpart the duty requires: each time a report
//     names an organisation its recipient could not see by marking alone,
//     the override is stored with the report (report_disclosures) and
//     audited in the same transaction. Third parties are kept from it: a
//     report with overrides is read, besides its recipient, only by those
//     who may see every overridden entry (in the SQL WHERE), so an SSC
//     member a RED entry does not name does not read the reports naming it.
//
// The package reads other areas' records through small interfaces (Sources,
// Notifier) and never writes them.
package report
