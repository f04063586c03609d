package sec

import (
	"fmt"
	"strings"
)

// SSC meeting practice (seeds/003, the public Meeting Headlines of SSC 67):
// each agenda item has a colour, which is its classification; RED and AMBER
// items appear in public only as "recorded in the Confidential Minutes" with
// a pseudonymised subject ("Small Supplier 'BV'") and the decision verbs.

// ItemType is what an agenda item is about.
type ItemType string

// Agenda item types, in the order an SSC agenda takes them (seeds/003).
const (
	ItemMattersArising     ItemType = "matters_arising"
	ItemMinutesApproval    ItemType = "minutes_approval"
	ItemFUSA               ItemType = "fusa"
	ItemVUSA               ItemType = "vusa"
	ItemSelfAssessment     ItemType = "self_assessment"
	ItemRemediationPlan    ItemType = "remediation_plan"
	ItemDirectorsLetter    ItemType = "directors_letter"
	ItemStandingReport     ItemType = "standing_report"
	ItemQuery              ItemType = "query"
	ItemModificationUpdate ItemType = "modification_update"
	ItemAOB                ItemType = "aob"
)

// ItemTypes lists every item type.
var ItemTypes = []ItemType{ItemMattersArising, ItemMinutesApproval, ItemFUSA, ItemVUSA, ItemSelfAssessment,
	ItemRemediationPlan, ItemDirectorsLetter, ItemStandingReport, ItemQuery, ItemModificationUpdate, ItemAOB}

var itemTypeLabels = map[ItemType]string{
	ItemMattersArising:     "Matters Arising",
	ItemMinutesApproval:    "Minutes and Actions Outstanding",
	ItemFUSA:               "Full User Security Assessment",
	ItemVUSA:               "Verification User Security Assessment",
	ItemSelfAssessment:     "Security Self-Assessment",
	ItemRemediationPlan:    "Remediation Plan",
	ItemDirectorsLetter:    "Directors Letter",
	ItemStandingReport:     "Standing Agenda Items",
	ItemQuery:              "Query",
	ItemModificationUpdate: "SEC Modifications Update",
	ItemAOB:                "Any Other Business (AOB)",
}

// Label is the type as the headlines print it.
func (t ItemType) Label() string { return itemTypeLabels[t] }

