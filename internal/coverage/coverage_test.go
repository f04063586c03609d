package coverage

import (
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

var day = sec.MustParseDate("2025-06-15")

// modelOf finds a model's row in a Supplier's coverage, in whichever list.
func modelOf(t *testing.T, sc SupplierCoverage, model string) ModelCoverage {
	t.Helper()
	for _, list := range sc.Lists() {
		for _, mc := range list {
			if mc.Manufacturer.Code+"/"+mc.Model.Code == model {
				return mc
			}
		}
	}
	t.Fatalf("%s has no row for %s", sc.Supplier.Code, model)
	return ModelCoverage{}
}

func supplierOf(t *testing.T, rep Report, code string) SupplierCoverage {
	t.Helper()
	for _, sc := range rep.Suppliers {
		if sc.Supplier.Code == code {
			return sc
		}
	}
	t.Fatalf("no coverage for %s in %+v", code, rep)
	return SupplierCoverage{}
}

type wantPart struct {
	status  Status
	route   Route
	devices int64
	refs    string // visible references, in order, "|" for a hidden one
	until   string
}

func checkParts(t *testing.T, mc ModelCoverage, want ...wantPart) {
	t.Helper()
	if len(mc.Parts) != len(want) {
		t.Fatalf("%s/%s: %d parts %+v, want %d", mc.Manufacturer.Code, mc.Model.Code, len(mc.Parts), mc.Parts, len(want))
	}
	for i, w := range want {
		p := mc.Parts[i]
		var refs []string
		for _, a := range p.Arrangements {
			if a.Visible {
				refs = append(refs, a.Reference)
			} else {
				refs = append(refs, "|")
			}
		}
		if p.Status != w.status || p.Route != w.route || p.Devices != w.devices || strings.Join(refs, ",") != w.refs || p.Until.String() != w.until {
			t.Errorf("%s/%s part %d: got %s %s %d refs %q until %s; want %s %s %d refs %q until %s\n  reason: %s",
				mc.Manufacturer.Code, mc.Model.Code, i, p.Status, p.Route, p.Devices, strings.Join(refs, ","), p.Until,
				w.status, w.route, w.devices, w.refs, w.until, p.Reason)
		}
		if p.Reason == "" {
			t.Errorf("%s/%s part %d has no reason", mc.Manufacturer.Code, mc.Model.Code, i)
		}
	}
}

// TestCoverageHandChecked walks the hand-built estate: direct, via MAP,
// scheme (and its build-standard cut-off), Letter of Intent, churn windows
// open and closed, expired, ended and pending arrangements, DCC Devices and
// the DP087 known gap.
func TestCoverageHandChecked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := handEstate(t, db)
		for _, naive := range []bool{false, true} {
			rep, err := f.cov.Compute(f.ctx, f.sys, Query{Date: day, Naive: naive})
			if err != nil {
				t.Fatal(err)
			}
			if rep.SECVersion.String() != "6.3" || len(rep.Suppliers) != 2 {
				t.Fatalf("version %s, %d suppliers", rep.SECVersion, len(rep.Suppliers))
			}
			a := supplierOf(t, rep, "SUPA")
			if want := (Counts{Devices: 448, Covered: 250, Steps: 5, Gap: 47, DCC: 100, DP087: 46}); a.Totals != want {
				t.Errorf("SUPA totals %+v, want %+v", a.Totals, want)
			}
			checkParts(t, modelOf(t, a, "MFA/E1"), wantPart{Covered, RouteDirect, 100, "A1", "2026-12-31"})
			// seeds/000: "any Manufacturer looking to gain CPA Certification
			// for a new Meter under the scheme, will be required to notify
			// the SSC directly": E2 (an ESME certified in 2021) is covered by
			// the build standard, whatever MFA's enrolment record says.
			checkParts(t, modelOf(t, a, "MFA/E2"), wantPart{Covered, RouteBuildStandard, 70, "", ""})
			g1 := modelOf(t, a, "MFB/G1")
			if g1.Status != Gap {
				t.Errorf("SUPA MFB/G1 is %s, want gap (its worst part)", g1.Status)
			}
			checkParts(t, g1,
				wantPart{Gap, RouteNone, 10, "", ""},
				wantPart{Steps, RouteChurn, 5, "", "2025-11-01"},
				wantPart{Covered, RouteMAP, 80, "A3,A4", "2027-05-31"})
			checkParts(t, modelOf(t, a, "MFB/C1"), wantPart{DCC, RouteDCC, 100, "", ""})
			// seeds/001: "Currently, by having the existing the G3.20 (b) line
			// in place, this results in Users not having a security obligation
			// to establish arrangements to be notified of security
			// vulnerabilities in any SMETS1 Device": a known defect, its own
			// status, saying whether an arrangement covers it anyway.
			h1 := modelOf(t, a, "MFC/H1")
			checkParts(t, h1, wantPart{DP087Gap, RouteNone, 40, "", ""})
			if p := h1.Parts[0]; !p.KnownGap || p.Arranged != "" || !strings.Contains(p.Reason, "DP087") || !strings.Contains(p.Reason, "No arrangement covers") {
				t.Errorf("SMETS1 hub with no arrangement should be the DP087 gap, not covered anyway: %+v", p)
			}
			gp1 := modelOf(t, a, "MFB/GP1")
			checkParts(t, gp1, wantPart{DP087Gap, RouteMAP, 6, "A3,A4", "2027-05-31"})
			if p := gp1.Parts[0]; !p.KnownGap || p.Arranged != Covered || !strings.Contains(p.Reason, "Covered anyway") {
				t.Errorf("SMETS1 GPF under MAPA's chain is covered anyway: %+v", p)
			}
			checkParts(t, modelOf(t, a, "MFC/S1"), wantPart{Gap, RouteNone, 25, "", ""})
			checkParts(t, modelOf(t, a, "MFC/P1"), wantPart{Gap, RouteNone, 12, "", ""})
			if len(a.DCC) != 1 || len(a.Exempt) != 0 || len(a.DP087) != 2 || len(a.Models) != 5 {
				t.Errorf("SUPA lists: %d models, %d DCC, %d exempt, %d DP087", len(a.Models), len(a.DCC), len(a.Exempt), len(a.DP087))
			}
			if a.Models[0].Status != Gap || a.Models[len(a.Models)-1].Status != Covered {
				t.Errorf("models not worst first: %s … %s", a.Models[0].Status, a.Models[len(a.Models)-1].Status)
			}

			b := supplierOf(t, rep, "SUPB")
			if want := (Counts{Devices: 171, Covered: 4, Steps: 77, Gap: 85, Exempt: 5}); b.Totals != want {
				t.Errorf("SUPB totals %+v, want %+v", b.Totals, want)
			}
			e1 := modelOf(t, b, "MFA/E1")
			checkParts(t, e1,
				wantPart{Gap, RouteNone, 70, "", ""},
				wantPart{Steps, RouteChurn, 30, "", "2025-09-01"})
			if !strings.Contains(e1.Parts[0].Reason, "legacy") {
				t.Errorf("the gap should say why MFA's scheme enrolment misses E1: %s", e1.Parts[0].Reason)
			}
			checkParts(t, modelOf(t, b, "MFB/G1"), wantPart{Steps, RouteLoI, 45, "A5", ""})
			s1 := modelOf(t, b, "MFC/S1")
			checkParts(t, s1, wantPart{Gap, RouteNone, 12, "", ""}, wantPart{Steps, RouteChurn, 2, "", "2025-11-01"},
				wantPart{Exempt, RouteExempt, 5, "", ""})
			if !strings.Contains(s1.Parts[2].Reason, "enrolled SMETS1 Devices only") {
				t.Errorf("the not-enrolled part should say why: %s", s1.Parts[2].Reason)
			}
			// The build standard's boundary, for a manufacturer with no
			// enrolment record: 21 June 2020 is before it, 22 June is on it.
			g0 := modelOf(t, b, "MFB/GB0")
			checkParts(t, g0, wantPart{Gap, RouteNone, 3, "", ""})
			if !strings.Contains(g0.Parts[0].Reason, "legacy agreement") {
				t.Errorf("the gap should say the legacy agreement is missing: %s", g0.Parts[0].Reason)
			}
			g2 := modelOf(t, b, "MFB/GB2")
			checkParts(t, g2, wantPart{Covered, RouteBuildStandard, 4, "", ""})
			if !strings.Contains(g2.Parts[0].Reason, "ESME, GSME") {
				t.Errorf("the build-standard reason should name the meter types: %s", g2.Parts[0].Reason)
			}
		}
	})
}

