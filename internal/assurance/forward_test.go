package assurance_test

import (
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/assurance"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store/storetest"
)

// addPortfolio gives a Supplier n installed Devices of a type, in the
// aggregates as the estate keeps them.
func (e *env) addPortfolio(supplier string, typ sec.DeviceType, n int64) {
	e.t.Helper()
	now := time.Now().UTC()
	var mfr, model, fw int64
	if err := e.db.Writer().QueryRow(`SELECT id FROM organisations WHERE code = 'MFX'`).Scan(&mfr); err != nil {
		if err := e.db.Writer().QueryRow(`INSERT INTO organisations (code, name, created_at, updated_at) VALUES ('MFX', 'Maker', $1, $1) RETURNING id`, now).Scan(&mfr); err != nil {
			e.t.Fatal(err)
		}
	}
	if err := e.db.Writer().QueryRow(`INSERT INTO device_models (manufacturer_id, code, device_type, generation, created_at, updated_at)
		VALUES ($1, $2, $3, 'SMETS2+', $4, $4) RETURNING id`, mfr, supplier+string(typ), string(typ), now).Scan(&model); err != nil {
		e.t.Fatal(err)
	}
	if err := e.db.Writer().QueryRow(`INSERT INTO firmware_versions (model_id, version, created_at, updated_at) VALUES ($1, '1.0', $2, $2) RETURNING id`, model, now).Scan(&fw); err != nil {
		e.t.Fatal(err)
	}
	e.exec(`INSERT INTO portfolio (supplier_id, model_id, firmware_id, map_id, generation, device_type, devices) VALUES ($1, $2, $3, 0, 'SMETS2+', $4, $5)`,
		e.orgs[supplier], model, fw, string(typ), n)
}

