package assurance

import (
	"slices"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/sec"
)

// What a caller may do with assessments. The write paths decide with these
// rules; the pages ask them which forms to offer, and never check a role
// themselves.

// MayCreate reports whether the caller may plan an assessment: the SSC, its
// secretariat and the system (Create).
func MayCreate(c access.Caller) bool { return c.System || c.IsSSC() }

// MayOverride reports whether the caller may override the forward plan: the
// SSC, its secretariat and the system (SetOverride).
func MayOverride(c access.Caller) bool { return c.System || c.IsSSC() }

// raisesFindings: the User CIO raises findings in an assessment's report
// (G8.22); the system may too.
func raisesFindings(c access.Caller) bool { return c.Has(sec.RoleUserCIO) || c.System }

// MayAddFinding reports whether the caller may raise a finding in open
// assessment a: the User CIO. AddFinding checks the role, then the state.
func MayAddFinding(c access.Caller, a Assessment) bool { return raisesFindings(c) && a.State.IsOpen() }

// MayRespond reports whether the caller may write the management response
// to a's findings: the assessed party (RespondToFinding).
func MayRespond(c access.Caller, a Assessment) bool {
	return slices.Contains(actorsFor(c, a), sec.ActorOwner)
}

// MayCloseFinding reports whether the caller may close a finding of a: the
// SSC (RespondToFinding with Close).
func MayCloseFinding(c access.Caller, a Assessment) bool {
	return slices.Contains(actorsFor(c, a), sec.ActorSSC)
}

// attaches: the SSC, the User CIO, the assessed party and the system add
// evidence to an assessment.
func attaches(actors []sec.Actor) bool {
	return slices.ContainsFunc(actors, func(x sec.Actor) bool {
		return x == sec.ActorSSC || x == sec.ActorAssessor || x == sec.ActorOwner || x == sec.ActorSystem
	})
}

// MayAttach reports whether the caller may add evidence to a: while it is
// open, the SSC, the User CIO and the assessed party (AddEvidence).
func MayAttach(c access.Caller, a Assessment) bool {
	return a.State.IsOpen() && attaches(actorsFor(c, a))
}

// startsPlans: the assessed party and the SSC start remediation plans; the
// system may too.
func startsPlans(c access.Caller, actors []sec.Actor) bool {
	return slices.Contains(actors, sec.ActorOwner) || slices.Contains(actors, sec.ActorSSC) || c.System
}

// answersFindings are the states in which a remediation plan answers the
// findings: once the party has responded.
func answersFindings(st sec.AssessmentState) bool {
	return st == sec.AssessmentDecided || st == sec.AssessmentConsidered || st == sec.AssessmentResponseReceived
}

// MayPlanRemediation reports whether the caller may start a remediation plan
// for a: the assessed party or the SSC, once the party has responded
// (CreatePlan).
func MayPlanRemediation(c access.Caller, a Assessment) bool {
	return startsPlans(c, actorsFor(c, a)) && answersFindings(a.State)
}
