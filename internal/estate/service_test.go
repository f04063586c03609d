package estate

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

func TestDeviceVisibilityByRole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		all := []DeviceID{d1, d2, d3, d4, d5}
		want := map[string][]DeviceID{
			"SUPA":   {d1, d4, d5}, // its current Devices, removed ones too
			"SUPB":   {d2, d3},     // not d1 or d5, which it supplied before
			"MAPA":   {d1, d5},     // the Devices it owns
			"MFA":    {d1, d2, d5}, // its model's Devices
			"MFB":    {d3, d4},     //
			"DCC":    {d3},         // SMETS2+ CHF only, not the SMETS1 one
			"SSC":    all,          //
			"SECAS":  all,          //
			"system": all,          //
			"OTH":    nil,          //
			"OPS":    nil,          // the administrator is not cleared for the estate
			"public": nil,          //
		}
		for who, ids := range want {
			c := f.callers[who]
			for _, id := range all {
				d, err := f.svc.Device(f.ctx, c, id)
				switch {
				case slices.Contains(ids, id) && err != nil:
					t.Errorf("%s: Device(%s): %v", who, id, err)
				case slices.Contains(ids, id) && d.ID != id:
					t.Errorf("%s: Device(%s) = %s", who, id, d.ID)
				case !slices.Contains(ids, id) && !errs.Is(err, errs.NotFound):
					t.Errorf("%s: Device(%s) err = %v, want NotFound", who, id, err)
				}
				_, err = f.svc.ResponsibleOn(f.ctx, c, id, sec.MustParseDate("2025-01-01"))
				if slices.Contains(ids, id) != (err == nil) {
					t.Errorf("%s: ResponsibleOn(%s): %v", who, id, err)
				}
			}
		}
		if _, err := f.svc.Device(f.ctx, f.callers["SSC"], DeviceID(0x99)); !errs.Is(err, errs.NotFound) {
			t.Errorf("absent Device: %v", err)
		}
	})
}

func TestDeviceHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		d, err := f.svc.Device(f.ctx, f.callers["MAPA"], d1)
		if err != nil {
			t.Fatal(err)
		}
		if d.Supplier != "SUPA" || d.Manufacturer != "MFA" || d.Model != "E1" || d.Firmware != "1.0" || d.MAP != "MAPA" ||
			d.DeviceType != sec.ESME || d.Generation != sec.SMETS2 || !d.Inherited || d.Status != Installed || d.Premises != Domestic {
			t.Errorf("device = %+v", d)
		}
		want := []SupplyPeriod{
			{Supplier: "SUPA", Start: sec.MustParseDate("2024-03-01")},
			{Supplier: "SUPB", Start: sec.MustParseDate("2020-01-01"), End: sec.MustParseDate("2024-03-01")},
			{Supplier: "SUPA", Start: sec.MustParseDate("2018-05-01"), End: sec.MustParseDate("2020-01-01")},
		}
		if !slices.Equal(d.Supply, want) {
			t.Errorf("supply = %+v, want %+v", d.Supply, want)
		}
		if len(d.FirmwareHistory) != 1 || d.FirmwareHistory[0].Firmware != "1.0" {
			t.Errorf("firmware history = %+v", d.FirmwareHistory)
		}
		// The current Supplier learns when it inherited the Device, not from
		// whom; its own earlier period it sees.
		d, err = f.svc.Device(f.ctx, f.callers["SUPA"], d1)
		if err != nil {
			t.Fatal(err)
		}
		want[1].Supplier = AnotherSupplier
		if !slices.Equal(d.Supply, want) {
			t.Errorf("supply as SUPA = %+v, want %+v", d.Supply, want)
		}
		p, err := f.svc.ResponsibleOn(f.ctx, f.callers["SUPA"], d1, sec.MustParseDate("2021-01-01"))
		if err != nil || p.Supplier != AnotherSupplier {
			t.Errorf("responsible in 2021 as SUPA: %+v, %v", p, err)
		}
		// The ID with its top bit set reads back as itself.
		d, err = f.svc.Device(f.ctx, f.callers["SUPA"], d5)
		if err != nil || d.ID != d5 || d.ID.String() != "F0-1A-2B-3C-4D-5E-6F-05" {
			t.Errorf("d5 = %v, %v", d.ID, err)
		}
	})
}

