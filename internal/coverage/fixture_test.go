package coverage

import (
	"context"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// fixture is a small estate built by hand, so that every expected count in
// the tests below can be checked with a pencil.
type fixture struct {
	t      *testing.T
	db     *store.DB
	ctx    context.Context
	sys    access.Caller
	orgs   map[string]int64
	models map[string]int64
	next   int64 // next Device id
	arr    *arrangement.Service
	cov    *Service
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	f := &fixture{t: t, db: db, ctx: context.Background(), sys: access.SystemCaller("test"),
		orgs: map[string]int64{}, models: map[string]int64{}, next: 0x1000}
	f.arr = arrangement.NewService(db)
	f.arr.Today = func(time.Time) sec.Date { return sec.MustParseDate("2025-06-15") }
	f.cov = NewService(db)
	f.cov.Today = f.arr.Today
	return f
}

func (f *fixture) exec(q string, args ...any) {
	f.t.Helper()
	if _, err := f.db.Writer().ExecContext(f.ctx, q, args...); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
}

func (f *fixture) org(code string, roles ...string) int64 {
	f.t.Helper()
	var id int64
	if err := f.db.Writer().QueryRowContext(f.ctx, `INSERT INTO organisations (code, name, classification, created_at, updated_at)
		VALUES ($1, $2, 'GREEN', $3, $3) RETURNING id`, code, "Org "+code, time.Now().UTC()).Scan(&id); err != nil {
		f.t.Fatal(err)
	}
	for _, r := range roles {
		f.exec("INSERT INTO organisation_roles (org_id, role) VALUES ($1, $2)", id, r)
	}
	f.orgs[code] = id
	return id
}

// model adds a model with one firmware and, unless certified is empty, a
// CPA certificate issued on certified.
func (f *fixture) model(mfr, code string, typ sec.DeviceType, gen sec.Generation, certified string) int64 {
	f.t.Helper()
	now := time.Now().UTC()
	var id, fw int64
	if err := f.db.Writer().QueryRowContext(f.ctx, `INSERT INTO device_models (manufacturer_id, code, name, device_type, generation, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`, f.orgs[mfr], code, "Model "+code, typ, gen, now).Scan(&id); err != nil {
		f.t.Fatal(err)
	}
	if err := f.db.Writer().QueryRowContext(f.ctx, `INSERT INTO firmware_versions (model_id, version, created_at, updated_at) VALUES ($1, '1.0', $2, $2) RETURNING id`,
		id, now).Scan(&fw); err != nil {
		f.t.Fatal(err)
	}
	if err := f.db.Writer().QueryRowContext(f.ctx, `INSERT INTO firmware_versions (model_id, version, created_at, updated_at) VALUES ($1, '1.1', $2, $2) RETURNING id`,
		id, now).Scan(new(int64)); err != nil {
		f.t.Fatal(err)
	}
	if certified != "" {
		var cert int64
		if err := f.db.Writer().QueryRowContext(f.ctx, `INSERT INTO cpa_certificates (model_id, reference, issued, kind, expires, created_at, updated_at)
			VALUES ($1, $2, $3, 'expiring', '2035-01-01', $4, $4) RETURNING id`, id, "CPA-"+code, certified, now).Scan(&cert); err != nil {
			f.t.Fatal(err)
		}
		f.exec(`INSERT INTO cpa_certificate_firmware (certificate_id, firmware_id) VALUES ($1, $2)`, cert, fw)
	}
	f.models[mfr+"/"+code] = id
	return id
}

// devices installs n Devices of a model for a Supplier, owned by mapCode
// ("" for none), whose supply began on start; inherited marks a change of
// supplier. Half run the second firmware, so the aggregates must sum over
// firmware.
func (f *fixture) devices(supplier, model, mapCode string, n int, start string, inherited bool) {
	f.t.Helper()
	var mapID any
	if mapCode != "" {
		mapID = f.orgs[mapCode]
	}
	m := f.models[model]
	for i := range n {
		f.next++
		f.exec(`INSERT INTO devices (id, model_id, firmware_id, map_id, premises, status, supplier_id, supply_start, inherited, firmware_since)
			VALUES ($1, $2, (SELECT MIN(id) + $3 FROM firmware_versions WHERE model_id = $2), $4, 'domestic', 'installed', $5, $6, $7, '2020-01-01')`,
			f.next, m, i%2, mapID, f.orgs[supplier], start, inherited)
	}
}

// enrol gives the last n Devices added an enrolment date.
func (f *fixture) enrol(n int64, day string) {
	f.t.Helper()
	f.exec("UPDATE devices SET enrolled_on = $1 WHERE id > $2", day, f.next-n)
}

func (f *fixture) rebuild() {
	f.t.Helper()
	if err := f.db.Write(f.ctx, f.sys, func(tx *store.Tx) error { return RebuildAggregates(f.ctx, tx) }); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) arrange(in arrangement.Input) arrangement.Arrangement {
	f.t.Helper()
	a, err := f.arr.Create(f.ctx, f.sys, in)
	if err != nil {
		f.t.Fatalf("create %+v: %v", in, err)
	}
	return a
}

// handEstate builds the estate the expectations in coverage_test.go are
// worked out from. The day is 2025-06-15; v6.3 is in force.
func handEstate(t *testing.T, db *store.DB) *fixture {
	f := newFixture(t, db)
	f.org("SSC", "ssc")
	f.org("DCC", "dcc")
	f.org("SUPA", "large_supplier")
	f.org("SUPB", "small_supplier")
	f.org("MAPA", "map")
	f.org("MAPB", "map")
	f.org("MFA", "manufacturer")
	f.org("MFB", "manufacturer")
	f.org("MFC", "manufacturer")

	f.model("MFA", "E1", sec.ESME, sec.SMETS2, "2019-01-10")  // before the scheme's build standard
	f.model("MFA", "E2", sec.ESME, sec.SMETS2, "2021-03-01")  // after it
	f.model("MFB", "G1", sec.GSME, sec.SMETS2, "2018-05-01")  //
	f.model("MFB", "GB0", sec.GSME, sec.SMETS2, "2020-06-21") // the day before the build standard: MFB has no enrolment
	f.model("MFB", "GB2", sec.GSME, sec.SMETS2, "2020-06-22") // its first day: covered without an enrolment record
	f.model("MFB", "C1", sec.CHF, sec.SMETS2, "2018-05-01")   // the DCC's
	f.model("MFC", "S1", sec.ESME, sec.SMETS1, "2014-01-01")  //
	f.model("MFC", "H1", sec.CHF, sec.SMETS1, "2014-01-01")   // DP087 known gap, no arrangement
	f.model("MFB", "GP1", sec.GPF, sec.SMETS1, "2014-01-01")  // DP087 known gap, covered anyway through MAPA
	f.model("MFC", "P1", sec.PPMID, sec.SMETS2, "2022-01-01") //

	// SUPA
	f.devices("SUPA", "MFA/E1", "MAPA", 100, "2020-05-01", false)
	f.devices("SUPA", "MFA/E2", "", 70, "2022-01-01", false)
	f.devices("SUPA", "MFB/G1", "MAPA", 80, "2021-01-01", false)
	f.devices("SUPA", "MFB/G1", "MAPB", 10, "2021-01-01", false)
	f.devices("SUPA", "MFB/G1", "MAPB", 5, "2025-05-01", true) // window open until 2025-11-01
	f.devices("SUPA", "MFB/C1", "", 100, "2021-01-01", false)
	f.devices("SUPA", "MFC/H1", "MAPA", 40, "2019-01-01", false)
	f.devices("SUPA", "MFB/GP1", "MAPA", 6, "2019-01-01", false)
	f.devices("SUPA", "MFC/S1", "MAPB", 25, "2019-01-01", false)
	f.devices("SUPA", "MFC/P1", "", 12, "2023-01-01", false)
	// SUPB
	f.devices("SUPB", "MFA/E1", "MAPB", 30, "2025-03-01", true) // window open until 2025-09-01
	f.devices("SUPB", "MFA/E1", "MAPB", 20, "2024-10-01", true) // window closed 2025-04-01
	f.devices("SUPB", "MFA/E1", "MAPB", 50, "2020-01-01", false)
	f.devices("SUPB", "MFB/G1", "MAPA", 45, "2022-02-02", false)
	f.devices("SUPB", "MFC/S1", "", 10, "2018-01-01", false)
	f.devices("SUPB", "MFB/GB0", "", 3, "2022-01-01", false)
	f.devices("SUPB", "MFB/GB2", "", 4, "2022-01-01", false)
	// A removed Device counts for no one.
	f.devices("SUPB", "MFC/S1", "", 1, "2018-01-01", false)
	f.exec("UPDATE devices SET status = 'removed' WHERE id = $1", f.next)
	// Every SMETS1 Device so far was enrolled on 1 December 2019.
	f.exec("UPDATE devices SET enrolled_on = '2019-12-01' WHERE model_id IN (SELECT id FROM device_models WHERE generation = 'SMETS1')")
	// SUPB's S1 on each side of its enrolment date and of its churn window
	// (seeds/001: v5.20 brought in "User obligations for enrolled SMETS1
	// Devices"): 2 enrolled on the day (a gap), 3 the day after and 1 never
	// (no duty); 2 inherited in the window and enrolled (reasonable steps),
	// 1 inherited in the window and never enrolled (no duty).
	f.devices("SUPB", "MFC/S1", "", 2, "2018-01-01", false)
	f.enrol(2, "2025-06-15")
	f.devices("SUPB", "MFC/S1", "", 3, "2018-01-01", false)
	f.enrol(3, "2025-06-16")
	f.devices("SUPB", "MFC/S1", "", 1, "2018-01-01", false)
	f.devices("SUPB", "MFC/S1", "", 2, "2025-05-01", true)
	f.enrol(2, "2019-12-01")
	f.devices("SUPB", "MFC/S1", "", 1, "2025-05-01", true)
	f.rebuild()

	const mat = "Any vulnerability rated CVSS 7.0 or above, or allowing remote compromise"
	// Direct: SUPA–MFA for E1 only.
	f.arrange(arrangement.Input{Reference: "A1", Kind: "supplier_manufacturer", Supplier: "SUPA", Manufacturer: "MFA",
		Models: []string{"E1"}, Materiality: mat, Signed: "2023-12-01", Effective: "2024-01-01", Expires: "2026-12-31"})
	// Scheme: MFA, no legacy arrangement: E2 (2021) only.
	f.arrange(arrangement.Input{Reference: "A2", Kind: "ssc_scheme", Manufacturer: "MFA", AllModels: true,
		Signed: "2020-09-15", Effective: "2020-09-15"})
	// MAP chain for MFB through MAPA.
	f.arrange(arrangement.Input{Reference: "A3", Kind: "supplier_map", Supplier: "SUPA", MAP: "MAPA", AllModels: true,
		Materiality: mat, Signed: "2020-01-01", Effective: "2020-01-01"})
	f.arrange(arrangement.Input{Reference: "A4", Kind: "map_manufacturer", MAP: "MAPA", Manufacturer: "MFB", AllModels: true,
		Materiality: mat, Signed: "2019-06-01", Effective: "2019-06-01", Expires: "2027-05-31"})
	// SUPA–MAPB contract exists, but MAPB has no contract with MFB: no chain.
	f.arrange(arrangement.Input{Reference: "A4B", Kind: "supplier_map", Supplier: "SUPA", MAP: "MAPB", AllModels: true,
		Materiality: mat, Signed: "2020-01-01", Effective: "2020-01-01"})
	// Letter of Intent: SUPB–MFB for G1.
	f.arrange(arrangement.Input{Reference: "A5", Kind: "loi", Supplier: "SUPB", Manufacturer: "MFB", Models: []string{"G1"},
		Materiality: mat, Signed: "2025-01-20", Effective: "2025-02-01"})
	// Expired: SUPB–MFC ended on 31 January.
	f.arrange(arrangement.Input{Reference: "A6", Kind: "supplier_manufacturer", Supplier: "SUPB", Manufacturer: "MFC", AllModels: true,
		Materiality: mat, Signed: "2022-01-01", Effective: "2022-02-01", Expires: "2025-01-31"})
	// Terminated: SUPA–MFC, ended from 1 May.
	f.arrange(arrangement.Input{Reference: "A7", Kind: "supplier_manufacturer", Supplier: "SUPA", Manufacturer: "MFC", AllModels: true,
		Materiality: mat, Signed: "2022-01-01", Effective: "2022-02-01"})
	if _, err := f.arr.Terminate(f.ctx, f.sys, "A7", sec.MustParseDate("2025-05-01")); err != nil {
		t.Fatal(err)
	}
	// Pending: MFC enrolled itself in the scheme; the SSC has not confirmed.
	f.exec(`INSERT INTO users (org_id, email, name, password_hash, created_at, password_changed_at) VALUES ($1, 'm@mfc.example', 'M', 'x', $2, $2)`,
		f.orgs["MFC"], time.Now().UTC())
	var uid int64
	if err := f.db.QueryRowContext(f.ctx, "SELECT id FROM users WHERE email = 'm@mfc.example'").Scan(&uid); err != nil {
		t.Fatal(err)
	}
	mfc := access.Caller{UserID: uid, OrgID: f.orgs["MFC"], OrgCode: "MFC", Name: "m@mfc.example", Roles: []sec.Role{sec.RoleManufacturer}, Via: "session"}
	a, err := f.arr.Create(f.ctx, mfc, arrangement.Input{Reference: "A8", Kind: "ssc_scheme", Manufacturer: "MFC", AllModels: true,
		Legacy: true, Signed: "2025-06-01", Effective: "2025-06-01"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != arrangement.Pending {
		t.Fatalf("a manufacturer's own enrolment is %s, want pending", a.Status)
	}
	return f
}
