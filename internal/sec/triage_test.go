package sec

import (
	"errors"
	"strings"
	"testing"
)

// Each case is named after the source of the rule it checks.
func TestFacilityLifecycle(t *testing.T) {
	tests := []struct {
		name   string
		from   FacilityState
		event  FacilityEvent
		actors []Actor
		to     FacilityState // "" when refused
		err    error
	}{
		{"MP203 seed 002/'subject to an initial Full User Security Assessment'", FacilityApplied, FacilityBeginFUSA, []Actor{ActorSSC}, FacilityInitialFUSA, nil},
		{"MP203 seed 002/the provider cannot assess itself", FacilityApplied, FacilityBeginFUSA, []Actor{ActorOwner}, "", ErrNotPermitted},
		{"MP203 seed 002/'result in approval'", FacilityInitialFUSA, FacilityApprove, []Actor{ActorSSC}, FacilityApproved, nil},
		{"MP203 seed 002/'approval subject to additional steps'", FacilityInitialFUSA, FacilityApproveWithStep, []Actor{ActorSSC}, FacilityApprovedWithSteps, nil},
		{"MP203 seed 002/'rejection'", FacilityInitialFUSA, FacilityReject, []Actor{ActorSSC}, FacilityRejected, nil},
		{"MP203 seed 002/no approval without the initial FUSA", FacilityApplied, FacilityApprove, []Actor{ActorSSC}, "", ErrNoTransition},
		{"MP203 seed 002/the provider cannot approve itself", FacilityInitialFUSA, FacilityApprove, []Actor{ActorOwner}, "", ErrNotPermitted},
		{"ASSUMPTION steps/the SSC confirms the additional steps done", FacilityApprovedWithSteps, FacilityConfirmSteps, []Actor{ActorSSC}, FacilityApproved, nil},
		{"ASSUMPTION steps/no operating before the steps are confirmed", FacilityApprovedWithSteps, FacilityStartOperating, []Actor{ActorOwner}, "", ErrNoTransition},
		{"MP203/an approved provider starts operating", FacilityApproved, FacilityStartOperating, []Actor{ActorOwner}, FacilityOperating, nil},
		{"MP203/a rejected facility cannot operate", FacilityRejected, FacilityStartOperating, []Actor{ActorOwner, ActorSSC}, "", ErrNoTransition},
		{"MP203 seed 002/the SSC suspends", FacilityOperating, FacilitySuspend, []Actor{ActorSSC}, FacilitySuspended, nil},
		{"MP203 seed 002/the provider cannot lift a suspension", FacilitySuspended, FacilityReinstate, []Actor{ActorOwner}, "", ErrNotPermitted},
		{"MP203 seed 002/the SSC reinstates after a follow-up assessment", FacilitySuspended, FacilityReinstate, []Actor{ActorSSC}, FacilityOperating, nil},
		{"MP203/a rejected provider applies again", FacilityRejected, FacilityReapply, []Actor{ActorOwner}, FacilityApplied, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			to, err := FacilityLifecycle.Next(tt.from, tt.event, tt.actors...)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || to != tt.to {
				t.Fatalf("Next = %q, %v; want %q", to, err, tt.to)
			}
		})
	}
}

func TestFacilityMayRecord(t *testing.T) {
	for _, st := range FacilityLifecycle.States() {
		want := st == FacilityApproved || st == FacilityOperating
		if got := FacilityMayRecord(st); got != want {
			t.Errorf("MP203 seed 002 'whether that Facility can operate Triage Activities'/%s: FacilityMayRecord = %v, want %v", st, got, want)
		}
	}
}