// ParseItemType accepts a type's code or label in any case.
func ParseItemType(s string) (ItemType, error) {
	v := strings.TrimSpace(s)
	for _, t := range ItemTypes {
		if strings.EqualFold(v, string(t)) || strings.EqualFold(v, t.Label()) {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown item type %q (one of %s)", s, joinRoles(ItemTypes))
}

// Verb is the word a decision is recorded with. The headlines print it in
// capitals for every item, RED and AMBER ones included (seeds/003: "The SSC
// AGREED the Assurance Status for Small Supplier 'BV'").
type Verb string

// Decision verbs (seeds/003).
const (
	VerbApproved Verb = "APPROVED"
	VerbAgreed   Verb = "AGREED"
	VerbNoted    Verb = "NOTED"
)

// Verbs lists the decision verbs.
var Verbs = []Verb{VerbApproved, VerbAgreed, VerbNoted}

// ParseVerb accepts a decision verb in any case.
func ParseVerb(s string) (Verb, error) {
	v := Verb(strings.ToUpper(strings.TrimSpace(s)))
	for _, x := range Verbs {
		if v == x {
			return x, nil
		}
	}
	return "", fmt.Errorf("unknown decision verb %q (one of %s)", s, joinRoles(Verbs))
}

// WithheldInPublic reports whether an item of the colour is recorded only in
// the Confidential Minutes, its public headline reduced to its pseudonymised
// subject, colour and decision verbs (seeds/003: "The Agenda Item was marked
// as RED and therefore recorded in the Confidential Minutes"; AMBER alike,
// items 13 and 14).
func WithheldInPublic(c Classification) bool { return c == Red || c == Amber }

// InDraftMinutes reports whether an item of the colour belongs in the Draft
// Minutes (GREEN and WHITE items); every item belongs in the Confidential
// Draft Minutes.
func InDraftMinutes(c Classification) bool { return c == White || c == Green }

// PseudonymLabel is the n-th label of the sequence A, B, … Z, AA, AB, …
// (n from 1). Pseudonyms are allocated from this sequence in the order
// parties first appear on an agenda, so that a label says nothing about the
// party's name or code (seeds/003 uses 'A', 'D', 'BV').
func PseudonymLabel(n int) string {
	if n < 1 {
		return ""
	}
	var b []byte
	for n > 0 {
		n--
		b = append([]byte{byte('A' + n%26)}, b...)
		n /= 26
	}
	return string(b)
}

// ValidPseudonym checks a label set by hand (to carry over a label used
// before metersec): one to three capital letters, and not derived from the
// party's code or name (not the code, nor the name's initials).
func ValidPseudonym(label, code, name string) error {
	if label == "" || len(label) > 3 || strings.Trim(label, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return fmt.Errorf("a pseudonym is one to three capital letters, not %q", label)
	}
	if strings.EqualFold(label, code) || strings.HasPrefix(strings.ToUpper(code), label) {
		return fmt.Errorf("pseudonym %q would be derived from the party's code", label)
	}
	var initials strings.Builder
	for _, w := range strings.Fields(name) {
		initials.WriteString(strings.ToUpper(w[:1]))
	}
	if in := initials.String(); in != "" && (label == in || strings.HasPrefix(in, label)) {
		return fmt.Errorf("pseudonym %q would be derived from the party's name", label)
	}
	return nil
}

// Subject is how the headlines name a party: its role and its pseudonym,
// "Small Supplier 'BV'".
func Subject(role OrgRole, label string) string {
	r := role.Label()
	if r == "" {
		r = "Party"
	}
	return r + " '" + label + "'"
}

// MeetingState is where an SSC meeting stands.
type MeetingState string

// Meeting states.
const (
	MeetingPlanned         MeetingState = "planned"
	MeetingHeld            MeetingState = "held"
	MeetingMinutesApproved MeetingState = "minutes_approved"
)

// MeetingEvent moves a meeting on.
type MeetingEvent string

// Meeting events.
const (
	MeetingEventHold           MeetingEvent = "hold"
	MeetingEventApproveMinutes MeetingEvent = "approve_minutes"
)

// MeetingLifecycle: a meeting is planned, held, and its minutes are approved
// at a later meeting (seeds/003 item 2: "The SSC APPROVED the Draft Minutes
// and the Confidential Draft Minutes").
var MeetingLifecycle = mustLifecycle("SSC meeting", MeetingPlanned, []Transition[MeetingState, MeetingEvent]{
	{From: MeetingPlanned, Event: MeetingEventHold, To: MeetingHeld, Who: []Actor{ActorSSC}, Note: "The meeting took place; attendance is recorded."},
	{From: MeetingHeld, Event: MeetingEventApproveMinutes, To: MeetingMinutesApproved, Who: []Actor{ActorSSC},
		Note: "Both the Draft Minutes and the Confidential Draft Minutes were approved by a later meeting's minutes-approval item."},
})

// MinutesState is where a version of a meeting's minutes stands.
type MinutesState string

// Minutes states.
const (
	MinutesDraft      MinutesState = "draft"
	MinutesApproved   MinutesState = "approved"
	MinutesSuperseded MinutesState = "superseded"
)

// MinutesEvent moves minutes on.
type MinutesEvent string

// Minutes events.
const (
	MinutesEventEdit    MinutesEvent = "edit"
	MinutesEventApprove MinutesEvent = "approve"
	MinutesEventCorrect MinutesEvent = "correct"
)

// MinutesLifecycle: draft minutes are edited, then approved by a later
// meeting; approved minutes never change: a correction supersedes them with
// a new draft version that carries its reason.
var MinutesLifecycle = mustLifecycle("minutes", MinutesDraft, []Transition[MinutesState, MinutesEvent]{
	{From: MinutesDraft, Event: MinutesEventEdit, To: MinutesDraft, Who: []Actor{ActorSSC}},
	{From: MinutesDraft, Event: MinutesEventApprove, To: MinutesApproved, Who: []Actor{ActorSSC},
		Note: "Approved by a minutes-approval item of a later meeting."},
	{From: MinutesApproved, Event: MinutesEventCorrect, To: MinutesSuperseded, Who: []Actor{ActorSSC},
		Note: "A correction is a new version with a reason; the approved text is kept as it was."},
})

// ActionState is where a meeting action stands.
type ActionState string

// Action states.
const (
	ActionOpen   ActionState = "open"
	ActionDone   ActionState = "done"
	ActionClosed ActionState = "closed"
)

// ActionEvent moves an action on.
type ActionEvent string

// Action events.
const (
	ActionEventComplete ActionEvent = "complete"
	ActionEventClose    ActionEvent = "close"
	ActionEventReopen   ActionEvent = "reopen"
)

// ActionLifecycle: an open action is carried into every later meeting's
// matters arising until it is completed or closed (seeds/003 item 2: "All
// outstanding actions were marked as complete or on target").
var ActionLifecycle = mustLifecycle("meeting action", ActionOpen, []Transition[ActionState, ActionEvent]{
	{From: ActionOpen, Event: ActionEventComplete, To: ActionDone, Who: []Actor{ActorSSC}},
	{From: ActionOpen, Event: ActionEventClose, To: ActionClosed, Who: []Actor{ActorSSC}, Note: "Dropped without being done; needs a note."},
	{From: ActionDone, Event: ActionEventReopen, To: ActionOpen, Who: []Actor{ActorSSC}},
	{From: ActionClosed, Event: ActionEventReopen, To: ActionOpen, Who: []Actor{ActorSSC}},
})
