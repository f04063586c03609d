// Package arrangement keeps the notification arrangements of SEC G3.20: the
// contracts, churn contracts and Letters of Intent between Users (Suppliers;
// with a manufacturer, also Network Parties and Other Users, for their User
// Systems), Meter Asset Providers and manufacturers, and manufacturers' enrolments in the SSC
// scheme, with their covered models, agreed definition of a material security
// vulnerability, dates and evidence files. It also raises the alerts they call
// for (through a Notifier, in-app by default).
//
// Who may see an arrangement is decided in SQL: it is AMBER by default, so its
// parties (the organisation columns) and the SSC see it. Who may change one:
// its parties and the SSC or secretariat; a manufacturer enrols itself in the
// SSC scheme and the SSC confirms the enrolment. The status moves by the
// table sec.ArrangementLifecycle (pending, active, ended; confirm, amend,
// resubmit, end), which Create, Update, Confirm and Terminate ask, and the
// pages ask MayEdit and MayConfirm what to offer.
//
// The package reads the catalogue's device_models and the registry's
// organisations with its own SQL; it does not import those areas' services.
// Coverage (which Supplier is covered for which model) is computed by package
// coverage from these records and the estate's portfolio aggregates.
package arrangement
