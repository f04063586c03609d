// Package estate is the installed estate: every Device (35 million and more),
// its model, firmware and MAP, and which Supplier is responsible for it on any
// date, changed by churn and bulk transfers.
//
// Pure parts, with no SQL: the Device ID (deviceid.go) and the devices and
// churn CSV row formats that streaming importers read one record at a time
// (csvrows.go). The Service keeps the estate in the database:
//
//   - import.go, churn.go, stage.go: bulk imports of devices and churn files
//     (all or nothing, streamed through a staging table: COPY on PostgreSQL,
//     prepared batches on SQLite), single changes of supplier and Supplier
//     of Last Resort transfers;
//   - device.go, status.go: one Device with its supply and firmware history,
//     "who was responsible on day X", firmware upgrades and the status
//     lifecycle (installed, removed, in triage, disposed);
//   - portfolio.go, verify.go: the portfolio aggregates as each caller may
//     see them, and the recount that proves them exact.
//
// Every change keeps portfolio (installed Devices by Supplier, model,
// firmware and MAP), portfolio_inherited (inherited Devices by the day their
// supply began, for G3.20's churn window) and churn_monthly exact in its own
// transaction, with an audit record. Other areas read those tables and never
// write them.
//
// Who sees a Device, in SQL: its Responsible Supplier, its MAP, its model's
// manufacturer, the DCC for SMETS2+ hubs and gas proxies, and the SSC and
// secretariat. A Supplier sees that a Device was inherited, never from whom.
package estate
