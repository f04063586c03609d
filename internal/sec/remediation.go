package sec

// RemediationState is where a remediation plan stands. A plan answers the
// non-compliances left open after an assessment (DOMAIN.md §2: actions and
// timescales, with a Directors' Letter for the SSC's approval); the SSC
// tracks its progress and agrees the date of each next update.
type RemediationState string

// Remediation plan states.
const (
	RemediationDraft     RemediationState = "draft"     // the party is writing it
	RemediationSubmitted RemediationState = "submitted" // sent to the SSC
	RemediationAgreed    RemediationState = "agreed"    // the SSC AGREED it and the next update date
	RemediationOverdue   RemediationState = "overdue"   // the agreed next update date passed (set by the system)
	RemediationClosed    RemediationState = "closed"    // every action done, and the SSC agreed
)

// RemediationEvent moves a remediation plan on.
type RemediationEvent string

// Remediation plan events.
const (
	RemediationSubmit      RemediationEvent = "submit"
	RemediationAgree       RemediationEvent = "agree"
	RemediationUpdate      RemediationEvent = "update"
	RemediationMarkOverdue RemediationEvent = "mark_overdue"
	RemediationClose       RemediationEvent = "close"
)

// RemediationLifecycle is the table for a remediation plan. A progress update
// is a move of its own: from agreed or overdue it returns the plan to
// submitted, where the SSC NOTES it and AGREES the next update date (seed
// 003: "The SSC NOTED the contents and AGREED the date for the next progress
// update"). Closing needs every action done, which the service checks.
var RemediationLifecycle = mustLifecycle("remediation plan", RemediationDraft, []Transition[RemediationState, RemediationEvent]{
	{From: RemediationDraft, Event: RemediationSubmit, To: RemediationSubmitted, Who: []Actor{ActorOwner}, Note: "The party sends its actions and timescales to the SSC."},
	{From: RemediationSubmitted, Event: RemediationAgree, To: RemediationAgreed, Who: []Actor{ActorSSC}, Note: "The SSC AGREED the plan and the date of the next progress update; needs that date."},
	{From: RemediationAgreed, Event: RemediationUpdate, To: RemediationSubmitted, Who: []Actor{ActorOwner}, Note: "The party reports progress; needs the text of the update."},
	{From: RemediationOverdue, Event: RemediationUpdate, To: RemediationSubmitted, Who: []Actor{ActorOwner}, Note: "A late progress update; needs its text."},
	{From: RemediationAgreed, Event: RemediationMarkOverdue, To: RemediationOverdue, Who: []Actor{ActorSystem}, Note: "The agreed next update date passed without an update; the party is reminded and the SSC told."},
	{From: RemediationSubmitted, Event: RemediationClose, To: RemediationClosed, Who: []Actor{ActorSSC}, Note: "Every action is done and the SSC agrees the plan is complete."},
	{From: RemediationAgreed, Event: RemediationClose, To: RemediationClosed, Who: []Actor{ActorSSC}, Note: "Every action is done and the SSC agrees the plan is complete."},
})

// IsOpen reports whether the plan is still running.
func (s RemediationState) IsOpen() bool { return s != RemediationClosed }

// LetterState is where a Directors' Letter stands: the director-signed cover
// letter that goes with a remediation plan for the SSC's approval.
type LetterState string

// Directors' Letter states.
const (
	LetterSubmitted LetterState = "submitted"
	LetterApproved  LetterState = "approved"
	LetterReturned  LetterState = "returned"
)

// LetterEvent moves a Directors' Letter on.
type LetterEvent string

// Directors' Letter events.
const (
	LetterApprove LetterEvent = "approve"
	LetterReturn  LetterEvent = "return"
)

// LetterLifecycle is the table for a Directors' Letter (seed 003: "The SSC
// APPROVED the Directors Letter"). A returned letter is replaced by a new
// upload, never edited.
var LetterLifecycle = mustLifecycle("Directors' Letter", LetterSubmitted, []Transition[LetterState, LetterEvent]{
	{From: LetterSubmitted, Event: LetterApprove, To: LetterApproved, Who: []Actor{ActorSSC}, Note: "The SSC APPROVED the letter."},
	{From: LetterSubmitted, Event: LetterReturn, To: LetterReturned, Who: []Actor{ActorSSC}, Note: "The SSC returns the letter to the party; needs a reason."},
})
