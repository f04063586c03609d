package sec

import (
	"fmt"
	"strings"
)

// FacilityState is where a Triage Facility stands in its assurance (MP203,
// seed 002; DOMAIN.md "Triage").
type FacilityState string

// Facility states.
const (
	FacilityApplied           FacilityState = "applied"                   // the provider has asked to operate
	FacilityInitialFUSA       FacilityState = "initial_fusa"              // the initial Full User Security Assessment is under way
	FacilityApproved          FacilityState = "approved"                  // the SSC approved it
	FacilityApprovedWithSteps FacilityState = "approved_subject_to_steps" // approved once additional steps are done
	FacilityRejected          FacilityState = "rejected"                  // the SSC rejected it
	FacilityOperating         FacilityState = "operating"                 // approved and carrying out Triage Activities
	FacilitySuspended         FacilityState = "suspended"                 // the SSC stopped it
)

// FacilityEvent moves a facility on.
type FacilityEvent string

// Facility events.
const (
	FacilityBeginFUSA       FacilityEvent = "begin_fusa"
	FacilityApprove         FacilityEvent = "approve"
	FacilityApproveWithStep FacilityEvent = "approve_subject_to_steps"
	FacilityReject          FacilityEvent = "reject"
	FacilityConfirmSteps    FacilityEvent = "confirm_steps"
	FacilityStartOperating  FacilityEvent = "start_operating"
	FacilitySuspend         FacilityEvent = "suspend"
	FacilityReinstate       FacilityEvent = "reinstate"
	FacilityReapply         FacilityEvent = "reapply"
)

// FacilityLifecycle is the assurance of a Triage Facility: applied → initial
// FUSA → approved | approved subject to steps | rejected → operating →
// suspended. ActorOwner is the Triage Facility Provider whose facility it is;
// ActorSSC records the SSC's decisions.
//
// Choices the seeds leave open, and why:
//   - The outcome of the initial FUSA is the SSC's decision ("approval",
//     "rejection" or "approval subject to additional steps", seed 002); the
//     assessment itself belongs to the assurance area and is linked by id.
//   - Approval subject to additional steps lets the facility do nothing
//     until the SSC confirms the steps done (ASSUMPTION: the steps are the
//     condition of the approval, so the approval is not yet in force).
//   - Only the SSC suspends and reinstates: follow-up assessments are its
//     choice by security risk (seed 002).
var FacilityLifecycle = mustLifecycle("triage facility", FacilityApplied, []Transition[FacilityState, FacilityEvent]{
	{From: FacilityApplied, Event: FacilityBeginFUSA, To: FacilityInitialFUSA, Who: []Actor{ActorSSC},
		Note: "MP203: an initial Full User Security Assessment; link the assessment."},
	{From: FacilityInitialFUSA, Event: FacilityApprove, To: FacilityApproved, Who: []Actor{ActorSSC},
		Note: "MP203 (seed 002): the initial FUSA results in 'approval'."},
	{From: FacilityInitialFUSA, Event: FacilityApproveWithStep, To: FacilityApprovedWithSteps, Who: []Actor{ActorSSC},
		Note: "MP203 (seed 002): 'approval subject to additional steps'; record the steps."},
	{From: FacilityInitialFUSA, Event: FacilityReject, To: FacilityRejected, Who: []Actor{ActorSSC},
		Note: "MP203 (seed 002): 'rejection'."},
	{From: FacilityApprovedWithSteps, Event: FacilityConfirmSteps, To: FacilityApproved, Who: []Actor{ActorSSC},
		Note: "The additional steps are done."},
	{From: FacilityApprovedWithSteps, Event: FacilityReject, To: FacilityRejected, Who: []Actor{ActorSSC},
		Note: "The additional steps were not done."},
	{From: FacilityApproved, Event: FacilityStartOperating, To: FacilityOperating, Who: []Actor{ActorOwner, ActorSSC},
		Note: "The provider starts Triage Activities."},
	{From: FacilityApproved, Event: FacilitySuspend, To: FacilitySuspended, Who: []Actor{ActorSSC}},
	{From: FacilityOperating, Event: FacilitySuspend, To: FacilitySuspended, Who: []Actor{ActorSSC},
		Note: "The SSC stops Triage Activities; record why."},
	{From: FacilitySuspended, Event: FacilityReinstate, To: FacilityOperating, Who: []Actor{ActorSSC},
		Note: "After a follow-up assessment (FUSA, VUSA or SSA, seed 002)."},
	{From: FacilityRejected, Event: FacilityReapply, To: FacilityApplied, Who: []Actor{ActorOwner},
		Note: "A new application; a new initial FUSA follows."},
})

