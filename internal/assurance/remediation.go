package assurance

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audience"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Plan is a remediation plan: the party's actions for the findings an
// assessment left open, its progress updates, and the next-update date the
// SSC agrees. It is overdue when that date passes without an update.
type Plan struct {
	ID             int64                `json:"id"`
	AssessmentID   int64                `json:"assessment_id"`
	Assessment     string               `json:"assessment"` // the assessment's title
	Party          string               `json:"party"`
	Title          string               `json:"title"`
	State          sec.RemediationState `json:"state"`
	Classification sec.Classification   `json:"classification"`
	NextUpdate     sec.Date             `json:"next_update,omitzero"`
	// Overdue is set when the agreed next update date has passed without an
	// update (the state says so once the periodic check has run; this says
	// so at once).
	Overdue       bool      `json:"overdue"`
	MeetingItemID int64     `json:"meeting_item_id,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`

	Actions []Action               `json:"actions,omitempty"`
	Updates []Update               `json:"updates,omitempty"`
	Letters []Letter               `json:"letters,omitempty"`
	Events  []sec.RemediationEvent `json:"events,omitempty"`

	partyID int64
}

// Action is one step of a plan, with its owner and due date.
type Action struct {
	ID          int64    `json:"id"`
	FindingID   int64    `json:"finding_id,omitempty"`
	Description string   `json:"description"`
	Owner       string   `json:"owner"`
	Due         sec.Date `json:"due"`
	DoneOn      sec.Date `json:"done_on,omitzero"`
	Overdue     bool     `json:"overdue"`
}

// Update is one entry of a plan's history: a progress update, the SSC's
// agreement, a reminder.
type Update struct {
	At    time.Time `json:"at"`
	Actor string    `json:"actor"`
	Event string    `json:"event"`
	Note  string    `json:"note,omitempty"`
}

// PlanInput is a new remediation plan.
type PlanInput struct {
	Title   string        `json:"title"`
	Actions []ActionInput `json:"actions"`
}

// ActionInput is a new action.
type ActionInput struct {
	Description string `json:"description"`
	Owner       string `json:"owner"`
	Due         string `json:"due"`
	FindingID   int64  `json:"finding_id,omitempty"`
}

// PlanMove is an event on a plan (sec.RemediationLifecycle).
type PlanMove struct {
	Event sec.RemediationEvent `json:"event"`
	// Note is the progress update's text (update: required) or a remark.
	Note string `json:"note,omitempty"`
	// NextUpdate is the date the SSC agrees for the next progress update
	// (agree: required, after today).
	NextUpdate    string `json:"next_update,omitempty"`
	MeetingItemID int64  `json:"meeting_item_id,omitempty"`
}

func planVisible(c access.Caller, args *access.Args) string {
	return c.Visible(args, KindPlan, "p", "p.party_id")
}

const planCols = `p.id, p.assessment_id, a.title, o.code, p.party_id, p.title, p.state, p.classification, p.next_update,
	p.meeting_item_id, p.created_at, p.updated_at`

const planFrom = ` FROM remediation_plans p JOIN assessments a ON a.id = p.assessment_id JOIN organisations o ON o.id = p.party_id`

func scanPlan(r scanner, today sec.Date) (Plan, error) {
	var p Plan
	var meeting sql.NullInt64
	err := r.Scan(&p.ID, &p.AssessmentID, &p.Assessment, &p.Party, &p.partyID, &p.Title, &p.State, &p.Classification, &p.NextUpdate,
		&meeting, &p.CreatedAt, &p.UpdatedAt)
	p.MeetingItemID = meeting.Int64
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	p.Overdue = p.State == sec.RemediationOverdue || (p.State == sec.RemediationAgreed && !p.NextUpdate.IsZero() && p.NextUpdate.Before(today))
	return p, err
}

func planActors(c access.Caller, p Plan) []sec.Actor {
	return actorsFor(c, Assessment{partyID: p.partyID})
}

// GetPlan returns one remediation plan with its actions, updates and
// letters, if the caller may see it.
func (s *Service) GetPlan(ctx context.Context, c access.Caller, id int64) (Plan, error) {
	var p Plan
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		var err error
		if p, err = s.findPlan(ctx, tx, c, id); err != nil {
			return err
		}
		return s.fillPlan(ctx, tx, c, &p)
	})
	return p, err
}

func (s *Service) findPlan(ctx context.Context, q store.Querier, c access.Caller, id int64) (Plan, error) {
	var args access.Args
	p, err := scanPlan(q.QueryRowContext(ctx, "SELECT "+planCols+planFrom+" WHERE p.id = "+args.Add(id)+" AND "+planVisible(c, &args), args...), s.today(time.Now()))
	if err == sql.ErrNoRows {
		return p, errs.NotFoundf("remediation plan", id)
	}
	return p, errs.Wrap(err, "read remediation plan")
}

