package assurance

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audience"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Record kinds in the audience tables and the audit trail.
const (
	KindAssessment = "assessment"
	KindPlan       = "remediation_plan"
	KindLetter     = "directors_letter"
)

func init() {
	audience.Kinds[KindAssessment] = audience.Kind{Table: "assessments", OrgColumns: []string{"r.party_id"}}
	audience.Kinds[KindPlan] = audience.Kind{Table: "remediation_plans", OrgColumns: []string{"r.party_id"}}
	audience.Kinds[KindLetter] = audience.Kind{Table: "directors_letters", OrgColumns: []string{"r.party_id"}}
}

// Service runs assurance.
type Service struct {
	DB       *store.DB
	Settings sec.AssuranceSettings
	// Today is the current day in Great Britain; tests fix it.
	Today func(time.Time) sec.Date
}

// NewService returns a service with the default settings.
func NewService(db *store.DB) *Service {
	return &Service{DB: db, Settings: sec.DefaultAssuranceSettings()}
}

func (s *Service) today(now time.Time) sec.Date {
	if s.Today != nil {
		return s.Today(now)
	}
	return sec.DateOf(now)
}

// Assessment is one User Security Assessment of a party in a role.
type Assessment struct {
	ID    int64              `json:"id"`
	Party string             `json:"party"` // organisation code
	Name  string             `json:"party_name"`
	Role  sec.OrgRole        `json:"role"`
	Type  sec.AssessmentType `json:"type"`
	// Title names the assessment in links and agenda items, e.g. "FUSA of
	// SUPA as Large Supplier, 2026".
	Title            string              `json:"title"`
	Year             int                 `json:"year"`
	YearInCycle      int                 `json:"year_in_cycle"`
	Initial          bool                `json:"initial"`
	State            sec.AssessmentState `json:"state"`
	Classification   sec.Classification  `json:"classification"`
	Assessor         string              `json:"assessor,omitempty"`
	FieldworkStart   sec.Date            `json:"fieldwork_start,omitzero"`
	FieldworkEnd     sec.Date            `json:"fieldwork_end,omitzero"`
	ResponseDue      sec.Date            `json:"response_due,omitzero"`
	ResponseReceived sec.Date            `json:"response_received,omitzero"`
	Outcome          *Outcome            `json:"outcome,omitempty"`
	FollowUpOf       int64               `json:"follow_up_of,omitempty"`
	CreatedAt        time.Time           `json:"created_at"`
	UpdatedAt        time.Time           `json:"updated_at"`

	Findings []Finding  `json:"findings,omitempty"`
	Evidence []Evidence `json:"evidence,omitempty"`
	Timeline []Event    `json:"timeline,omitempty"`
	FollowUp int64      `json:"follow_up,omitempty"` // the assessment this one's outcome required
	// Events are the moves the caller may make now: the buttons.
	Events []sec.AssessmentEvent `json:"events,omitempty"`

	partyID int64
}

// Outcome is the SSC's decision on an assessment.
type Outcome struct {
	// Kind is "assurance" (an Assurance Status after the initial FUSA,
	// G8.34) or "compliance" (a Compliance Status after later ones).
	Kind  string `json:"kind"`
	Value string `json:"value"`
	Label string `json:"label"`
	// Steps are what an "Approved, subject to" status requires.
	Steps string   `json:"steps,omitempty"`
	Date  sec.Date `json:"date"`
	// MeetingItemID is the SSC agenda item at which it was decided.
	MeetingItemID int64 `json:"meeting_item_id,omitempty"`
}

// Event is one entry of an assessment's timeline.
type Event struct {
	At    time.Time `json:"at"`
	Actor string    `json:"actor"`
	As    sec.Actor `json:"as,omitempty"`
	Event string    `json:"event"`
	From  string    `json:"from,omitempty"`
	To    string    `json:"to,omitempty"`
	Note  string    `json:"note,omitempty"`
}

