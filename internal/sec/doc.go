// Package sec holds the rules of the Smart Energy Code Section G regime as pure
// functions and tables: roles, classifications and who may see what, SEC
// versions, which party carries the G3.17 and G3.20 duties for a Device, and the
// lifecycles of records as transition tables.
//
// Nothing here touches SQL, HTTP or the clock: every function takes what it
// needs as arguments, so the rules can be read, tested as tables of cases named
// after the clause they implement, and reused by the API, the UI and the docs.
package sec
