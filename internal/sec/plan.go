package sec

// PlanState is where a rectification plan stands. A plan is one Supplier's
// notice to the SSC of the steps it is taking to rectify a vulnerability or
// mitigate its impact, and the time within which they are to be completed
// (G3.18, G3.9). The SEC sets no deadline ("as soon as reasonably
// practicable"): the Supplier declares its own completion date, and metersec
// flags it overdue when that date passes, never deriving a legal deadline.
type PlanState string

// Rectification plan states.
const (
	PlanStateDraft     PlanState = "draft"     // being written; only its owner sees it
	PlanStateSubmitted PlanState = "submitted" // sent to the SSC (G3.18, G3.9)
	PlanStateNoted     PlanState = "noted"     // the SSC NOTED it
	PlanStateAgreed    PlanState = "agreed"    // the SSC AGREED the timetable
	PlanStateRevised   PlanState = "revised"   // the Supplier changed steps or dates, with a reason
	PlanStateOverdue   PlanState = "overdue"   // a declared date passed (set by the system)
	PlanStateCompleted PlanState = "completed" // the steps are done
)

// IsOpen reports whether the SSC is waiting on the plan: submitted and not
// completed. Only open plans can be overdue.
func (s PlanState) IsOpen() bool {
	return s != PlanStateDraft && s != PlanStateCompleted
}

// PlanEvent is something that moves a rectification plan on.
type PlanEvent string

// Rectification plan events.
const (
	PlanEventSubmit      PlanEvent = "submit"
	PlanEventNote        PlanEvent = "note"
	PlanEventAgree       PlanEvent = "agree"
	PlanEventRevise      PlanEvent = "revise"
	PlanEventMarkOverdue PlanEvent = "mark_overdue"
	PlanEventComplete    PlanEvent = "complete"
)

// PlanLifecycle is the table for a rectification plan. Overdue is a state here,
// unlike for a vulnerability, because the moment a plan goes overdue is the
// SSC's escalation point (open and overdue rectifications are a standing SSC
// report) and is worth its own audit record; the Supplier leaves it by
// revising its dates or completing.
var PlanLifecycle = mustLifecycle("rectification plan", PlanStateDraft, planRows())

func planRows() []Transition[PlanState, PlanEvent] {
	const (
		submitNote   = "The Supplier's notice to the SSC of steps and timetable (G3.18, G3.9); needs a declared completion date."
		noteNote     = "The SSC NOTED the plan."
		agreeNote    = "The SSC AGREED the timetable, and may set the next update date."
		reviseNote   = "New steps or dates; needs a reason and a declared completion date (G3.18)."
		overdueNote  = "A declared completion or next update date has passed (PlanOverdue)."
		completeNote = "The steps are complete; the SSC is told (G3.9, G3.18)."
	)
	owner, ssc, system := []Actor{ActorOwner}, []Actor{ActorSSC}, []Actor{ActorSystem}
	rows := []Transition[PlanState, PlanEvent]{
		{From: PlanStateDraft, Event: PlanEventSubmit, To: PlanStateSubmitted, Who: owner, Note: submitNote},
		{From: PlanStateSubmitted, Event: PlanEventNote, To: PlanStateNoted, Who: ssc, Note: noteNote},
		{From: PlanStateRevised, Event: PlanEventNote, To: PlanStateNoted, Who: ssc, Note: noteNote},
		{From: PlanStateSubmitted, Event: PlanEventAgree, To: PlanStateAgreed, Who: ssc, Note: agreeNote},
		{From: PlanStateNoted, Event: PlanEventAgree, To: PlanStateAgreed, Who: ssc, Note: agreeNote},
		{From: PlanStateRevised, Event: PlanEventAgree, To: PlanStateAgreed, Who: ssc, Note: agreeNote},
	}
	open := []PlanState{PlanStateSubmitted, PlanStateNoted, PlanStateAgreed, PlanStateRevised, PlanStateOverdue}
	for _, s := range open {
		rows = append(rows, Transition[PlanState, PlanEvent]{From: s, Event: PlanEventRevise, To: PlanStateRevised, Who: owner, Note: reviseNote})
	}
	for _, s := range open {
		if s != PlanStateOverdue {
			rows = append(rows, Transition[PlanState, PlanEvent]{From: s, Event: PlanEventMarkOverdue, To: PlanStateOverdue, Who: system, Note: overdueNote})
		}
	}
	for _, s := range open {
		rows = append(rows, Transition[PlanState, PlanEvent]{From: s, Event: PlanEventComplete, To: PlanStateCompleted, Who: owner, Note: completeNote})
	}
	return rows
}

// PlanOverdue reports whether an open plan is overdue on today: its declared
// completion date or the next update date the SSC set has passed. A date is
// met on the day itself; the plan is overdue from the day after. A zero date
// is not set and cannot be missed.
func PlanOverdue(declaredCompletion, nextUpdateDue, today Date) bool {
	missed := func(d Date) bool { return !d.IsZero() && today.After(d) }
	return missed(declaredCompletion) || missed(nextUpdateDue)
}
