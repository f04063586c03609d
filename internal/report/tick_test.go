package report

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audience"
	"github.com/metersec/metersec/internal/coverage"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
	"github.com/metersec/metersec/internal/vuln"
	"github.com/metersec/metersec/internal/vuln/vulntest"
)

func TestTickSnapshotsAtMonthEndAndSendsOnTheFirstWorkingDay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEstate(t, db)
		s, rec := e.service()
		runs := func() int { return count(t, db, "SELECT COUNT(*) FROM report_runs") }

		// 23:50 on 31 October (UK winter time is UTC): October has not ended.
		e.clock.set(ts("2026-10-31T23:50:00Z"))
		if err := s.Tick(ctx, ts("2026-10-31T23:50:00Z")); err != nil {
			t.Fatal(err)
		}
		if _, err := getSnapshot(ctx, db, e.october); err == nil {
			t.Fatal("October was snapshotted before it ended")
		}
		// Just after midnight: October's snapshot, on time, and nothing sent
		// (1 November 2026 is a Sunday; the first working day is Monday 2nd).
		e.clock.set(ts("2026-11-01T00:05:00Z"))
		if err := s.Tick(ctx, ts("2026-11-01T00:05:00Z")); err != nil {
			t.Fatal(err)
		}
		snap, err := getSnapshot(ctx, db, e.october)
		if err != nil || snap.Late || snap.Devices != 212 || snap.Rows != 5 {
			t.Fatalf("snapshot %+v, %v; want on time, 5 rows (Supplier × model), 212 Devices", snap, err)
		}
		// Churn after midnight does not change October's figures.
		addPortfolio(t, db, e.s3.ID, e.a1, 5, 0, sec.SMETS2, sec.ESME, 400)
		for _, now := range []string{"2026-11-01T12:00:00Z", "2026-11-02T05:59:59Z"} {
			e.clock.set(ts(now))
			if err := s.Tick(ctx, ts(now)); err != nil {
				t.Fatal(err)
			}
			if runs() != 0 || rec.count() != 0 {
				t.Fatalf("%s: reports sent before they were due", now)
			}
		}
		e.clock.set(ts("2026-11-02T06:00:00Z"))
		if err := s.Tick(ctx, ts("2026-11-02T06:00:00Z")); err != nil {
			t.Fatal(err)
		}
		if runs() != 2 || rec.count() != 7 {
			t.Fatalf("at 06:00 on the first working day: %d runs, %d notices; want the mailing and the standing report, 7 notices", runs(), rec.count())
		}
		mfa := jsonData[ManufacturerData](t, s, sys, reportFor(t, s, ManufacturerKind, "MFA", 1).ID)
		if mfa.Devices != 205 {
			t.Errorf("MFA's October report counts %d Devices, want the month-end 205", mfa.Devices)
		}
		dl, _ := s.File(ctx, sys, reportFor(t, s, ManufacturerKind, "MFA", 1).ID, JSON)
		if strings.Contains(string(dl.Bytes), "No snapshot") {
			t.Error("an on-time snapshot's report carries the late note")
		}
		// Ticking on does nothing more, all month.
		for _, now := range []string{"2026-11-02T06:05:00Z", "2026-11-20T10:00:00Z", "2026-11-30T23:59:00Z"} {
			e.clock.set(ts(now))
			if err := s.Tick(ctx, ts(now)); err != nil {
				t.Fatal(err)
			}
		}
		if runs() != 2 || rec.count() != 7 || count(t, db, "SELECT COUNT(*) FROM portfolio_snapshot_months") != 1 {
			t.Fatalf("later ticks wrote more: %d runs, %d notices", runs(), rec.count())
		}
		// A month not yet ended cannot be run.
		nov, _ := ParseMonth("2026-11")
		if _, err := s.RunMonthly(ctx, sys, nov, RunOptions{}); !errs.Is(err, errs.Invalid) {
			t.Errorf("running November in November: %v", err)
		}
	})
}

