package coverage

import (
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// pastWorld is a hand-built estate loaded through the estate's own
// importers and changes, so that its supply periods and MAP periods are the
// ones production writes. Today is 2025-06-15; the churn window is 6 months.
//
//	E1a  MFA/E1  SUPA from 2020-01-01, owned by MAPB throughout
//	E1b  MFA/E1  SUPA from 2020-01-01, SUPB from 2025-03-01 (churn)
//	E1c  MFA/E1  SUPA from 2020-01-01, SUPB from 2025-03-01, SUPA again from 2025-05-01
//	E1d  MFA/E1  SUPA from 2025-04-01 (installed then)
//	G1x3 MFB/G1  SUPB from 2021-01-01, owned by MAPB, then by MAPA from 2025-01-01
//
// SUPA has a direct contract for E1; SUPB has none with MFA, and is covered
// for MFB only through MAPA (its contract with MAPA, MAPA's with MFB).
type pastWorld struct {
	*fixture
	est *estate.Service
	g1  []estate.DeviceID
}

const (
	e1a = "0000000000000E1A"
	e1b = "0000000000000E1B"
	e1c = "0000000000000E1C"
	e1d = "0000000000000E1D"
)

func newPastWorld(t *testing.T, db *store.DB) *pastWorld {
	f := newFixture(t, db)
	for _, o := range [][2]string{{"SSC", "ssc"}, {"SUPA", "large_supplier"}, {"SUPB", "small_supplier"}, {"MAPA", "map"}, {"MAPB", "map"},
		{"MFA", "manufacturer"}, {"MFB", "manufacturer"}} {
		f.org(o[0], o[1])
	}
	f.model("MFA", "E1", sec.ESME, sec.SMETS2, "2019-01-10")
	f.model("MFB", "G1", sec.GSME, sec.SMETS2, "2018-05-01")
	w := &pastWorld{fixture: f, est: estate.NewService(db)}
	w.est.Today = f.cov.Today
	devices := strings.Join(estate.DeviceHeader, ",") + "\n" +
		e1a + ",ESME,SMETS2+,MFA,E1,1.0,SUPA,2020-01-01,MAPB,domestic,\n" +
		e1b + ",ESME,SMETS2+,MFA,E1,1.0,SUPA,2020-01-01,MAPB,domestic,\n" +
		e1c + ",ESME,SMETS2+,MFA,E1,1.0,SUPA,2020-01-01,MAPB,domestic,\n" +
		e1d + ",ESME,SMETS2+,MFA,E1,1.0,SUPA,2025-04-01,MAPB,domestic,\n"
	for i := range 3 {
		id := "00000000000006" + string(rune('1'+i)) + "0"
		devices += id + ",GSME,SMETS2+,MFB,G1,1.0,SUPB,2021-01-01,MAPB,domestic,\n"
		d, err := estate.ParseDeviceID(id)
		if err != nil {
			t.Fatal(err)
		}
		w.g1 = append(w.g1, d)
	}
	if _, err := w.est.ImportDevices(f.ctx, f.sys, strings.NewReader(devices), estate.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	churn := strings.Join(estate.ChurnHeader, ",") + "\n" +
		e1b + ",SUPB,2025-03-01\n" + e1c + ",SUPB,2025-03-01\n" + e1c + ",SUPA,2025-05-01\n"
	if _, err := w.est.ImportChurn(f.ctx, f.sys, strings.NewReader(churn), estate.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, id := range w.g1 {
		if _, err := w.est.ChangeMAP(f.ctx, f.sys, estate.MAPChange{DeviceID: id, NewMAP: "MAPA", Effective: sec.MustParseDate("2025-01-01")}); err != nil {
			t.Fatal(err)
		}
	}
	const mat = "Any vulnerability rated CVSS 7.0 or above"
	f.arrange(arrangement.Input{Reference: "A1", Kind: "supplier_manufacturer", Supplier: "SUPA", Manufacturer: "MFA",
		Models: []string{"E1"}, Materiality: mat, Signed: "2019-12-01", Effective: "2020-01-01"})
	f.arrange(arrangement.Input{Reference: "A3", Kind: "supplier_map", Supplier: "SUPB", MAP: "MAPA", AllModels: true,
		Materiality: mat, Signed: "2020-01-01", Effective: "2020-01-01"})
	f.arrange(arrangement.Input{Reference: "A4", Kind: "map_manufacturer", MAP: "MAPA", Manufacturer: "MFB", AllModels: true,
		Materiality: mat, Signed: "2019-06-01", Effective: "2019-06-01"})
	return w
}

func (w *pastWorld) at(d string) Report {
	w.t.Helper()
	rep, err := w.cov.Compute(w.ctx, w.sys, Query{Date: sec.MustParseDate(d)})
	if err != nil {
		w.t.Fatal(err)
	}
	return rep
}

// absent checks that a Supplier has no row for a model on the day.
func absent(t *testing.T, rep Report, supplier, model string) {
	t.Helper()
	for _, sc := range rep.Suppliers {
		if sc.Supplier.Code != supplier {
			continue
		}
		for _, list := range sc.Lists() {
			for _, mc := range list {
				if mc.Manufacturer.Code+"/"+mc.Model.Code == model {
					t.Errorf("%s %s: %s has %+v, want none", rep.Date, supplier, model, mc.Counts)
				}
			}
		}
	}
}

// TestCoverageOnAPastDay (issue 13 point 5): coverage on a past day is the
// estate as it stood that day, the Responsible Supplier from the supply
// periods, never today's estate. Seeds/000: "Energy Suppliers must enter into
// 'churn' contracts with MAPs when a Device is inherited on churn, if not
// covered by SSC arrangements"; seeds/003: Suppliers "can still operate
// SMETS2 meters inherited on churn as long as they are taking reasonable
// steps to agree a contract with a MAP or meter manufacturer" (the window,
// LC50.5, 6 months by default).
func TestCoverageOnAPastDay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newPastWorld(t, db)
		e1 := func(rep Report, supplier string) ModelCoverage {
			return modelOf(t, supplierOf(t, rep, supplier), "MFA/E1")
		}
		// The day before the churn: all three of the 2020 Devices are
		// SUPA's; E1d is not installed yet; SUPB has no E1.
		before := w.at("2025-02-28")
		if before.Source != SourceSupplyPeriods || !strings.Contains(before.Basis, "computed from supply periods as at 2025-02-28") {
			t.Errorf("source %q basis %q", before.Source, before.Basis)
		}
		checkParts(t, e1(before, "SUPA"), wantPart{Covered, RouteDirect, 3, "A1", ""})
		absent(t, before, "SUPB", "MFA/E1")
		// On the churn day the new Supplier is responsible (periods include
		// their start): inherited, inside the window that closes on
		// 1 September.
		on := w.at("2025-03-01")
		checkParts(t, e1(on, "SUPA"), wantPart{Covered, RouteDirect, 1, "A1", ""})
		checkParts(t, e1(on, "SUPB"), wantPart{Steps, RouteChurn, 2, "", "2025-09-01"})
		// E1d on each side of its installation.
		checkParts(t, e1(w.at("2025-03-31"), "SUPA"), wantPart{Covered, RouteDirect, 1, "A1", ""})
		checkParts(t, e1(w.at("2025-04-01"), "SUPA"), wantPart{Covered, RouteDirect, 2, "A1", ""})
		// E1c goes back to SUPA on 1 May: the day before it is still in
		// SUPB's window (a closed period, inherited), on the day it is not.
		checkParts(t, e1(w.at("2025-04-30"), "SUPB"), wantPart{Steps, RouteChurn, 2, "", "2025-09-01"})
		may := w.at("2025-05-01")
		checkParts(t, e1(may, "SUPB"), wantPart{Steps, RouteChurn, 1, "", "2025-09-01"})
		checkParts(t, e1(may, "SUPA"), wantPart{Covered, RouteDirect, 3, "A1", ""})
		// Today, from the aggregates: the same as the supply periods say.
		today := w.at("2025-06-15")
		if today.Source != SourcePortfolio {
			t.Errorf("today's source %q", today.Source)
		}
		checkParts(t, e1(today, "SUPB"), wantPart{Steps, RouteChurn, 1, "", "2025-09-01"})
		// The window's last day, and the day after (later days read today's
		// estate, which nothing changes after).
		checkParts(t, e1(w.at("2025-09-01"), "SUPB"), wantPart{Steps, RouteChurn, 1, "", "2025-09-01"})
		checkParts(t, e1(w.at("2025-09-02"), "SUPB"), wantPart{Gap, RouteNone, 1, "", ""})
		// A past day after the window closed, counted from the supply
		// periods: move today on a year and ask for 2 September again.
		w.cov.Today = func(time.Time) sec.Date { return sec.MustParseDate("2026-06-15") }
		late := w.at("2025-09-02")
		if late.Source != SourceSupplyPeriods {
			t.Errorf("source %q", late.Source)
		}
		checkParts(t, e1(late, "SUPB"), wantPart{Gap, RouteNone, 1, "", ""})
		checkParts(t, e1(w.at("2025-09-01"), "SUPB"), wantPart{Steps, RouteChurn, 1, "", "2025-09-01"})
		// Before any Device was installed there is nothing to report.
		if early := w.at("2019-12-31"); len(early.Suppliers) != 0 {
			t.Errorf("2019-12-31: %+v", early.Suppliers)
		}
	})
}

