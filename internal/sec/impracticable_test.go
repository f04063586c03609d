package sec

import (
	"errors"
	"testing"
)

// The sentence of G3.20 (seeds/001) the record of impracticability rests on.
const seedPracticable = `"Each User shall, wherever it is practicable to do so, establish with"`

func TestImpracticableLifecycle(t *testing.T) {
	l := ImpracticableLifecycle
	for _, tt := range []struct {
		name   string
		from   ImpracticableState
		event  ImpracticableEvent
		actors []Actor
		to     ImpracticableState
		err    error
	}{
		{"G3.20 " + seedPracticable + ": the SSC accepts a recorded one", ImpracticableRecorded, ImpracticableAccept, []Actor{ActorSSC}, ImpracticableAccepted, nil},
		{"G3.20 " + seedPracticable + ": the SSC rejects a recorded one", ImpracticableRecorded, ImpracticableReject, []Actor{ActorSSC}, ImpracticableRejected, nil},
		{"G3.20 " + seedPracticable + ": the Supplier withdraws a pending one", ImpracticableRecorded, ImpracticableWithdraw, []Actor{ActorOwner}, ImpracticableWithdrawn, nil},
		{"G3.20 " + seedPracticable + ": the Supplier withdraws an accepted one", ImpracticableAccepted, ImpracticableWithdraw, []Actor{ActorOwner}, ImpracticableWithdrawn, nil},
		{"the Supplier may not accept its own record", ImpracticableRecorded, ImpracticableAccept, []Actor{ActorOwner}, "", ErrNotPermitted},
		{"the SSC may not withdraw the Supplier's record", ImpracticableRecorded, ImpracticableWithdraw, []Actor{ActorSSC}, "", ErrNotPermitted},
		{"a decided record is not decided again", ImpracticableAccepted, ImpracticableReject, []Actor{ActorSSC}, "", ErrNoTransition},
		{"a rejected record is final", ImpracticableRejected, ImpracticableWithdraw, []Actor{ActorOwner}, "", ErrNoTransition},
		{"a withdrawn record is final", ImpracticableWithdrawn, ImpracticableAccept, []Actor{ActorSSC}, "", ErrNoTransition},
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
	if l.Initial() != ImpracticableRecorded {
		t.Errorf("initial %q", l.Initial())
	}
}

func TestImpracticableStands(t *testing.T) {
	decided := MustParseDate("2026-03-10")
	withdrawn := MustParseDate("2026-06-01")
	var none Date
	for _, tt := range []struct {
		name      string
		state     ImpracticableState
		decided   Date
		withdrawn Date
		day       string
		want      bool
	}{
		{"G3.20 " + seedPracticable + ": accepted, the day before the SSC decided → does not stand", ImpracticableAccepted, decided, none, "2026-03-09", false},
		{"G3.20 " + seedPracticable + ": accepted, the day the SSC decided → stands", ImpracticableAccepted, decided, none, "2026-03-10", true},
		{"G3.20 " + seedPracticable + ": accepted, long after → stands", ImpracticableAccepted, decided, none, "2027-01-01", true},
		{"G3.20 " + seedPracticable + ": accepted then withdrawn, the day before withdrawal → stood", ImpracticableWithdrawn, decided, withdrawn, "2026-05-31", true},
		{"G3.20 " + seedPracticable + ": accepted then withdrawn, the day withdrawn → no longer", ImpracticableWithdrawn, decided, withdrawn, "2026-06-01", false},
		{"pending: never stands (coverage says so in detail)", ImpracticableRecorded, none, none, "2026-03-10", false},
		{"rejected: never stands, even on the day decided", ImpracticableRejected, decided, none, "2026-03-10", false},
		{"withdrawn before any decision: never stood", ImpracticableWithdrawn, none, withdrawn, "2026-05-31", false},
	} {
		if got := ImpracticableStands(tt.state, tt.decided, tt.withdrawn, MustParseDate(tt.day)); got != tt.want {
			t.Errorf("%s: got %v", tt.name, got)
		}
	}
}
