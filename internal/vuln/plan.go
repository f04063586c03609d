package vuln

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// PlanInput writes a rectification plan: the steps and the declared
// completion date (G3.18, G3.9). Submit sends it to the SSC at once.
type PlanInput struct {
	Steps              string   `json:"steps"`
	DeclaredCompletion sec.Date `json:"declared_completion,omitzero"`
	Submit             bool     `json:"submit"`
}

// PlanEventInput moves a plan on (sec.PlanLifecycle).
type PlanEventInput struct {
	Event sec.PlanEvent `json:"event"`
	// revise: new steps (optional), a new declared completion date and a
	// reason (both required).
	Steps              string   `json:"steps,omitempty"`
	DeclaredCompletion sec.Date `json:"declared_completion,omitzero"`
	Reason             string   `json:"reason,omitempty"`
	// note, agree: the SSC's remark and the next update date it sets.
	Note          string   `json:"note,omitempty"`
	NextUpdateDue sec.Date `json:"next_update_due,omitzero"`
}

type planRow struct {
	ID, VulnID, OrgID  int64
	State              sec.PlanState
	Steps              string
	DeclaredCompletion sec.Date
	NextUpdateDue      sec.Date
	Revision           int
}

func lockPlan(ctx context.Context, tx *store.Tx, id, vulnID int64) (planRow, error) {
	q := `SELECT id, vuln_id, org_id, state, steps, declared_completion, next_update_due, revision FROM vuln_plans
		WHERE id = $1 AND vuln_id = $2` + store.ForUpdate(tx, "")
	var p planRow
	err := tx.QueryRowContext(ctx, q, id, vulnID).Scan(&p.ID, &p.VulnID, &p.OrgID, &p.State, &p.Steps, &p.DeclaredCompletion, &p.NextUpdateDue, &p.Revision)
	if errors.Is(err, sql.ErrNoRows) {
		return p, errs.NotFoundf("rectification plan", id)
	}
	return p, errs.Wrap(err, "plan")
}

// planActors are the parts the caller plays on a plan: the owner (the
// Supplier whose plan it is), the SSC, the system.
func planActors(c access.Caller, p planRow) []sec.Actor {
	var out []sec.Actor
	if c.System {
		out = append(out, sec.ActorSystem)
	}
	if c.IsSSC() {
		out = append(out, sec.ActorSSC)
	}
	if c.OrgID != 0 && c.OrgID == p.OrgID && c.UserID != 0 {
		out = append(out, sec.ActorOwner)
	}
	return out
}

// SavePlan writes the caller organisation's rectification plan for a
// vulnerability it was told of as a Supplier (or the DCC), as a draft, and
// submits it to the SSC when in.Submit. Submitting the first plan of a
// notified vulnerability records the SSC as notified (notify_ssc).
func (s *Service) SavePlan(ctx context.Context, c access.Caller, ref string, in PlanInput) (Plan, error) {
	if c.UserID == 0 || c.OrgID == 0 {
		return Plan{}, errs.E(errs.Forbidden, "a person of the Supplier that was told writes its rectification plan")
	}
	in.Steps = strings.TrimSpace(in.Steps)
	var col errs.Collector
	checkText(&col, "steps", in.Steps, maxText, true)
	var id int64
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		col := col // a retried transaction starts from the checks made before it
		v, err := findVuln(ctx, tx, c, ref, true)
		if err != nil {
			return err
		}
		actors, err := actorsFor(ctx, tx, c, v)
		if err != nil {
			return err
		}
		if !hasActor(actors, sec.ActorSupplier) && !hasActor(actors, sec.ActorDCC) {
			return errs.E(errs.Forbidden, "only a Supplier (or the DCC) told of %s writes a rectification plan for it", v.Ref)
		}
		if v.State.IsClosed() || !v.Material.Valid || !v.Material.Bool {
			return errs.E(errs.Conflict, "%s is %s: rectification plans are for open, material vulnerabilities", v.Ref, v.State)
		}
		if in.Submit {
			checkDeclared(&col, in.DeclaredCompletion, s.today(tx.Now), true)
		} else if !in.DeclaredCompletion.IsZero() {
			checkDeclared(&col, in.DeclaredCompletion, s.today(tx.Now), false)
		}
		if col.Count() > 0 {
			return col.Err("the plan is not valid")
		}
		var p planRow
		err = tx.QueryRowContext(ctx, "SELECT id, state FROM vuln_plans WHERE vuln_id = $1 AND org_id = $2", v.ID, c.OrgID).Scan(&p.ID, &p.State)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if err := tx.QueryRowContext(ctx, `INSERT INTO vuln_plans (vuln_id, org_id, state, steps, declared_completion, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`, v.ID, c.OrgID, string(sec.PlanLifecycle.Initial()), in.Steps,
				in.DeclaredCompletion, tx.Now).Scan(&p.ID); err != nil {
				return errs.Wrap(err, "plan")
			}
			p.State = sec.PlanLifecycle.Initial()
			if err := audit.Record(ctx, tx, "vuln.plan.create", PlanKind, p.ID, in); err != nil {
				return err
			}
		case err != nil:
			return errs.Wrap(err, "plan")
		case p.State != sec.PlanStateDraft:
			return errs.E(errs.Conflict, "your plan for %s was submitted: change it with a revision (event revise, with a reason)", v.Ref)
		default:
			if _, err := tx.ExecContext(ctx, "UPDATE vuln_plans SET steps = $1, declared_completion = $2, updated_at = $3 WHERE id = $4",
				in.Steps, in.DeclaredCompletion, tx.Now, p.ID); err != nil {
				return errs.Wrap(err, "plan")
			}
			if err := audit.Record(ctx, tx, "vuln.plan.edit", PlanKind, p.ID, in); err != nil {
				return err
			}
		}
		id = p.ID
		if in.Submit {
			return s.planMove(ctx, tx, &v, p.ID, PlanEventInput{Event: sec.PlanEventSubmit}, actors)
		}
		return nil
	})
	if err != nil {
		return Plan{}, err
	}
	return s.plan(ctx, c, ref, id)
}