// assessmentCols reads an assessment; partyName is the party's name where the
// caller may see the party's own record, its code otherwise (a Supplier's
// entry is AMBER: the CIO assessing it is named on the assessment, not on
// the registry entry).
func assessmentCols(c access.Caller, args *access.Args) string {
	return `a.id, o.code, CASE WHEN ` + c.VisibleAs(args, "party", "o.classification", "o.id", "o.id") + ` THEN o.name ELSE o.code END, a.party_id,` + assessmentRest
}

const assessmentRest = ` a.role, a.type, a.title, a.year, a.year_in_cycle, a.initial, a.state,
	a.classification, COALESCE(ao.code, ''), a.fieldwork_start, a.fieldwork_end, a.response_due, a.response_received,
	a.outcome_kind, a.outcome, a.outcome_steps, a.outcome_date, a.meeting_item_id, a.follow_up_of, a.created_at, a.updated_at`

const assessmentFrom = ` FROM assessments a JOIN organisations o ON o.id = a.party_id LEFT JOIN organisations ao ON ao.id = a.assessor_id`

// visible is the caller's condition on an assessment row a.
func visible(c access.Caller, args *access.Args) string {
	return c.Visible(args, KindAssessment, "a", "a.party_id")
}

type scanner interface{ Scan(dest ...any) error }

func scanAssessment(r scanner, s *Service) (Assessment, error) {
	var a Assessment
	var start, end, due, recv, odate sec.Date
	var okind, outcome sql.NullString
	var steps string
	var meeting, follow sql.NullInt64
	err := r.Scan(&a.ID, &a.Party, &a.Name, &a.partyID, &a.Role, &a.Type, &a.Title, &a.Year, &a.YearInCycle, &a.Initial, &a.State,
		&a.Classification, &a.Assessor, &start, &end, &due, &recv, &okind, &outcome, &steps, &odate, &meeting, &follow, &a.CreatedAt, &a.UpdatedAt)
	if err != nil {
		return a, err
	}
	a.FieldworkStart, a.FieldworkEnd, a.ResponseDue, a.ResponseReceived = start, end, due, recv
	a.FollowUpOf = follow.Int64
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	if okind.Valid {
		a.Outcome = &Outcome{Kind: okind.String, Value: outcome.String, Label: outcome.String, Steps: steps, Date: odate, MeetingItemID: meeting.Int64}
		if okind.String == "assurance" {
			a.Outcome.Label = sec.AssuranceStatus(outcome.String).Label()
		}
	}
	return a, nil
}

// Get returns one assessment with its findings, evidence and timeline, if
// the caller may see it; otherwise not found, exactly as for one that does
// not exist.
func (s *Service) Get(ctx context.Context, c access.Caller, id int64) (Assessment, error) {
	var a Assessment
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		var err error
		a, err = s.find(ctx, tx, c, id)
		if err != nil {
			return err
		}
		return s.fill(ctx, tx, c, &a)
	})
	return a, err
}

// find reads one assessment the caller may see.
func (s *Service) find(ctx context.Context, q store.Querier, c access.Caller, id int64) (Assessment, error) {
	var args access.Args
	query := "SELECT " + assessmentCols(c, &args) + assessmentFrom + " WHERE a.id = " + args.Add(id) + " AND " + visible(c, &args)
	a, err := scanAssessment(q.QueryRowContext(ctx, query, args...), s)
	if err == sql.ErrNoRows {
		return a, errs.NotFoundf("assessment", id)
	}
	return a, errs.Wrap(err, "read assessment")
}

func (s *Service) fill(ctx context.Context, q store.Querier, c access.Caller, a *Assessment) error {
	var err error
	if a.Findings, err = findingsOf(ctx, q, a.ID); err != nil {
		return err
	}
	if a.Evidence, err = evidenceOf(ctx, q, a.ID); err != nil {
		return err
	}
	if a.Timeline, err = timelineOf(ctx, q, a.ID); err != nil {
		return err
	}
	var args access.Args
	err = q.QueryRowContext(ctx, "SELECT a.id FROM assessments a WHERE a.follow_up_of = "+args.Add(a.ID)+" AND "+visible(c, &args), args...).Scan(&a.FollowUp)
	if err != nil && err != sql.ErrNoRows {
		return errs.Wrap(err, "follow-up")
	}
	a.Events = sec.LifecycleFor(a.Type).Events(a.State, actorsFor(c, *a)...)
	return nil
}