// TestCoverageUsesTheMAPOfTheDay (issue 13 point 8): the MAP that owns a
// Device changes, and a past day's coverage and obligations use the MAP of
// that day. Seeds/000: Suppliers need "contractual arrangements in place with
// Device manufacturers, either directly or via Meter Asset Providers (MAPs)".
func TestCoverageUsesTheMAPOfTheDay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newPastWorld(t, db)
		g1 := func(d string) ModelCoverage { return modelOf(t, supplierOf(t, w.at(d), "SUPB"), "MFB/G1") }
		// Owned by MAPB, which has no contract with MFB: a gap, the day
		// before the change.
		checkParts(t, g1("2024-12-31"), wantPart{Gap, RouteNone, 3, "", ""})
		if p := g1("2024-12-31").Parts[0]; p.MAP == nil || p.MAP.Code != "MAPB" {
			t.Errorf("MAP on 2024-12-31: %+v", p.MAP)
		}
		// From the day of the change, MAPA's chain covers them.
		checkParts(t, g1("2025-01-01"), wantPart{Covered, RouteMAP, 3, "A3,A4", ""})
		checkParts(t, g1("2025-06-15"), wantPart{Covered, RouteMAP, 3, "A3,A4", ""})

		// obligations --date: the same Device on each side of the change.
		for _, c := range []struct {
			day, mapCode string
			status       Status
		}{{"2024-12-31", "MAPB", Gap}, {"2025-01-01", "MAPA", Covered}} {
			ex, err := w.cov.Explain(w.ctx, w.sys, w.g1[0].String(), sec.MustParseDate(c.day), "")
			if err != nil {
				t.Fatal(err)
			}
			if ex.Device.MAP == nil || ex.Device.MAP.Code != c.mapCode {
				t.Errorf("%s: MAP %+v, want %s", c.day, ex.Device.MAP, c.mapCode)
			}
			if ex.Coverage == nil || ex.Coverage.Status != c.status {
				t.Errorf("%s: coverage %+v, want %s", c.day, ex.Coverage, c.status)
			}
		}

		// The Device's history shows both owners.
		d, err := w.est.Device(w.ctx, w.sys, w.g1[0])
		if err != nil {
			t.Fatal(err)
		}
		if len(d.MAPHistory) != 2 || d.MAPHistory[0].MAP != "MAPA" || d.MAPHistory[0].Start.String() != "2025-01-01" ||
			d.MAPHistory[1].MAP != "MAPB" || d.MAPHistory[1].Start.String() != "2021-01-01" || d.MAPHistory[1].End.String() != "2025-01-01" {
			t.Errorf("MAP history %+v", d.MAPHistory)
		}
	})
}

// TestPastDayAgreesWithTheAggregates: the supply-period count of today equals
// the aggregates' after every kind of change the estate records (import,
// churn twice, MAP changes), for everyone and for each Supplier.
func TestPastDayAgreesWithTheAggregates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newPastWorld(t, db)
		for _, sup := range []string{"", "SUPA", "SUPB"} {
			agg, err := w.cov.Compute(w.ctx, w.sys, Query{Date: day, Supplier: sup})
			if err != nil {
				t.Fatal(err)
			}
			w.cov.Today = func(time.Time) sec.Date { return day.AddDays(1) }
			sp, err := w.cov.Compute(w.ctx, w.sys, Query{Date: day, Supplier: sup})
			w.cov.Today = w.arr.Today
			if err != nil {
				t.Fatal(err)
			}
			if agg.Source != SourcePortfolio || sp.Source != SourceSupplyPeriods || !SameCoverage(agg, sp) {
				t.Errorf("%q: aggregates and supply periods differ:\n%+v\n%+v", sup, agg, sp)
			}
		}
	})
}
