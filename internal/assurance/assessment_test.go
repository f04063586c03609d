package assurance_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/assurance"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/evidence"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

type env struct {
	t    *testing.T
	db   *store.DB
	ctx  context.Context
	svc  *assurance.Service
	sys  access.Caller
	orgs map[string]int64
	as   map[string]access.Caller // a user of each organisation
}

func newEnv(t *testing.T, db *store.DB) *env {
	e := &env{t: t, db: db, ctx: context.Background(), svc: assurance.NewService(db), sys: access.SystemCaller("test"),
		orgs: map[string]int64{}, as: map[string]access.Caller{}}
	e.svc.Today = func(time.Time) sec.Date { return sec.MustParseDate("2026-06-15") }
	now := time.Now().UTC()
	for _, o := range []struct {
		code, role string
		user       sec.Role
		cleared    bool
	}{
		{"SSC", "ssc", sec.RoleSSCMember, false}, {"UCIO", "user_cio", sec.RoleUserCIO, true},
		{"SUPA", "large_supplier", sec.RoleSupplier, true}, {"SUPB", "small_supplier", sec.RoleSupplier, true},
		{"OTHA", "other_user", sec.RoleOtherUser, true}, {"DCC", "dcc", sec.RoleDCC, false},
	} {
		var id, uid int64
		if err := db.Writer().QueryRow(`INSERT INTO organisations (code, name, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id`,
			o.code, "Org "+o.code, now).Scan(&id); err != nil {
			t.Fatal(err)
		}
		e.exec("INSERT INTO organisation_roles (org_id, role) VALUES ($1, $2)", id, o.role)
		if err := db.Writer().QueryRow(`INSERT INTO users (org_id, email, name, password_hash, red_cleared, created_at, password_changed_at)
			VALUES ($1, $2, 'U', 'x', $3, $4, $4) RETURNING id`, id, strings.ToLower(o.code)+"@example.org", o.cleared, now).Scan(&uid); err != nil {
			t.Fatal(err)
		}
		e.exec("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)", uid, string(o.user))
		e.orgs[o.code] = id
		e.as[o.code] = access.Caller{UserID: uid, OrgID: id, OrgCode: o.code, Name: strings.ToLower(o.code) + "@example.org", Roles: []sec.Role{o.user}, Via: "session"}
	}
	return e
}

func (e *env) exec(q string, args ...any) {
	e.t.Helper()
	if _, err := e.db.Writer().Exec(q, args...); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) move(who string, id int64, m assurance.Move) assurance.Assessment {
	e.t.Helper()
	a, err := e.svc.Transition(e.ctx, e.as[who], id, m)
	if err != nil {
		e.t.Fatalf("%s %s: %v", who, m.Event, err)
	}
	return a
}