func (s *Service) fillPlan(ctx context.Context, q store.Querier, c access.Caller, p *Plan) error {
	today := s.today(time.Now())
	rows, err := q.QueryContext(ctx, `SELECT id, finding_id, description, owner, due, done_on FROM remediation_actions WHERE plan_id = $1 ORDER BY due, id`, p.ID)
	if err != nil {
		return errs.Wrap(err, "actions")
	}
	for rows.Next() {
		var a Action
		var f sql.NullInt64
		if err := rows.Scan(&a.ID, &f, &a.Description, &a.Owner, &a.Due, &a.DoneOn); err != nil {
			rows.Close()
			return errs.Wrap(err, "actions")
		}
		a.FindingID = f.Int64
		a.Overdue = a.DoneOn.IsZero() && a.Due.Before(today)
		p.Actions = append(p.Actions, a)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT at, actor, event, note FROM remediation_updates WHERE plan_id = $1 ORDER BY id`, p.ID)
	if err != nil {
		return errs.Wrap(err, "updates")
	}
	for rows.Next() {
		var u Update
		if err := rows.Scan(&u.At, &u.Actor, &u.Event, &u.Note); err != nil {
			rows.Close()
			return errs.Wrap(err, "updates")
		}
		u.At = u.At.UTC()
		p.Updates = append(p.Updates, u)
	}
	rows.Close()
	if p.Letters, err = lettersOf(ctx, q, c, p.ID); err != nil {
		return err
	}
	p.Events = sec.RemediationLifecycle.Events(p.State, planActors(c, *p)...)
	return nil
}

// PlanFilter narrows a listing of plans.
type PlanFilter struct {
	Assessment int64
	Overdue    bool // only overdue plans
	After      int64
	Limit      int
}

// PlanPage is one page of plans.
type PlanPage struct {
	Total int    `json:"total"`
	Plans []Plan `json:"plans"`
	Next  int64  `json:"next,omitempty"`
}

// ListPlans returns the remediation plans the caller may see, newest first,
// a page at a time, with the total.
func (s *Service) ListPlans(ctx context.Context, c access.Caller, f PlanFilter) (PlanPage, error) {
	req, err := planRequest(f)
	if err != nil {
		return PlanPage{Plans: []Plan{}}, err
	}
	p, err := s.PlanListPage(ctx, c, req)
	page := PlanPage{Total: int(p.Total), Plans: p.Items}
	if page.Plans == nil {
		page.Plans = []Plan{}
	}
	if p.NextCursor != "" && len(p.Items) > 0 {
		page.Next = p.Items[len(p.Items)-1].ID
	}
	return page, err
}

// PlansOf lists the plans of one assessment the caller may see.
func (s *Service) PlansOf(ctx context.Context, c access.Caller, assessmentID int64) ([]Plan, error) {
	p, err := s.ListPlans(ctx, c, PlanFilter{Assessment: assessmentID, Limit: MaxPage})
	return p.Plans, err
}

// CreatePlan starts a remediation plan for an assessment's open findings:
// the assessed party writes it (or the SSC records it). It is a draft until
// the party submits it, and named to the assessment's audience.
func (s *Service) CreatePlan(ctx context.Context, c access.Caller, assessmentID int64, in PlanInput) (Plan, error) {
	title, f := checkText("title", in.Title, true)
	var fields []errs.Field
	if f != nil {
		fields = append(fields, *f)
	}
	actions, more := checkActions(in.Actions)
	fields = append(fields, more...)
	if len(fields) > 0 {
		return Plan{}, errs.Fields("the remediation plan is not valid", fields...)
	}
	var id int64
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		a, err := s.find(ctx, tx, c, assessmentID)
		if err != nil {
			return err
		}
		if !startsPlans(c, actorsFor(c, a)) {
			return errs.E(errs.Forbidden, "only the assessed party or the SSC may start a remediation plan")
		}
		if !answersFindings(a.State) {
			return errs.E(errs.Conflict, "assessment %d is %s: a remediation plan answers findings once the party has responded", a.ID, a.State)
		}
		if err := checkFindings(ctx, tx, a.ID, actions); err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO remediation_plans (assessment_id, party_id, title, state, classification, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`, a.ID, a.partyID, title, string(sec.RemediationLifecycle.Initial()),
			string(a.Classification), tx.Now).Scan(&id)
		if err != nil {
			return errs.Wrap(err, "create plan")
		}
		// The plan is named to whoever the assessment names.
		if err := audience.Copy(ctx, tx, KindAssessment, a.ID, KindPlan, id); err != nil {
			return errs.Wrap(err, "plan audience")
		}
		for _, ac := range actions {
			if err := insertAction(ctx, tx, id, ac); err != nil {
				return err
			}
		}
		if err := addUpdate(ctx, tx, id, "create", title); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "remediation.create", KindPlan, id, struct {
			Assessment int64
			Title      string
			Actions    []action
		}{a.ID, title, actions})
	})
	if err != nil {
		return Plan{}, err
	}
	return s.GetPlan(ctx, c, id)
}

