package estate

import (
	"context"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// fixture is a small estate written with SQL, so every expectation can be
// checked by hand. Devices:
//
//	d1  MFA/E1 ESME SMETS2+ fw 1.0, MAP MAPA, SUPA since 2024-03-01 (inherited);
//	    before: SUPA [2018-05-01, 2020-01-01), SUPB [2020-01-01, 2024-03-01)
//	d2  MFA/E1 fw 1.1, no MAP, SUPB since 2021-01-01
//	d3  MFB/C1 CHF SMETS2+ fw 1.0, SUPB since 2021-01-01 (the DCC's)
//	d4  MFB/C0 CHF SMETS1 fw 1.0, SUPA since 2019-01-01, removed
//	d5  MFA/E1 fw 1.0, MAP MAPA, SUPA since 2024-03-01 (inherited); an ID
//	    with the top bit set
type fixture struct {
	t       testing.TB
	db      *store.DB
	ctx     context.Context
	svc     *Service
	orgs    map[string]int64
	models  map[string]int64
	callers map[string]access.Caller
}

var (
	d1 = DeviceID(0x001A2B3C4D5E6F01)
	d2 = DeviceID(0x001A2B3C4D5E6F02)
	d3 = DeviceID(0x001A2B3C4D5E6F03)
	d4 = DeviceID(0x001A2B3C4D5E6F04)
	d5 = DeviceID(0xF01A2B3C4D5E6F05)
)

func newFixture(t testing.TB, db *store.DB) *fixture {
	f := &fixture{t: t, db: db, ctx: context.Background(), svc: NewService(db),
		orgs: map[string]int64{}, models: map[string]int64{}, callers: map[string]access.Caller{}}
	f.svc.Today = func(time.Time) sec.Date { return sec.MustParseDate("2025-06-15") }
	users := int64(100)
	for _, o := range []struct {
		code, orgRole string
		role          sec.Role
	}{
		{"SSC", "ssc", sec.RoleSSCMember}, {"SECAS", "secretariat", sec.RoleSecretariat},
		{"SUPA", "large_supplier", sec.RoleSupplier}, {"SUPB", "small_supplier", sec.RoleSupplier},
		{"MAPA", "map", sec.RoleMAP}, {"MFA", "manufacturer", sec.RoleManufacturer}, {"MFB", "manufacturer", sec.RoleManufacturer},
		{"DCC", "dcc", sec.RoleDCC}, {"OTH", "other_user", sec.RoleOtherUser}, {"OPS", "operator", sec.RoleAdmin},
	} {
		var id int64
		if err := db.Writer().QueryRowContext(f.ctx, `INSERT INTO organisations (code, name, classification, created_at, updated_at)
			VALUES ($1, $2, 'GREEN', $3, $3) RETURNING id`, o.code, "Org "+o.code, time.Now().UTC()).Scan(&id); err != nil {
			t.Fatal(err)
		}
		f.exec("INSERT INTO organisation_roles (org_id, role) VALUES ($1, $2)", id, o.orgRole)
		f.orgs[o.code] = id
		users++
		f.callers[o.code] = access.Caller{UserID: users, OrgID: id, OrgCode: o.code, Name: o.code, Roles: []sec.Role{o.role}, Via: "session"}
	}
	f.callers["public"] = access.Public()
	f.callers["system"] = access.SystemCaller("test")

	f.model("MFA", "E1", sec.ESME, sec.SMETS2, "1.0", "1.1", "0.9")
	f.model("MFB", "C1", sec.CHF, sec.SMETS2, "1.0", "1.1")
	f.model("MFB", "C0", sec.CHF, sec.SMETS1, "1.0")

	f.device(d1, "MFA/E1", "1.0", "MAPA", "SUPA", "2024-03-01", true, Installed)
	f.period(d1, "SUPA", "2018-05-01", "2020-01-01")
	f.period(d1, "SUPB", "2020-01-01", "2024-03-01")
	f.device(d2, "MFA/E1", "1.1", "", "SUPB", "2021-01-01", false, Installed)
	f.device(d3, "MFB/C1", "1.0", "", "SUPB", "2021-01-01", false, Installed)
	f.device(d4, "MFB/C0", "1.0", "", "SUPA", "2019-01-01", false, Removed)
	f.device(d5, "MFA/E1", "1.0", "MAPA", "SUPA", "2024-03-01", true, Installed)
	f.period(d5, "SUPB", "2022-01-01", "2024-03-01")
	f.rebuild()
	return f
}

func (f *fixture) exec(q string, args ...any) {
	f.t.Helper()
	if _, err := f.db.Writer().ExecContext(f.ctx, q, args...); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
}

func (f *fixture) model(mfr, code string, typ sec.DeviceType, gen sec.Generation, versions ...string) {
	f.t.Helper()
	now := time.Now().UTC()
	var id int64
	if err := f.db.Writer().QueryRowContext(f.ctx, `INSERT INTO device_models (manufacturer_id, code, name, device_type, generation, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`, f.orgs[mfr], code, "Model "+code, typ, gen, now).Scan(&id); err != nil {
		f.t.Fatal(err)
	}
	for _, v := range versions {
		f.exec(`INSERT INTO firmware_versions (model_id, version, created_at, updated_at) VALUES ($1, $2, $3, $3)`, id, v, now)
	}
	f.models[mfr+"/"+code] = id
}

func (f *fixture) device(id DeviceID, model, fw, mapCode, supplier, start string, inherited bool, st Status) {
	f.t.Helper()
	var mapID any
	if mapCode != "" {
		mapID = f.orgs[mapCode]
	}
	f.exec(`INSERT INTO devices (id, model_id, firmware_id, map_id, premises, status, supplier_id, supply_start, inherited, firmware_since)
		VALUES ($1, $2, (SELECT id FROM firmware_versions WHERE model_id = $2 AND version = $3), $4, 'domestic', $5, $6, $7, $8, '2020-01-01')`,
		id.Int64(), f.models[model], fw, mapID, string(st), f.orgs[supplier], start, inherited)
}

func (f *fixture) period(id DeviceID, supplier, start, end string) {
	f.t.Helper()
	f.exec(`INSERT INTO supply_periods (device_id, start, "end", supplier_id) VALUES ($1, $2, $3, $4)`, id.Int64(), start, end, f.orgs[supplier])
}

// rebuild recounts the aggregates from the Devices, as an import would
// leave them.
func (f *fixture) rebuild() {
	f.t.Helper()
	for _, q := range rebuildSQL {
		f.exec(q)
	}
}

// rebuildSQL recounts the aggregates from the Devices.
var rebuildSQL = []string{
	"DELETE FROM portfolio",
	"DELETE FROM portfolio_inherited",
	"DELETE FROM portfolio_enrolled",
	`INSERT INTO portfolio_enrolled (supplier_id, model_id, map_id, enrolled_on, inherited_from, devices)
	 SELECT d.supplier_id, d.model_id, COALESCE(d.map_id, 0), COALESCE(d.enrolled_on, '9999-12-31'), CASE WHEN d.inherited THEN d.supply_start ELSE '0001-01-01' END, COUNT(*)
	 FROM devices d JOIN device_models m ON m.id = d.model_id WHERE m.generation = 'SMETS1' AND d.status = 'installed' AND d.supplier_id IS NOT NULL
	 GROUP BY d.supplier_id, d.model_id, COALESCE(d.map_id, 0), COALESCE(d.enrolled_on, '9999-12-31'), CASE WHEN d.inherited THEN d.supply_start ELSE '0001-01-01' END`,
	`INSERT INTO portfolio (supplier_id, model_id, firmware_id, map_id, generation, device_type, devices)
	 SELECT d.supplier_id, d.model_id, d.firmware_id, COALESCE(d.map_id, 0), m.generation, m.device_type, COUNT(*)
	 FROM devices d JOIN device_models m ON m.id = d.model_id
	 WHERE d.status = 'installed' AND d.supplier_id IS NOT NULL
	 GROUP BY d.supplier_id, d.model_id, d.firmware_id, COALESCE(d.map_id, 0), m.generation, m.device_type`,
	`INSERT INTO portfolio_inherited (supplier_id, model_id, map_id, supply_start, devices)
	 SELECT d.supplier_id, d.model_id, COALESCE(d.map_id, 0), d.supply_start, COUNT(*)
	 FROM devices d WHERE d.inherited AND d.status = 'installed' AND d.supplier_id IS NOT NULL
	 GROUP BY d.supplier_id, d.model_id, COALESCE(d.map_id, 0), d.supply_start`,
}

// verifyOK fails the test if the aggregates drifted from the Devices.
func (f *fixture) verifyOK() VerifyReport {
	f.t.Helper()
	rep, err := f.svc.Verify(f.ctx, access.SystemCaller("test"))
	if err != nil {
		f.t.Fatal(err)
	}
	if !rep.OK() {
		f.t.Fatalf("aggregates drifted: %+v / %+v / %+v", rep.Drift, rep.Inherited, rep.Enrolled)
	}
	return rep
}

// group is the stored portfolio count of one group (0 when absent).
func (f *fixture) group(supplier, model, fw, mapCode string) int64 {
	f.t.Helper()
	var n int64
	if err := f.db.QueryRowContext(f.ctx, `SELECT COALESCE(SUM(p.devices), 0) FROM portfolio p JOIN firmware_versions fv ON fv.id = p.firmware_id
		WHERE p.supplier_id = $1 AND p.model_id = $2 AND fv.version = $3 AND p.map_id = $4`,
		f.orgs[supplier], f.models[model], fw, f.orgs[mapCode]).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) inheritedGroup(supplier, model, mapCode, start string) int64 {
	f.t.Helper()
	var n int64
	if err := f.db.QueryRowContext(f.ctx, `SELECT COALESCE(SUM(devices), 0) FROM portfolio_inherited
		WHERE supplier_id = $1 AND model_id = $2 AND map_id = $3 AND supply_start = $4`,
		f.orgs[supplier], f.models[model], f.orgs[mapCode], start).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) audits(id DeviceID, action string) int {
	f.t.Helper()
	var n int
	if err := f.db.QueryRowContext(f.ctx, "SELECT COUNT(*) FROM audit_log WHERE object_type = $1 AND object_id = $2 AND action = $3",
		KindDevice, id.String(), action).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}