func TestResponsibleOnBoundaries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ssc := f.callers["SSC"]
		for _, tt := range []struct {
			day, supplier, start, end string
		}{
			{"2018-05-01", "SUPA", "2018-05-01", "2020-01-01"}, // start inclusive
			{"2019-12-31", "SUPA", "2018-05-01", "2020-01-01"},
			{"2020-01-01", "SUPB", "2020-01-01", "2024-03-01"}, // end exclusive
			{"2024-02-29", "SUPB", "2020-01-01", "2024-03-01"},
			{"2024-03-01", "SUPA", "2024-03-01", ""}, // the current period
			{"2031-01-01", "SUPA", "2024-03-01", ""},
		} {
			p, err := f.svc.ResponsibleOn(f.ctx, ssc, d1, sec.MustParseDate(tt.day))
			if err != nil {
				t.Errorf("%s: %v", tt.day, err)
				continue
			}
			var end sec.Date
			if tt.end != "" {
				end = sec.MustParseDate(tt.end)
			}
			if p.Supplier != tt.supplier || p.Start != sec.MustParseDate(tt.start) || p.End != end {
				t.Errorf("%s: %+v, want %s [%s, %s)", tt.day, p, tt.supplier, tt.start, tt.end)
			}
		}
		_, err := f.svc.ResponsibleOn(f.ctx, ssc, d1, sec.MustParseDate("2018-04-30"))
		if !errs.Is(err, errs.NotFound) || !strings.Contains(err.Error(), "first supply period began on 2018-05-01") {
			t.Errorf("before the first period: %v", err)
		}
		// A Device with no closed periods: before its current one.
		_, err = f.svc.ResponsibleOn(f.ctx, ssc, d2, sec.MustParseDate("2020-12-31"))
		if !errs.Is(err, errs.NotFound) || !strings.Contains(err.Error(), "began on 2021-01-01") {
			t.Errorf("before the current period: %v", err)
		}
		if _, err := f.svc.ResponsibleOn(f.ctx, ssc, d1, sec.Date{}); !errs.Is(err, errs.Invalid) {
			t.Errorf("no date: %v", err)
		}
	})
}