func TestStandingReportIsRedToTheSSCMembers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEstate(t, db)
		s, rec := e.service()
		s.Sources = Sources{Vulnerabilities: vulnSource{}}
		exec(t, db, "INSERT INTO churn_monthly (month, from_supplier, to_supplier, devices) VALUES ('2026-10', $1, $2, 12), ('2026-10', $2, $1, 3), ('2026-09', $1, $2, 5)", e.s1.ID, e.s2.ID)
		e.clock.set(ts("2026-11-02T07:00:00Z"))
		run, err := s.RunStanding(ctx, e.secretariat, e.october, RunOptions{Trigger: "ui"})
		if err != nil {
			t.Fatal(err)
		}
		if rec.count() != 0 {
			t.Errorf("a RED standing report was mailed")
		}
		// Named: the two SSC members, not the secretariat, and not a member
		// who joins later.
		late := addUser(t, db, "new@ssc.example", "SSC", sec.RoleSSCMember)
		for _, tc := range []struct {
			who  access.Caller
			sees bool
		}{{e.sscMember, true}, {e.sscOther, true}, {e.secretariat, false}, {late, false},
			{access.Caller{UserID: 7001, OrgID: e.s1.ID, Roles: []sec.Role{sec.RoleSupplier}, Via: "session"}, false}} {
			rs, err := s.List(ctx, tc.who, Filter{Kind: StandingKind})
			if err != nil {
				t.Fatal(err)
			}
			if (len(rs) == 1) != tc.sees {
				t.Errorf("%s sees %d standing reports, want seen=%v", tc.who.Name, len(rs), tc.sees)
			}
		}
		if run.Reports != 1 {
			t.Fatalf("standing run %+v", run)
		}
		r, _, err := s.Latest(ctx, e.sscMember, StandingKind)
		if err != nil {
			t.Fatal(err)
		}
		v, err := s.StandingReport(ctx, e.sscMember, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v.Data.Churn.Devices != 15 || len(v.Data.Churn.Flows) != 2 || v.Data.Churn.Trend[10].Devices != 5 || v.Data.Churn.Trend[11].Devices != 15 {
			t.Errorf("churn %+v", v.Data.Churn)
		}
		if v.Data.Vulnerabilities == nil || len(v.Data.Vulnerabilities.Open) != 1 || v.Data.Vulnerabilities.Open[0].Reference != "V-AMBER" || v.Data.Vulnerabilities.OverdueCount != 1 {
			t.Errorf("vulnerabilities %+v: the RED one must be left out", v.Data.Vulnerabilities)
		}
		if !slices.Equal(v.Data.Unavailable, []string{"certificates", "coverage", "standing items"}) { // this test connects the vulnerability source only
			t.Errorf("unavailable %v", v.Data.Unavailable)
		}
		dl, err := s.File(ctx, e.sscOther, r.ID, HTML)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"TLP:RED", "<svg", "Changes of supplier in October 2026", "Not available in this report"} {
			if !strings.Contains(string(dl.Bytes), want) {
				t.Errorf("standing HTML lacks %q", want)
			}
		}
		if _, err := s.File(ctx, e.secretariat, r.ID, PDF); !errs.Is(err, errs.NotFound) {
			t.Errorf("the secretariat downloading a RED report: %v", err)
		}
		// RED by default, for the SSC members: the SSC may name others who
		// are cleared for RED, through the audience service.
		if _, err := (&audience.Service{DB: db}).Set(ctx, e.sscMember, RecordKind, r.ID, audience.Input{Orgs: []string{}, Users: []string{"chair@ssc.example", "new@ssc.example"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, late, r.ID); err != nil {
			t.Errorf("a member named afterwards: %v", err)
		}
		if _, err := s.Get(ctx, e.sscOther, r.ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("a member no longer named: %v", err)
		}
	})
}

type vulnSource struct{}

func (vulnSource) StandingVulnerabilities(ctx context.Context, viewer access.Caller, day sec.Date) (VulnerabilityFacts, error) {
	if !viewer.IsSSC() || viewer.UserID != -1 {
		panic("the standing report must read as the SSC body")
	}
	return VulnerabilityFacts{Open: []VulnerabilityRow{
		{Reference: "V-AMBER", Title: "Weak key on a hub", State: "in_remediation", Material: true, OverduePlans: 1, Classification: sec.Amber},
		{Reference: "V-RED", Title: "Named people only", State: "reported", Classification: sec.Red},
	}}, nil
}