func timelineOf(ctx context.Context, q store.Querier, id int64) ([]Event, error) {
	rows, err := q.QueryContext(ctx, "SELECT at, actor, acted_as, event, from_state, to_state, note FROM assessment_events WHERE assessment_id = $1 ORDER BY id", id)
	if err != nil {
		return nil, errs.Wrap(err, "timeline")
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.At, &e.Actor, &e.As, &e.Event, &e.From, &e.To, &e.Note); err != nil {
			return nil, errs.Wrap(err, "timeline")
		}
		e.At = e.At.UTC()
		out = append(out, e)
	}
	return out, errs.Wrap(rows.Err(), "timeline")
}

// actorsFor is what the caller is to an assessment: the SSC, the User CIO
// (assessor), the assessed party (owner), or the system.
func actorsFor(c access.Caller, a Assessment) []sec.Actor {
	var out []sec.Actor
	if c.System {
		out = append(out, sec.ActorSystem)
	}
	if c.IsSSC() {
		out = append(out, sec.ActorSSC)
	}
	if c.Has(sec.RoleUserCIO) {
		out = append(out, sec.ActorAssessor)
	}
	if c.OrgID != 0 && c.OrgID == a.partyID {
		out = append(out, sec.ActorOwner)
	}
	return out
}

// Filter narrows a listing of assessments.
type Filter struct {
	Party string              // organisation code
	Year  int                 // plan year
	State sec.AssessmentState // only this state
	Type  sec.AssessmentType
	// After is the former cursor: the id of the last assessment of the
	// previous page (the list runs newest first).
	After int64
	Limit int
}

// MaxPage is the most assessments one page lists.
const MaxPage = 200

// Page is one page of a listing.
type Page struct {
	Total       int          `json:"total"`
	Assessments []Assessment `json:"assessments"`
	// Next is the cursor for the following page; 0 when this is the last.
	Next int64 `json:"next,omitempty"`
}

// List returns the assessments the caller may see, newest first, a page at
// a time, with the total that match: ListPage for callers without a query
// string (the demo, tests). f.After pages in the default order only.
func (s *Service) List(ctx context.Context, c access.Caller, f Filter) (Page, error) {
	if f.Limit <= 0 || f.Limit > MaxPage {
		f.Limit = 50
	}
	q := url.Values{"party": {f.Party}, "state": {string(f.State)}, "type": {string(f.Type)}, "limit": {strconv.Itoa(f.Limit)}}
	if f.Year != 0 {
		q.Set("year", strconv.Itoa(f.Year))
	}
	if f.After > 0 {
		q.Set("after", strconv.FormatInt(f.After, 10))
	}
	req, err := ListSpec.Parse(q)
	if err != nil {
		return Page{}, err
	}
	p, err := s.ListPage(ctx, c, req)
	if err != nil {
		return Page{}, err
	}
	out := Page{Total: int(p.Total), Assessments: p.Items}
	if p.NextCursor != "" {
		out.Next = p.Items[len(p.Items)-1].ID
	}
	return out, nil
}

// Input is a new assessment.
type Input struct {
	Party string `json:"party"` // organisation code
	Role  string `json:"role"`
	Type  string `json:"type"` // FUSA, VUSA or SSA
	Year  int    `json:"year"`
	// YearInCycle is 1 for a FUSA when empty; later assessments name it.
	YearInCycle int `json:"year_in_cycle,omitempty"`
	// Assessor is the User CIO's organisation code; the only CIO when empty.
	Assessor string `json:"assessor,omitempty"`
	// Classification is RED unless the SSC says otherwise.
	Classification string `json:"classification,omitempty"`
}

const maxText = 4000

