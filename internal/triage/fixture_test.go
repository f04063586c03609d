package triage

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

func init() { account.DefaultArgon2 = account.Argon2Params{Memory: 64, Time: 1, Threads: 1} }

// fixture is a small world: a Triage Facility Provider TFP with two
// operators (op1, op2) and a second provider TFQ; Suppliers SUPA and SUPB;
// manufacturers MFA and MFB; the SSC. MFA/E1 has firmware 1.0 (CPA
// certified) and 1.1 (uncertified). Devices:
//
//	dA1, dA2, dA3  MFA/E1 fw 1.0, SUPA, installed
//	dB1            MFA/E1 fw 1.0, SUPB, installed
//	dM             MFB/G1 fw 2.0, SUPA, removed
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
	dA1 = estate.DeviceID(0x00AA000000000001)
	dA2 = estate.DeviceID(0x00AA000000000002)
	dA3 = estate.DeviceID(0x00AA000000000003)
	dB1 = estate.DeviceID(0x00BB000000000001)
	dM  = estate.DeviceID(0x00CC000000000001)
	// dX is not in the estate.
	dX = estate.DeviceID(0x00DD000000000001)
)

func newFixture(t testing.TB, db *store.DB) *fixture {
	t.Helper()
	f := &fixture{t: t, db: db, ctx: context.Background(), svc: NewService(db),
		orgs: map[string]int64{}, models: map[string]int64{}, callers: map[string]access.Caller{}}
	f.svc.Today = func(time.Time) sec.Date { return sec.MustParseDate("2026-12-05") }
	f.svc.Estate.Today = f.svc.Today
	sys := access.SystemCaller("test")
	parties := &party.Service{DB: db}
	accounts := account.NewService(db)
	for _, o := range []struct{ code, role string }{
		{"SSC", "ssc"}, {"TFP", "triage_facility_provider"}, {"TFQ", "triage_facility_provider"},
		{"SUPA", "large_supplier"}, {"SUPB", "small_supplier"}, {"MFA", "manufacturer"}, {"MFB", "manufacturer"},
	} {
		p, err := parties.Create(f.ctx, sys, party.NewParty{Code: o.code, Name: "Org " + o.code, Roles: []string{o.role},
			Contacts: []party.ContactInput{{Name: "Contact " + o.code, Email: strings.ToLower(o.code) + "@example.org"}}})
		if err != nil {
			t.Fatal(err)
		}
		f.orgs[o.code] = p.ID
	}
	for _, u := range []struct {
		name, org string
		role      sec.Role
	}{
		{"ssc", "SSC", sec.RoleSSCMember}, {"op1", "TFP", sec.RoleTriage}, {"op2", "TFP", sec.RoleTriage},
		{"opq", "TFQ", sec.RoleTriage}, {"supa", "SUPA", sec.RoleSupplier}, {"supb", "SUPB", sec.RoleSupplier},
		{"mfa", "MFA", sec.RoleManufacturer}, {"mfb", "MFB", sec.RoleManufacturer},
	} {
		email := u.name + "@" + strings.ToLower(u.org) + ".example.org"
		usr, err := accounts.AddUser(f.ctx, sys, account.NewUser{Email: email, Name: u.name, Org: u.org,
			Roles: []string{string(u.role)}, Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		f.callers[u.name] = usr.Caller("session", nil)
	}
	f.callers["system"] = sys
	f.callers["public"] = access.Public()

	f.model("MFA", "E1", sec.ESME, "1.0", "1.1")
	f.model("MFB", "G1", sec.GSME, "2.0")
	var fw int64
	f.scan(&fw, "SELECT id FROM firmware_versions WHERE model_id = $1 AND version = '1.0'", f.models["MFA/E1"])
	var cert int64
	f.scan(&cert, `INSERT INTO cpa_certificates (model_id, reference, issued, kind, expires, created_at, updated_at)
		VALUES ($1, 'CPA-E1', '2020-01-01', 'expiring', '2030-01-01', $2, $2) RETURNING id`, f.models["MFA/E1"], time.Now().UTC())
	f.exec("INSERT INTO cpa_certificate_firmware (certificate_id, firmware_id) VALUES ($1, $2)", cert, fw)

	f.device(dA1, "MFA/E1", "1.0", "SUPA", estate.Installed)
	f.device(dA2, "MFA/E1", "1.0", "SUPA", estate.Installed)
	f.device(dA3, "MFA/E1", "1.0", "SUPA", estate.Installed)
	f.device(dB1, "MFA/E1", "1.0", "SUPB", estate.Installed)
	f.device(dM, "MFB/G1", "2.0", "SUPA", estate.Removed)
	f.exec(`INSERT INTO portfolio (supplier_id, model_id, firmware_id, map_id, generation, device_type, devices)
		SELECT d.supplier_id, d.model_id, d.firmware_id, 0, m.generation, m.device_type, COUNT(*)
		FROM devices d JOIN device_models m ON m.id = d.model_id WHERE d.status = 'installed'
		GROUP BY d.supplier_id, d.model_id, d.firmware_id, m.generation, m.device_type`)
	return f
}

func (f *fixture) exec(q string, args ...any) {
	f.t.Helper()
	if _, err := f.db.Writer().ExecContext(f.ctx, q, args...); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
}

func (f *fixture) scan(dst any, q string, args ...any) {
	f.t.Helper()
	if err := f.db.Writer().QueryRowContext(f.ctx, q, args...).Scan(dst); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
}

func (f *fixture) model(mfr, code string, typ sec.DeviceType, versions ...string) {
	f.t.Helper()
	now := time.Now().UTC()
	var id int64
	f.scan(&id, `INSERT INTO device_models (manufacturer_id, code, name, device_type, generation, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 'SMETS2+', $5, $5) RETURNING id`, f.orgs[mfr], code, "Model "+code, typ, now)
	for _, v := range versions {
		f.exec(`INSERT INTO firmware_versions (model_id, version, created_at, updated_at) VALUES ($1, $2, $3, $3)`, id, v, now)
	}
	f.models[mfr+"/"+code] = id
}

func (f *fixture) device(id estate.DeviceID, model, fw, supplier string, st estate.Status) {
	f.t.Helper()
	f.exec(`INSERT INTO devices (id, model_id, firmware_id, premises, status, supplier_id, supply_start, firmware_since)
		VALUES ($1, $2, (SELECT id FROM firmware_versions WHERE model_id = $2 AND version = $3), 'domestic', $4, $5, '2022-01-01', '2022-01-01')`,
		id.Int64(), f.models[model], fw, string(st), f.orgs[supplier])
}

// approved makes an operating facility of TFP with tool T1 and interface I1
// (both op1's; op2 is allowed on T2 only), and returns its id.
func (f *fixture) approved(policy string) int64 {
	f.t.Helper()
	fac, err := f.svc.Apply(f.ctx, f.callers["op1"], NewFacility{Name: "Bench " + policy, Address: "1 Test Street", BreachPolicy: policy})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, d := range []struct {
		who string
		ev  sec.FacilityEvent
	}{{"ssc", sec.FacilityBeginFUSA}, {"ssc", sec.FacilityApprove}, {"op1", sec.FacilityStartOperating}} {
		if _, err := f.svc.Decide(f.ctx, f.callers[d.who], fac.ID, Decision{Event: d.ev, AssessmentID: 42}); err != nil {
			f.t.Fatal(err)
		}
	}
	for _, t := range []ToolInput{
		{Category: "tool", Serial: "T1", Kind: "hand-held triage tool", Firmware: "3.1", Operators: []string{"op1@tfp.example.org"}},
		{Category: "interface", Serial: "I1", Kind: "optical port", Operators: []string{"op1@tfp.example.org", "op2@tfp.example.org"}},
		{Category: "tool", Serial: "T2", Kind: "bench rig", Operators: []string{"op2@tfp.example.org"}},
	} {
		if _, err := f.svc.RegisterTool(f.ctx, f.callers["op1"], fac.ID, t); err != nil {
			f.t.Fatal(err)
		}
	}
	return fac.ID
}

// step records a step as op1 with T1 and I1.
func (f *fixture) step(fac int64, in StepInput) (Entry, error) {
	if in.Tool == "" {
		in.Tool, in.Interface = "T1", "I1"
	}
	return f.svc.Record(f.ctx, f.callers["op1"], fac, in)
}

func (f *fixture) mustStep(fac int64, in StepInput) Entry {
	f.t.Helper()
	e, err := f.step(fac, in)
	if err != nil {
		f.t.Fatalf("%s %s: %v", in.Step, in.DeviceID, err)
	}
	return e
}

// estateStatus is Device id's status in the estate.
func (f *fixture) estateStatus(id estate.DeviceID) estate.Status {
	f.t.Helper()
	d, err := f.svc.Estate.Device(f.ctx, access.SystemCaller("test"), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return d.Status
}

// verifyEstate fails if the portfolio drifted from the Devices.
func (f *fixture) verifyEstate() {
	f.t.Helper()
	rep, err := f.svc.Estate.Verify(f.ctx, access.SystemCaller("test"))
	if err != nil {
		f.t.Fatal(err)
	}
	if !rep.OK() {
		f.t.Fatalf("portfolio drifted: %+v", rep)
	}
}

func (f *fixture) verifyOK(fac int64) Report {
	f.t.Helper()
	rep, err := f.svc.Verify(f.ctx, f.callers["system"], fac)
	if err != nil {
		f.t.Fatal(err)
	}
	if !rep.OK() {
		f.t.Fatalf("chain broken: %+v", rep.Broken)
	}
	return rep
}