// TestCoverageNaiveAgrees: the aggregates and the Device scan agree on
// today and on later days (the aggregates hold the present, so a later day
// moves only arrangements, windows and releases), for everyone and for one
// Supplier; and on today the count from the supply periods agrees with both.
func TestCoverageNaiveAgrees(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := handEstate(t, db)
		for _, d := range []string{"2025-06-15", "2025-06-16", "2025-09-01", "2025-09-02", "2027-06-01"} {
			for _, sup := range []string{"", "SUPA", "SUPB"} {
				q := Query{Date: sec.MustParseDate(d), Supplier: sup}
				agg, err := f.cov.Compute(f.ctx, f.sys, q)
				if err != nil {
					t.Fatal(err)
				}
				if agg.Source != SourcePortfolio {
					t.Errorf("%s: source %q, want the aggregates", d, agg.Source)
				}
				q.Naive = true
				nv, err := f.cov.Compute(f.ctx, f.sys, q)
				if err != nil {
					t.Fatal(err)
				}
				if !SameCoverage(agg, nv) {
					t.Errorf("%s %q: aggregates and scan differ:\n%+v\n%+v", d, sup, agg, nv)
				}
				if d != "2025-06-15" {
					continue
				}
				// The same day counted from the supply periods, as if it
				// were already past.
				today := f.cov.Today
				f.cov.Today = func(time.Time) sec.Date { return sec.MustParseDate("2025-06-16") }
				q.Naive = false
				sp, err := f.cov.Compute(f.ctx, f.sys, q)
				f.cov.Today = today
				if err != nil {
					t.Fatal(err)
				}
				if sp.Source != SourceSupplyPeriods || !SameCoverage(agg, sp) {
					t.Errorf("%s %q: aggregates and supply periods differ (%s):\n%+v\n%+v", d, sup, sp.Source, agg, sp)
				}
			}
		}
	})
}