func TestForwardPlan(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnv(t, storetest.Open(t, engine))
			// SUPA: 200,000 ESME + 60,000 GSME (and CHFs, which are not
			// Smart Metering Systems of their own): 260,000 SMS.
			e.addPortfolio("SUPA", sec.ESME, 200_000)
			e.addPortfolio("SUPA", sec.GSME, 60_000)
			e.addPortfolio("SUPA", sec.CHF, 900_000)
			e.addPortfolio("SUPB", sec.ESME, 150_000)
			// Both had their FUSA in 2025; SUPA's fieldwork ended 14 Mar 2026.
			for _, p := range []struct{ code, role string }{{"SUPA", "large_supplier"}, {"SUPB", "small_supplier"}} {
				a, err := e.svc.Create(e.ctx, e.sys, assurance.Input{Party: p.code, Role: p.role, Type: "FUSA", Year: 2025})
				if err != nil {
					t.Fatal(err)
				}
				if p.code == "SUPA" {
					e.exec("UPDATE assessments SET fieldwork_start = '2026-03-10', fieldwork_end = '2026-03-14', type = 'VUSA', year = 2026, year_in_cycle = 2 WHERE id = $1", a.ID)
					if _, err := e.svc.Create(e.ctx, e.sys, assurance.Input{Party: p.code, Role: p.role, Type: "FUSA", Year: 2025}); err != nil {
						t.Fatal(err)
					}
				}
			}
			fp, err := e.svc.ForwardPlan(e.ctx, e.as["SSC"], 2027)
			if err != nil {
				t.Fatal(err)
			}
			rows := map[string]assurance.PlanRow{}
			for _, r := range fp.Rows {
				rows[r.Party+"/"+string(r.Role)] = r
			}
			if len(fp.Rows) != 4 {
				t.Errorf("%d rows: %+v", len(fp.Rows), fp.Rows)
			}
			a := rows["SUPA/large_supplier"]
			if a.Type != sec.VUSA || a.YearInCycle != 3 || a.Domestic != 260_000 || a.DueBy.String() != "2027-03-14" || !strings.Contains(a.Reason, "260,000") {
				t.Errorf("SUPA: %+v", a)
			}
			b := rows["SUPB/small_supplier"]
			if b.Type != sec.SSA || b.DueBy.String() != "2027-12-31" {
				t.Errorf("SUPB: %+v", b)
			}
			if d := rows["DCC/dcc"]; d.Type != sec.FUSA || !strings.Contains(d.Reason, "initial") {
				t.Errorf("DCC: %+v", d)
			}

			// The SSC records SUPB's non-domestic share and a weight of 2:
			// 150,000 SMS, 60% non-domestic: 60,000 + 90,000 × 2 = 240,000,
			// still below; at 70%: 45,000 + 105,000 × 2 = 255,000, a VUSA.
			e.svc.Settings.NonDomesticWeight = 2
			share := 0.6
			if err := e.svc.SetOverride(e.ctx, e.as["SSC"], assurance.OverrideInput{Party: "SUPB", Role: "small_supplier", Year: 2027, NonDomesticShare: &share}); err != nil {
				t.Fatal(err)
			}
			fp, _ = e.svc.ForwardPlan(e.ctx, e.as["SSC"], 2027)
			for _, r := range fp.Rows {
				if r.Party == "SUPB" && (r.Type != sec.SSA || r.NonDomestic != 90_000 || r.ShareSource != "ssc") {
					t.Errorf("SUPB at 60%%: %+v", r)
				}
			}
			share = 0.7
			if err := e.svc.SetOverride(e.ctx, e.as["SSC"], assurance.OverrideInput{Party: "SUPB", Role: "small_supplier", Year: 2027, NonDomesticShare: &share}); err != nil {
				t.Fatal(err)
			}
			// And an override for the Other User.
			if err := e.svc.SetOverride(e.ctx, e.as["SSC"], assurance.OverrideInput{Party: "OTHA", Role: "other_user", Year: 2027, Type: "VUSA", Reason: "second User System"}); err != nil {
				t.Fatal(err)
			}
			fp, _ = e.svc.ForwardPlan(e.ctx, e.as["SSC"], 2027)
			for _, r := range fp.Rows {
				switch {
				case r.Party == "SUPB" && r.Type != sec.VUSA:
					t.Errorf("SUPB at 70%%: %+v", r)
				case r.Party == "OTHA" && (r.Type != sec.VUSA || !r.Override || !strings.Contains(r.Reason, "second User System")):
					t.Errorf("OTHA overridden: %+v", r)
				}
			}

			// A party sees its own rows only; the CIO sees every row.
			own, err := e.svc.ForwardPlan(e.ctx, e.as["SUPB"], 2027)
			if err != nil || len(own.Rows) != 1 || own.Rows[0].Party != "SUPB" {
				t.Errorf("SUPB's plan: %+v, %v", own.Rows, err)
			}
			if cio, err := e.svc.ForwardPlan(e.ctx, e.as["UCIO"], 2027); err != nil || len(cio.Rows) != 4 {
				t.Errorf("CIO's plan: %d rows, %v", len(cio.Rows), err)
			}

			// Bad input: unknown party or role, writes nothing.
			for _, in := range []assurance.OverrideInput{
				{Party: "NOPE", Role: "other_user", Year: 2027, Type: "VUSA", Reason: "x"},
				{Party: "OTHA", Role: "map", Year: 2027, Type: "VUSA", Reason: "x"},
				{Party: "OTHA", Role: "other_user", Year: 2027, Type: "VUSA"},
			} {
				if err := e.svc.SetOverride(e.ctx, e.as["SSC"], in); !errs.Is(err, errs.Invalid) {
					t.Errorf("%+v: %v", in, err)
				}
			}
			if err := e.svc.SetOverride(e.ctx, e.as["SUPA"], assurance.OverrideInput{Party: "SUPA", Role: "large_supplier", Year: 2027, Type: "SSA", Reason: "x"}); !errs.Is(err, errs.Forbidden) {
				t.Errorf("a party overriding its own plan: %v", err)
			}
		})
	}
}
