package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/assurance"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/risk"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// demoLetter is a small signed PDF standing in for a Directors' Letter.
const demoLetter = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n% Signed by the Board of Aldermoor Energy\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"

// seedAssurance adds security assurance at every stage: assessments in every
// state (one Deferred, with its follow-up), findings and responses, a
// remediation plan with a Directors' Letter and an overdue action whose
// update is overdue, a submitted self-assessment, and a populated risk
// register. Most are RED, named to the SSC, the secretariat and the CIO; the
// ones the Suppliers' demo users act on are AMBER, as the SSC may mark them,
// so those users (not cleared for RED) can see them.
func seedAssurance(ctx context.Context, db *store.DB, callers map[string]access.Caller, today sec.Date) error {
	ssc, cio := callers["chair@ssc.example.org"], callers["assessor@halden.example.org"]
	aldm, lrkl := callers["ops@aldm.example"], callers["ops@lrkl.example"]
	sys := access.SystemCaller("demo seed")
	year := today.Time().Year()
	// The set-up runs a month in the past, so that dates the SSC agrees
	// are in the future then and overdue now.
	setupDay := today.AddDays(-30)
	svc := assurance.NewService(db)
	svc.Today = func(time.Time) sec.Date { return setupDay }
	d := func(days int) string { return setupDay.AddDays(days).String() }

	var sections []assurance.SectionInput
	for _, s := range assurance.DefaultSections {
		sections = append(sections, assurance.SectionInput{Name: s, Questions: []string{
			"What has changed in your " + strings.ToLower(s) + " since your last CIO assessment?",
			"What evidence shows your controls for " + strings.ToLower(s) + " are working?"}})
	}
	if _, err := svc.CreateTemplate(ctx, ssc, assurance.TemplateInput{Title: "User Security Self-Assessment declaration", Sections: sections}); err != nil {
		return fmt.Errorf("demo questionnaire: %w", err)
	}

	// Some generated Suppliers beyond the two with demo users.
	var others []string
	for _, role := range []sec.OrgRole{sec.LargeSupplier, sec.SmallSupplier} {
		ps, err := (&party.Service{DB: db}).List(ctx, sys, party.Filter{Role: role})
		if err != nil {
			return err
		}
		for _, p := range ps {
			if p.Code != "ALDM" && p.Code != "LRKL" {
				others = append(others, p.Code+"|"+string(role))
			}
		}
	}
	if len(others) < 4 {
		return fmt.Errorf("demo assurance: want at least 4 more Suppliers, have %d", len(others))
	}
	supplier := func(i int) (string, string) { code, role, _ := strings.Cut(others[i], "|"); return code, role }

	plan := func(party, role, typ string, y, yic int, class sec.Classification) (assurance.Assessment, error) {
		return svc.Create(ctx, ssc, assurance.Input{Party: party, Role: role, Type: typ, Year: y, YearInCycle: yic, Classification: string(class)})
	}
	move := func(c access.Caller, a *assurance.Assessment, ev sec.AssessmentEvent, date string, extra ...string) error {
		m := assurance.Move{Event: ev, Date: date}
		if len(extra) > 0 {
			m.Outcome = extra[0]
		}
		if len(extra) > 1 {
			m.Steps = extra[1]
		}
		got, err := svc.Transition(ctx, c, a.ID, m)
		if err != nil {
			return fmt.Errorf("demo assessment %s %s: %w", a.Title, ev, err)
		}
		*a = got
		return nil
	}
	finding := func(a assurance.Assessment, clause, sev, title string) (assurance.Finding, error) {
		return svc.AddFinding(ctx, cio, a.ID, assurance.FindingInput{Clause: clause, Severity: sev, Title: title,
			Evidence: "Interviews and configuration review during fieldwork"})
	}
	// through drives an assessment from planned to the state after step n
	// of the CIO-led lifecycle, raising a finding during fieldwork.
	steps := []sec.AssessmentEvent{sec.AssessmentBook, sec.AssessmentStartFieldwork, sec.AssessmentIssueReport,
		sec.AssessmentSetResponseDue, sec.AssessmentReceiveResponse, sec.AssessmentConsider}
	through := func(a *assurance.Assessment, n int, start int) error {
		dates := map[sec.AssessmentEvent]string{sec.AssessmentStartFieldwork: d(start), sec.AssessmentIssueReport: d(start + 4),
			sec.AssessmentSetResponseDue: d(start + 30), sec.AssessmentReceiveResponse: d(start + 20)}
		for i, ev := range steps[:n] {
			who := ssc
			if i < 3 {
				who = cio
			}
			if err := move(who, a, ev, dates[ev]); err != nil {
				return err
			}
			if ev == sec.AssessmentStartFieldwork {
				if _, err := finding(*a, "G5.14", "medium", "Anomaly detection thresholds not reviewed since go-live"); err != nil {
					return err
				}
			}
		}
		return nil
	}

	// One assessment in each state of the lifecycle, this year.
	code, role := supplier(0)
	if _, err := plan("RTL", "triage_facility_provider", "FUSA", year, 1, sec.Red); err != nil { // planned
		return err
	}
	for i, st := range []struct {
		party, role, typ string
		n                int
	}{
		{"WMN", "network_party", "FUSA", 1},   // booked
		{code, role, "FUSA", 2},               // fieldwork
		{"DCC", "dcc", "FUSA", 3},             // report issued
		{"LRKL", "small_supplier", "FUSA", 4}, // response due
		{"ALDM", "large_supplier", "FUSA", 5}, // response received
		{"", "", "FUSA", 6},                   // considered
	} {
		p, r := st.party, st.role
		if p == "" {
			p, r = supplier(1)
		}
		a, err := plan(p, r, st.typ, year, 1, sec.Red)
		if err != nil {
			return err
		}
		if err := through(&a, st.n, -25+i); err != nil {
			return err
		}
	}
	// Decided: an initial FUSA Deferred (its follow-up planned), and one
	// cancelled before fieldwork.
	code, role = supplier(2)
	deferred, err := plan(code, role, "FUSA", year, 1, sec.Red)
	if err != nil {
		return err
	}
	if err := through(&deferred, 6, -28); err != nil {
		return err
	}
	if err := move(ssc, &deferred, sec.AssessmentDecide, d(-1), "deferred"); err != nil {
		return err
	}
	code, role = supplier(3)
	cancelled, err := plan(code, role, "VUSA", year, 2, sec.Red)
	if err != nil {
		return err
	}
	if _, err := svc.Transition(ctx, ssc, cancelled.ID, assurance.Move{Event: sec.AssessmentCancel, Note: "Replaced by an SSC-ordered FUSA"}); err != nil {
		return err
	}

	// Aldermoor: last year's initial FUSA Approved subject to steps; this
	// year's VUSA found a non-compliance left open, agreed as "Compliant
	// subject to remediation", with a remediation plan, a Directors' Letter
	// the SSC approved, an action past its due date and an update overdue.
	first, err := plan("ALDM", "large_supplier", "FUSA", year-1, 1, sec.Amber)
	if err != nil {
		return err
	}
	if err := through(&first, 6, -29); err != nil {
		return err
	}
	if err := move(ssc, &first, sec.AssessmentDecide, d(-2), "approved_subject_to", "Complete the personnel screening of contractors"); err != nil {
		return err
	}
	vusa, err := plan("ALDM", "large_supplier", "VUSA", year, 2, sec.Amber)
	if err != nil {
		return err
	}
	if err := through(&vusa, 2, -27); err != nil {
		return err
	}
	f, err := finding(vusa, "G3.20", "high", "No notification arrangement for two inherited SMETS2 meter models")
	if err != nil {
		return err
	}
	if _, err := svc.RespondToFinding(ctx, aldm, vusa.ID, f.ID, assurance.ResponseInput{Response: "Letters of Intent sent to both MAPs; contracts to follow."}); err != nil {
		return err
	}
	for _, ev := range []sec.AssessmentEvent{sec.AssessmentIssueReport, sec.AssessmentSetResponseDue, sec.AssessmentReceiveResponse, sec.AssessmentConsider} {
		who, date := ssc, ""
		switch ev {
		case sec.AssessmentIssueReport:
			who, date = cio, d(-23)
		case sec.AssessmentSetResponseDue:
			date = d(-10)
		case sec.AssessmentReceiveResponse:
			who, date = aldm, d(-15)
		}
		if err := move(who, &vusa, ev, date); err != nil {
			return err
		}
	}
	if err := move(ssc, &vusa, sec.AssessmentDecide, d(-1), "Compliant subject to remediation"); err != nil {
		return err
	}
	p, err := svc.CreatePlan(ctx, aldm, vusa.ID, assurance.PlanInput{Title: "G3.20 arrangements for inherited meters", Actions: []assurance.ActionInput{
		{Description: "Sign the MAP contract for the inherited ESME models", Owner: "Head of Metering", Due: d(10), FindingID: f.ID},
		{Description: "Sign the MAP contract for the inherited GSME models", Owner: "Head of Metering", Due: d(45), FindingID: f.ID},
		{Description: "Brief the SOC on the notification route", Owner: "CISO", Due: d(2)},
	}})
	if err != nil {
		return fmt.Errorf("demo remediation plan: %w", err)
	}
	if _, err := svc.MovePlan(ctx, aldm, p.ID, assurance.PlanMove{Event: sec.RemediationSubmit}); err != nil {
		return err
	}
	if _, err := svc.SubmitLetter(ctx, aldm, p.ID, "Jordan Aldermoor, Chief Executive", "directors-letter.pdf", strings.NewReader(demoLetter)); err != nil {
		return fmt.Errorf("demo Directors' Letter: %w", err)
	}
	if _, err := svc.CompleteAction(ctx, aldm, p.ID, p.Actions[0].ID, setupDay); err != nil {
		return err
	}
	if p, err = svc.MovePlan(ctx, ssc, p.ID, assurance.PlanMove{Event: sec.RemediationAgree, NextUpdate: d(14)}); err != nil {
		return err
	}
	for _, l := range p.Letters {
		if _, err := svc.MoveLetter(ctx, ssc, l.ID, assurance.LetterMove{Event: sec.LetterApprove}); err != nil {
			return err
		}
	}
	// Today the agreed update (a fortnight after set-up) is overdue: the
	// periodic check marks it, reminds Aldermoor and, being more than 14
	// days late, tells the SSC.
	svc.Today = nil
	if _, err := svc.TickReport(ctx, today.Time()); err != nil {
		return fmt.Errorf("demo overdue check: %w", err)
	}

	// Larkspur's submitted self-assessment, for the CIO to review.
	svc.Today = func(time.Time) sec.Date { return setupDay }
	ssa, err := plan("LRKL", "small_supplier", "SSA", year-1, 3, sec.Amber)
	if err != nil {
		return err
	}
	if err := move(ssc, &ssa, sec.AssessmentBook, ""); err != nil {
		return err
	}
	if err := move(lrkl, &ssa, sec.AssessmentStartFieldwork, d(-5)); err != nil {
		return err
	}
	q, err := svc.Questionnaire(ctx, lrkl, ssa.ID)
	if err != nil {
		return err
	}
	answers := map[int64]string{}
	for _, qu := range q.Questions {
		answers[qu.ID] = "No material change since the last assessment; evidence held in our ISMS (" + qu.Section + ")."
	}
	if _, err := svc.SaveAnswers(ctx, lrkl, ssa.ID, assurance.AnswersInput{Version: q.Version, Answers: answers, Submit: true}); err != nil {
		return fmt.Errorf("demo self-assessment: %w", err)
	}

	// An SSC override in next year's forward plan.
	if err := svc.SetOverride(ctx, ssc, assurance.OverrideInput{Party: "WMN", Role: "network_party", Year: year + 1, Type: "VUSA",
		Reason: "Second User System notified (SECMP0057)"}); err != nil {
		return err
	}
	return seedRisks(ctx, db, ssc)
}

