package sec

import (
	"errors"
	"slices"
	"testing"
)

func TestPlanLifecycle(t *testing.T) {
	tests := []struct {
		name   string
		from   PlanState
		event  PlanEvent
		actors []Actor
		to     PlanState // "" means refused
		err    error
	}{
		{"G3.18+G3.9/the owning Supplier submits its notice to the SSC", PlanStateDraft, PlanEventSubmit, []Actor{ActorOwner}, PlanStateSubmitted, nil},
		{"G3.18+G3.9/another Supplier cannot submit it", PlanStateDraft, PlanEventSubmit, []Actor{ActorSupplier}, "", ErrNotPermitted},
		{"SSC decision NOTED/the SSC notes a plan", PlanStateSubmitted, PlanEventNote, []Actor{ActorSSC}, PlanStateNoted, nil},
		{"SSC decision AGREED/the SSC agrees a noted plan", PlanStateNoted, PlanEventAgree, []Actor{ActorSSC}, PlanStateAgreed, nil},
		{"SSC decision AGREED/the owner cannot agree its own plan", PlanStateSubmitted, PlanEventAgree, []Actor{ActorOwner}, "", ErrNotPermitted},
		{"SSC decision AGREED/a draft is not before the SSC", PlanStateDraft, PlanEventAgree, []Actor{ActorSSC}, "", ErrNoTransition},
		{"G3.18/the owner revises an agreed plan with a reason", PlanStateAgreed, PlanEventRevise, []Actor{ActorOwner}, PlanStateRevised, nil},
		{"G3.18/the owner revises again before the SSC looks", PlanStateRevised, PlanEventRevise, []Actor{ActorOwner}, PlanStateRevised, nil},
		{"G3.18/the SSC cannot rewrite a Supplier's plan", PlanStateAgreed, PlanEventRevise, []Actor{ActorSSC}, "", ErrNotPermitted},
		{"DOMAIN.md deadlines/the system marks a passed date overdue", PlanStateAgreed, PlanEventMarkOverdue, []Actor{ActorSystem}, PlanStateOverdue, nil},
		{"DOMAIN.md deadlines/a person cannot mark overdue", PlanStateAgreed, PlanEventMarkOverdue, []Actor{ActorSSC, ActorOwner}, "", ErrNotPermitted},
		{"DOMAIN.md deadlines/a draft has no date to miss", PlanStateDraft, PlanEventMarkOverdue, []Actor{ActorSystem}, "", ErrNoTransition},
		{"G3.18/an overdue plan is revised with new dates", PlanStateOverdue, PlanEventRevise, []Actor{ActorOwner}, PlanStateRevised, nil},
		{"G3.18/an overdue plan is completed late", PlanStateOverdue, PlanEventComplete, []Actor{ActorOwner}, PlanStateCompleted, nil},
		{"G3.18/a completed plan stays completed", PlanStateCompleted, PlanEventRevise, []Actor{ActorOwner}, "", ErrNoTransition},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			to, err := PlanLifecycle.Next(tt.from, tt.event, tt.actors...)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Errorf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || to != tt.to {
				t.Errorf("Next = %q, %v; want %q", to, err, tt.to)
			}
		})
	}
}

// The scheduled job may mark overdue exactly the open plans that are not
// overdue already.
func TestPlanMarkOverdueFromOpenStates(t *testing.T) {
	for _, s := range PlanLifecycle.States() {
		can := slices.Contains(PlanLifecycle.Events(s, ActorSystem), PlanEventMarkOverdue)
		if want := s.IsOpen() && s != PlanStateOverdue; can != want {
			t.Errorf("%s: system may mark overdue = %v, want %v", s, can, want)
		}
	}
}

func TestPlanOverdue(t *testing.T) {
	d := MustParseDate
	tests := []struct {
		name                string
		completion, nextDue Date
		today               Date
		want                bool
	}{
		{"declared completion date is met on the day", d("2024-03-01"), Date{}, d("2024-03-01"), false},
		{"overdue the day after the declared completion", d("2024-03-01"), Date{}, d("2024-03-02"), true},
		{"missed SSC next update date", d("2024-12-31"), d("2024-03-01"), d("2024-03-02"), true},
		{"both dates ahead", d("2024-12-31"), d("2024-06-01"), d("2024-03-02"), false},
		{"no dates set cannot be missed", Date{}, Date{}, d("2030-01-01"), false},
	}
	for _, tt := range tests {
		if got := PlanOverdue(tt.completion, tt.nextDue, tt.today); got != tt.want {
			t.Errorf("%s: PlanOverdue = %v, want %v", tt.name, got, tt.want)
		}
	}
}