func TestAssessmentLifecycleAndOutcome(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnv(t, storetest.Open(t, engine))
			a, err := e.svc.Create(e.ctx, e.as["SSC"], assurance.Input{Party: "supa", Role: "large_supplier", Type: "fusa", Year: 2026})
			if err != nil {
				t.Fatal(err)
			}
			if !a.Initial || a.State != sec.AssessmentPlanned || a.Classification != sec.Red || a.Assessor != "UCIO" || a.YearInCycle != 1 {
				t.Fatalf("created %+v", a)
			}
			if !strings.Contains(a.Title, "FUSA of SUPA as Large Supplier, 2026") {
				t.Errorf("title %q", a.Title)
			}

			// RED: the other Supplier, and an uncleared Other User, learn
			// nothing; the answer is the one for a missing id.
			_, errB := e.svc.Get(e.ctx, e.as["SUPB"], a.ID)
			_, errMissing := e.svc.Get(e.ctx, e.as["SUPB"], 999999)
			if !errs.Is(errB, errs.NotFound) || strings.Replace(errB.Error(), itoa(a.ID), "N", 1) != strings.Replace(errMissing.Error(), "999999", "N", 1) {
				t.Errorf("another Supplier: %v / %v", errB, errMissing)
			}
			if _, err := e.svc.Transition(e.ctx, e.as["SUPB"], a.ID, assurance.Move{Event: sec.AssessmentBook}); !errs.Is(err, errs.NotFound) {
				t.Errorf("another Supplier moving it: %v", err)
			}
			for _, who := range []string{"SSC", "UCIO", "SUPA"} {
				if _, err := e.svc.Get(e.ctx, e.as[who], a.ID); err != nil {
					t.Errorf("%s cannot see it: %v", who, err)
				}
			}
			page, err := e.svc.List(e.ctx, e.as["SUPB"], assurance.Filter{})
			if err != nil || page.Total != 0 || len(page.Assessments) != 0 {
				t.Errorf("SUPB lists %+v, %v", page, err)
			}

			// Illegal moves name the state and the actor.
			_, err = e.svc.Transition(e.ctx, e.as["SUPA"], a.ID, assurance.Move{Event: sec.AssessmentBook})
			if !errs.Is(err, errs.Forbidden) || !strings.Contains(err.Error(), `"book" from "planned"`) || !strings.Contains(err.Error(), "owner of the record") {
				t.Errorf("party booking: %v", err)
			}
			_, err = e.svc.Transition(e.ctx, e.as["SSC"], a.ID, assurance.Move{Event: sec.AssessmentDecide, Outcome: "approved"})
			if !errs.Is(err, errs.Conflict) || !strings.Contains(err.Error(), `from "planned"`) {
				t.Errorf("deciding a planned assessment: %v", err)
			}

			e.move("UCIO", a.ID, assurance.Move{Event: sec.AssessmentBook})
			if _, err := e.svc.Transition(e.ctx, e.as["UCIO"], a.ID, assurance.Move{Event: sec.AssessmentStartFieldwork}); !errs.Is(err, errs.Invalid) {
				t.Errorf("fieldwork without a date: %v", err)
			}
			e.move("UCIO", a.ID, assurance.Move{Event: sec.AssessmentStartFieldwork, Date: "2026-03-10"})

			// Findings: a clause is required; the CIO raises them.
			if _, err := e.svc.AddFinding(e.ctx, e.as["UCIO"], a.ID, assurance.FindingInput{Severity: "high", Title: "No patching"}); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "clause") {
				t.Errorf("finding without a clause: %v", err)
			}
			if _, err := e.svc.AddFinding(e.ctx, e.as["SUPA"], a.ID, assurance.FindingInput{Clause: "G5.14", Severity: "high", Title: "x"}); !errs.Is(err, errs.Forbidden) {
				t.Errorf("finding by the party: %v", err)
			}
			f, err := e.svc.AddFinding(e.ctx, e.as["UCIO"], a.ID, assurance.FindingInput{Clause: "g5.14", Severity: "High", Title: "Vulnerability scans lapsed", Evidence: "Scan log"})
			if err != nil || f.Kind != sec.NonCompliance || f.Clause != "G5.14" {
				t.Fatalf("finding %+v, %v", f, err)
			}
			if _, err := e.svc.RespondToFinding(e.ctx, e.as["SUPA"], a.ID, f.ID, assurance.ResponseInput{Response: "Scans restarted weekly"}); err != nil {
				t.Fatal(err)
			}

			// A date order that goes backwards is refused, nothing written.
			_, err = e.svc.Transition(e.ctx, e.as["UCIO"], a.ID, assurance.Move{Event: sec.AssessmentIssueReport, Date: "2026-03-01"})
			if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "before its first day") {
				t.Errorf("fieldwork ending before it began: %v", err)
			}
			if got, _ := e.svc.Get(e.ctx, e.sys, a.ID); got.State != sec.AssessmentFieldwork || !got.FieldworkEnd.IsZero() {
				t.Errorf("a refused move changed the record: %+v", got)
			}
			e.move("UCIO", a.ID, assurance.Move{Event: sec.AssessmentIssueReport, Date: "2026-03-10"})
			if _, err := e.svc.Transition(e.ctx, e.as["SSC"], a.ID, assurance.Move{Event: sec.AssessmentSetResponseDue, Date: "2026-03-10"}); !errs.Is(err, errs.Invalid) {
				t.Errorf("response due on the last fieldwork day: %v", err)
			}
			e.move("SSC", a.ID, assurance.Move{Event: sec.AssessmentSetResponseDue, Date: "2026-03-11"})
			e.move("SUPA", a.ID, assurance.Move{Event: sec.AssessmentReceiveResponse, Date: "2026-04-01"})
			e.move("SSC", a.ID, assurance.Move{Event: sec.AssessmentConsider})

			// Initial FUSA: the outcome is an Assurance Status (G8.34).
			if _, err := e.svc.Transition(e.ctx, e.as["SSC"], a.ID, assurance.Move{Event: sec.AssessmentDecide, Outcome: "Compliant"}); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "Assurance Status") {
				t.Errorf("compliance status on an initial FUSA: %v", err)
			}
			if _, err := e.svc.Transition(e.ctx, e.as["SSC"], a.ID, assurance.Move{Event: sec.AssessmentDecide, Outcome: "approved_subject_to"}); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "steps") {
				t.Errorf("approved subject to without steps: %v", err)
			}
			got := e.move("SSC", a.ID, assurance.Move{Event: sec.AssessmentDecide, Outcome: "deferred", MeetingItemID: 67, Date: "2026-04-20"})
			if got.State != sec.AssessmentDecided || got.Outcome == nil || got.Outcome.Label != "Deferred" || got.Outcome.MeetingItemID != 67 || got.FollowUp == 0 {
				t.Fatalf("decided %+v %+v", got, got.Outcome)
			}
			// Deferred requires a follow-up FUSA, created with the decision.
			fu, err := e.svc.Get(e.ctx, e.as["SUPA"], got.FollowUp)
			if err != nil || fu.Type != sec.FUSA || !fu.Initial || fu.FollowUpOf != a.ID || fu.State != sec.AssessmentPlanned {
				t.Errorf("follow-up %+v, %v", fu, err)
			}
			if n := len(got.Timeline); n != 10 {
				t.Errorf("timeline has %d entries: %+v", n, got.Timeline)
			}
		})
	}
}