// seedRisks fills the SSC's risk register.
func seedRisks(ctx context.Context, db *store.DB, ssc access.Caller) error {
	svc := &risk.Service{DB: db}
	review := sec.DateOf(db.Now()).AddMonths(3).String()
	for _, r := range []risk.Input{
		{Title: "Compromise of a Supplier's SMKI private keys", Owner: "DCC", Likelihood: 2, Impact: 5, Treatment: "HSM audit; key segregation for SMETS1", ReviewDate: review},
		{Title: "Material vulnerability in a widely installed meter model", Owner: "SSC", Likelihood: 3, Impact: 4, Treatment: "G3.20 coverage monitoring; vulnerability coordination", ReviewDate: review},
		{Title: "Supplier failure leaves inherited meters without a MAP contract", Owner: "SECAS", Likelihood: 4, Impact: 3, Treatment: "Churn grace window tracking", ReviewDate: review},
		{Title: "Anomaly detection thresholds set too loosely", Owner: "DCC", Likelihood: 3, Impact: 3, Treatment: "ADT workshop actions", ReviewDate: review},
		{Title: "Triage facility tamper seal failure", Owner: "SSC", Likelihood: 1, Impact: 4, Treatment: "MP203 facility assurance", ReviewDate: review},
		{Title: "Insider misuse at a small Supplier", Owner: "SSC", Likelihood: 2, Impact: 2, Treatment: "Personnel screening in the SSA declaration", ReviewDate: review},
	} {
		if _, err := svc.Create(ctx, ssc, r); err != nil {
			return fmt.Errorf("demo risk: %w", err)
		}
	}
	// The SSC's review of a Likelihood Definition, kept in the history.
	_, err := svc.SetLikelihood(ctx, ssc, risk.Likelihood{Level: 2, Label: "Unlikely", Description: "Could occur at some time in the next five years", MinPct: 5, MaxPct: 20})
	return err
}
