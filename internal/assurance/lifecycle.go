package assurance

import (
	"context"
	"errors"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Move is an event on an assessment with what it needs.
type Move struct {
	Event sec.AssessmentEvent `json:"event"`
	// Date is the day the move records: the first day of fieldwork
	// (start_fieldwork), its last day (issue_report), the response due date
	// the SSC sets (set_response_due), the day the response arrived
	// (receive_response; today when empty), the day of the decision (decide;
	// today when empty).
	Date string `json:"date,omitempty"`
	// Outcome is the decision: an Assurance Status (approved,
	// approved_subject_to, deferred, rejected) after the initial FUSA, a
	// configured Compliance Status after later ones.
	Outcome string `json:"outcome,omitempty"`
	// Steps are what "approved_subject_to" requires the party to do.
	Steps string `json:"steps,omitempty"`
	// MeetingItemID is the SSC agenda item at which the decision was taken.
	MeetingItemID int64  `json:"meeting_item_id,omitempty"`
	Note          string `json:"note,omitempty"`
}

// Transition moves an assessment on as the caller. Illegal moves are errors
// naming the state and who may act: a conflict with the state, or forbidden.
func (s *Service) Transition(ctx context.Context, c access.Caller, id int64, m Move) (Assessment, error) {
	if !c.SignedIn() {
		return Assessment{}, errs.E(errs.Unauthenticated, "sign in to act on an assessment")
	}
	if m.Event == "" {
		return Assessment{}, errs.FieldError("event", "required: one of %s", eventNames())
	}
	if !knownEvent(m.Event) {
		return Assessment{}, errs.FieldError("event", "unknown event %q: one of %s", m.Event, eventNames())
	}
	note, f := checkText("note", m.Note, m.Event == sec.AssessmentCancel)
	if f != nil {
		return Assessment{}, errs.Fields("the move is not valid", *f)
	}
	var date sec.Date
	if strings.TrimSpace(m.Date) != "" {
		d, err := sec.ParseDate(m.Date)
		if err != nil {
			return Assessment{}, errs.FieldError("date", "%v", err)
		}
		date = d
	}
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		a, err := s.find(ctx, tx, c, id)
		if err != nil {
			return err
		}
		next, err := sec.LifecycleFor(a.Type).Next(a.State, m.Event, actorsFor(c, a)...)
		if err != nil {
			return transitionError(err)
		}
		if date.IsZero() && (m.Event == sec.AssessmentReceiveResponse || m.Event == sec.AssessmentDecide) {
			date = s.today(tx.Now)
		}
		set, args, err := s.effects(ctx, tx, a, m, date)
		if err != nil {
			return err
		}
		set = append(set, "state = "+args.Add(string(next)), "updated_at = "+args.Add(tx.Now))
		if _, err := tx.ExecContext(ctx, "UPDATE assessments SET "+strings.Join(set, ", ")+" WHERE id = "+args.Add(a.ID), *args...); err != nil {
			return errs.Wrap(err, "move assessment")
		}
		as := firstActor(a, m.Event, actorsFor(c, a))
		if date.IsZero() {
			note = strings.TrimSpace(note)
		} else if note == "" {
			note = date.String()
		} else {
			note = date.String() + ": " + note
		}
		if m.Event == sec.AssessmentDecide {
			note = strings.TrimSpace(outcomeNote(a, m) + " " + note)
		}
		if err := addEvent(ctx, tx, a.ID, as, string(m.Event), string(a.State), string(next), note); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, "assessment."+string(m.Event), KindAssessment, a.ID, struct {
			From, To string
			Move     Move
			As       sec.Actor
		}{string(a.State), string(next), m, as}); err != nil {
			return err
		}
		if m.Event == sec.AssessmentDecide && a.Initial && sec.AssuranceStatus(m.Outcome).NeedsFollowUp() {
			// G8.34: Deferred and Rejected require a follow-up assessment,
			// created now so the forward plan and the SSC see it.
			_, err := s.create(ctx, tx, Input{Party: a.Party, Role: string(a.Role), Type: string(sec.FUSA),
				Year: date.Time().Year(), YearInCycle: 1, Classification: string(a.Classification)}, a.ID)
			return err
		}
		return nil
	})
	if err != nil {
		return Assessment{}, err
	}
	return s.Get(ctx, c, id)
}

func outcomeNote(a Assessment, m Move) string {
	if a.Initial {
		return "Assurance Status: " + sec.AssuranceStatus(m.Outcome).Label() + "."
	}
	return "Compliance Status: " + m.Outcome + "."
}

