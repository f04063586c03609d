package sec

import (
	"errors"
	"strings"
	"testing"
)

// The sentences of seeds/000 the arrangement's life rests on.
const (
	seedSignedUp = `"That list of Manufacturers who have signed up to the scheme is below."`
	seedChurn    = `"Energy Suppliers must enter into ‘churn’ contracts with MAPs when a Device is inherited on churn"`
)

func TestArrangementLifecycle(t *testing.T) {
	l := ArrangementLifecycle
	party, ssc, system := []Actor{ActorOwner}, []Actor{ActorSSC}, []Actor{ActorSystem}
	for _, tt := range []struct {
		name   string
		from   ArrangementState
		event  ArrangementEvent
		actors []Actor
		to     ArrangementState
		err    error
	}{
		{"seeds/000 " + seedSignedUp + ": the SSC confirms a manufacturer's enrolment", ArrangementPending, ArrangementConfirm, ssc, ArrangementActive, nil},
		{"seeds/000 " + seedSignedUp + ": the system (an operator's command) confirms one", ArrangementPending, ArrangementConfirm, system, ArrangementActive, nil},
		{"seeds/000 " + seedSignedUp + ": the manufacturer may not confirm its own enrolment", ArrangementPending, ArrangementConfirm, party, "", ErrNotPermitted},
		{"seeds/000 " + seedSignedUp + ": a confirmed enrolment is not confirmed again", ArrangementActive, ArrangementConfirm, ssc, "", ErrNoTransition},
		{"seeds/000 " + seedSignedUp + ": an ended enrolment is not confirmed", ArrangementEnded, ArrangementConfirm, ssc, "", ErrNoTransition},
		{"seeds/000 " + seedSignedUp + ": the manufacturer changes a pending enrolment, still pending", ArrangementPending, ArrangementAmend, party, ArrangementPending, nil},
		{"seeds/000 " + seedSignedUp + ": the manufacturer's change to a confirmed one goes back to the SSC", ArrangementActive, ArrangementResubmit, party, ArrangementPending, nil},
		{"seeds/000 " + seedSignedUp + ": the SSC does not resubmit to itself", ArrangementActive, ArrangementResubmit, ssc, "", ErrNotPermitted},
		{"seeds/000 " + seedSignedUp + ": a pending enrolment is not resubmitted", ArrangementPending, ArrangementResubmit, party, "", ErrNoTransition},
		{"seeds/000 " + seedChurn + ": a party changes its contract's terms", ArrangementActive, ArrangementAmend, party, ArrangementActive, nil},
		{"seeds/000 " + seedChurn + ": the SSC changes a contract's terms", ArrangementActive, ArrangementAmend, ssc, ArrangementActive, nil},
		{"seeds/000 " + seedChurn + ": a party ends its contract", ArrangementActive, ArrangementEnd, party, ArrangementEnded, nil},
		{"seeds/000 " + seedChurn + ": the SSC ends one", ArrangementActive, ArrangementEnd, ssc, ArrangementEnded, nil},
		{"G3.20 " + seedPracticable + ": an ended arrangement's terms may be corrected; it stays ended", ArrangementEnded, ArrangementAmend, party, ArrangementEnded, nil},
		{"G3.20 " + seedPracticable + ": an ended arrangement does not end again", ArrangementEnded, ArrangementEnd, party, "", ErrNoTransition},
		{"seeds/000 " + seedSignedUp + ": a pending enrolment is withdrawn", ArrangementPending, ArrangementEnd, party, ArrangementEnded, nil},
		{"someone who is not a party may not end it", ArrangementActive, ArrangementEnd, nil, "", ErrNotPermitted},
		{"a notified Supplier is not a party to it", ArrangementActive, ArrangementAmend, []Actor{ActorSupplier}, "", ErrNotPermitted},
	} {
		to, err := l.Next(tt.from, tt.event, tt.actors...)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("%s: got %q, %v; want %v", tt.name, to, err, tt.err)
			}
			continue
		}
		if err != nil || to != tt.to {
			t.Errorf("%s: got %q, %v; want %q", tt.name, to, err, tt.to)
		}
	}
	if l.Initial() != ArrangementActive {
		t.Errorf("initial %q", l.Initial())
	}
	if got := l.States(); len(got) != 3 {
		t.Errorf("states %v", got)
	}
}

// TestArrangementErrorsSay: an illegal move names the state and who the
// caller acts as, so the problem document explains itself.
func TestArrangementErrorsSay(t *testing.T) {
	_, err := ArrangementLifecycle.Next(ArrangementPending, ArrangementConfirm, ActorOwner)
	if msg := err.Error(); !strings.Contains(msg, `"pending"`) || !strings.Contains(msg, "SSC member or secretariat") || !strings.Contains(msg, "owner of the record") {
		t.Errorf("not permitted: %s", msg)
	}
	_, err = ArrangementLifecycle.Next(ArrangementEnded, ArrangementEnd, ActorSSC)
	if msg := err.Error(); !strings.Contains(msg, `"ended"`) || !strings.Contains(msg, "amend") {
		t.Errorf("no such move: %s", msg)
	}
}

func TestArrangementRecorded(t *testing.T) {
	for _, tt := range []struct {
		name   string
		scheme bool
		actors []Actor
		want   ArrangementState
	}{
		{"seeds/000 " + seedSignedUp + ": a manufacturer's own enrolment waits for the SSC", true, []Actor{ActorOwner}, ArrangementPending},
		{"seeds/000 " + seedSignedUp + ": an enrolment the SSC records is confirmed as it is recorded", true, []Actor{ActorSSC}, ArrangementActive},
		{"seeds/000 " + seedSignedUp + ": an enrolment imported by the system is confirmed", true, []Actor{ActorSystem}, ArrangementActive},
		{"seeds/000 " + seedChurn + ": a churn contract counts at once", false, []Actor{ActorOwner}, ArrangementActive},
	} {
		if got := ArrangementRecorded(tt.scheme, tt.actors...); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestArrangementAmendment(t *testing.T) {
	for _, tt := range []struct {
		name   string
		scheme bool
		from   ArrangementState
		actors []Actor
		want   ArrangementEvent
	}{
		{"seeds/000 " + seedSignedUp + ": the manufacturer changes its confirmed enrolment → resubmit", true, ArrangementActive, []Actor{ActorOwner}, ArrangementResubmit},
		{"seeds/000 " + seedSignedUp + ": the SSC changes a confirmed enrolment → amend, still confirmed", true, ArrangementActive, []Actor{ActorSSC, ActorOwner}, ArrangementAmend},
		{"seeds/000 " + seedSignedUp + ": a pending enrolment changed → amend", true, ArrangementPending, []Actor{ActorOwner}, ArrangementAmend},
		{"seeds/000 " + seedSignedUp + ": an ended enrolment corrected → amend", true, ArrangementEnded, []Actor{ActorOwner}, ArrangementAmend},
		{"seeds/000 " + seedChurn + ": a contract changed by a party → amend", false, ArrangementActive, []Actor{ActorOwner}, ArrangementAmend},
	} {
		if got := ArrangementAmendment(tt.scheme, tt.from, tt.actors...); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}
