package demo

import (
	"context"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/assurance"
	"github.com/metersec/metersec/internal/risk"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// checkAssurance: assessments in every state, a plan with an approved
// Directors' Letter, an overdue action and an overdue update (reminded and
// escalated), a submitted self-assessment, and a populated register.
func checkAssurance(t *testing.T, ctx context.Context, db *store.DB) {
	t.Helper()
	sys := access.SystemCaller("test")
	svc := assurance.NewService(db)
	page, err := svc.List(ctx, sys, assurance.Filter{Limit: assurance.MaxPage})
	if err != nil {
		t.Fatal(err)
	}
	states := map[sec.AssessmentState]int{}
	for _, a := range page.Assessments {
		states[a.State]++
	}
	for _, s := range sec.AssessmentLifecycle.States() {
		if states[s] == 0 {
			t.Errorf("no demo assessment is %s (%v)", s, states)
		}
	}
	plans, err := svc.ListPlans(ctx, sys, assurance.PlanFilter{Overdue: true})
	if err != nil || plans.Total != 1 {
		t.Fatalf("overdue plans: %+v, %v", plans, err)
	}
	p, err := svc.GetPlan(ctx, sys, plans.Plans[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	overdueAction := false
	for _, a := range p.Actions {
		overdueAction = overdueAction || a.Overdue
	}
	if p.State != sec.RemediationOverdue || len(p.Letters) != 1 || p.Letters[0].State != sec.LetterApproved || !overdueAction {
		t.Errorf("demo plan %+v", p)
	}
	var notices int
	db.QueryRowContext(ctx, "SELECT COUNT(*) FROM notices WHERE kind IN ('remediation.overdue', 'remediation.escalated')").Scan(&notices)
	if notices < 2 {
		t.Errorf("%d remediation notices", notices)
	}
	ssa, err := svc.List(ctx, sys, assurance.Filter{Type: sec.SSA})
	if err != nil || ssa.Total != 1 {
		t.Fatalf("self-assessments: %+v, %v", ssa, err)
	}
	if q, err := svc.Questionnaire(ctx, sys, ssa.Assessments[0].ID); err != nil || q.State != "submitted" {
		t.Errorf("self-assessment questionnaire %+v, %v", q, err)
	}
	if reg, err := (&risk.Service{DB: db}).List(ctx, sys); err != nil || reg.Total < 5 {
		t.Errorf("risk register: %d, %v", reg.Total, err)
	}
}