// action is a checked ActionInput.
type action struct {
	Description, Owner string
	Due                sec.Date
	FindingID          int64
}

func checkActions(in []ActionInput) ([]action, []errs.Field) {
	var out []action
	var fields []errs.Field
	for i, a := range in {
		field := func(name string) string { return fmt.Sprintf("actions[%d].%s", i, name) }
		desc, f := checkText(field("description"), a.Description, true)
		if f != nil {
			fields = append(fields, *f)
		}
		owner, f := checkText(field("owner"), a.Owner, true)
		if f != nil {
			fields = append(fields, *f)
		}
		due, err := sec.ParseDate(a.Due)
		if err != nil {
			fields = append(fields, errs.Field{Field: field("due"), Message: "required: the date the action is due (YYYY-MM-DD)"})
		}
		out = append(out, action{desc, owner, due, a.FindingID})
	}
	return out, fields
}

// checkFindings refuses actions naming a finding of another assessment.
func checkFindings(ctx context.Context, tx *store.Tx, assessmentID int64, actions []action) error {
	for i, a := range actions {
		if a.FindingID == 0 {
			continue
		}
		var n int
		tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM assessment_findings WHERE id = $1 AND assessment_id = $2", a.FindingID, assessmentID).Scan(&n)
		if n == 0 {
			return errs.FieldError(fmt.Sprintf("actions[%d].finding_id", i), "assessment %d has no finding %d", assessmentID, a.FindingID)
		}
	}
	return nil
}

func insertAction(ctx context.Context, tx *store.Tx, planID int64, a action) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO remediation_actions (plan_id, finding_id, description, owner, due, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, planID, nullID(a.FindingID), a.Description, a.Owner, a.Due, tx.Now)
	return errs.Wrap(err, "add action")
}