func TestUpgradeFirmware(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		supA := f.callers["SUPA"]
		d, err := f.svc.UpgradeFirmware(f.ctx, supA, d1, "1.1", sec.MustParseDate("2025-01-10"))
		if err != nil {
			t.Fatal(err)
		}
		if d.Firmware != "1.1" || d.FirmwareSince != sec.MustParseDate("2025-01-10") {
			t.Errorf("after upgrade: %+v", d)
		}
		// The group of 1.0 lost one (d5 remains), the group of 1.1 gained it.
		if g0, g1 := f.group("SUPA", "MFA/E1", "1.0", "MAPA"), f.group("SUPA", "MFA/E1", "1.1", "MAPA"); g0 != 1 || g1 != 1 {
			t.Errorf("groups 1.0=%d 1.1=%d, want 1 and 1", g0, g1)
		}
		f.verifyOK()
		// A downgrade is recorded too, from a later day; today when none.
		d, err = f.svc.UpgradeFirmware(f.ctx, f.callers["SSC"], d1, "0.9", sec.Date{})
		if err != nil {
			t.Fatal(err)
		}
		want := []FirmwarePeriod{
			{Firmware: "0.9", Since: sec.MustParseDate("2025-06-15")},
			{Firmware: "1.1", Since: sec.MustParseDate("2025-01-10"), Until: sec.MustParseDate("2025-06-15")},
			{Firmware: "1.0", Since: sec.MustParseDate("2020-01-01"), Until: sec.MustParseDate("2025-01-10")},
		}
		if !slices.Equal(d.FirmwareHistory, want) {
			t.Errorf("firmware history = %+v, want %+v", d.FirmwareHistory, want)
		}
		if g := f.group("SUPA", "MFA/E1", "1.1", "MAPA"); g != 0 {
			t.Errorf("emptied group still counts %d", g)
		}
		f.verifyOK()
		if n := f.audits(d1, "device.firmware"); n != 2 {
			t.Errorf("%d audit records, want 2", n)
		}

		// Refusals.
		for _, tt := range []struct {
			name, who, fw, since string
			id                   DeviceID
			code                 errs.Code
			says                 string
		}{
			{"not in the catalogue", "SUPA", "9.9", "2025-07-01", d1, errs.Invalid, `firmware: "9.9" is not a firmware version of model MFA/E1`},
			{"a removed Device on its own firmware", "SUPA", "1.0", "2025-07-01", d4, errs.Conflict, "already runs"},
			{"the same firmware", "SUPA", "0.9", "2025-07-01", d1, errs.Conflict, "already runs firmware 0.9"},
			{"before the current", "SUPA", "1.0", "2025-06-14", d1, errs.Invalid, "since: 2025-06-14 is before 2025-06-15"},
			{"empty", "SUPA", " ", "2025-07-01", d1, errs.Invalid, "firmware: is required"},
			{"a former Supplier", "SUPB", "1.0", "2025-07-01", d1, errs.NotFound, "no Device with that ID"},
			{"the manufacturer", "MFA", "1.0", "2025-07-01", d1, errs.Forbidden, "Responsible Supplier"},
			{"the MAP", "MAPA", "1.0", "2025-07-01", d1, errs.Forbidden, "Responsible Supplier"},
			{"the administrator", "OPS", "1.0", "2025-07-01", d1, errs.NotFound, "no Device with that ID"},
		} {
			_, err := f.svc.UpgradeFirmware(f.ctx, f.callers[tt.who], tt.id, tt.fw, sec.MustParseDate(tt.since))
			if !errs.Is(err, tt.code) || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("%s: err = %v, want %s saying %q", tt.name, err, tt.code, tt.says)
			}
		}
		// A removed Device changes firmware without touching the portfolio.
		if _, err := f.svc.UpgradeFirmware(f.ctx, supA, d4, "1.0", sec.Date{}); !errs.Is(err, errs.Conflict) {
			t.Errorf("d4 same firmware: %v", err)
		}
		f.exec("INSERT INTO firmware_versions (model_id, version, created_at, updated_at) VALUES ($1, '2.0', '2025-01-01', '2025-01-01')", f.models["MFB/C0"])
		if _, err := f.svc.UpgradeFirmware(f.ctx, supA, d4, "2.0", sec.Date{}); err != nil {
			t.Fatal(err)
		}
		f.verifyOK()
	})
}

