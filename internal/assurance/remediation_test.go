package assurance_test

import (
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/assurance"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/evidence"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store/storetest"
)

const letterPDF = "%PDF-1.4\n1 0 obj\n<< /Title (Directors' Letter) >>\nendobj\ntrailer\n<<>>\n%%EOF\n"

// respondedAssessment is a VUSA of SUPA with one finding, responded to.
func (e *env) respondedAssessment() (assurance.Assessment, assurance.Finding) {
	e.t.Helper()
	a, err := e.svc.Create(e.ctx, e.sys, assurance.Input{Party: "SUPA", Role: "large_supplier", Type: "VUSA", Year: 2026, YearInCycle: 2})
	if err != nil {
		e.t.Fatal(err)
	}
	e.move("UCIO", a.ID, assurance.Move{Event: sec.AssessmentBook})
	e.move("UCIO", a.ID, assurance.Move{Event: sec.AssessmentStartFieldwork, Date: "2026-02-02"})
	f, err := e.svc.AddFinding(e.ctx, e.as["UCIO"], a.ID, assurance.FindingInput{Clause: "G5.14", Severity: "medium", Title: "Anomaly thresholds unset"})
	if err != nil {
		e.t.Fatal(err)
	}
	e.move("UCIO", a.ID, assurance.Move{Event: sec.AssessmentIssueReport, Date: "2026-02-06"})
	e.move("SSC", a.ID, assurance.Move{Event: sec.AssessmentSetResponseDue, Date: "2026-03-06"})
	a = e.move("SUPA", a.ID, assurance.Move{Event: sec.AssessmentReceiveResponse, Date: "2026-03-01"})
	return a, f
}