func addUpdate(ctx context.Context, tx *store.Tx, planID int64, event, note string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO remediation_updates (plan_id, at, actor, event, note) VALUES ($1, $2, $3, $4, $5)`,
		planID, tx.Now, tx.Actor.Name, event, note)
	return errs.Wrap(err, "plan history")
}

// AddAction adds an action to an open plan (the party).
func (s *Service) AddAction(ctx context.Context, c access.Caller, planID int64, in ActionInput) (Plan, error) {
	actions, fields := checkActions([]ActionInput{in})
	if len(fields) > 0 {
		for i := range fields {
			fields[i].Field = strings.TrimPrefix(fields[i].Field, "actions[0].")
		}
		return Plan{}, errs.Fields("the action is not valid", fields...)
	}
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		p, err := s.findPlan(ctx, tx, c, planID)
		if err != nil {
			return err
		}
		if !slices.Contains(planActors(c, p), sec.ActorOwner) {
			return errs.E(errs.Forbidden, "only the party whose plan it is may add actions")
		}
		if !p.State.IsOpen() {
			return errs.E(errs.Conflict, "remediation plan %d is %s", p.ID, p.State)
		}
		if err := checkFindings(ctx, tx, p.AssessmentID, actions); err != nil {
			return err
		}
		if err := insertAction(ctx, tx, p.ID, actions[0]); err != nil {
			return err
		}
		if err := addUpdate(ctx, tx, p.ID, "action", actions[0].Description); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "remediation.action", KindPlan, p.ID, actions[0])
	})
	if err != nil {
		return Plan{}, err
	}
	return s.GetPlan(ctx, c, planID)
}

// CompleteAction marks an action done on a day (today when zero): the party.
func (s *Service) CompleteAction(ctx context.Context, c access.Caller, planID, actionID int64, on sec.Date) (Plan, error) {
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		p, err := s.findPlan(ctx, tx, c, planID)
		if err != nil {
			return err
		}
		if !slices.Contains(planActors(c, p), sec.ActorOwner) {
			return errs.E(errs.Forbidden, "only the party whose plan it is may mark its actions done")
		}
		if !p.State.IsOpen() {
			return errs.E(errs.Conflict, "remediation plan %d is %s", p.ID, p.State)
		}
		if on.IsZero() {
			on = s.today(tx.Now)
		}
		if on.After(s.today(tx.Now)) {
			return errs.FieldError("done_on", "%s is in the future", on)
		}
		var desc string
		if err := tx.QueryRowContext(ctx, "SELECT description FROM remediation_actions WHERE id = $1 AND plan_id = $2 AND done_on IS NULL",
			actionID, p.ID).Scan(&desc); err != nil {
			return errs.NotFoundf("open action", actionID)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE remediation_actions SET done_on = $1 WHERE id = $2", on, actionID); err != nil {
			return errs.Wrap(err, "complete action")
		}
		if err := addUpdate(ctx, tx, p.ID, "action_done", desc); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "remediation.action_done", KindPlan, p.ID, struct {
			Action int64
			On     sec.Date
		}{actionID, on})
	})
	if err != nil {
		return Plan{}, err
	}
	return s.GetPlan(ctx, c, planID)
}

// MovePlan fires an event on a plan as the caller: the party submits and
// updates, the SSC agrees (with the next update date) and closes.
func (s *Service) MovePlan(ctx context.Context, c access.Caller, planID int64, m PlanMove) (Plan, error) {
	if !c.SignedIn() {
		return Plan{}, errs.E(errs.Unauthenticated, "sign in to act on a remediation plan")
	}
	if m.Event == "" {
		return Plan{}, errs.FieldError("event", "required: submit, agree, update or close")
	}
	note, f := checkText("note", m.Note, m.Event == sec.RemediationUpdate)
	if f != nil {
		if f.Message == "required" {
			f.Message = "required: the progress update"
		}
		return Plan{}, errs.Fields("the move is not valid", *f)
	}
	var next sec.Date
	if m.Event == sec.RemediationAgree {
		d, err := sec.ParseDate(m.NextUpdate)
		if err != nil {
			return Plan{}, errs.FieldError("next_update", "required: the date the SSC agrees for the next progress update (YYYY-MM-DD)")
		}
		next = d
	}
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		p, err := s.findPlan(ctx, tx, c, planID)
		if err != nil {
			return err
		}
		return s.movePlan(ctx, tx, p, m.Event, planActors(c, p), note, next, m.MeetingItemID)
	})
	if err != nil {
		return Plan{}, err
	}
	return s.GetPlan(ctx, c, planID)
}

func (s *Service) movePlan(ctx context.Context, tx *store.Tx, p Plan, ev sec.RemediationEvent, actors []sec.Actor, note string, next sec.Date, meeting int64) error {
	to, err := sec.RemediationLifecycle.Next(p.State, ev, actors...)
	if err != nil {
		return transitionError(err)
	}
	today := s.today(tx.Now)
	set := []string{"state = $1", "updated_at = $2"}
	args := []any{string(to), tx.Now}
	switch ev {
	case sec.RemediationSubmit:
		var n int
		tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM remediation_actions WHERE plan_id = $1", p.ID).Scan(&n)
		if n == 0 {
			return errs.FieldError("actions", "a plan needs at least one action before it is submitted")
		}
	case sec.RemediationAgree:
		if !next.After(today) {
			return errs.FieldError("next_update", "the next update date (%s) must come after today (%s)", next, today)
		}
		set = append(set, "next_update = $3", "meeting_item_id = $4")
		args = append(args, next, nullID(meeting))
		note = strings.TrimSpace("Next update by " + next.String() + ". " + note)
	case sec.RemediationClose:
		var open int
		tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM remediation_actions WHERE plan_id = $1 AND done_on IS NULL", p.ID).Scan(&open)
		if open > 0 {
			return errs.E(errs.Conflict, "remediation plan %d has %d actions not done: it closes when every action is done", p.ID, open)
		}
		set = append(set, fmt.Sprintf("meeting_item_id = $%d", len(args)+1))
		args = append(args, nullID(meeting))
	}
	args = append(args, p.ID)
	if _, err := tx.ExecContext(ctx, "UPDATE remediation_plans SET "+strings.Join(set, ", ")+fmt.Sprintf(" WHERE id = $%d", len(args)), args...); err != nil {
		return errs.Wrap(err, "move plan")
	}
	if err := addUpdate(ctx, tx, p.ID, string(ev), note); err != nil {
		return err
	}
	return audit.Record(ctx, tx, "remediation."+string(ev), KindPlan, p.ID, struct {
		From, To   string
		Note       string
		NextUpdate sec.Date
	}{string(p.State), string(to), note, next})
}