// FacilityMayRecord reports whether a facility in state st may record Triage
// Activities: only an approved facility may (MP203: the initial FUSA decides
// "whether that Facility can operate Triage Activities", seed 002).
func FacilityMayRecord(st FacilityState) bool {
	return st == FacilityApproved || st == FacilityOperating
}

// TriageState is where a Device stands at a Triage Facility.
type TriageState string

// Triage states. A Device not at any facility is TriageOut.
const (
	TriageOut       TriageState = "out"       // not at a facility (never received, or released / returned before)
	TriageReceived  TriageState = "received"  // logged in, from a named sender
	TriageChecked   TriageState = "checked"   // tamper boundary checked, model and firmware checked against the catalogue
	TriageDiagnosed TriageState = "diagnosed" // diagnostics run
	TriageReset     TriageState = "reset"     // factory reset (CPA Use Case 004)
	TriageUpdated   TriageState = "updated"   // firmware updated
	TriageSealed    TriageState = "sealed"    // tamper-protection seal fitted
	TriageReleased  TriageState = "released"  // released to a named receiver
	TriageRejected  TriageState = "rejected"  // not fit to triage or to release
	TriageDisposed  TriageState = "disposed"  // destroyed: final
	TriageReturned  TriageState = "returned"  // rejected and sent back as it came
)

// TriageStep is a Triage Activity: one entry in a facility's record.
type TriageStep string

// Triage steps.
const (
	StepReceive        TriageStep = "receive"
	StepBoundaryCheck  TriageStep = "boundary_check"
	StepDiagnose       TriageStep = "diagnose"
	StepFactoryReset   TriageStep = "factory_reset"
	StepFirmwareUpdate TriageStep = "firmware_update"
	StepFitSeal        TriageStep = "fit_seal"
	StepRelease        TriageStep = "release"
	StepReject         TriageStep = "reject"
	StepDispose        TriageStep = "dispose"
	StepReturn         TriageStep = "return"
)

// TriageSteps lists every step in the order a Device usually meets them.
var TriageSteps = []TriageStep{StepReceive, StepBoundaryCheck, StepDiagnose, StepFactoryReset, StepFirmwareUpdate,
	StepFitSeal, StepRelease, StepReject, StepDispose, StepReturn}

// ParseTriageStep accepts a step's code.
func ParseTriageStep(s string) (TriageStep, error) {
	t := strings.TrimSpace(strings.ToLower(s))
	for _, st := range TriageSteps {
		if string(st) == t {
			return st, nil
		}
	}
	return "", fmt.Errorf("%q is not a triage step (one of %s)", s, joinRoles(TriageSteps))
}