func hasActor(as []sec.Actor, a sec.Actor) bool {
	for _, x := range as {
		if x == a {
			return true
		}
	}
	return false
}

// checkDeclared: a declared completion date is the Supplier's own (the SEC
// sets none, "as soon as reasonably practicable"), but one already past would
// make the plan overdue the moment it is sent.
func checkDeclared(col *errs.Collector, d, today sec.Date, required bool) {
	switch {
	case d.IsZero() && required:
		col.Add(errs.Field{Field: "declared_completion", Message: "required: the date by which the steps will be complete (G3.18)"})
	case !d.IsZero() && d.Before(today):
		col.Add(errs.Field{Field: "declared_completion", Message: fmt.Sprintf("%s is in the past", d)})
	}
}

// PlanTransition fires an event on a plan as the caller.
func (s *Service) PlanTransition(ctx context.Context, c access.Caller, ref string, planID int64, in PlanEventInput) (Plan, error) {
	if !c.SignedIn() {
		return Plan{}, errs.E(errs.Unauthenticated, "sign in to act on a rectification plan")
	}
	if in.Event == "" {
		return Plan{}, errs.FieldError("event", "required: one of submit, note, agree, revise, complete")
	}
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		v, err := findVuln(ctx, tx, c, ref, true)
		if err != nil {
			return err
		}
		actors, err := actorsFor(ctx, tx, c, v)
		if err != nil {
			return err
		}
		// The plan must be one the caller may see: otherwise it does not
		// exist for them.
		var args access.Args
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM vuln_plans p WHERE p.id = "+args.Add(planID)+
			" AND p.vuln_id = "+args.Add(v.ID)+" AND "+visiblePlan(&args, c, "p"), args...).Scan(&n); err != nil {
			return errs.Wrap(err, "plan")
		}
		if n == 0 {
			return errs.NotFoundf("rectification plan", planID)
		}
		return s.planMove(ctx, tx, &v, planID, in, actors)
	})
	if err != nil {
		return Plan{}, err
	}
	return s.plan(ctx, c, ref, planID)
}