func TestSetStatus(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		supA := f.callers["SUPA"]
		// Leaving installed takes d1 out of both aggregates.
		d, err := f.svc.SetStatus(f.ctx, supA, d1, Removed)
		if err != nil || d.Status != Removed {
			t.Fatalf("remove: %+v, %v", d, err)
		}
		if g, ig := f.group("SUPA", "MFA/E1", "1.0", "MAPA"), f.inheritedGroup("SUPA", "MFA/E1", "MAPA", "2024-03-01"); g != 1 || ig != 1 {
			t.Errorf("after remove: group %d inherited %d, want 1 and 1", g, ig)
		}
		f.verifyOK()
		if _, err := f.svc.SetStatus(f.ctx, supA, d5, InTriage); err != nil {
			t.Fatal(err)
		}
		if g, ig := f.group("SUPA", "MFA/E1", "1.0", "MAPA"), f.inheritedGroup("SUPA", "MFA/E1", "MAPA", "2024-03-01"); g != 0 || ig != 0 {
			t.Errorf("both out: group %d inherited %d", g, ig)
		}
		f.verifyOK()
		// Entering installed puts them back.
		if _, err := f.svc.SetStatus(f.ctx, f.callers["SSC"], d1, Installed); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SetStatus(f.ctx, supA, d5, Installed); err != nil {
			t.Fatal(err)
		}
		if g, ig := f.group("SUPA", "MFA/E1", "1.0", "MAPA"), f.inheritedGroup("SUPA", "MFA/E1", "MAPA", "2024-03-01"); g != 2 || ig != 2 {
			t.Errorf("back: group %d inherited %d, want 2 and 2", g, ig)
		}
		f.verifyOK()
		// A removed Device comes back into the portfolio.
		if _, err := f.svc.SetStatus(f.ctx, supA, d4, Installed); err != nil {
			t.Fatal(err)
		}
		if g := f.group("SUPA", "MFB/C0", "1.0", ""); g != 1 {
			t.Errorf("d4 reinstalled: group %d", g)
		}
		f.verifyOK()

		for _, tt := range []struct {
			name, who string
			id        DeviceID
			to        Status
			code      errs.Code
			says      string
		}{
			{"dispose of an installed Device", "SUPA", d1, Disposed, errs.Conflict, "possible from \"installed\": remove, triage"},
			{"already installed", "SUPA", d1, Installed, errs.Conflict, "already installed"},
			{"unknown status", "SUPA", d1, Status("lost"), errs.Invalid, "status"},
			{"the manufacturer", "MFA", d1, Removed, errs.Forbidden, "Responsible Supplier"},
			{"the DCC on its hub", "DCC", d3, Removed, errs.Forbidden, "Responsible Supplier"},
			{"another Supplier", "SUPB", d1, Removed, errs.NotFound, "no Device with that ID"},
		} {
			_, err := f.svc.SetStatus(f.ctx, f.callers[tt.who], tt.id, tt.to)
			if !errs.Is(err, tt.code) || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("%s: err = %v, want %s saying %q", tt.name, err, tt.code, tt.says)
			}
		}
		// Disposed is final.
		if _, err := f.svc.SetStatus(f.ctx, f.callers["SUPB"], d2, Removed); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SetStatus(f.ctx, f.callers["SUPB"], d2, Disposed); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.SetStatus(f.ctx, f.callers["SSC"], d2, Installed)
		if !errs.Is(err, errs.Conflict) || !strings.Contains(err.Error(), "nothing can happen from \"disposed\"") {
			t.Errorf("from disposed: %v", err)
		}
		f.verifyOK()
		if n := f.audits(d2, "device.status"); n != 2 {
			t.Errorf("%d audit records for d2, want 2", n)
		}
		d, _ = f.svc.Device(f.ctx, f.callers["SUPB"], d2)
		if got := StatusChoices(f.callers["SUPB"], d); len(got) != 0 {
			t.Errorf("choices from disposed: %v", got)
		}
		d, _ = f.svc.Device(f.ctx, supA, d1)
		if got := StatusChoices(supA, d); !slices.Equal(got, []Status{Removed, InTriage}) {
			t.Errorf("choices from installed: %v", got)
		}
		if got := StatusChoices(f.callers["MFA"], d); len(got) != 0 {
			t.Errorf("manufacturer's choices: %v", got)
		}
	})
}