func TestRemediationPlanAndLetter(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnv(t, storetest.Open(t, engine))
			today := sec.MustParseDate("2026-06-15")
			e.svc.Today = func(time.Time) sec.Date { return today }
			a, f := e.respondedAssessment()

			if _, err := e.svc.CreatePlan(e.ctx, e.as["SUPB"], a.ID, assurance.PlanInput{Title: "x", Actions: []assurance.ActionInput{{Description: "d", Owner: "o", Due: "2026-07-01"}}}); !errs.Is(err, errs.NotFound) {
				t.Errorf("another Supplier starting a plan: %v", err)
			}
			if _, err := e.svc.CreatePlan(e.ctx, e.as["SUPA"], a.ID, assurance.PlanInput{Title: "Fix", Actions: []assurance.ActionInput{{Description: "d", Owner: "o", Due: "soon"}}}); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "actions[0].due") {
				t.Errorf("an action without a due date: %v", err)
			}
			p, err := e.svc.CreatePlan(e.ctx, e.as["SUPA"], a.ID, assurance.PlanInput{Title: "Set anomaly thresholds", Actions: []assurance.ActionInput{
				{Description: "Set thresholds", Owner: "CISO", Due: "2026-07-31", FindingID: f.ID},
				{Description: "Test alerts", Owner: "SOC lead", Due: "2026-06-01"},
			}})
			if err != nil {
				t.Fatal(err)
			}
			if p.State != sec.RemediationDraft || len(p.Actions) != 2 || !p.Actions[0].Overdue || p.Actions[1].Overdue {
				t.Fatalf("plan %+v", p)
			}
			// Another Supplier can neither read nor change it, and learns
			// nothing from the error.
			_, errRead := e.svc.GetPlan(e.ctx, e.as["SUPB"], p.ID)
			_, errMove := e.svc.MovePlan(e.ctx, e.as["SUPB"], p.ID, assurance.PlanMove{Event: sec.RemediationSubmit})
			_, errMissing := e.svc.GetPlan(e.ctx, e.as["SUPB"], 99999)
			if !errs.Is(errRead, errs.NotFound) || !errs.Is(errMove, errs.NotFound) || !errs.Is(errMissing, errs.NotFound) {
				t.Errorf("SUPB: %v / %v / %v", errRead, errMove, errMissing)
			}
			p = e.movePlan("SUPA", p.ID, assurance.PlanMove{Event: sec.RemediationSubmit})
			if _, err := e.svc.MovePlan(e.ctx, e.as["SSC"], p.ID, assurance.PlanMove{Event: sec.RemediationAgree, NextUpdate: "2026-06-15"}); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "after today") {
				t.Errorf("a next update date of today: %v", err)
			}
			if _, err := e.svc.MovePlan(e.ctx, e.as["SUPA"], p.ID, assurance.PlanMove{Event: sec.RemediationAgree, NextUpdate: "2026-07-01"}); !errs.Is(err, errs.Forbidden) {
				t.Errorf("the party agreeing its own plan: %v", err)
			}
			p = e.movePlan("SSC", p.ID, assurance.PlanMove{Event: sec.RemediationAgree, NextUpdate: "2026-06-16", MeetingItemID: 7})
			if p.State != sec.RemediationAgreed || p.NextUpdate.String() != "2026-06-16" || p.MeetingItemID != 7 || p.Overdue {
				t.Fatalf("agreed %+v", p)
			}

			// Directors' Letter: a signed PDF within the size limit.
			if _, err := e.svc.SubmitLetter(e.ctx, e.as["SUPA"], p.ID, "A. Director", "letter.txt", strings.NewReader("Signed.\n")); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "PDF") {
				t.Errorf("a letter that is not a PDF: %v", err)
			}
			if _, err := e.svc.SubmitLetter(e.ctx, e.as["SUPA"], p.ID, "A. Director", "letter.pdf", strings.NewReader("%PDF-1.4\n"+strings.Repeat("x", evidence.MaxSize))); !errs.Is(err, errs.TooLarge) {
				t.Errorf("a letter over the limit: %v", err)
			}
			if _, err := e.svc.SubmitLetter(e.ctx, e.as["SUPA"], p.ID, "", "letter.pdf", strings.NewReader(letterPDF)); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "director") {
				t.Errorf("a letter without its director: %v", err)
			}
			l, err := e.svc.SubmitLetter(e.ctx, e.as["SUPA"], p.ID, "A. Director", "letter.pdf", strings.NewReader(letterPDF))
			if err != nil || l.SHA256 != evidence.Hash([]byte(letterPDF)) || l.State != sec.LetterSubmitted {
				t.Fatalf("letter %+v, %v", l, err)
			}
			if _, err := e.svc.MoveLetter(e.ctx, e.as["SUPA"], l.ID, assurance.LetterMove{Event: sec.LetterApprove}); !errs.Is(err, errs.Forbidden) {
				t.Errorf("the party approving its own letter: %v", err)
			}
			if _, err := e.svc.MoveLetter(e.ctx, e.as["SUPB"], l.ID, assurance.LetterMove{Event: sec.LetterApprove}); !errs.Is(err, errs.NotFound) {
				t.Errorf("another Supplier approving it: %v", err)
			}
			if l, err = e.svc.MoveLetter(e.ctx, e.as["SSC"], l.ID, assurance.LetterMove{Event: sec.LetterApprove, MeetingItemID: 9}); err != nil || l.State != sec.LetterApproved {
				t.Fatalf("approve: %+v, %v", l, err)
			}
			if _, content, err := e.svc.LetterFile(e.ctx, e.as["SUPA"], l.ID); err != nil || string(content) != letterPDF {
				t.Errorf("letter file: %v", err)
			}

			// The day of the next update passes: overdue, the party is
			// reminded; 14 days later the SSC is told; reruns send nothing.
			today = sec.MustParseDate("2026-06-16")
			if res, err := e.svc.TickReport(e.ctx, time.Now()); err != nil || res.Overdue != 0 {
				t.Errorf("tick on the due day: %+v, %v", res, err)
			}
			today = sec.MustParseDate("2026-06-17")
			if res, err := e.svc.TickReport(e.ctx, time.Now()); err != nil || res.Overdue != 1 || res.Escalated != 0 {
				t.Errorf("tick the day after: %+v, %v", res, err)
			}
			if res, _ := e.svc.TickReport(e.ctx, time.Now()); res.Overdue != 0 {
				t.Errorf("rerun: %+v", res)
			}
			if n := e.notices("remediation.overdue", "SUPA"); n != 1 {
				t.Errorf("%d reminders to SUPA", n)
			}
			today = sec.MustParseDate("2026-06-30")
			if res, _ := e.svc.TickReport(e.ctx, time.Now()); res.Escalated != 0 {
				t.Errorf("escalated 13 days late: %+v", res)
			}
			today = sec.MustParseDate("2026-07-01")
			if res, _ := e.svc.TickReport(e.ctx, time.Now()); res.Escalated != 1 {
				t.Errorf("not escalated 14 days late: %+v", res)
			}
			if res, _ := e.svc.TickReport(e.ctx, time.Now()); res.Escalated != 0 {
				t.Errorf("escalated twice: %+v", res)
			}
			if n := e.notices("remediation.escalated", "SSC"); n != 1 {
				t.Errorf("%d escalations to the SSC", n)
			}

			// An update returns it to the SSC; it closes when every action
			// is done.
			if _, err := e.svc.MovePlan(e.ctx, e.as["SUPA"], p.ID, assurance.PlanMove{Event: sec.RemediationUpdate}); !errs.Is(err, errs.Invalid) {
				t.Errorf("an update without text: %v", err)
			}
			p = e.movePlan("SUPA", p.ID, assurance.PlanMove{Event: sec.RemediationUpdate, Note: "Thresholds set on 3 of 4 systems"})
			if _, err := e.svc.MovePlan(e.ctx, e.as["SSC"], p.ID, assurance.PlanMove{Event: sec.RemediationClose}); !errs.Is(err, errs.Conflict) || !strings.Contains(err.Error(), "2 actions not done") {
				t.Errorf("closing with open actions: %v", err)
			}
			for _, ac := range p.Actions {
				if p, err = e.svc.CompleteAction(e.ctx, e.as["SUPA"], p.ID, ac.ID, sec.Date{}); err != nil {
					t.Fatal(err)
				}
			}
			p = e.movePlan("SSC", p.ID, assurance.PlanMove{Event: sec.RemediationClose})
			if p.State != sec.RemediationClosed || p.Overdue {
				t.Errorf("closed %+v", p)
			}
			if page, err := e.svc.ListPlans(e.ctx, e.as["SUPB"], assurance.PlanFilter{}); err != nil || page.Total != 0 {
				t.Errorf("SUPB lists %+v, %v", page, err)
			}
		})
	}
}

func (e *env) movePlan(who string, id int64, m assurance.PlanMove) assurance.Plan {
	e.t.Helper()
	p, err := e.svc.MovePlan(e.ctx, e.as[who], id, m)
	if err != nil {
		e.t.Fatalf("%s %s: %v", who, m.Event, err)
	}
	return p
}

func (e *env) notices(kind, org string) int {
	var n int
	e.db.Writer().QueryRow("SELECT COUNT(*) FROM notices WHERE kind = $1 AND org_id = $2", kind, e.orgs[org]).Scan(&n)
	return n
}