// planMove fires a plan event with its checks, its revision record, the
// notices it causes and, on the first submission, the vulnerability's
// notify_ssc.
func (s *Service) planMove(ctx context.Context, tx *store.Tx, v *vulnRow, planID int64, in PlanEventInput, vulnActors []sec.Actor) error {
	p, err := lockPlan(ctx, tx, planID, v.ID)
	if err != nil {
		return err
	}
	actors := planActors(tx.Actor, p)
	next, err := sec.PlanLifecycle.Next(p.State, in.Event, actors...)
	if err != nil {
		return transitionError(err)
	}
	today := s.today(tx.Now)
	in.Reason, in.Note, in.Steps = strings.TrimSpace(in.Reason), strings.TrimSpace(in.Note), strings.TrimSpace(in.Steps)
	var col errs.Collector
	checkText(&col, "reason", in.Reason, maxNote, in.Event == sec.PlanEventRevise)
	checkText(&col, "note", in.Note, maxNote, false)
	checkText(&col, "steps", in.Steps, maxText, false)
	switch in.Event {
	case sec.PlanEventSubmit:
		checkDeclared(&col, p.DeclaredCompletion, today, true)
		if strings.TrimSpace(p.Steps) == "" {
			col.Add(errs.Field{Field: "steps", Message: "required"})
		}
	case sec.PlanEventRevise:
		checkDeclared(&col, in.DeclaredCompletion, today, true)
	case sec.PlanEventNote, sec.PlanEventAgree:
		if !in.NextUpdateDue.IsZero() && in.NextUpdateDue.Before(today) {
			col.Add(errs.Field{Field: "next_update_due", Message: fmt.Sprintf("%s is in the past", in.NextUpdateDue)})
		}
	}
	if col.Count() > 0 {
		return col.Err("the plan change is not valid")
	}
	set := []string{"state = $1", "updated_at = $2"}
	args := []any{string(next), tx.Now}
	add := func(col string, v any) {
		args = append(args, v)
		set = append(set, fmt.Sprintf("%s = $%d", col, len(args)))
	}
	switch in.Event {
	case sec.PlanEventSubmit:
		p.Revision = 1
		add("revision", p.Revision)
		add("submitted_at", tx.Now)
	case sec.PlanEventRevise:
		p.Revision++
		p.DeclaredCompletion = in.DeclaredCompletion
		if in.Steps != "" {
			p.Steps = in.Steps
		}
		// A revision is the update the SSC asked for: its next update date
		// is met, and the SSC sets another when it notes or agrees it.
		p.NextUpdateDue = sec.Date{}
		add("revision", p.Revision)
		add("steps", p.Steps)
		add("declared_completion", p.DeclaredCompletion)
		add("next_update_due", p.NextUpdateDue)
		add("overdue_since", nil)
	case sec.PlanEventNote, sec.PlanEventAgree:
		if in.Note != "" {
			add("ssc_note", in.Note)
		}
		if !in.NextUpdateDue.IsZero() {
			p.NextUpdateDue = in.NextUpdateDue
			add("next_update_due", p.NextUpdateDue)
		}
	case sec.PlanEventComplete:
		add("completed_at", tx.Now)
	case sec.PlanEventMarkOverdue:
		add("overdue_since", tx.Now)
		set = append(set, "escalations = escalations + 1")
	}
	args = append(args, p.ID)
	if _, err := tx.ExecContext(ctx, "UPDATE vuln_plans SET "+strings.Join(set, ", ")+fmt.Sprintf(" WHERE id = $%d", len(args)), args...); err != nil {
		return errs.Wrap(err, "plan")
	}
	reason := in.Reason
	if reason == "" {
		reason = in.Note
	}
	var revID int64
	actor := tx.Actor
	if err := tx.QueryRowContext(ctx, `INSERT INTO vuln_plan_revisions (plan_id, at, event, state, revision, steps,
		declared_completion, next_update_due, reason, actor_name, actor_org_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		p.ID, tx.Now, string(in.Event), string(next), p.Revision, p.Steps, p.DeclaredCompletion, p.NextUpdateDue, reason,
		actorName(actor), nullID(actor.OrgID)).Scan(&revID); err != nil {
		return errs.Wrap(err, "plan revision")
	}
	note := planEventNote(in.Event, p, reason)
	if err := addEvent(ctx, tx, v.ID, eventInput{Kind: "plan", Event: string(in.Event), PlanID: p.ID, Private: true,
		Note: note, ActorAs: firstActor([]sec.Actor{sec.ActorOwner, sec.ActorSSC, sec.ActorSystem}, actors)}); err != nil {
		return err
	}
	if err := audit.Record(ctx, tx, "vuln.plan."+string(in.Event), PlanKind, p.ID, struct {
		Vuln  string
		State sec.PlanState
		In    PlanEventInput
	}{v.Ref, next, in}); err != nil {
		return err
	}

	// Who is told: the SSC of what the Supplier does, the Supplier of what
	// the SSC does, and both when a plan goes overdue (the escalation).
	key := fmt.Sprintf("vuln:%d:plan:%d:%s:%d", v.ID, p.ID, in.Event, revID)
	toSSC := in.Event == sec.PlanEventSubmit || in.Event == sec.PlanEventRevise || in.Event == sec.PlanEventComplete
	toOwner := in.Event == sec.PlanEventNote || in.Event == sec.PlanEventAgree
	if in.Event == sec.PlanEventMarkOverdue {
		toSSC, toOwner = true, true
		key = fmt.Sprintf("vuln:%d:plan:%d:overdue:r%d:%s:%s", v.ID, p.ID, p.Revision, p.DeclaredCompletion, p.NextUpdateDue)
	}
	if err := s.planNotices(ctx, tx, *v, p, in.Event, note, key, toSSC, toOwner); err != nil {
		return err
	}

	if in.Event == sec.PlanEventSubmit && v.State == sec.VulnStateNotified {
		// The Supplier's notice to the SSC of steps and timetable is what
		// notify_ssc records (G3.18, G3.9).
		return s.move(ctx, tx, v, sec.VulnEventNotifySSC, vulnActors, "Rectification plan submitted to the SSC.", false)
	}
	return nil
}

func planEventNote(ev sec.PlanEvent, p planRow, reason string) string {
	var b strings.Builder
	switch ev {
	case sec.PlanEventSubmit:
		fmt.Fprintf(&b, "Plan submitted to the SSC; declared completion %s.", p.DeclaredCompletion)
	case sec.PlanEventRevise:
		fmt.Fprintf(&b, "Plan revised (revision %d); declared completion now %s.", p.Revision, p.DeclaredCompletion)
	case sec.PlanEventNote:
		b.WriteString("The SSC NOTED the plan.")
	case sec.PlanEventAgree:
		b.WriteString("The SSC AGREED the timetable.")
	case sec.PlanEventComplete:
		b.WriteString("The steps are complete.")
	case sec.PlanEventMarkOverdue:
		fmt.Fprintf(&b, "Overdue: declared completion %s", p.DeclaredCompletion)
		if !p.NextUpdateDue.IsZero() {
			fmt.Fprintf(&b, ", next update due %s", p.NextUpdateDue)
		}
		b.WriteString(" has passed; escalated to the SSC and the Supplier.")
	}
	if (ev == sec.PlanEventNote || ev == sec.PlanEventAgree) && !p.NextUpdateDue.IsZero() {
		fmt.Fprintf(&b, " Next update due %s.", p.NextUpdateDue)
	}
	if reason != "" {
		b.WriteString(" " + reason)
	}
	return b.String()
}

// planNotices tells the SSC and/or the plan's owner.
func (s *Service) planNotices(ctx context.Context, tx *store.Tx, v vulnRow, p planRow, ev sec.PlanEvent, note, key string, toSSC, toOwner bool) error {
	var owner string
	if err := tx.QueryRowContext(ctx, "SELECT name FROM organisations WHERE id = $1", p.OrgID).Scan(&owner); err != nil {
		return errs.Wrap(err, "plan owner")
	}
	var orgs []int64
	if toSSC {
		ids, err := orgsWithRole(ctx, tx, sec.SSC, sec.Secretariat)
		if err != nil {
			return err
		}
		orgs = append(orgs, ids...)
	}
	if toOwner {
		orgs = append(orgs, p.OrgID)
	}
	title := fmt.Sprintf("%s: rectification plan %s", v.Ref, strings.ReplaceAll(string(ev), "_", " "))
	if ev == sec.PlanEventMarkOverdue {
		title = fmt.Sprintf("%s: rectification plan OVERDUE", v.Ref)
	}
	body := fmt.Sprintf("Vulnerability %s: %s\nRectification plan of %s (revision %d).\n\n%s\n\nSteps:\n%s\n",
		v.Ref, v.Title, owner, p.Revision, note, p.Steps)
	for _, org := range orgs {
		if err := s.Notifier.Notify(ctx, tx, delivery.Notice{OrgID: org, Kind: "vulnerability.plan." + string(ev), Title: title, Body: body,
			Link: "/vulnerabilities/" + v.Ref, RecordKind: PlanKind, RecordID: p.ID, Classification: sec.Amber, Key: key,
			Data: map[string]any{"ref": v.Ref, "plan": p.ID, "event": ev, "declared_completion": p.DeclaredCompletion,
				"next_update_due": p.NextUpdateDue}}); err != nil {
			return err
		}
	}
	return nil
}

// Plans lists the rectification plans of a vulnerability the caller may
// see: its own organisation's, or all of them for the SSC.
func (s *Service) Plans(ctx context.Context, c access.Caller, ref string) ([]Plan, error) {
	return s.plans(ctx, c, ref, 0)
}

func (s *Service) plan(ctx context.Context, c access.Caller, ref string, id int64) (Plan, error) {
	ps, err := s.plans(ctx, c, ref, id)
	if err != nil {
		return Plan{}, err
	}
	if len(ps) == 0 {
		return Plan{}, errs.NotFoundf("rectification plan", id)
	}
	return ps[0], nil
}

func (s *Service) plans(ctx context.Context, c access.Caller, ref string, id int64) ([]Plan, error) {
	var args access.Args
	cols := planColumns(&args, c)
	where := "v.ref = " + args.Add(normRef(ref)) + " AND " + visibleVuln(&args, c, "v") + " AND " + visiblePlan(&args, c, "p")
	if id != 0 {
		where += " AND p.id = " + args.Add(id)
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT `+cols+planFrom+` WHERE `+where+" ORDER BY o.code, p.id", args...)
	if err != nil {
		return nil, errs.Wrap(err, "plans")
	}
	out := []Plan{}
	for rows.Next() {
		p, err := scanPlan(rows)
		if err != nil {
			rows.Close()
			return nil, errs.Wrap(err, "plans")
		}
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, "plans")
	}
	return out, planDetails(ctx, s.DB, c, out)
}

