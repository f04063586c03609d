package sec

import "slices"

// The life of a G3.20 arrangement: a contract, a churn contract, a Letter of
// Intent or an SSC scheme enrolment that lets a User be notified of material
// security vulnerabilities (seeds/000, seeds/001; DOMAIN.md §1). Whether an
// active arrangement is in force on a day also depends on its dates; the
// table says only how its status moves and who moves it.

// ArrangementState is where an arrangement stands in its life.
type ArrangementState string

// States of an arrangement.
const (
	// ArrangementPending is a manufacturer's own SSC scheme enrolment
	// awaiting the SSC's confirmation: it covers nothing yet.
	ArrangementPending ArrangementState = "pending"
	// ArrangementActive counts, on the days between its effective date and
	// its expiry.
	ArrangementActive ArrangementState = "active"
	// ArrangementEnded was terminated before its expiry: from the day it
	// ended it no longer counts.
	ArrangementEnded ArrangementState = "ended"
)

// ArrangementEvent moves an arrangement on.
type ArrangementEvent string

// Events of an arrangement.
const (
	// ArrangementConfirm is the SSC accepting a scheme enrolment.
	ArrangementConfirm ArrangementEvent = "confirm"
	// ArrangementAmend changes the terms and keeps the status.
	ArrangementAmend ArrangementEvent = "amend"
	// ArrangementResubmit is a party's change to a confirmed scheme
	// enrolment, which goes back to the SSC for confirmation.
	ArrangementResubmit ArrangementEvent = "resubmit"
	// ArrangementEnd terminates it before its expiry.
	ArrangementEnd ArrangementEvent = "end"
)

// The actors of an arrangement: ActorOwner is a party to it (each party
// owns it jointly: the Supplier or other User, the MAP, the manufacturer),
// ActorSSC an SSC member or the secretariat, ActorSystem an operator's
// command or an import run as the system.
var (
	arrangementParties = []Actor{ActorOwner, ActorSSC, ActorSystem}
	arrangementSSC     = []Actor{ActorSSC, ActorSystem}
)

// ArrangementLifecycle is the table. An arrangement is recorded active,
// except a manufacturer's own scheme enrolment, which is recorded pending
// (ArrangementRecorded); only scheme enrolments are ever pending.
var ArrangementLifecycle = mustLifecycle("arrangement", ArrangementActive, []Transition[ArrangementState, ArrangementEvent]{
	{From: ArrangementPending, Event: ArrangementConfirm, To: ArrangementActive, Who: arrangementSSC,
		Note: "The SSC confirms a manufacturer's scheme enrolment: it joins the list of manufacturers signed up to the scheme (seeds/000) and covers models from then; the confirmation is dated and names who confirmed."},
	{From: ArrangementPending, Event: ArrangementAmend, To: ArrangementPending, Who: arrangementParties,
		Note: "The terms change; the enrolment still awaits the SSC."},
	{From: ArrangementActive, Event: ArrangementAmend, To: ArrangementActive, Who: arrangementParties,
		Note: "A party or the SSC changes the terms. A party's change to a confirmed scheme enrolment is resubmit instead (ArrangementAmendment)."},
	{From: ArrangementActive, Event: ArrangementResubmit, To: ArrangementPending, Who: []Actor{ActorOwner},
		Note: "A party changes a confirmed scheme enrolment: what the SSC confirmed no longer stands, so it goes back for confirmation."},
	{From: ArrangementEnded, Event: ArrangementAmend, To: ArrangementEnded, Who: arrangementParties,
		Note: "The terms of an ended arrangement may be corrected; it stays ended, and no date may move before the day it ended."},
	{From: ArrangementPending, Event: ArrangementEnd, To: ArrangementEnded, Who: arrangementParties,
		Note: "A scheme enrolment is withdrawn before the SSC confirms it; needs the day it ends (today when none)."},
	{From: ArrangementActive, Event: ArrangementEnd, To: ArrangementEnded, Who: arrangementParties,
		Note: "Terminated before its expiry: from the day given (today when none, never before the effective date or after the expiry) it no longer counts."},
})

// speaksForSSC: the caller acts as the SSC or the system, whose own word
// needs no confirmation.
func speaksForSSC(actors []Actor) bool {
	return slices.ContainsFunc(actors, func(a Actor) bool { return slices.Contains(arrangementSSC, a) })
}

// ArrangementRecorded is the state a new arrangement starts in: a scheme
// enrolment recorded by anyone but the SSC (the manufacturer itself) waits
// for the SSC's confirmation; everything else, and an enrolment the SSC
// records, is active at once.
func ArrangementRecorded(scheme bool, actors ...Actor) ArrangementState {
	if scheme && !speaksForSSC(actors) {
		return ArrangementPending
	}
	return ArrangementActive
}

// ArrangementAmendment is the event a change of terms fires: resubmit when
// a party other than the SSC changes a confirmed (active) scheme enrolment,
// amend otherwise.
func ArrangementAmendment(scheme bool, from ArrangementState, actors ...Actor) ArrangementEvent {
	if scheme && from == ArrangementActive && !speaksForSSC(actors) {
		return ArrangementResubmit
	}
	return ArrangementAmend
}