// Create plans an assessment. The SSC and its secretariat plan assessments;
// the new record is RED, named to the SSC, the secretariat, the CIO's cleared
// people and the party's cleared people.
func (s *Service) Create(ctx context.Context, c access.Caller, in Input) (Assessment, error) {
	if !MayCreate(c) {
		return Assessment{}, errs.E(errs.Forbidden, "only SSC members and the secretariat may plan an assessment")
	}
	var id int64
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		var err error
		id, err = s.create(ctx, tx, in, 0)
		return err
	})
	if err != nil {
		return Assessment{}, err
	}
	return s.Get(ctx, c, id)
}

// create checks in and writes the assessment with its audience, timeline
// entry and audit record.
func (s *Service) create(ctx context.Context, tx *store.Tx, in Input, followUpOf int64) (int64, error) {
	var fields []errs.Field
	bad := func(f, format string, args ...any) {
		fields = append(fields, errs.Field{Field: f, Message: fmt.Sprintf(format, args...)})
	}
	role, err := sec.ParseOrgRole(in.Role)
	if err != nil {
		bad("role", "%v", err)
	} else if !isAssessedRole(role) {
		bad("role", "%s is not a role in which parties are assessed", role.Label())
	}
	typ, err := sec.ParseAssessmentType(in.Type)
	if err != nil {
		bad("type", "%v", err)
	}
	if in.Year < 2014 || in.Year > 2200 {
		bad("year", "want a year from 2014 (the SEC's first assessments) to 2200")
	}
	yic := in.YearInCycle
	if yic == 0 && typ == sec.FUSA {
		yic = 1
	}
	if yic < 1 || yic > s.Settings.CycleYears {
		bad("year_in_cycle", "want 1 to %d", s.Settings.CycleYears)
	}
	class := sec.Red
	if in.Classification != "" {
		if class, err = sec.ParseClassification(in.Classification); err != nil {
			bad("classification", "%v", err)
		}
	}
	var partyID int64
	var partyName string
	code := strings.ToUpper(strings.TrimSpace(in.Party))
	if code == "" {
		bad("party", "required: the organisation code of the party assessed")
	} else if err := tx.QueryRowContext(ctx, "SELECT id, name FROM organisations WHERE code = $1", code).Scan(&partyID, &partyName); err != nil {
		bad("party", "no party has the code %q", in.Party)
	} else if role != "" && !hasOrgRole(ctx, tx, partyID, role) {
		bad("role", "%s does not hold the role %s", code, role.Label())
	}
	var assessorID sql.NullInt64
	if a := strings.ToUpper(strings.TrimSpace(in.Assessor)); a != "" {
		if err := tx.QueryRowContext(ctx, `SELECT o.id FROM organisations o JOIN organisation_roles r ON r.org_id = o.id
			WHERE o.code = $1 AND r.role = 'user_cio'`, a).Scan(&assessorID); err != nil {
			bad("assessor", "no User CIO has the code %q", in.Assessor)
		}
	} else {
		tx.QueryRowContext(ctx, `SELECT MIN(org_id) FROM organisation_roles WHERE role = 'user_cio'`).Scan(&assessorID)
	}
	if len(fields) > 0 {
		return 0, errs.Fields("the assessment is not valid", fields...)
	}
	// The party's first FUSA in the role is its initial one: its outcome is
	// an Assurance Status (G8.34). A follow-up FUSA after Deferred or
	// Rejected is initial too, since the status is still to be given.
	initial := false
	if typ == sec.FUSA {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM assessments WHERE party_id = $1 AND role = $2 AND type = 'FUSA'
			AND state = 'decided' AND outcome_kind = 'assurance' AND outcome IN ('approved', 'approved_subject_to')`, partyID, string(role)).Scan(&n); err != nil {
			return 0, errs.Wrap(err, "earlier assessments")
		}
		initial = n == 0
	}
	title := fmt.Sprintf("%s of %s as %s, %d", typ, code, role.Label(), in.Year)
	var follow sql.NullInt64
	if followUpOf != 0 {
		follow = sql.NullInt64{Int64: followUpOf, Valid: true}
		title = fmt.Sprintf("Follow-up %s of %s as %s, %d", typ, code, role.Label(), in.Year)
	}
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO assessments (party_id, role, type, title, year, year_in_cycle, initial, state, classification,
		assessor_id, follow_up_of, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id`,
		partyID, string(role), string(typ), title, in.Year, yic, initial, string(sec.LifecycleFor(typ).Initial()), string(class),
		assessorID, follow, tx.Now).Scan(&id)
	if err != nil {
		return 0, errs.Wrap(err, "create assessment")
	}
	orgs := []int64{partyID}
	if assessorID.Valid {
		orgs = append(orgs, assessorID.Int64)
	}
	if err := nameAudience(ctx, tx, KindAssessment, id, orgs); err != nil {
		return 0, err
	}
	note := ""
	if followUpOf != 0 {
		note = fmt.Sprintf("follow-up required by the outcome of assessment %d", followUpOf)
	}
	if err := addEvent(ctx, tx, id, "", "plan", "", string(sec.AssessmentPlanned), note); err != nil {
		return 0, err
	}
	return id, audit.Record(ctx, tx, "assessment.create", KindAssessment, id, struct {
		Party, Role, Type, Title string
		Year, YearInCycle        int
		Initial                  bool
		FollowUpOf               int64
	}{code, string(role), string(typ), title, in.Year, yic, initial, followUpOf})
}

