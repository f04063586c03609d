package vuln_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/listing/listingtest"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
	"github.com/metersec/metersec/internal/vuln"
)

// Issue 15: the rectification plans and a vulnerability's timeline page on
// the shared core, stable in every order while plans are written and
// entries added; due=soon and due=overdue list exactly what Due counts.
func TestPlansAndTimelinePageStably(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		var refs []string
		n := 0
		plan := func() {
			if n%2 == 0 {
				in := e1Report(yes())
				in.Title = fmt.Sprintf("Finding %d", n)
				refs = append(refs, f.report("MANA", in).Ref)
			}
			who := []string{"SUPA", "SUPB"}[n%2]
			if _, err := f.svc.SavePlan(f.ctx, f.as[who], refs[len(refs)-1], vuln.PlanInput{Steps: fmt.Sprintf("Step %d", n), Submit: n%3 != 0,
				DeclaredCompletion: sec.DateOf(f.clock).AddDays(5 * (n % 6))}); err != nil {
				t.Fatal(err)
			}
			f.clock = f.clock.Add(time.Hour)
			n++
		}
		for range 6 {
			plan()
		}
		insert := func() {
			if n < 20 {
				plan()
			}
		}
		fetch := func(r listing.Request) (listing.Page[vuln.Plan], error) {
			return f.svc.PlanPage(f.ctx, f.as["SSC"], "", r)
		}
		listingtest.Stable(t, vuln.PlanSpec, nil, 3, fetch, func(p vuln.Plan) int64 { return p.ID }, insert)

		page := func(who, ref, q string) listing.Page[vuln.Plan] {
			t.Helper()
			v, _ := url.ParseQuery(q)
			r, err := vuln.PlanSpec.Parse(v)
			if err != nil {
				t.Fatal(err)
			}
			p, err := f.svc.PlanPage(f.ctx, f.as[who], ref, r)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		if _, err := db.Writer().Exec("UPDATE vuln_plans SET state = 'overdue' WHERE id = (SELECT min(id) FROM vuln_plans WHERE state = 'submitted')"); err != nil {
			t.Fatal(err)
		}
		for _, who := range []string{"SSC", "SUPA", "SUPB", "MANA", "MAPA"} {
			d, err := f.svc.Due(f.ctx, f.as[who], f.clock)
			if err != nil {
				t.Fatal(err)
			}
			if soon := page(who, "", "due=soon&limit=200"); soon.Total != int64(d.PlansDueSoon) {
				t.Errorf("%s: due=soon lists %d, Due counts %d", who, soon.Total, d.PlansDueSoon)
			}
			if over := page(who, "", "due=overdue&limit=200"); over.Total != int64(d.OverduePlans) {
				t.Errorf("%s: due=overdue lists %d, Due counts %d", who, over.Total, d.OverduePlans)
			}
		}
		if d, _ := f.svc.Due(f.ctx, f.as["SSC"], f.clock); d.PlansDueSoon == 0 || d.OverduePlans == 0 {
			t.Errorf("the SSC's counts are zero: the comparison proves nothing (%+v)", d)
		}
		// A Supplier sees its own plans (drafts included), never another's drafts.
		for _, p := range page("SUPA", "", "limit=200").Items {
			if p.Owner.Code != "SUPA" {
				t.Errorf("SUPA sees %s's plan", p.Owner.Code)
			}
		}
		for _, p := range page("SSC", "", "limit=200").Items {
			if p.State == sec.PlanStateDraft {
				t.Errorf("the SSC sees %s's draft", p.Owner.Code)
			}
		}
		one := page("SSC", strings.ToLower(refs[0]), "limit=200")
		if one.Total == 0 || len(one.Items[0].Revisions) == 0 {
			t.Errorf("%s's plans: %+v", refs[0], one)
		}
		if _, err := f.svc.PlanPage(f.ctx, f.as["SUPC"], refs[0], vuln.PlanSpec.First()); err == nil {
			t.Error("SUPC lists the plans of a vulnerability it may not see")
		}

		// The timeline, newest first, stable while entries are added.
		ref := refs[0]
		added := 0
		more := func() {
			if added < 10 {
				f.clock = f.clock.Add(time.Minute * time.Duration(added%2))
				if _, err := db.Writer().Exec("INSERT INTO vuln_events (vuln_id, at, kind, note) SELECT id, $1, 'updated', 'note' FROM vulnerabilities WHERE ref = $2", f.clock, ref); err != nil {
					t.Fatal(err)
				}
				added++
			}
		}
		listingtest.Stable(t, vuln.TimelineSpec, nil, 2, func(r listing.Request) (listing.Page[vuln.Event], error) {
			return f.svc.TimelinePage(f.ctx, f.as["SSC"], ref, r)
		}, func(e vuln.Event) int64 { return e.ID }, more)
		all, err := f.svc.Timeline(f.ctx, f.as["SSC"], ref)
		if err != nil {
			t.Fatal(err)
		}
		p, err := f.svc.TimelinePage(f.ctx, f.as["SSC"], ref, vuln.TimelineSpec.First())
		if err != nil || p.Total != int64(len(all)) || p.Items[0].ID != all[len(all)-1].ID {
			t.Errorf("newest first: %+v of %d, %v", p.Items, len(all), err)
		}
		r, _ := vuln.TimelineSpec.Parse(url.Values{"kind": {"plan"}, "limit": {"500"}})
		if p, err := f.svc.TimelinePage(f.ctx, f.as["SSC"], ref, r); err != nil || p.Total == 0 {
			t.Errorf("kind=plan: %+v %v", p, err)
		} else {
			for _, e := range p.Items {
				if e.Kind != "plan" {
					t.Errorf("kind=plan gave %s", e.Kind)
				}
			}
		}
		if _, err := f.svc.TimelinePage(f.ctx, f.as["SUPC"], ref, vuln.TimelineSpec.First()); err == nil {
			t.Error("SUPC pages the timeline of a vulnerability it may not see")
		}
	})
}