func TestStandingReportReadsTheVulnerabilityRegister(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEstate(t, db)
		fw, err := vulntest.Firmware(ctx, db, e.a1, "1.1")
		if err != nil {
			t.Fatal(err)
		}
		if err := vulntest.Portfolio(ctx, db, e.s1.ID, e.a1, fw, 0, 400); err != nil {
			t.Fatal(err)
		}
		yes := true
		v, err := vuln.NewService(db, nil).Report(ctx, sys, vuln.NewVulnerability{Title: "HAN join replay", Description: "A replayed join request joins the HAN.",
			Manufacturer: "MFA", Reporter: "MFA", Affected: []vuln.AffectedInput{{Model: "A1"}}, Material: &yes, MaterialityRationale: "Remote join."})
		if err != nil {
			t.Fatalf("%v (%v)", err, errs.As(err).Err)
		}
		e.clock.set(ts("2026-11-02T07:00:00Z"))
		s := NewService(db)
		if _, err := s.RunStanding(ctx, sys, e.october, RunOptions{}); err != nil {
			t.Fatal(err)
		}
		r, _, err := s.Latest(ctx, e.sscMember, StandingKind)
		if err != nil {
			t.Fatal(err)
		}
		sv, err := s.StandingReport(ctx, e.sscMember, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		vs := sv.Data.Vulnerabilities
		if vs == nil || len(vs.Open) != 1 || vs.Open[0].Reference != v.Ref || vs.OpenCount != 1 || vs.UnacknowledgedCount != 1 {
			t.Fatalf("vulnerability section %+v", vs)
		}
		var s1 bool
		for _, u := range vs.Unacknowledged {
			s1 = s1 || (u.Org.Code == "S1" && u.Devices >= 400 && u.Days == 23)
		}
		if !s1 {
			t.Errorf("S1 has not acknowledged, but the report does not say so: %+v", vs.Unacknowledged)
		}
		if len(sv.Data.Unavailable) != 0 {
			t.Errorf("unavailable %v", sv.Data.Unavailable)
		}
	})
}

func TestStandingReportReadsTheCoverageSnapshots(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEstate(t, db)
		cov := coverage.NewService(db)
		// (The coverage area's snapshot cannot hold the portfolio row of
		// Devices with no Responsible Supplier, supplier 0: its table's
		// foreign key refuses it.)
		exec(t, db, "DELETE FROM portfolio WHERE supplier_id = 0")
		// September's and October's snapshots as the coverage area takes
		// them: no arrangement is on record, so every obligated Device of S1
		// and S2 is in a gap; S1 inherits 40 more in October.
		if _, err := cov.Snapshot(ctx, sys, sec.MustParseDate("2026-09-30")); err != nil {
			t.Fatalf("%v (%v)", err, errs.As(err).Err)
		}
		addPortfolioFrom(t, db, e.s1.ID, e.a1, 7, 0, sec.SMETS2, sec.ESME, 40, "2026-10-15")
		if _, err := cov.Snapshot(ctx, sys, sec.MustParseDate("2026-10-31")); err != nil {
			t.Fatal(err)
		}
		var want = map[string][2]int64{} // supplier → September, October gap (+ steps)
		rows, err := db.QueryContext(ctx, `SELECT o.code, cs.month, SUM(cs.gap + cs.steps) FROM coverage_snapshots cs
			JOIN organisations o ON o.id = cs.supplier_id GROUP BY o.code, cs.month`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var code, month string
			var n int64
			rows.Scan(&code, &month, &n)
			w := want[code]
			if month == "2026-10" {
				w[1] = n
			} else {
				w[0] = n
			}
			want[code] = w
		}
		rows.Close()
		if want["S1"][1] != want["S1"][0]+40 || want["S1"][0] == 0 {
			t.Fatalf("the coverage area's snapshots: %v", want)
		}

		e.clock.set(ts("2026-11-02T07:00:00Z"))
		s := NewService(db)
		if _, err := s.RunStanding(ctx, sys, e.october, RunOptions{}); err != nil {
			t.Fatal(err)
		}
		r, _, _ := s.Latest(ctx, e.sscMember, StandingKind)
		v, err := s.StandingReport(ctx, e.sscMember, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		c := v.Data.Coverage
		if c == nil || len(c.Trend) != 12 || c.Trend[0].Month.String() != "2025-11" || c.Trend[10].Snapshot != true || c.Trend[9].Snapshot {
			t.Fatalf("coverage trend %+v", c)
		}
		if got := c.Trend[11].Gap + c.Trend[11].ReasonableSteps; got != want["S1"][1]+want["S2"][1] {
			t.Errorf("October: %d Devices uncovered, the snapshots say %d", got, want["S1"][1]+want["S2"][1])
		}
		for _, sc := range c.BySupplier {
			if w := want[sc.Supplier.Code]; sc.Gap+sc.ReasonableSteps != w[1] || len(sc.GapTrend) != 12 || sc.GapTrend[11] != sc.Gap {
				t.Errorf("%s: %+v, the snapshots say %d uncovered in October", sc.Supplier.Code, sc, w[1])
			}
		}
		dl, _ := s.File(ctx, e.sscMember, r.ID, HTML)
		if !strings.Contains(string(dl.Bytes), `aria-labelledby="coverage-trend-title coverage-trend-desc"`) {
			t.Error("the standing report has no coverage chart")
		}
	})
}