// planFrom joins a plan p to its vulnerability v and its owner o.
const planFrom = " FROM vuln_plans p JOIN vulnerabilities v ON v.id = p.vuln_id JOIN organisations o ON o.id = p.org_id"

// planColumns are the columns scanPlan reads (the owner's name only where
// the caller may see its directory entry).
func planColumns(args *access.Args, c access.Caller) string {
	return `p.id, v.ref, o.code, ` + partyName(args, c, "o") + `, p.org_id, p.state, p.classification, p.steps,
		p.declared_completion, p.next_update_due, p.ssc_note, p.revision, p.submitted_at, p.completed_at, p.overdue_since,
		p.escalations, p.updated_at`
}

func scanPlan(r interface{ Scan(...any) error }) (Plan, error) {
	var p Plan
	var sub, done, over sql.NullTime
	if err := r.Scan(&p.ID, &p.VulnRef, &p.Owner.Code, &p.Owner.Name, &p.ownerID, &p.State, &p.Classification, &p.Steps,
		&p.DeclaredCompletion, &p.NextUpdateDue, &p.SSCNote, &p.Revision, &sub, &done, &over, &p.Escalations, &p.updatedAt); err != nil {
		return p, err
	}
	p.SubmittedAt, p.CompletedAt, p.OverdueSince = tp(sub), tp(done), tp(over)
	p.Overdue = p.State == sec.PlanStateOverdue
	return p, nil
}