func isAssessedRole(r sec.OrgRole) bool {
	for _, a := range sec.AssessedRoles {
		if a == r {
			return true
		}
	}
	return false
}

func hasOrgRole(ctx context.Context, q store.Querier, orgID int64, r sec.OrgRole) bool {
	var n int
	q.QueryRowContext(ctx, "SELECT COUNT(*) FROM organisation_roles WHERE org_id = $1 AND role = $2", orgID, string(r)).Scan(&n)
	return n > 0
}

// nameAudience names a new record to the SSC members, the secretariat, and
// the people of the User CIO and of the assessed party who are cleared to be
// named on RED records (sec.MayBeNamedOnRed); and, for when the SSC marks it
// AMBER, to the assessed party's and the assessor's organisations (orgs,
// the party first).
func nameAudience(ctx context.Context, tx *store.Tx, kind string, id int64, orgs []int64) error {
	partyID := orgs[0]
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT u.id FROM users u JOIN user_roles r ON r.user_id = u.id
		WHERE u.disabled_at IS NULL AND (r.role IN ('ssc_member', 'secretariat')
			OR (u.red_cleared AND (r.role = 'user_cio' OR u.org_id = $1)))
		ORDER BY u.id`, partyID)
	if err != nil {
		return errs.Wrap(err, "audience")
	}
	var users []int64
	for rows.Next() {
		var u int64
		if err := rows.Scan(&u); err != nil {
			rows.Close()
			return errs.Wrap(err, "audience")
		}
		users = append(users, u)
	}
	rows.Close()
	return audience.Write(ctx, tx, kind, id, orgs, users)
}

// addEvent writes a timeline entry.
func addEvent(ctx context.Context, tx *store.Tx, id int64, as sec.Actor, event, from, to, note string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO assessment_events (assessment_id, at, actor, acted_as, event, from_state, to_state, note)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, id, tx.Now, tx.Actor.Name, string(as), event, from, to, note)
	return errs.Wrap(err, "timeline")
}

// checkText trims a free-text field, bounds its length and refuses what
// PostgreSQL cannot store (invalid UTF-8, NUL).
func checkText(field, v string, required bool) (string, *errs.Field) {
	v = strings.TrimSpace(v)
	switch {
	case required && v == "":
		return v, &errs.Field{Field: field, Message: "required"}
	case !utf8.ValidString(v):
		return v, &errs.Field{Field: field, Message: "is not valid UTF-8"}
	case strings.ContainsRune(v, 0):
		return v, &errs.Field{Field: field, Message: "contains a NUL character"}
	case utf8.RuneCountInString(v) > maxText:
		return v, &errs.Field{Field: field, Message: fmt.Sprintf("is too long (at most %d characters)", maxText)}
	}
	return v, nil
}