func TestTriageLifecycle(t *testing.T) {
	op := []Actor{ActorOwner}
	tests := []struct {
		name  string
		from  TriageState
		step  TriageStep
		who   []Actor
		to    TriageState
		error error
	}{
		{"DOMAIN.md Triage/'Received (logged)'", TriageOut, StepReceive, op, TriageReceived, nil},
		{"DOMAIN.md Triage/'Checked (tamper boundary, CPL/CPA status)'", TriageReceived, StepBoundaryCheck, op, TriageChecked, nil},
		{"issue 11/'no seal before a boundary check'", TriageReceived, StepFitSeal, op, "", ErrNoTransition},
		{"issue 11/no diagnostics before a boundary check", TriageReceived, StepDiagnose, op, "", ErrNoTransition},
		{"DOMAIN.md Triage/'FactoryReset (UC004)'", TriageDiagnosed, StepFactoryReset, op, TriageReset, nil},
		{"issue 11/firmware update after a reset", TriageReset, StepFirmwareUpdate, op, TriageUpdated, nil},
		{"MP203 seed 004/'fit tamper-protection seals to Devices that complete the Triage Activities'", TriageUpdated, StepFitSeal, op, TriageSealed, nil},
		{"MP203 seed 004/a checked Device may be sealed without further work", TriageChecked, StepFitSeal, op, TriageSealed, nil},
		{"issue 11/'no release without a seal'", TriageReset, StepRelease, op, "", ErrNoTransition},
		{"issue 11/no work on a sealed Device", TriageSealed, StepFactoryReset, op, "", ErrNoTransition},
		{"DOMAIN.md Triage/'Released'", TriageSealed, StepRelease, op, TriageReleased, nil},
		{"DOMAIN.md Triage/'Rejected'", TriageChecked, StepReject, op, TriageRejected, nil},
		{"DOMAIN.md Triage/'Rejected → Disposed'", TriageRejected, StepDispose, op, TriageDisposed, nil},
		{"DOMAIN.md Triage/'Rejected → Returned'", TriageRejected, StepReturn, op, TriageReturned, nil},
		{"issue 11/'nothing after disposal'", TriageDisposed, StepReceive, op, "", ErrNoTransition},
		{"issue 11/nothing after disposal, not even a reject", TriageDisposed, StepReject, op, "", ErrNoTransition},
		{"DOMAIN.md Triage/a released Device comes back", TriageReleased, StepReceive, op, TriageReceived, nil},
		{"MP203 seed 004/only the provider records triage", TriageReceived, StepBoundaryCheck, []Actor{ActorSSC, ActorSupplier, ActorManufacturer}, "", ErrNotPermitted},
		{"issue 11/a Device cannot be received twice", TriageReceived, StepReceive, op, "", ErrNoTransition},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			to, err := TriageLifecycle.Next(tt.from, tt.step, tt.who...)
			if tt.error != nil {
				if !errors.Is(err, tt.error) {
					t.Fatalf("err = %v, want %v", err, tt.error)
				}
				return
			}
			if err != nil || to != tt.to {
				t.Fatalf("Next = %q, %v; want %q", to, err, tt.to)
			}
		})
	}
}

// The seal rules hold for every state, not only the ones named above.
func TestTriageLifecycleShape(t *testing.T) {
	for _, r := range TriageLifecycle.Rows() {
		switch {
		case r.Event == StepRelease && r.From != TriageSealed:
			t.Errorf("issue 11 'no release without a seal': release from %s", r.From)
		case r.Event == StepFitSeal && (r.From == TriageOut || r.From == TriageReceived):
			t.Errorf("issue 11 'no seal before a boundary check': fit_seal from %s", r.From)
		case r.From == TriageDisposed:
			t.Errorf("issue 11 'nothing after disposal': %s from disposed", r.Event)
		}
	}
	for _, st := range TriageSteps {
		if _, err := ParseTriageStep(string(st)); err != nil {
			t.Errorf("ParseTriageStep(%s): %v", st, err)
		}
	}
	if _, err := ParseTriageStep("seal"); err == nil {
		t.Error("ParseTriageStep(seal) accepted")
	}
}

func TestCheckBoundary(t *testing.T) {
	tests := []struct {
		name         string
		outer, inner Boundary
		reason       string
		policy       BreachPolicy
		blocked      bool
	}{
		{"MP203 seed 004/intact boundaries never block", BoundaryIntact, BoundaryIntact, "", BreachBlocks, false},
		{"MP203 seed 004/'if an outer tamper boundary was breached then that Device should not be triaged'", BoundaryBreached, BoundaryIntact, "", BreachBlocks, true},
		{"MP203 seed 004/an inner breach blocks too", BoundaryIntact, BoundaryBreached, " ", BreachBlocks, true},
		{"MP203 seed 004/'tamper Alerts on some occasions when the battery fails'", BoundaryBreached, BoundaryIntact, "battery failure alert", BreachBlocks, false},
		{"MP203 seed 004/a facility whose policy allows breaches", BoundaryBreached, BoundaryBreached, "", BreachAllowed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckBoundary(tt.outer, tt.inner, tt.reason, tt.policy)
			if (err != nil) != tt.blocked {
				t.Fatalf("CheckBoundary = %v, blocked want %v", err, tt.blocked)
			}
			if err != nil && !strings.Contains(err.Error(), "legitimate") {
				t.Errorf("the refusal should say how to proceed: %v", err)
			}
		})
	}
	if p, err := ParseBreachPolicy(""); err != nil || p != BreachBlocks {
		t.Errorf("issue 11 'default block': ParseBreachPolicy(\"\") = %q, %v", p, err)
	}
	if _, err := ParseBreachPolicy("sometimes"); err == nil {
		t.Error("ParseBreachPolicy(sometimes) accepted")
	}
	if _, err := ParseBoundary("broken"); err == nil {
		t.Error("ParseBoundary(broken) accepted")
	}
}
