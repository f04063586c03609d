package sec

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

type docState string
type docEvent string

// A toy lifecycle, to test the table machinery apart from any SEC rule.
var docRows = []Transition[docState, docEvent]{
	{From: "draft", Event: "submit", To: "submitted", Who: []Actor{ActorOwner}},
	{From: "submitted", Event: "accept", To: "accepted", Who: []Actor{ActorSSC}},
	{From: "submitted", Event: "withdraw", To: "draft", Who: []Actor{ActorOwner, ActorSSC}},
	{From: "submitted", Event: "expire", To: "expired", Who: []Actor{ActorSystem}},
}

func TestLifecycleNext(t *testing.T) {
	l := mustLifecycle("document", "draft", docRows)
	to, err := l.Next("submitted", "withdraw", ActorSupplier, ActorSSC)
	if err != nil || to != "draft" {
		t.Fatalf("Next = %q, %v", to, err)
	}

	// No such move: the error lists what is possible from the state.
	to, err = l.Next("submitted", "submit", ActorOwner)
	if !errors.Is(err, ErrNoTransition) || errors.Is(err, ErrNotPermitted) || to != "submitted" {
		t.Fatalf("submit from submitted: %q, %v", to, err)
	}
	if msg := err.Error(); !strings.Contains(msg, "accept, withdraw, expire") {
		t.Errorf("message should list the possible events: %s", msg)
	}
	var te *TransitionError
	if !errors.As(err, &te) || !slices.Equal(te.Possible, []string{"accept", "withdraw", "expire"}) {
		t.Errorf("TransitionError = %+v", te)
	}

	// The move exists but the caller may not make it: the error says who may.
	_, err = l.Next("submitted", "accept", ActorOwner)
	if !errors.Is(err, ErrNotPermitted) || errors.Is(err, ErrNoTransition) {
		t.Fatalf("accept by owner: %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "SSC member or secretariat") || !strings.Contains(msg, "owner of the record") {
		t.Errorf("message should say who may and who you are: %s", msg)
	}
	_, err = l.Next("submitted", "expire")
	if !errors.Is(err, ErrNotPermitted) || !strings.Contains(err.Error(), "nothing on this record") {
		t.Errorf("caller with no actor: %v", err)
	}

	// Final and unknown states.
	_, err = l.Next("accepted", "withdraw", ActorSSC)
	if !errors.Is(err, ErrNoTransition) || !strings.Contains(err.Error(), "nothing can happen") {
		t.Errorf("from a final state: %v", err)
	}
	_, err = l.Next("lost", "submit", ActorOwner)
	if !errors.Is(err, ErrNoTransition) || !strings.Contains(err.Error(), "unknown state") {
		t.Errorf("from an unknown state: %v", err)
	}
}

func TestLifecycleEvents(t *testing.T) {
	l := mustLifecycle("document", "draft", docRows)
	tests := []struct {
		from   docState
		actors []Actor
		want   []docEvent
	}{
		{"submitted", []Actor{ActorSSC}, []docEvent{"accept", "withdraw"}},
		{"submitted", []Actor{ActorOwner}, []docEvent{"withdraw"}},
		{"submitted", []Actor{ActorSystem}, []docEvent{"expire"}},
		{"submitted", nil, nil},
		{"accepted", []Actor{ActorSSC}, nil},
	}
	for _, tt := range tests {
		if got := l.Events(tt.from, tt.actors...); !slices.Equal(got, tt.want) {
			t.Errorf("Events(%s, %v) = %v, want %v", tt.from, tt.actors, got, tt.want)
		}
	}
}

func TestLifecycleDocs(t *testing.T) {
	l := mustLifecycle("document", "draft", docRows)
	if got := l.States(); !slices.Equal(got, []docState{"draft", "submitted", "accepted", "expired"}) {
		t.Errorf("States = %v", got)
	}
	rows := l.Rows()
	rows[0].Who[0] = ActorSystem
	if _, err := l.Next("draft", "submit", ActorOwner); err != nil {
		t.Errorf("changing the copy from Rows changed the table: %v", err)
	}
	if l.Name() != "document" || l.Initial() != "draft" {
		t.Errorf("Name, Initial = %q, %q", l.Name(), l.Initial())
	}
}

func TestNewLifecycleRefusesBadTables(t *testing.T) {
	bad := map[string][]Transition[docState, docEvent]{
		"ambiguous":     {{From: "draft", Event: "submit", To: "a", Who: []Actor{ActorOwner}}, {From: "draft", Event: "submit", To: "b", Who: []Actor{ActorOwner}}},
		"nobody may":    {{From: "draft", Event: "submit", To: "submitted"}},
		"unknown actor": {{From: "draft", Event: "submit", To: "submitted", Who: []Actor{"admin"}}},
		"no event":      {{From: "draft", To: "submitted", Who: []Actor{ActorOwner}}},
		"stuck start":   {{From: "submitted", Event: "accept", To: "accepted", Who: []Actor{ActorSSC}}},
	}
	for name, rows := range bad {
		if _, err := NewLifecycle("document", "draft", rows); err == nil {
			t.Errorf("%s: NewLifecycle accepted the table", name)
		}
	}
}

func TestLifecyclePermits(t *testing.T) {
	l := mustLifecycle("document", "draft", docRows)
	for _, tt := range []struct {
		event  docEvent
		actors []Actor
		want   bool
	}{
		{"accept", []Actor{ActorSSC}, true},
		{"accept", []Actor{ActorOwner}, false},
		{"withdraw", []Actor{ActorSupplier, ActorOwner}, true},
		{"expire", nil, false},
		{"publish", []Actor{ActorSSC}, false},
	} {
		if got := l.Permits(tt.event, tt.actors...); got != tt.want {
			t.Errorf("Permits(%s, %v) = %v, want %v", tt.event, tt.actors, got, tt.want)
		}
	}
}
