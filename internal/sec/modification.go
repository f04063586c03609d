package sec

import (
	"fmt"
	"strings"
)

// WithCaveats returns the table with, for each release whose effective date
// is not from a public source, what an answer resting on it must say.
func (vs Versions) WithCaveats(sources map[Version]string) Versions {
	out := Versions{releases: vs.releases, caveats: map[Version]string{}}
	for v, src := range sources {
		out.caveats[v] = src
	}
	return out
}

// Caveat is what an answer resting on release v must say when its date is
// not from a public source, or "" when it is. The illustrative default table
// has no public dates at all.
func (vs Versions) Caveat(v Version) string {
	var src string
	if vs.caveats != nil {
		src = vs.caveats[v]
	} else if r, err := vs.Find(v); err == nil && strings.HasPrefix(r.Note, "illustrative") {
		src = "illustrative default table"
	}
	if src == "" {
		return ""
	}
	r, _ := vs.Find(v)
	return fmt.Sprintf("the effective date of SEC v%s (%s) is not from a public source: %s", v, r.Effective, src)
}

// ModStage is where an SEC modification stands, from Draft Proposal to the
// release that implements it (the SEC modification process, seeds/002).
type ModStage string

// Modification stages, in order.
const (
	ModDraftProposal        ModStage = "draft_proposal"
	ModModificationProposal ModStage = "modification_proposal"
	ModRefinement           ModStage = "refinement"
	ModReport               ModStage = "report"
	ModDecision             ModStage = "decision"
	ModImplemented          ModStage = "implemented"
	ModRejected             ModStage = "rejected"
)

// ModEvent moves a modification on.
type ModEvent string

// Modification events.
const (
	ModEventRaise     ModEvent = "raise"     // a Draft Proposal becomes a Modification Proposal
	ModEventRefine    ModEvent = "refine"    // into the Refinement Process
	ModEventReport    ModEvent = "report"    // the Modification Report
	ModEventDecide    ModEvent = "decide"    // the Change Board (or Panel) approves
	ModEventReject    ModEvent = "reject"    // ... or rejects
	ModEventImplement ModEvent = "implement" // in a named release
)

// ModLifecycle is the modification register's table. The secretariat keeps
// the register for the SSC.
var ModLifecycle = mustLifecycle("SEC modification", ModDraftProposal, []Transition[ModStage, ModEvent]{
	{From: ModDraftProposal, Event: ModEventRaise, To: ModModificationProposal, Who: []Actor{ActorSSC}},
	{From: ModModificationProposal, Event: ModEventRefine, To: ModRefinement, Who: []Actor{ActorSSC}},
	{From: ModRefinement, Event: ModEventReport, To: ModReport, Who: []Actor{ActorSSC}},
	{From: ModReport, Event: ModEventDecide, To: ModDecision, Who: []Actor{ActorSSC}, Note: "Change Board decision (seeds/002: approved 26/10/2022)."},
	{From: ModReport, Event: ModEventReject, To: ModRejected, Who: []Actor{ActorSSC}},
	{From: ModDecision, Event: ModEventImplement, To: ModImplemented, Who: []Actor{ActorSSC}, Note: "Names the SEC release that implements it."},
})

// Rule effects a modification can have, which the rules read from the
// release that implements it.
const (
	// EffectG320Fix: G3.20(b) gains the SMETS2+ qualifier (DP087); the
	// release is Settings.G320FixVersion.
	EffectG320Fix = "g320_fix"
	// EffectTriageDuties: the Section G triage duties (MP203) apply from the
	// release.
	EffectTriageDuties = "triage_duties"
)