func TestPortfolioVisibility(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		// Installed: d1+d5 (SUPA E1 1.0 MAPA), d2 (SUPB E1 1.1), d3 (SUPB C1 1.0).
		key := func(r PortfolioRow) string {
			return r.Supplier + " " + r.Manufacturer + "/" + r.Model + " " + r.Firmware + " " + r.MAP
		}
		all := []string{"SUPA MFA/E1 1.0 MAPA=2", "SUPB MFA/E1 1.1 =1", "SUPB MFB/C1 1.0 =1"}
		for who, want := range map[string][]string{
			"SUPA":   {all[0]},
			"SUPB":   {all[1], all[2]},
			"MFA":    {all[0], all[1]},
			"MFB":    {all[2]},
			"MAPA":   {all[0]},
			"DCC":    {all[2]},
			"SSC":    all,
			"SECAS":  all,
			"system": all,
			"OTH":    nil,
			"OPS":    nil,
			"public": nil,
		} {
			rows, err := f.svc.Portfolio(f.ctx, f.callers[who], PortfolioQuery{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rows {
				got = append(got, key(r)+"="+strconv.FormatInt(r.Devices, 10))
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s sees %v, want %v", who, got, want)
			}
			// The page's head and sums (PortfolioHead) say the same as
			// the whole portfolio, with the same visibility.
			for limit := 1; limit <= 3; limit++ {
				head, shares, err := f.svc.PortfolioHead(f.ctx, f.callers[who], PortfolioQuery{}, limit)
				if err != nil {
					t.Fatal(err)
				}
				if len(head) != min(limit, len(rows)) {
					t.Errorf("%s, head of %d: %d rows, want %d", who, limit, len(head), min(limit, len(rows)))
				}
				for _, h := range head {
					if !slices.Contains(rows, h) {
						t.Errorf("%s, head of %d: %v is not in the portfolio", who, limit, h)
					}
				}
				wantShares := map[PortfolioShare]bool{}
				for _, r := range rows {
					wantShares[PortfolioShare{Manufacturer: r.Manufacturer, Generation: r.Generation}] = true
				}
				n, sum, wantSum := 0, int64(0), int64(0)
				for _, sh := range shares {
					if !wantShares[PortfolioShare{Manufacturer: sh.Manufacturer, Generation: sh.Generation}] {
						t.Errorf("%s: share %+v is not in the portfolio", who, sh)
					}
					n += sh.Rows
					sum += sh.Devices
				}
				for _, r := range rows {
					wantSum += r.Devices
				}
				if n != len(rows) || sum != wantSum {
					t.Errorf("%s: shares sum to %d rows, %d Devices; want %d, %d", who, n, sum, len(rows), wantSum)
				}
			}
		}
		if _, _, err := f.svc.PortfolioHead(f.ctx, f.callers["SSC"], PortfolioQuery{}, 0); !errs.Is(err, errs.Invalid) {
			t.Errorf("a head of 0 rows: %v, want invalid", err)
		}
		ssc := f.callers["SSC"]
		for _, tt := range []struct {
			q    PortfolioQuery
			want int
		}{
			{PortfolioQuery{Supplier: "supb"}, 2},
			{PortfolioQuery{Manufacturer: "MFA"}, 2},
			{PortfolioQuery{MAP: "MAPA"}, 1},
			{PortfolioQuery{Supplier: "SUPB", Manufacturer: "MFB"}, 1},
			{PortfolioQuery{Supplier: "NOPE"}, 0},
		} {
			rows, err := f.svc.Portfolio(f.ctx, ssc, tt.q)
			if err != nil || len(rows) != tt.want {
				t.Errorf("%+v: %d rows (%v), want %d", tt.q, len(rows), err, tt.want)
			}
			// The page's sums join only what the filter needs.
			_, shares, err := f.svc.PortfolioHead(f.ctx, ssc, tt.q, 10)
			n := 0
			for _, sh := range shares {
				n += sh.Rows
			}
			if err != nil || n != tt.want {
				t.Errorf("%+v: the page's sums count %d rows (%v), want %d", tt.q, n, err, tt.want)
			}
		}
		// A Supplier's filter on another Supplier finds nothing.
		if rows, _ := f.svc.Portfolio(f.ctx, f.callers["SUPA"], PortfolioQuery{Supplier: "SUPB"}); len(rows) != 0 {
			t.Errorf("SUPA filtering on SUPB: %v", rows)
		}
		tot, err := f.svc.PortfolioTotals(f.ctx, ssc, PortfolioQuery{})
		if err != nil {
			t.Fatal(err)
		}
		wantTot := []PortfolioTotal{{"SUPA", sec.SMETS2, sec.ESME, 2}, {"SUPB", sec.SMETS2, sec.CHF, 1}, {"SUPB", sec.SMETS2, sec.ESME, 1}}
		if !slices.Equal(tot, wantTot) {
			t.Errorf("totals = %v, want %v", tot, wantTot)
		}
		tot, _ = f.svc.PortfolioTotals(f.ctx, f.callers["DCC"], PortfolioQuery{})
		if len(tot) != 1 || tot[0].DeviceType != sec.CHF {
			t.Errorf("DCC totals = %v", tot)
		}

		// A manufacturer's operators: its own models only, summed over
		// firmware and MAP; a Supplier sees itself among them at most.
		wantOps := []Operator{{"SUPA", "E1", sec.SMETS2, sec.ESME, 2}, {"SUPB", "E1", sec.SMETS2, sec.ESME, 1}}
		for who, want := range map[string][]Operator{"MFA": wantOps, "SSC": wantOps, "SUPA": wantOps[:1], "MFB": {}, "OTH": {}} {
			ops, err := f.svc.Operators(f.ctx, f.callers[who], "MFA")
			if err != nil || !slices.Equal(ops, want) {
				t.Errorf("%s asking for MFA's operators: %v, %v; want %v", who, ops, err, want)
			}
		}
		if _, err := f.svc.Operators(f.ctx, ssc, " "); !errs.Is(err, errs.Invalid) {
			t.Errorf("no manufacturer: %v", err)
		}
	})
}

