// Package generate makes a synthetic GB smart metering world for tests,
// demonstrations and benchmarks at national scale: parties (Suppliers,
// manufacturers, MAPs, the DCC), a catalogue of Device Models, firmware and CPA
// certificates, an estate of Devices and a year of changes of supplier,
// written as the CSV files the importers read.
//
// The world follows DOMAIN.md §6: about 25 Suppliers with a skewed market
// share, 15 manufacturers, 6 MAPs, a few hundred models and 1,000 to 2,000
// catalogue rows; premises of which 40% are SMETS1 and 5% non-domestic, each
// with an electricity meter and a Communications Hub Function, a gas meter and
// Gas Proxy Function where there is gas (80%), sometimes a PPMID; MAPs own the
// meters of 85% of premises, and SMETS2+ hubs, which the DCC provides, have no
// MAP; about 10% of premises change supplier in the year, and one small
// Supplier fails, its whole portfolio moving to a Supplier of Last Resort on
// one day.
//
// Every name, code, person, email address (.example) and phone number (Ofcom's
// drama range) is invented. Nothing here touches SQL or HTTP.
package generate
