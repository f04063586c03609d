// Package estate is the installed estate: every Device (35 million and more),
// its model, firmware and MAP, and which Supplier is responsible for it on any
// date, changed by churn and bulk transfers.
//
// The files here so far are pure building blocks with no SQL and no HTTP: the
// Device ID, and the devices and churn CSV row formats that streaming importers
// read one record at a time.
package estate