func TestCreateRefusesBadInput(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite))
	for _, c := range []struct {
		in    assurance.Input
		field string
	}{
		{assurance.Input{Party: "NOPE", Role: "large_supplier", Type: "FUSA", Year: 2026}, "party"},
		{assurance.Input{Party: "SUPA", Role: "wizard", Type: "FUSA", Year: 2026}, "role"},
		{assurance.Input{Party: "SUPA", Role: "map", Type: "FUSA", Year: 2026}, "role"},
		{assurance.Input{Party: "SUPA", Role: "small_supplier", Type: "FUSA", Year: 2026}, "role"},
		{assurance.Input{Party: "SUPA", Role: "large_supplier", Type: "AUDIT", Year: 2026}, "type"},
		{assurance.Input{Party: "SUPA", Role: "large_supplier", Type: "VUSA", Year: 2026}, "year_in_cycle"},
	} {
		_, err := e.svc.Create(e.ctx, e.as["SSC"], c.in)
		ee := errs.As(err)
		if ee.Code != errs.Invalid || len(ee.Fields) == 0 || ee.Fields[0].Field != c.field {
			t.Errorf("%+v: %v", c.in, err)
		}
	}
	if _, err := e.svc.Create(e.ctx, e.as["SUPA"], assurance.Input{Party: "SUPA", Role: "large_supplier", Type: "FUSA", Year: 2026}); !errs.Is(err, errs.Forbidden) {
		t.Errorf("a party planning its own assessment: %v", err)
	}
	var n int
	e.db.Writer().QueryRow("SELECT COUNT(*) FROM assessments").Scan(&n)
	if n != 0 {
		t.Errorf("%d assessments written", n)
	}
}

func TestEvidenceHashed(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite))
	a, err := e.svc.Create(e.ctx, e.sys, assurance.Input{Party: "SUPA", Role: "large_supplier", Type: "FUSA", Year: 2026})
	if err != nil {
		t.Fatal(err)
	}
	body := "Interview notes.\n"
	ev, err := e.svc.AddEvidence(e.ctx, e.as["UCIO"], a.ID, "notes.txt", strings.NewReader(body))
	if err != nil || ev.SHA256 != evidence.Hash([]byte(body)) {
		t.Fatalf("%+v, %v", ev, err)
	}
	if _, err := e.svc.AddEvidence(e.ctx, e.as["UCIO"], a.ID, "again.txt", strings.NewReader(body)); !errs.Is(err, errs.Conflict) {
		t.Errorf("the same file twice: %v", err)
	}
	if _, _, err := e.svc.EvidenceFile(e.ctx, e.as["SUPB"], a.ID, ev.ID); !errs.Is(err, errs.NotFound) {
		t.Errorf("another Supplier reading evidence: %v", err)
	}
	_, content, err := e.svc.EvidenceFile(e.ctx, e.as["SUPA"], a.ID, ev.ID)
	if err != nil || string(content) != body {
		t.Errorf("party reading evidence: %q, %v", content, err)
	}
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }
