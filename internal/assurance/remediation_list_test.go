package assurance_test

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/assurance"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/listing/listingtest"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// Issue 15: the remediation plans page on the shared core, stable in every
// order while plans are started; overdue=true lists exactly the plans the
// dashboard counts; the former filter still works; another Supplier sees
// none; the export has the rows the filters match.
func TestRemediationPlanListPagesStably(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		today := sec.MustParseDate("2026-06-15")
		e.svc.Today = func(time.Time) sec.Date { return today }
		a, _ := e.respondedAssessment()
		n := 0
		start := func() {
			p, err := e.svc.CreatePlan(e.ctx, e.as["SUPA"], a.ID, assurance.PlanInput{Title: fmt.Sprintf("Plan %02d", n),
				Actions: []assurance.ActionInput{{Description: "d", Owner: "o", Due: "2026-07-31"}}})
			if err != nil {
				t.Fatal(err)
			}
			if n%2 == 0 {
				e.movePlan("SUPA", p.ID, assurance.PlanMove{Event: sec.RemediationSubmit})
				e.movePlan("SSC", p.ID, assurance.PlanMove{Event: sec.RemediationAgree, NextUpdate: today.AddDays(1 + n).String()})
			}
			n++
		}
		for range 6 {
			start()
		}
		insert := func() {
			if n < 20 {
				start()
			}
		}
		fetch := func(r listing.Request) (listing.Page[assurance.Plan], error) {
			return e.svc.PlanListPage(e.ctx, e.as["SSC"], r)
		}
		listingtest.Stable(t, assurance.PlanSpec, nil, 3, fetch, func(p assurance.Plan) int64 { return p.ID }, insert)

		// A week on, the plans agreed for an update before then are overdue.
		today = today.AddDays(7)
		page := func(who, q string) listing.Page[assurance.Plan] {
			t.Helper()
			v, _ := url.ParseQuery(q)
			r, err := assurance.PlanSpec.Parse(v)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			p, err := e.svc.PlanListPage(e.ctx, e.as[who], r)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		overdue, notOverdue, all := page("SSC", "overdue=true&limit=500"), page("SSC", "overdue=false&limit=500"), page("SSC", "limit=500")
		due, err := e.svc.Due(e.ctx, e.as["SSC"], time.Now())
		if err != nil || overdue.Total == 0 || int64(due.RemediationOverdue) != overdue.Total || overdue.Total+notOverdue.Total != all.Total {
			t.Fatalf("overdue %d + not %d of %d; the dashboard counts %d (%v)", overdue.Total, notOverdue.Total, all.Total, due.RemediationOverdue, err)
		}
		for _, p := range overdue.Items {
			if !p.Overdue {
				t.Errorf("overdue=true gave %s, not overdue", p.Title)
			}
		}
		if old, err := e.svc.ListPlans(e.ctx, e.as["SSC"], assurance.PlanFilter{Overdue: true, Limit: 2}); err != nil || int64(old.Total) != overdue.Total || len(old.Plans) != 2 || old.Next == 0 {
			t.Errorf("the former filter: %+v %v", old, err)
		}
		if p := page("SSC", "state=draft&q=plan+01&party=supa"); p.Total != 1 || p.Items[0].Title != "Plan 01" {
			t.Errorf("state=draft&q=plan 01: %+v", p.Items)
		}
		if p := page("SUPB", "limit=500"); p.Total != 0 {
			t.Errorf("SUPB sees %d plans", p.Total)
		}
		if p := page("SSC", "sort=next_update&limit=500"); p.Total != all.Total || !p.Items[len(p.Items)-1].NextUpdate.IsZero() {
			t.Errorf("sorted by next update, the plans without one come last: %+v", p.Items)
		}
		var buf bytes.Buffer
		w, _ := listing.NewWriter(&buf, "csv", assurance.PlanCSVHeader)
		r, _ := assurance.PlanSpec.Parse(url.Values{"overdue": {"true"}, "format": {"csv"}})
		if err := e.svc.ExportPlans(e.ctx, e.as["SSC"], r, w); err != nil {
			t.Fatal(err)
		}
		w.Close()
		if lines := strings.Count(strings.TrimSpace(buf.String()), "\n"); int64(lines) != overdue.Total {
			t.Errorf("export has %d rows for %d overdue plans", lines, overdue.Total)
		}
	})
}