// TestCoverageMovesWithTheDay: arrangements come into and out of force,
// churn windows close, and before v5.20 SMETS1 is outside G3.20.
func TestCoverageMovesWithTheDay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := handEstate(t, db)
		at := func(d string) Report {
			rep, err := f.cov.Compute(f.ctx, f.sys, Query{Date: sec.MustParseDate(d)})
			if err != nil {
				t.Fatal(err)
			}
			return rep
		}
		// While A6 was in force SUPB's S1 was covered directly: the 10
		// enrolled by then. The 3 inherited on 1 May 2025 were not yet
		// SUPB's (a past day is the estate as it stood then), and 6 were
		// not enrolled on either day.
		checkParts(t, modelOf(t, supplierOf(t, at("2025-01-31"), "SUPB"), "MFC/S1"), wantPart{Covered, RouteDirect, 10, "A6", "2025-01-31"},
			wantPart{Exempt, RouteExempt, 6, "", ""})
		checkParts(t, modelOf(t, supplierOf(t, at("2025-02-01"), "SUPB"), "MFC/S1"), wantPart{Gap, RouteNone, 10, "", ""},
			wantPart{Exempt, RouteExempt, 6, "", ""})
		// On 1 May they arrive, inside their window.
		checkParts(t, modelOf(t, supplierOf(t, at("2025-05-01"), "SUPB"), "MFC/S1"), wantPart{Gap, RouteNone, 10, "", ""},
			wantPart{Steps, RouteChurn, 2, "", "2025-11-01"}, wantPart{Exempt, RouteExempt, 7, "", ""})
		// A7 ended from 1 May: the day before, it still covered SUPA.
		checkParts(t, modelOf(t, supplierOf(t, at("2025-04-30"), "SUPA"), "MFC/S1"), wantPart{Covered, RouteDirect, 25, "A7", "2025-04-30"})
		// The 30 inherited on 1 March: window open to 1 September inclusive.
		checkParts(t, modelOf(t, supplierOf(t, at("2025-09-01"), "SUPB"), "MFA/E1"),
			wantPart{Gap, RouteNone, 70, "", ""}, wantPart{Steps, RouteChurn, 30, "", "2025-09-01"})
		checkParts(t, modelOf(t, supplierOf(t, at("2025-09-02"), "SUPB"), "MFA/E1"), wantPart{Gap, RouteNone, 100, "", ""})
		// The 20 inherited on 1 October 2024 were in their window until 1 April.
		checkParts(t, modelOf(t, supplierOf(t, at("2025-04-01"), "SUPB"), "MFA/E1"),
			wantPart{Gap, RouteNone, 50, "", ""}, wantPart{Steps, RouteChurn, 50, "", "2025-04-01"})
		// Under v5.19 (mid 2019) SMETS1 is outside User obligations.
		old := at("2019-07-01")
		if old.SECVersion.String() != "5.19" {
			t.Fatalf("version %s", old.SECVersion)
		}
		if s1 := modelOf(t, supplierOf(t, old, "SUPB"), "MFC/S1"); s1.Status != Exempt || s1.Parts[0].KnownGap {
			t.Errorf("SMETS1 under v5.19: %+v", s1)
		}
		// A shorter churn window (a setting) closes SUPB's window earlier.
		f.cov.Settings.ChurnWindowMonths = 3
		checkParts(t, modelOf(t, supplierOf(t, at("2025-06-15"), "SUPB"), "MFA/E1"), wantPart{Gap, RouteNone, 100, "", ""})
		f.cov.Settings.ChurnWindowMonths = 6
		// Once the SSC confirms MFC's enrolment (with the legacy
		// arrangement), MFC's models are covered by the scheme.
		if _, err := f.arr.Confirm(f.ctx, f.sys, "A8"); err != nil {
			t.Fatal(err)
		}
		checkParts(t, modelOf(t, supplierOf(t, at("2025-06-15"), "SUPA"), "MFC/S1"), wantPart{Covered, RouteScheme, 25, "A8", ""})
		checkParts(t, modelOf(t, supplierOf(t, at("2025-06-15"), "SUPA"), "MFC/P1"), wantPart{Covered, RouteScheme, 12, "A8", ""})
		// The scheme counts from its effective date only.
		checkParts(t, modelOf(t, supplierOf(t, at("2025-05-31"), "SUPA"), "MFC/P1"), wantPart{Gap, RouteNone, 12, "", ""})
	})
}