func TestVerifyFindsDrift(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		rep := f.verifyOK()
		if rep.Devices != 4 || rep.Groups != 3 {
			t.Errorf("report = %+v, want 4 Devices in 3 groups", rep)
		}
		supA, supB, e1 := f.orgs["SUPA"], f.orgs["SUPB"], f.models["MFA/E1"]
		// A count off by one, a group deleted, a group no Device backs.
		f.exec("UPDATE portfolio SET devices = devices + 1 WHERE supplier_id = $1", supA)
		f.exec("DELETE FROM portfolio WHERE supplier_id = $1 AND model_id = $2", supB, e1)
		f.exec(`INSERT INTO portfolio (supplier_id, model_id, firmware_id, map_id, generation, device_type, devices)
			SELECT $1, model_id, id, 0, 'SMETS2+', 'ESME', 7 FROM firmware_versions WHERE model_id = $2 AND version = '0.9'`, supB, e1)
		f.exec("UPDATE portfolio_inherited SET devices = 5")
		rep, err := f.svc.Verify(f.ctx, access.SystemCaller("test"))
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK() || len(rep.Drift) != 3 || len(rep.Inherited) != 1 {
			t.Fatalf("drift = %+v, inherited %+v", rep.Drift, rep.Inherited)
		}
		got := map[[2]int64]bool{}
		for _, d := range rep.Drift {
			got[[2]int64{d.Stored, d.Counted}] = true
		}
		for _, w := range [][2]int64{{3, 2}, {0, 1}, {7, 0}} {
			if !got[w] {
				t.Errorf("no drift stored %d counted %d in %+v", w[0], w[1], rep.Drift)
			}
		}
		if in := rep.Inherited[0]; in.Stored != 5 || in.Counted != 2 || in.SupplyStart != sec.MustParseDate("2024-03-01") {
			t.Errorf("inherited drift = %+v", in)
		}
		f.exec("DELETE FROM portfolio_inherited")
		rep, _ = f.svc.Verify(f.ctx, access.SystemCaller("test"))
		if len(rep.Inherited) != 1 || rep.Inherited[0].Stored != 0 {
			t.Errorf("missing inherited group: %+v", rep.Inherited)
		}
		f.rebuild()
		f.verifyOK()
	})
}
