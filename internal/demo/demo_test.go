package demo

import (
	"context"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/coverage"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/meeting"
	"github.com/metersec/metersec/internal/report"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
	"github.com/metersec/metersec/internal/vuln"
)

// The demo world is what a new user meets first: it must load through the
// real importers on either engine, keep the aggregates exact, and give every
// page something to show.
func TestSeedBuildsAWholeWorld(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		today := sec.MustParseDate("2026-11-20")
		if err := Seed(ctx, db, Options{Devices: 5000, Today: today, Log: t.Logf}); err != nil {
			t.Fatal(err)
		}
		if ok, err := Seeded(ctx, db); err != nil || !ok {
			t.Fatalf("Seeded = %v, %v", ok, err)
		}
		sys := access.SystemCaller("test")

		var devices, periods int64
		if err := db.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM devices), (SELECT count(*) FROM supply_periods)").Scan(&devices, &periods); err != nil {
			t.Fatal(err)
		}
		if devices < 4900 || periods == 0 {
			t.Errorf("estate: %d Devices, %d closed supply periods; want about 5000 and some churn", devices, periods)
		}
		vr, err := estate.NewService(db).Verify(ctx, access.SystemCaller("test"))
		if err != nil || !vr.OK() {
			t.Errorf("estate verify: %+v, %v", vr, err)
		}

		checkAssurance(t, ctx, db)

		cov := coverage.NewService(db)
		cov.Today = func(_ time.Time) sec.Date { return today }
		rep, err := cov.Compute(ctx, sys, coverage.Query{Date: today})
		if err != nil {
			t.Fatal(err)
		}
		var total coverage.Counts
		for _, s := range rep.Suppliers {
			total.Covered += s.Totals.Covered
			total.Steps += s.Totals.Steps
			total.Gap += s.Totals.Gap
			total.DCC += s.Totals.DCC
		}
		if total.Covered == 0 || total.Steps == 0 || total.Gap == 0 || total.DCC == 0 {
			t.Errorf("coverage is not mixed: %+v", total)
		}

		vs, err := vuln.NewService(db, nil).List(ctx, sys, vuln.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		states := map[sec.VulnState]bool{}
		for _, v := range vs {
			states[v.State] = true
		}
		if len(vs) < len(stories) || len(states) < 5 {
			t.Errorf("%d vulnerabilities in %d states: %v", len(vs), len(states), states)
		}

		runs, err := report.NewService(db).Runs(ctx, sys, 10)
		if err != nil || len(runs) < 2 {
			t.Errorf("report runs: %d, %v", len(runs), err)
		}
		// Three published meetings with every colour and type, the first two
		// minutes-approved, actions open and carried.
		meetings := meeting.NewService(db)
		pub, err := meetings.PublicList(ctx, meeting.ListFilter{})
		if err != nil || pub.Total != 3 {
			t.Errorf("published meetings: %+v, %v", pub, err)
		}
		colours, types := map[sec.Classification]bool{}, map[sec.ItemType]bool{}
		for _, n := range []int{301, 302, 303} {
			m, err := meetings.Get(ctx, sys, n)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range m.Items {
				colours[it.Classification], types[it.Type] = true, true
			}
			if want := n != 303; (m.Status == sec.MeetingMinutesApproved) != want {
				t.Errorf("meeting %d is %s", n, m.Status)
			}
			if n == 303 && len(m.Carried) == 0 {
				t.Errorf("meeting 303 carries no actions")
			}
		}
		if len(colours) != 4 || len(types) != len(sec.ItemTypes) {
			t.Errorf("the demo meetings have colours %v and types %v", colours, types)
		}
		checkTriage(t, ctx, db)
		if ar, err := audit.Verify(ctx, db); err != nil || !ar.OK() {
			t.Errorf("audit chain: %+v, %v", ar, err)
		}
		if err := Seed(ctx, db, Options{Devices: 5000, Today: today}); !errs.Is(err, errs.Conflict) {
			t.Errorf("a second seed: %v, want a conflict", err)
		}
	})
}