// TestCoverageVisibility: a Supplier sees its own coverage only, and only
// the references of arrangements it may see; others see none.
func TestCoverageVisibility(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := handEstate(t, db)
		user := func(org string, role sec.Role) access.Caller {
			var uid int64
			email := strings.ToLower(org) + "@example.org"
			if err := db.Writer().QueryRowContext(f.ctx, `INSERT INTO users (org_id, email, name, password_hash, created_at, password_changed_at)
				VALUES ($1, $2, 'U', 'x', $3, $3) RETURNING id`, f.orgs[org], email, time.Now().UTC()).Scan(&uid); err != nil {
				t.Fatal(err)
			}
			return access.Caller{UserID: uid, OrgID: f.orgs[org], OrgCode: org, Name: email, Roles: []sec.Role{role}, Via: "session"}
		}
		supA := user("SUPA", sec.RoleSupplier)
		rep, err := f.cov.Compute(f.ctx, supA, Query{Date: day})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Suppliers) != 1 || rep.Suppliers[0].Supplier.Code != "SUPA" {
			t.Fatalf("SUPA sees %+v", rep.Suppliers)
		}
		// A4 (MAPA–MFB) is not SUPA's to see: named by kind and parties only.
		checkParts(t, modelOf(t, rep.Suppliers[0], "MFB/G1"),
			wantPart{Gap, RouteNone, 10, "", ""}, wantPart{Steps, RouteChurn, 5, "", "2025-11-01"},
			wantPart{Covered, RouteMAP, 80, "A3,|", "2027-05-31"})
		reason := modelOf(t, rep.Suppliers[0], "MFB/G1").Parts[2].Reason
		if !strings.Contains(reason, "MAPA and MFB") || strings.Contains(reason, "A4") {
			t.Errorf("hidden arrangement described as %q", reason)
		}
		if _, err := f.cov.Compute(f.ctx, supA, Query{Date: day, Supplier: "SUPB"}); !errs.Is(err, errs.NotFound) {
			t.Errorf("SUPA asking for SUPB: %v, want not found", err)
		}
		for _, c := range []access.Caller{user("MFA", sec.RoleManufacturer), user("MAPA", sec.RoleMAP), access.Public()} {
			rep, err := f.cov.Compute(f.ctx, c, Query{Date: day})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Suppliers) != 0 {
				t.Errorf("%s sees coverage: %+v", c.Name, rep.Suppliers)
			}
		}
		ssc := user("SSC", sec.RoleSSCMember)
		rep, err = f.cov.Compute(f.ctx, ssc, Query{Date: day})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Suppliers) != 2 {
			t.Fatalf("the SSC sees %d suppliers", len(rep.Suppliers))
		}
		checkParts(t, modelOf(t, supplierOf(t, rep, "SUPA"), "MFB/G1"),
			wantPart{Gap, RouteNone, 10, "", ""}, wantPart{Steps, RouteChurn, 5, "", "2025-11-01"},
			wantPart{Covered, RouteMAP, 80, "A3,A4", "2027-05-31"})
	})
}

func TestCoverageBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := handEstate(t, db)
		if _, err := f.cov.Compute(f.ctx, f.sys, Query{Date: sec.MustParseDate("2010-01-01")}); !errs.Is(err, errs.Invalid) {
			t.Errorf("a day before any SEC release: %v", err)
		}
		if _, err := f.cov.Compute(f.ctx, f.sys, Query{Date: day, Supplier: "MFA"}); !errs.Is(err, errs.NotFound) {
			t.Errorf("a manufacturer as Supplier: %v", err)
		}
	})
}

func TestMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := handEstate(t, db)
		rep, err := f.cov.Compute(f.ctx, f.sys, Query{Date: day})
		if err != nil {
			t.Fatal(err)
		}
		m := MatrixOf(rep)
		if len(m.Suppliers) != 2 || len(m.Manufacturers) != 3 {
			t.Fatalf("%d × %d", len(m.Suppliers), len(m.Manufacturers))
		}
		// SUPA × MFB: G1 80 covered + 5 steps + 10 gap, C1 100 DCC, GP1 6
		// in the DP087 gap.
		if want := (Counts{Devices: 201, Covered: 80, Steps: 5, Gap: 10, DCC: 100, DP087: 6}); m.Cells[0][1] != want {
			t.Errorf("SUPA × MFB = %+v, want %+v", m.Cells[0][1], want)
		}
		if m.Cells[0][1].CoveredPercent() != 84 {
			t.Errorf("SUPA × MFB covered %d%%", m.Cells[0][1].CoveredPercent())
		}
	})
}