// planDetails adds each plan's revisions and the moves the caller may make
// on it now.
func planDetails(ctx context.Context, q store.Querier, c access.Caller, out []Plan) error {
	for i := range out {
		p := &out[i]
		p.Events = sec.PlanLifecycle.Events(p.State, planActors(c, planRow{OrgID: p.ownerID})...)
		if p.Events == nil {
			p.Events = []sec.PlanEvent{}
		}
		revs, err := q.QueryContext(ctx, `SELECT at, event, state, revision, steps, declared_completion, next_update_due,
			reason, actor_name FROM vuln_plan_revisions WHERE plan_id = $1 ORDER BY id`, p.ID)
		if err != nil {
			return errs.Wrap(err, "plan revisions")
		}
		p.Revisions = []PlanRevision{}
		for revs.Next() {
			var r PlanRevision
			if err := revs.Scan(&r.At, &r.Event, &r.State, &r.Revision, &r.Steps, &r.DeclaredCompletion, &r.NextUpdateDue,
				&r.Reason, &r.Actor); err != nil {
				revs.Close()
				return errs.Wrap(err, "plan revisions")
			}
			r.At = r.At.UTC()
			p.Revisions = append(p.Revisions, r)
		}
		revs.Close()
		if err := revs.Err(); err != nil {
			return errs.Wrap(err, "plan revisions")
		}
	}
	return nil
}