// effects checks what the move needs and returns the columns it sets.
func (s *Service) effects(ctx context.Context, tx *store.Tx, a Assessment, m Move, date sec.Date) ([]string, *access.Args, error) {
	args := &access.Args{}
	var set []string
	need := func(what string) error {
		if date.IsZero() {
			return errs.FieldError("date", "required: %s", what)
		}
		return nil
	}
	switch m.Event {
	case sec.AssessmentStartFieldwork:
		if err := need("the first day of fieldwork"); err != nil {
			return nil, nil, err
		}
		set = append(set, "fieldwork_start = "+args.Add(date))
	case sec.AssessmentIssueReport:
		if err := need("the last day of fieldwork"); err != nil {
			return nil, nil, err
		}
		if date.Before(a.FieldworkStart) {
			return nil, nil, errs.FieldError("date", "the last day of fieldwork (%s) is before its first day (%s)", date, a.FieldworkStart)
		}
		set = append(set, "fieldwork_end = "+args.Add(date))
	case sec.AssessmentSetResponseDue:
		if err := need("the date the SSC sets for the party's response (G8.24)"); err != nil {
			return nil, nil, err
		}
		if !a.FieldworkEnd.IsZero() && !date.After(a.FieldworkEnd) {
			return nil, nil, errs.FieldError("date", "the response due date (%s) must come after the fieldwork ended (%s)", date, a.FieldworkEnd)
		}
		set = append(set, "response_due = "+args.Add(date))
	case sec.AssessmentReceiveResponse:
		if !a.FieldworkEnd.IsZero() && date.Before(a.FieldworkEnd) {
			return nil, nil, errs.FieldError("date", "a response received on %s is before the fieldwork ended (%s)", date, a.FieldworkEnd)
		}
		set = append(set, "response_received = "+args.Add(date))
	case sec.AssessmentDecide:
		kind, value, err := s.checkOutcome(a, m)
		if err != nil {
			return nil, nil, err
		}
		if date.Before(a.ResponseReceived) {
			return nil, nil, errs.FieldError("date", "a decision on %s is before the response was received (%s)", date, a.ResponseReceived)
		}
		steps, f := checkText("steps", m.Steps, kind == "assurance" && sec.AssuranceStatus(value).NeedsSteps())
		if f != nil {
			f.Message = "say which steps the party must take (Approved, subject to [the Party taking steps], G8.34)"
			if steps != "" {
				f.Message = "is too long"
			}
			return nil, nil, errs.Fields("the outcome is not valid", *f)
		}
		if m.MeetingItemID < 0 {
			return nil, nil, errs.FieldError("meeting_item_id", "must be a positive id")
		}
		set = append(set, "outcome_kind = "+args.Add(kind), "outcome = "+args.Add(value), "outcome_steps = "+args.Add(steps),
			"outcome_date = "+args.Add(date), "meeting_item_id = "+args.Add(nullID(m.MeetingItemID)))
	}
	return set, args, nil
}

// checkOutcome reads the decision: an Assurance Status for the initial FUSA,
// a configured Compliance Status otherwise.
func (s *Service) checkOutcome(a Assessment, m Move) (kind, value string, err error) {
	if strings.TrimSpace(m.Outcome) == "" {
		if a.Initial {
			return "", "", errs.FieldError("outcome", "required: the Assurance Status (approved, approved_subject_to, deferred, rejected; G8.34)")
		}
		return "", "", errs.FieldError("outcome", "required: the Compliance Status (one of %s)", strings.Join(s.Settings.ComplianceStatuses, ", "))
	}
	if a.Initial {
		st, err := sec.ParseAssuranceStatus(m.Outcome)
		if err != nil {
			return "", "", errs.FieldError("outcome", "%v: this is the party's initial FUSA, so the outcome is an Assurance Status", err)
		}
		return "assurance", string(st), nil
	}
	v, err := s.Settings.ComplianceStatus(m.Outcome)
	if err != nil {
		return "", "", errs.FieldError("outcome", "%v", err)
	}
	return "compliance", v, nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// firstActor is the actor the caller acted as: the first of its actors the
// table allows for the move.
func firstActor(a Assessment, ev sec.AssessmentEvent, held []sec.Actor) sec.Actor {
	for _, r := range sec.LifecycleFor(a.Type).Rows() {
		if r.From == a.State && r.Event == ev {
			for _, h := range held {
				for _, w := range r.Who {
					if h == w {
						return h
					}
				}
			}
		}
	}
	return ""
}

func knownEvent(e sec.AssessmentEvent) bool {
	for _, r := range sec.AssessmentLifecycle.Rows() {
		if r.Event == e {
			return true
		}
	}
	return false
}

func eventNames() string {
	var names []string
	seen := map[sec.AssessmentEvent]bool{}
	for _, r := range sec.AssessmentLifecycle.Rows() {
		if !seen[r.Event] {
			seen[r.Event] = true
			names = append(names, string(r.Event))
		}
	}
	return strings.Join(names, ", ")
}

// transitionError turns a lifecycle refusal into the errs code the web maps:
// 409 for a move the state does not allow, 403 for a caller who may not.
func transitionError(err error) error {
	var te *sec.TransitionError
	if !errors.As(err, &te) {
		return err
	}
	if errors.Is(err, sec.ErrNotPermitted) {
		return errs.E(errs.Forbidden, "%s", te.Error())
	}
	return errs.E(errs.Conflict, "%s", te.Error())
}