func TestWindowOpenFrom(t *testing.T) {
	for _, months := range []int{1, 3, 6, 12, 24} {
		s := sec.DefaultSettings()
		s.ChurnWindowMonths = months
		for d := sec.MustParseDate("2023-12-01"); d.Before(sec.MustParseDate("2025-04-01")); d = d.AddDays(1) {
			from := WindowOpenFrom(s, d)
			// Every start from `from` on is open on d; the day before is closed.
			if s.ChurnWindowEnds(from).Before(d) || !s.ChurnWindowEnds(from.AddDays(-1)).Before(d) {
				t.Fatalf("%d months, %s: from %s is not the boundary", months, d, from)
			}
		}
	}
}

// TestLetterOfIntentSignatures: seeds/000, "The SSC will expect to see a
// contract or Letter of Intent signed by both parties". SUPB's Letter of
// Intent with MFB (A5) is reasonable steps while one party has signed, and
// covers G1 as a contract does from the day the second party signs.
func TestLetterOfIntentSignatures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := handEstate(t, db)
		at := func(d string) ModelCoverage {
			rep, err := f.cov.Compute(f.ctx, f.sys, Query{Date: sec.MustParseDate(d), Supplier: "SUPB"})
			if err != nil {
				t.Fatal(err)
			}
			return modelOf(t, supplierOf(t, rep, "SUPB"), "MFB/G1")
		}
		sign := func(sigs ...arrangement.SignatureInput) {
			t.Helper()
			a, err := f.arr.Update(f.ctx, f.sys, "A5", arrangement.Update{Signatures: &sigs})
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Signatures) != len(sigs) {
				t.Fatalf("signatures %+v", a.Signatures)
			}
		}
		sign(arrangement.SignatureInput{Party: "SUPB", Signed: "2025-01-20"})
		checkParts(t, at("2025-06-15"), wantPart{Steps, RouteLoI, 45, "A5", ""})
		sign(arrangement.SignatureInput{Party: "SUPB", Signed: "2025-01-20"}, arrangement.SignatureInput{Party: "mfb", Signed: "2025-06-15"})
		// The day before the second signature: reasonable steps; on it:
		// covered, directly, as by a contract.
		checkParts(t, at("2025-06-14"), wantPart{Steps, RouteLoI, 45, "A5", ""})
		g1 := at("2025-06-15")
		checkParts(t, g1, wantPart{Covered, RouteDirect, 45, "A5", ""})
		if !strings.Contains(g1.Parts[0].Reason, "signed by both parties") {
			t.Errorf("reason %q", g1.Parts[0].Reason)
		}
	})
}

// TestCertificatesAsOnTheDay: coverage on a past day reads a model's CPA
// certificates as they were then. MFA/E2 (an ESME) was first certified on
// 1 March 2021: from that day the build standard reaches it (seeds/000);
// the day before, it had no certificate, so the scheme's basis cannot be
// shown.
func TestCertificatesAsOnTheDay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := handEstate(t, db)
		// SUPA's E2 were installed in 2022; say 2020 here, so that they
		// stand in the estate on both days.
		f.exec("UPDATE devices SET supply_start = '2020-01-01' WHERE model_id = $1", f.models["MFA/E2"])
		at := func(d string) ModelCoverage {
			rep, err := f.cov.Compute(f.ctx, f.sys, Query{Date: sec.MustParseDate(d), Supplier: "SUPA"})
			if err != nil {
				t.Fatal(err)
			}
			return modelOf(t, supplierOf(t, rep, "SUPA"), "MFA/E2")
		}
		on := at("2021-03-01")
		checkParts(t, on, wantPart{Covered, RouteBuildStandard, 70, "", ""})
		before := at("2021-02-28")
		checkParts(t, before, wantPart{Gap, RouteNone, 70, "", ""})
		if !strings.Contains(before.Parts[0].Reason, "no CPA certificate") || !before.Model.Certified.IsZero() {
			t.Errorf("before its certificate: %+v %s", before.Model, before.Parts[0].Reason)
		}
	})
}