// TriageLifecycle is the order of Triage Activities on one Device (DOMAIN.md
// "Triage": Received → Checked → Diagnosed → FactoryReset → Sealed →
// Released; or Rejected → Disposed/Returned). ActorOwner is an operator of
// the facility's provider; nobody else records triage.
//
// The rules the table holds, from the issue and MP203 (seed 004):
//   - no seal before a boundary check: fit_seal leaves only checked,
//     diagnosed, reset or updated Devices;
//   - no release without a seal: release leaves only sealed;
//   - nothing after disposal: disposed has no moves;
//   - diagnostics, factory reset and firmware update are each optional and
//     may repeat in any order after the check: a Device may be reset, then
//     updated, then diagnosed again before it is sealed;
//   - a released or returned Device may come back for triage another time.
var TriageLifecycle = func() *Lifecycle[TriageState, TriageStep] {
	op := []Actor{ActorOwner}
	var rows []Transition[TriageState, TriageStep]
	add := func(from TriageState, step TriageStep, to TriageState, note string) {
		rows = append(rows, Transition[TriageState, TriageStep]{From: from, Event: step, To: to, Who: op, Note: note})
	}
	add(TriageOut, StepReceive, TriageReceived, "Record who sent it; its estate status becomes in triage.")
	add(TriageReleased, StepReceive, TriageReceived, "Back for triage another time.")
	add(TriageReturned, StepReceive, TriageReceived, "Back for triage another time.")
	add(TriageReceived, StepBoundaryCheck, TriageChecked, "MP203 (seed 004): outer and inner tamper boundary; a breach needs a legitimate reason where the facility's policy blocks.")
	add(TriageReceived, StepReject, TriageRejected, "Not fit to triage: record why.")
	worked := []TriageState{TriageChecked, TriageDiagnosed, TriageReset, TriageUpdated}
	for _, from := range worked {
		add(from, StepDiagnose, TriageDiagnosed, "")
		add(from, StepFactoryReset, TriageReset, "CPA Use Case 004 (Factory Reset).")
		add(from, StepFirmwareUpdate, TriageUpdated, "Recorded in the estate's firmware history.")
		add(from, StepFitSeal, TriageSealed, "MP203: a tamper-protection seal on every Device completing triage; the seal number is never reused.")
		add(from, StepReject, TriageRejected, "Not fit to release: record why.")
	}
	add(TriageSealed, StepRelease, TriageReleased, "Record to whom; its estate status becomes installed or removed.")
	add(TriageRejected, StepDispose, TriageDisposed, "Final: nothing happens after disposal.")
	add(TriageRejected, StepReturn, TriageReturned, "Sent back as it came; its estate status becomes removed.")
	return mustLifecycle("triage", TriageOut, rows)
}()

// Boundary is the state of a tamper protection boundary.
type Boundary string

// Boundary states.
const (
	BoundaryIntact   Boundary = "intact"
	BoundaryBreached Boundary = "breached"
)

// ParseBoundary accepts intact or breached.
func ParseBoundary(s string) (Boundary, error) {
	switch b := Boundary(strings.TrimSpace(strings.ToLower(s))); b {
	case BoundaryIntact, BoundaryBreached:
		return b, nil
	}
	return "", fmt.Errorf("%q is not a boundary state: want intact or breached", s)
}

// BreachPolicy is a facility's setting for a breached tamper boundary.
type BreachPolicy string

// Breach policies.
const (
	// BreachBlocks refuses triage of a breached Device unless the entry
	// records why the breach is legitimate. The default: the draft legal
	// text barred triage after an outer boundary breach (seed 004).
	BreachBlocks BreachPolicy = "block"
	// BreachAllowed lets triage go on after a breach, a reason optional:
	// the working group noted battery failures raise tamper alerts and
	// boundaries differ by manufacturer (seed 004).
	BreachAllowed BreachPolicy = "allow"
)

// ParseBreachPolicy accepts block or allow; empty is block.
func ParseBreachPolicy(s string) (BreachPolicy, error) {
	switch p := BreachPolicy(strings.TrimSpace(strings.ToLower(s))); p {
	case "":
		return BreachBlocks, nil
	case BreachBlocks, BreachAllowed:
		return p, nil
	}
	return "", fmt.Errorf("%q is not a breach policy: want block or allow", s)
}

// CheckBoundary decides whether a boundary check lets triage go on: a
// breached outer or inner boundary blocks it under BreachBlocks unless
// reason says why the breach is legitimate. It returns nil when triage may go
// on, or why not.
func CheckBoundary(outer, inner Boundary, reason string, policy BreachPolicy) error {
	breached := outer == BoundaryBreached || inner == BoundaryBreached
	if !breached || policy == BreachAllowed || strings.TrimSpace(reason) != "" {
		return nil
	}
	var which []string
	if outer == BoundaryBreached {
		which = append(which, "outer")
	}
	if inner == BoundaryBreached {
		which = append(which, "inner")
	}
	return fmt.Errorf("the %s tamper boundary is breached and this facility's policy blocks triage of a breached Device: record why the breach is legitimate (for example a battery failure alert), or reject the Device",
		strings.Join(which, " and "))
}
