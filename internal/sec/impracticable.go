package sec

// G3.20 binds "wherever it is practicable to do so" (seeds/001, DOMAIN.md
// §1). A Supplier that cannot establish an arrangement with a manufacturer
// records, per manufacturer, why it is not practicable, with evidence; the
// SSC accepts or rejects the record. Only an accepted record, in force on the
// day, changes what coverage says (its own status, apart from Gap and
// Reasonable steps); a pending or rejected one changes nothing.

// ImpracticableState is where a record that an arrangement is not
// practicable stands.
type ImpracticableState string

// States of a record of impracticability.
const (
	ImpracticableRecorded  ImpracticableState = "recorded"  // the Supplier recorded it; the SSC has not decided
	ImpracticableAccepted  ImpracticableState = "accepted"  // the SSC accepted it
	ImpracticableRejected  ImpracticableState = "rejected"  // the SSC rejected it
	ImpracticableWithdrawn ImpracticableState = "withdrawn" // the Supplier withdrew it
)

// ImpracticableStates lists the states in lifecycle order.
var ImpracticableStates = []ImpracticableState{ImpracticableRecorded, ImpracticableAccepted, ImpracticableRejected, ImpracticableWithdrawn}

// Label is the state as coverage and the pages show it.
func (s ImpracticableState) Label() string {
	switch s {
	case ImpracticableRecorded:
		return "Recorded, awaiting the SSC"
	case ImpracticableAccepted:
		return "Accepted by the SSC"
	case ImpracticableRejected:
		return "Rejected by the SSC"
	case ImpracticableWithdrawn:
		return "Withdrawn by the Supplier"
	}
	return string(s)
}

// IsOpen reports whether the record still stands or awaits a decision: a
// Supplier keeps at most one open record per manufacturer.
func (s ImpracticableState) IsOpen() bool {
	return s == ImpracticableRecorded || s == ImpracticableAccepted
}

// ImpracticableEvent moves a record of impracticability on.
type ImpracticableEvent string

// Events of a record of impracticability.
const (
	ImpracticableAccept   ImpracticableEvent = "accept"
	ImpracticableReject   ImpracticableEvent = "reject"
	ImpracticableWithdraw ImpracticableEvent = "withdraw"
)

// ImpracticableLifecycle is the table: the SSC decides a recorded one; the
// Supplier that owns it may withdraw it while pending or once accepted (it
// has since made an arrangement, say). A rejected or withdrawn record is
// final: a new attempt is a new record.
var ImpracticableLifecycle = mustLifecycle("record of impracticability", ImpracticableRecorded, []Transition[ImpracticableState, ImpracticableEvent]{
	{From: ImpracticableRecorded, Event: ImpracticableAccept, To: ImpracticableAccepted, Who: []Actor{ActorSSC},
		Note: "The SSC accepts that an arrangement with this manufacturer is not practicable; needs a decision note; dated the day decided."},
	{From: ImpracticableRecorded, Event: ImpracticableReject, To: ImpracticableRejected, Who: []Actor{ActorSSC},
		Note: "The SSC rejects the record; needs a decision note saying why."},
	{From: ImpracticableRecorded, Event: ImpracticableWithdraw, To: ImpracticableWithdrawn, Who: []Actor{ActorOwner},
		Note: "The Supplier withdraws it before the SSC decides."},
	{From: ImpracticableAccepted, Event: ImpracticableWithdraw, To: ImpracticableWithdrawn, Who: []Actor{ActorOwner},
		Note: "The Supplier withdraws an accepted record (an arrangement is now practicable); coverage stops counting it from the day withdrawn."},
})

// ImpracticableStands reports whether a record counts for coverage on day d:
// it was accepted by the SSC on or before d and not withdrawn on or before d.
// decided is the day the SSC decided, withdrawn the day the Supplier withdrew
// (zero when not); the state is the record's state now. A record withdrawn
// after being accepted still stood on the days between.
func ImpracticableStands(state ImpracticableState, decided, withdrawn, d Date) bool {
	accepted := state == ImpracticableAccepted || state == ImpracticableWithdrawn && !decided.IsZero()
	if !accepted || decided.IsZero() || decided.After(d) {
		return false
	}
	return withdrawn.IsZero() || withdrawn.After(d)
}
