package arrangement_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
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

type env struct {
	t    *testing.T
	db   *store.DB
	ctx  context.Context
	svc  *arrangement.Service
	sys  access.Caller
	orgs map[string]int64
	as   map[string]access.Caller // a user of each organisation
}

func newEnv(t *testing.T, db *store.DB) *env {
	e := &env{t: t, db: db, ctx: context.Background(), svc: arrangement.NewService(db), sys: access.SystemCaller("test"),
		orgs: map[string]int64{}, as: map[string]access.Caller{}}
	e.svc.Today = func(time.Time) sec.Date { return sec.MustParseDate("2025-06-15") }
	now := time.Now().UTC()
	for _, o := range []struct {
		code, role string
		user       sec.Role
	}{
		{"SSC", "ssc", sec.RoleSSCMember}, {"SUPA", "large_supplier", sec.RoleSupplier}, {"SUPB", "small_supplier", sec.RoleSupplier},
		{"MAPA", "map", sec.RoleMAP}, {"MFA", "manufacturer", sec.RoleManufacturer}, {"MFB", "manufacturer", sec.RoleManufacturer},
		{"DCC", "dcc", sec.RoleDCC},
	} {
		var id, uid int64
		if err := db.Writer().QueryRow(`INSERT INTO organisations (code, name, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id`,
			o.code, "Org "+o.code, now).Scan(&id); err != nil {
			t.Fatal(err)
		}
		e.exec("INSERT INTO organisation_roles (org_id, role) VALUES ($1, $2)", id, o.role)
		if err := db.Writer().QueryRow(`INSERT INTO users (org_id, email, name, password_hash, created_at, password_changed_at)
			VALUES ($1, $2, 'U', 'x', $3, $3) RETURNING id`, id, strings.ToLower(o.code)+"@example.org", now).Scan(&uid); err != nil {
			t.Fatal(err)
		}
		e.orgs[o.code] = id
		e.as[o.code] = access.Caller{UserID: uid, OrgID: id, OrgCode: o.code, Name: o.code, Roles: []sec.Role{o.user}, Via: "session"}
	}
	for _, m := range []struct{ mfr, code string }{{"MFA", "E1"}, {"MFA", "E2"}, {"MFB", "G1"}} {
		e.exec(`INSERT INTO device_models (manufacturer_id, code, device_type, generation, created_at, updated_at) VALUES ($1, $2, 'ESME', 'SMETS2+', $3, $3)`,
			e.orgs[m.mfr], m.code, now)
	}
	return e
}

func (e *env) exec(q string, args ...any) {
	e.t.Helper()
	if _, err := e.db.Writer().Exec(q, args...); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) count(table string) int {
	e.t.Helper()
	var n int
	if err := e.db.QueryRowContext(e.ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func good() arrangement.Input {
	return arrangement.Input{Reference: "C-1", Kind: "supplier_manufacturer", Supplier: "SUPA", Manufacturer: "MFA",
		Models: []string{"E1"}, Materiality: "CVSS 7.0 or above", Signed: "2024-01-10", Effective: "2024-02-01", Expires: "2026-01-31"}
}

func TestCreateAndGet(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		a, err := e.svc.Create(e.ctx, e.as["SUPA"], good())
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != arrangement.Active || a.State != "in force" || a.Classification != sec.Amber ||
			a.Supplier.Code != "SUPA" || a.Manufacturer.Code != "MFA" || len(a.Models) != 1 || a.Models[0].Code != "E1" {
			t.Fatalf("created %+v", a)
		}
		// AMBER: its parties and the SSC see it; no one else.
		for who, want := range map[string]bool{"SUPA": true, "MFA": true, "SSC": true, "SUPB": false, "MFB": false, "MAPA": false, "DCC": false} {
			_, err := e.svc.Get(e.ctx, e.as[who], "C-1")
			if got := err == nil; got != want {
				t.Errorf("%s sees C-1: %v (%v)", who, got, err)
			}
			list, err := e.svc.List(e.ctx, e.as[who], arrangement.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(list) == 1; got != want {
				t.Errorf("%s lists C-1: %v", who, got)
			}
		}
		// The counterparty sees the Supplier by code; its name only where
		// the Supplier's own record is visible (here GREEN by default in
		// the table, so yes).
		a, _ = e.svc.Get(e.ctx, e.as["MFA"], "C-1")
		if a.Supplier.Code != "SUPA" {
			t.Errorf("MFA sees supplier %+v", a.Supplier)
		}
		// No reference: one is given.
		in := good()
		in.Reference, in.Models, in.Effective, in.Signed, in.Expires = "", []string{"E2"}, "2024-02-01", "2024-01-01", ""
		b, err := e.svc.Create(e.ctx, e.as["MFA"], in)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(b.Reference, "ARR-") {
			t.Errorf("generated reference %q", b.Reference)
		}
	})
}

// TestBadInput: every bad arrangement is a clear error naming its field, and
// nothing is stored.
func TestBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		if _, err := e.svc.Create(e.ctx, e.sys, good()); err != nil {
			t.Fatal(err)
		}
		before := e.count("arrangements")
		mod := func(f func(*arrangement.Input)) arrangement.Input {
			in := good()
			in.Reference = "C-2"
			f(&in)
			return in
		}
		for _, c := range []struct {
			name  string
			as    string
			in    arrangement.Input
			code  errs.Code
			field string
			says  string
		}{
			{"backwards dates", "SUPA", mod(func(in *arrangement.Input) { in.Expires = "2024-01-31" }), errs.Invalid, "expires", "backwards"},
			{"expires before signing", "SUPA", mod(func(in *arrangement.Input) { in.Effective, in.Expires = "2023-01-01", "2023-12-31" }), errs.Invalid, "expires", "backwards"},
			{"signed in the future", "SUPA", mod(func(in *arrangement.Input) { in.Signed = "2030-01-01" }), errs.Invalid, "signed", "future"},
			{"not a date", "SUPA", mod(func(in *arrangement.Input) { in.Effective = "2024-02-30" }), errs.Invalid, "effective", "real day"},
			{"overlapping dates", "SUPA", mod(func(in *arrangement.Input) { in.Effective, in.Expires = "2025-06-01", "" }), errs.Conflict, "", "overlap"},
			{"overlap via all models", "SUPA", mod(func(in *arrangement.Input) { in.Models, in.AllModels, in.Effective = nil, true, "2026-01-31" }), errs.Conflict, "", "C-1"},
			{"party without the role", "SUPA", mod(func(in *arrangement.Input) { in.Manufacturer = "MAPA" }), errs.Invalid, "manufacturer", "must be a manufacturer"},
			{"supplier not a supplier", "SSC", mod(func(in *arrangement.Input) { in.Supplier = "DCC" }), errs.Invalid, "supplier", "Energy Supplier"},
			{"wrong sides for the kind", "SUPA", mod(func(in *arrangement.Input) { in.Kind = "supplier_map" }), errs.Invalid, "parties", "names supplier and map"},
			{"scheme with a supplier", "SSC", mod(func(in *arrangement.Input) { in.Kind = "ssc_scheme" }), errs.Invalid, "parties", "names manufacturer"},
			{"unknown party", "SUPA", mod(func(in *arrangement.Input) { in.Manufacturer = "NOPE" }), errs.Invalid, "manufacturer", "no organisation"},
			{"model of another manufacturer", "SUPA", mod(func(in *arrangement.Input) { in.Models = []string{"MFB/G1"} }), errs.Invalid, "models[0]", "made by MFB"},
			{"unknown model", "SUPA", mod(func(in *arrangement.Input) { in.Models = []string{"ZZ"} }), errs.Invalid, "models[0]", "no model MFA/ZZ"},
			{"models and all", "SUPA", mod(func(in *arrangement.Input) { in.AllModels = true }), errs.Invalid, "models", "not both"},
			{"no models", "SUPA", mod(func(in *arrangement.Input) { in.Models = nil }), errs.Invalid, "models", "name the covered"},
			{"unknown SEC version", "SUPA", mod(func(in *arrangement.Input) { in.SECVersion = "5.99" }), errs.Invalid, "sec_version", "unknown SEC version"},
			{"malformed SEC version", "SUPA", mod(func(in *arrangement.Input) { in.SECVersion = "five" }), errs.Invalid, "sec_version", "MAJOR.MINOR"},
			{"unknown kind", "SUPA", mod(func(in *arrangement.Input) { in.Kind = "handshake" }), errs.Invalid, "kind", "unknown kind"},
			{"no materiality", "SUPA", mod(func(in *arrangement.Input) { in.Materiality = " " }), errs.Invalid, "materiality", "required"},
			{"RED", "SUPA", mod(func(in *arrangement.Input) { in.Classification = "RED" }), errs.Invalid, "classification", "RED names people"},
			{"legacy on a contract", "SUPA", mod(func(in *arrangement.Input) { in.Legacy = true }), errs.Invalid, "legacy", "only to an SSC scheme"},
			{"bad reference", "SUPA", mod(func(in *arrangement.Input) { in.Reference = "a b" }), errs.Invalid, "reference", "letters"},
			{"not a party", "SUPB", mod(func(in *arrangement.Input) {}), errs.Forbidden, "", "parties"},
			{"the DCC", "DCC", mod(func(in *arrangement.Input) {}), errs.Forbidden, "", "parties"},
		} {
			_, err := e.svc.Create(e.ctx, e.as[c.as], c.in)
			if !errs.Is(err, c.code) {
				t.Errorf("%s: got %v (%s), want %s", c.name, err, errs.CodeOf(err), c.code)
				continue
			}
			msg := err.Error()
			if c.field != "" {
				found := false
				for _, f := range errs.As(err).Fields {
					found = found || f.Field == c.field
				}
				if !found {
					t.Errorf("%s: no problem names field %s: %v", c.name, c.field, err)
				}
			}
			if !strings.Contains(msg, c.says) {
				t.Errorf("%s: %q does not say %q", c.name, msg, c.says)
			}
		}
		if n := e.count("arrangements"); n != before {
			t.Errorf("bad input stored arrangements: %d, want %d", n, before)
		}
		if n := e.count("arrangement_models"); n != 1 {
			t.Errorf("bad input stored models: %d", n)
		}
		// A renewal that starts the day after is fine.
		in := mod(func(in *arrangement.Input) { in.Effective, in.Expires = "2026-02-01", "" })
		if _, err := e.svc.Create(e.ctx, e.as["SUPA"], in); err != nil {
			t.Errorf("renewal: %v", err)
		}
		// A contract for another model at the same time is fine too.
		in = mod(func(in *arrangement.Input) { in.Reference, in.Models = "C-3", []string{"MFA/E2"} })
		if _, err := e.svc.Create(e.ctx, e.as["SUPA"], in); err != nil {
			t.Errorf("other model: %v", err)
		}
	})
}

func TestLetterOfIntentSides(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		loi := arrangement.Input{Reference: "L-1", Kind: "loi", Supplier: "SUPA", MAP: "MAPA", Models: []string{"MFA/E1", "MFB/G1"},
			Materiality: "as the SSC's suggested wording", Signed: "2025-01-01", Effective: "2025-01-01"}
		a, err := e.svc.Create(e.ctx, e.as["MAPA"], loi)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Models) != 2 {
			t.Errorf("models %+v", a.Models)
		}
		loi.Reference, loi.Manufacturer = "L-2", "MFA"
		if _, err := e.svc.Create(e.ctx, e.as["SUPA"], loi); !errs.Is(err, errs.Invalid) {
			t.Errorf("three parties: %v", err)
		}
		loi.MAP, loi.Supplier, loi.Models = "", "", nil
		if _, err := e.svc.Create(e.ctx, e.as["SUPA"], loi); !errs.Is(err, errs.Invalid) {
			t.Errorf("one party: %v", err)
		}
		// A model code alone needs a manufacturer.
		loi = arrangement.Input{Reference: "L-3", Kind: "loi", Supplier: "SUPA", MAP: "MAPA", Models: []string{"E1"},
			Materiality: "x", Signed: "2025-01-01", Effective: "2025-01-01"}
		if _, err := e.svc.Create(e.ctx, e.as["SUPA"], loi); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "MANUFACTURER/MODEL") {
			t.Errorf("bare model code: %v", err)
		}
	})
}

func TestSchemeEnrolmentAndLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		in := arrangement.Input{Reference: "S-MFA", Kind: "scheme", Manufacturer: "MFA", AllModels: true, Legacy: true,
			Signed: "2025-06-01", Effective: "2025-06-01"}
		// Another manufacturer cannot enrol MFA.
		if _, err := e.svc.Create(e.ctx, e.as["MFB"], in); !errs.Is(err, errs.Forbidden) {
			t.Errorf("MFB enrolling MFA: %v", err)
		}
		a, err := e.svc.Create(e.ctx, e.as["MFA"], in)
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != arrangement.Pending || a.InForce(sec.MustParseDate("2025-06-15")) {
			t.Fatalf("own enrolment: %+v", a)
		}
		if _, err := e.svc.Confirm(e.ctx, e.as["MFA"], "S-MFA"); !errs.Is(err, errs.Forbidden) {
			t.Errorf("self-confirmation: %v", err)
		}
		a, err = e.svc.Confirm(e.ctx, e.as["SSC"], "S-MFA")
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != arrangement.Active || a.ConfirmedAt == nil || !a.InForce(sec.MustParseDate("2025-06-15")) {
			t.Fatalf("confirmed: %+v", a)
		}
		if _, err := e.svc.Confirm(e.ctx, e.as["SSC"], "S-MFA"); !errs.Is(err, errs.Conflict) {
			t.Errorf("second confirmation: %v", err)
		}
		// The manufacturer narrowing its enrolment sends it back to the SSC.
		legacy := false
		a, err = e.svc.Update(e.ctx, e.as["MFA"], "S-MFA", arrangement.Update{Legacy: &legacy})
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != arrangement.Pending || a.Legacy {
			t.Errorf("after the manufacturer's change: %+v", a)
		}
		// Ending: not before it began, not after it expired.
		if _, err := e.svc.Create(e.ctx, e.as["SUPA"], good()); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Terminate(e.ctx, e.as["SUPA"], "C-1", sec.MustParseDate("2020-01-01")); !errs.Is(err, errs.Invalid) {
			t.Errorf("ending before the start: %v", err)
		}
		if _, err := e.svc.Terminate(e.ctx, e.as["SUPA"], "C-1", sec.MustParseDate("2027-01-01")); !errs.Is(err, errs.Invalid) {
			t.Errorf("ending after expiry: %v", err)
		}
		if _, err := e.svc.Terminate(e.ctx, e.as["SUPB"], "C-1", sec.Date{}); !errs.Is(err, errs.NotFound) {
			t.Errorf("a stranger ending it: %v", err)
		}
		a, err = e.svc.Terminate(e.ctx, e.as["MFA"], "C-1", sec.Date{})
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != arrangement.Ended || a.Ended.String() != "2025-06-15" || a.State != "ended" {
			t.Errorf("ended: %+v", a)
		}
		// The lifecycle table refuses a second end, naming the state, and
		// a confirmation of a pending enrolment by its own manufacturer,
		// naming who it acts as.
		if _, err := e.svc.Terminate(e.ctx, e.as["SUPA"], "C-1", sec.Date{}); !errs.Is(err, errs.Conflict) ||
			!strings.Contains(err.Error(), "already ended") || !strings.Contains(err.Error(), `"ended"`) {
			t.Errorf("ending it again: %v", err)
		}
		if _, err := e.svc.Confirm(e.ctx, e.as["MFA"], "S-MFA"); !errs.Is(err, errs.Forbidden) || !strings.Contains(err.Error(), "owner of the record") {
			t.Errorf("self-confirmation of the resubmitted enrolment: %v", err)
		}
		// Once ended, a new contract may start the day it ended.
		in2 := good()
		in2.Reference, in2.Effective = "C-1b", "2025-06-15"
		if _, err := e.svc.Create(e.ctx, e.as["SUPA"], in2); err != nil {
			t.Errorf("successor: %v", err)
		}
		// A RED arrangement stays RED through an edit that gives no marking;
		// a marking given changes it.
		e.exec("UPDATE arrangements SET classification = 'RED' WHERE reference = 'C-1b'")
		title := "renamed"
		if a, err := e.svc.Update(e.ctx, e.sys, "C-1b", arrangement.Update{Title: &title}); err != nil || a.Classification != sec.Red {
			t.Errorf("RED after an edit: %+v %v", a.Classification, err)
		}
		amber := "AMBER"
		if a, err := e.svc.Update(e.ctx, e.sys, "C-1b", arrangement.Update{Classification: &amber}); err != nil || a.Classification != sec.Amber {
			t.Errorf("marking given: %+v %v", a.Classification, err)
		}
		// Updates are checked like creation, and nothing changes on error.
		bad := "2023-01-01"
		if _, err := e.svc.Update(e.ctx, e.as["SUPA"], "C-1b", arrangement.Update{Expires: &bad}); !errs.Is(err, errs.Invalid) {
			t.Errorf("backwards update: %v", err)
		}
		got, _ := e.svc.Get(e.ctx, e.sys, "C-1b")
		if got.Expires != sec.MustParseDate("2026-01-31") {
			t.Errorf("a failed update changed the expiry: %s", got.Expires)
		}
	})
}

func TestImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		file := strings.Join(arrangement.CSVHeader, ",") + "\n" +
			`C-10,supplier_manufacturer,SUPA,,MFA,*,"CVSS 7.0 or above, or remote compromise",2024-01-10,2024-02-01,2027-01-31,5.21,,` + "\n" +
			`L-10,loi,SUPA,MAPA,,MFA/E1;MFB/G1,as suggested,2025-02-01,2025-02-01,,,,GREEN` + "\n" +
			`S-10,scheme,,,MFB,*,,2020-09-15,2020-09-15,,,yes,` + "\n"
		audits := e.count("audit_log")
		res, err := e.svc.Import(e.ctx, e.as["SSC"], strings.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		if res.Rows != 3 || res.Created != 3 || res.Unchanged != 0 || len(res.Digest) != 64 {
			t.Fatalf("first import %+v", res)
		}
		if n := e.count("audit_log") - audits; n != 1 {
			t.Errorf("an import of 3 rows wrote %d audit records, want 1", n)
		}
		res, err = e.svc.Import(e.ctx, e.as["SSC"], strings.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		if res.Created != 0 || res.Unchanged != 3 {
			t.Fatalf("second import %+v", res)
		}
		l, err := e.svc.Get(e.ctx, e.as["SUPA"], "L-10")
		if err != nil || l.Classification != sec.Green || len(l.Models) != 2 {
			t.Fatalf("L-10: %+v %v", l, err)
		}
		s, _ := e.svc.Get(e.ctx, e.sys, "S-10")
		if s.Status != arrangement.Active || !s.Legacy {
			t.Errorf("scheme imported by the SSC: %+v", s)
		}
		// Round trip: an arrangement's record reads back the same.
		var b strings.Builder
		b.WriteString(strings.Join(arrangement.CSVHeader, ",") + "\n")
		for _, a := range []arrangement.Arrangement{l, s} {
			b.WriteString(strings.Join(quoteAll(a.Record()), ",") + "\n")
		}
		if res, err := e.svc.Import(e.ctx, e.as["SSC"], strings.NewReader(b.String())); err != nil || res.Unchanged != 2 {
			t.Errorf("round trip: %+v %v", res, err)
		}

		before := e.count("arrangements")
		audits = e.count("audit_log")
		bad := strings.Join(arrangement.CSVHeader, ",") + "\n" +
			`C-11,supplier_manufacturer,SUPB,,MFA,E1,x,2024-01-10,2024-02-01,2023-01-31,,,` + "\n" + // backwards
			`C-12,supplier_manufacturer,SUPB,,MFA,MFB/G1,x,2024-01-10,2024-02-01,,,,` + "\n" + // other manufacturer's model
			`C-13,supplier_map,SUPB,,MFA,*,x,2024-01-10,2024-02-01,,,,` + "\n" + // wrong sides
			`C-14,supplier_manufacturer,SUPB,,MFA,*,x,2024-01-10,2024-02-01,,9.9,,` + "\n" + // unknown SEC version
			`C-15,supplier_manufacturer,SUPB,,MFA,*,x,2024-01-10,2024-02-01,,,,` + "\n" + // good
			`C-10,supplier_manufacturer,SUPA,,MFA,*,changed,2024-01-10,2024-02-01,2027-01-31,5.21,,` + "\n" + // differs
			`C-16,supplier_manufacturer,SUPB,,MFA,*,x,2024-01-10,2024-03-01,,,,` + "\n" // overlaps C-15
		_, err = e.svc.Import(e.ctx, e.as["SSC"], strings.NewReader(bad))
		if !errs.Is(err, errs.Invalid) {
			t.Fatalf("bad file: %v", err)
		}
		lines := map[int]bool{}
		for _, f := range errs.As(err).Fields {
			lines[f.Line] = true
		}
		for _, l := range []int{2, 3, 4, 5, 7, 8} {
			if !lines[l] {
				t.Errorf("no problem reported on line %d: %v", l, err)
			}
		}
		if lines[6] {
			t.Errorf("the good line 6 reported: %v", err)
		}
		if e.count("arrangements") != before || e.count("audit_log") != audits {
			t.Errorf("a bad file stored something")
		}
		// A Supplier may import only its own arrangements.
		mine := strings.Join(arrangement.CSVHeader, ",") + "\n" + `C-20,supplier_manufacturer,SUPB,,MFA,*,x,2024-01-10,2024-02-01,,,,` + "\n"
		if _, err := e.svc.Import(e.ctx, e.as["SUPA"], strings.NewReader(mine)); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "parties") {
			t.Errorf("SUPA importing SUPB's: %v", err)
		}
		if _, err := e.svc.Import(e.ctx, e.as["SUPB"], strings.NewReader(mine)); err != nil {
			t.Errorf("SUPB importing its own: %v", err)
		}
		for name, file := range map[string]string{
			"empty":      "",
			"header":     "reference,kind\n",
			"no rows":    strings.Join(arrangement.CSVHeader, ",") + "\n",
			"fields":     strings.Join(arrangement.CSVHeader, ",") + "\nC-30,loi\n",
			"quote":      strings.Join(arrangement.CSVHeader, ",") + "\n\"C-31,loi\n",
			"duplicates": strings.Join(arrangement.CSVHeader, ",") + "\n" + `C-32,loi,SUPA,MAPA,,MFA/E1,x,2025-01-01,2025-01-01,,,,` + "\n" + `C-32,loi,SUPA,MAPA,,MFA/E1,x,2025-01-01,2025-01-01,,,,` + "\n",
			"legacy":     strings.Join(arrangement.CSVHeader, ",") + "\n" + `C-33,scheme,,,MFA,*,,2025-01-01,2025-01-01,,,maybe,` + "\n",
		} {
			if _, err := e.svc.Import(e.ctx, e.as["SSC"], strings.NewReader(file)); !errs.Is(err, errs.Invalid) {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}

func quoteAll(rec []string) []string {
	out := make([]string, len(rec))
	for i, f := range rec {
		out[i] = `"` + strings.ReplaceAll(f, `"`, `""`) + `"`
	}
	return out
}

func docx(t testing.TB, files ...string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range files {
		w, err := zw.Create(f)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("<x/>"))
	}
	zw.Close()
	return b.Bytes()
}

var (
	pdf  = []byte("%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
	png  = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00")
	jpeg = []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 0xFF, 0xD9}
)

func TestSniffEvidence(t *testing.T) {
	for _, c := range []struct {
		name    string
		content []byte
		want    string // media type, or "!" + text of the error
	}{
		{"contract.pdf", pdf, "application/pdf"},
		{"CONTRACT.PDF", pdf, "application/pdf"},
		{"scan.png", png, "image/png"},
		{"scan.jpeg", jpeg, "image/jpeg"},
		{"scan.jpg", jpeg, "image/jpeg"},
		{"letter.txt", []byte("We agree to notify.\r\n\tSigned.\n"), "text/plain; charset=utf-8"},
		{"letter.docx", docx(t, "[Content_Types].xml", "word/document.xml"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"scan.pdf", png, "!disguised"},
		{"contract.txt", pdf, "!disguised"},
		{"contract.png", []byte("hello"), "!disguised"},
		{"contract", pdf, "!no extension"},
		{"truncated.pdf", []byte("%PDF-1.7\n1 0 obj"), "!end-of-file"},
		{"bad.png", []byte("\x89PNG\r\n\x1a\nxxxx"), "!image header"},
		{"program.pdf", []byte("MZ\x90\x00\x03"), "!Windows program"},
		{"program.txt", []byte("\x7fELF\x02\x01"), "!program"},
		{"page.txt", []byte("<!DOCTYPE html><html><script>alert(1)</script>"), "!HTML"},
		{"image.txt", []byte("<svg xmlns='http://www.w3.org/2000/svg'></svg>"), "!HTML or XML"},
		{"data.txt", []byte("abc\x00def"), "!binary"},
		{"data.txt", []byte{0xff, 0xfe, 0x00}, "!binary"},
		{"macro.docx", docx(t, "[Content_Types].xml", "word/document.xml", "word/vbaProject.bin"), "!macros"},
		{"archive.docx", docx(t, "a.txt"), "!not a Word document"},
		{"sheet.docx", []byte("PK\x03\x04garbage"), "!cannot be read"},
		{"empty.pdf", nil, "!empty"},
		{"../etc/passwd.txt", []byte("x"), "!must not contain"},
		{".hidden.txt", []byte("x"), "!dot"},
		{"", []byte("x"), "!needs a name"},
		{"tab\tname.txt", []byte("x"), "!control"},
		{"old.doc", []byte{0xD0, 0xCF, 0x11, 0xE0, 1, 2}, "!old Office"},
	} {
		mt, err := arrangement.SniffEvidence(c.name, c.content)
		if strings.HasPrefix(c.want, "!") {
			if err == nil || !strings.Contains(err.Error(), c.want[1:]) {
				t.Errorf("%s: got %q, %v; want an error saying %q", c.name, mt, err, c.want[1:])
			}
			continue
		}
		if err != nil || mt != c.want {
			t.Errorf("%s: got %q, %v; want %q", c.name, mt, err, c.want)
		}
	}
	big := make([]byte, arrangement.MaxEvidenceSize+1)
	copy(big, pdf)
	if _, err := arrangement.SniffEvidence("big.pdf", big); !errs.Is(err, errs.TooLarge) {
		t.Errorf("oversized: %v", err)
	}
}

func TestEvidence(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		if _, err := e.svc.Create(e.ctx, e.as["SUPA"], good()); err != nil {
			t.Fatal(err)
		}
		ev, err := e.svc.AddEvidence(e.ctx, e.as["MFA"], "C-1", "contract.pdf", bytes.NewReader(pdf))
		if err != nil {
			t.Fatal(err)
		}
		if ev.Size != int64(len(pdf)) || len(ev.SHA256) != 64 || ev.MediaType != "application/pdf" {
			t.Errorf("evidence %+v", ev)
		}
		if _, err := e.svc.AddEvidence(e.ctx, e.as["MFA"], "C-1", "again.pdf", bytes.NewReader(pdf)); !errs.Is(err, errs.Conflict) {
			t.Errorf("the same file twice: %v", err)
		}
		for _, c := range []struct {
			who, name string
			body      []byte
			code      errs.Code
		}{
			{"SUPB", "x.pdf", pdf, errs.NotFound},
			{"SUPA", "x.pdf", png, errs.Invalid},
			{"SUPA", "x.pdf", make([]byte, arrangement.MaxEvidenceSize+10), errs.TooLarge},
		} {
			if _, err := e.svc.AddEvidence(e.ctx, e.as[c.who], "C-1", c.name, bytes.NewReader(c.body)); !errs.Is(err, c.code) {
				t.Errorf("%s %s: %v, want %s", c.who, c.name, err, c.code)
			}
		}
		if n := e.count("arrangement_evidence"); n != 1 {
			t.Errorf("%d evidence rows, want 1", n)
		}
		a, _ := e.svc.Get(e.ctx, e.as["SUPA"], "C-1")
		if len(a.Evidence) != 1 {
			t.Fatalf("evidence listed: %+v", a.Evidence)
		}
		got, content, err := e.svc.EvidenceFile(e.ctx, e.as["SSC"], "C-1", ev.ID)
		if err != nil || !bytes.Equal(content, pdf) || got.Name != "contract.pdf" {
			t.Errorf("download: %+v %v", got, err)
		}
		if _, _, err := e.svc.EvidenceFile(e.ctx, e.as["SUPB"], "C-1", ev.ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("a stranger downloading: %v", err)
		}
	})
}

func TestExpiryAlerts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		in := good()
		in.Expires = "2025-07-01"
		if _, err := e.svc.Create(e.ctx, e.sys, in); err != nil {
			t.Fatal(err)
		}
		run := func(d string, days int) int {
			var n int
			err := db.Write(e.ctx, e.sys, func(tx *store.Tx) error {
				var err error
				n, err = arrangement.NotifyExpiring(e.ctx, tx, arrangement.InApp{}, sec.MustParseDate(d), days)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := run("2025-05-01", 30); n != 0 {
			t.Errorf("too early: %d notices", n)
		}
		if n := run("2025-06-15", 30); n != 3 { // SUPA, MFA, the SSC
			t.Errorf("in the window: %d notices, want 3", n)
		}
		run("2025-06-16", 30)
		if n := e.count("arrangement_alerts"); n != 3 {
			t.Errorf("repeated run: %d alerts, want 3", n)
		}
		for who, want := range map[string]int{"SUPA": 1, "MFA": 1, "SSC": 3, "SUPB": 0, "MFB": 0} {
			al, err := e.svc.Alerts(e.ctx, e.as[who], 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(al) != want {
				t.Errorf("%s sees %d alerts, want %d", who, len(al), want)
			}
		}
	})
}

// TestDeliveryNotifier: through the delivery adapter an alert reaches the
// organisation's inbox and its security contacts, once however often the
// job runs, and the in-app alert row is kept.
func TestDeliveryNotifier(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		for _, code := range []string{"SUPA", "MFA", "SSC"} {
			e.exec(`INSERT INTO security_contacts (org_id, label, name, email, valid_from, changed_by) VALUES ($1, 'primary', 'C', $2, $3, 'test')`,
				e.orgs[code], strings.ToLower(code)+"@contact.example", time.Now().UTC())
		}
		in := good()
		in.Expires = "2025-07-01"
		if _, err := e.svc.Create(e.ctx, e.sys, in); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := db.Write(e.ctx, e.sys, func(tx *store.Tx) error {
				_, err := arrangement.NotifyExpiring(e.ctx, tx, arrangement.Delivery{}, sec.MustParseDate("2025-06-15"), 30)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		if n := e.count("notices"); n != 3 {
			t.Errorf("%d notices, want 3 (SUPA, MFA, the SSC)", n)
		}
		if n := e.count("arrangement_alerts"); n != 3 {
			t.Errorf("%d in-app alerts, want 3", n)
		}
		var jobs int
		if err := db.QueryRowContext(e.ctx, "SELECT COUNT(*) FROM delivery_jobs WHERE channel = 'email'").Scan(&jobs); err != nil {
			t.Fatal(err)
		}
		if jobs != 3 {
			t.Errorf("%d email jobs, want 3", jobs)
		}
	})
}

// TestLetterOfIntentSignatures: seeds/000, "The SSC will expect to see a
// contract or Letter of Intent signed by both parties". Each party's
// signature is recorded with its date; bad signatures are refused naming the
// field.
func TestLetterOfIntentSignatures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		loi := arrangement.Input{Reference: "L-S", Kind: "loi", Supplier: "SUPA", Manufacturer: "MFA", AllModels: true,
			Materiality: "x", Signed: "2025-01-01", Effective: "2025-01-01",
			Signatures: []arrangement.SignatureInput{{Party: "supa", Signed: "2025-01-01"}}}
		a, err := e.svc.Create(e.ctx, e.as["SUPA"], loi)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Signatures) != 1 || a.Signatures[0].Party.Code != "SUPA" || a.Signatures[0].Signed.String() != "2025-01-01" ||
			a.SignedByBoth(sec.MustParseDate("2025-06-15")) {
			t.Fatalf("one signature: %+v", a.Signatures)
		}
		// The manufacturer signs later: both signatures, each with its day.
		sigs := []arrangement.SignatureInput{{Party: "SUPA", Signed: "2025-01-01"}, {Party: "MFA", Signed: "2025-03-01"}}
		a, err = e.svc.Update(e.ctx, e.as["MFA"], "L-S", arrangement.Update{Signatures: &sigs})
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Signatures) != 2 || !a.SignedByBoth(sec.MustParseDate("2025-03-01")) || a.SignedByBoth(sec.MustParseDate("2025-02-28")) {
			t.Fatalf("two signatures: %+v", a.Signatures)
		}
		// An unrelated update keeps them.
		title := "renamed"
		if a, err = e.svc.Update(e.ctx, e.sys, "L-S", arrangement.Update{Title: &title}); err != nil || len(a.Signatures) != 2 {
			t.Fatalf("signatures lost on update: %+v %v", a.Signatures, err)
		}
		for name, c := range map[string]struct {
			kind  string
			sigs  []arrangement.SignatureInput
			field string
		}{
			"not a party":        {"loi", []arrangement.SignatureInput{{Party: "MFB", Signed: "2025-01-01"}}, "signatures[0].party"},
			"twice by one party": {"loi", []arrangement.SignatureInput{{Party: "SUPA", Signed: "2025-01-01"}, {Party: "SUPA", Signed: "2025-02-01"}}, "signatures[1].party"},
			"in the future":      {"loi", []arrangement.SignatureInput{{Party: "SUPA", Signed: "2025-06-16"}}, "signatures[0].signed"},
			"no date":            {"loi", []arrangement.SignatureInput{{Party: "SUPA"}}, "signatures[0].signed"},
			"three":              {"loi", []arrangement.SignatureInput{{Party: "SUPA", Signed: "2025-01-01"}, {Party: "MFA", Signed: "2025-01-01"}, {Party: "MFA", Signed: "2025-01-01"}}, "signatures"},
			"on a contract":      {"supplier_manufacturer", []arrangement.SignatureInput{{Party: "SUPA", Signed: "2025-01-01"}}, "signatures"},
		} {
			in := loi
			in.Reference, in.Kind, in.Signatures = "L-"+strings.ReplaceAll(name, " ", "-"), c.kind, c.sigs
			_, err := e.svc.Create(e.ctx, e.sys, in)
			var ee *errs.Error
			if !errs.Is(err, errs.Invalid) || !errors.As(err, &ee) || len(ee.Fields) == 0 || ee.Fields[0].Field != c.field {
				t.Errorf("%s: %v (%+v), want a problem with %s", name, err, ee, c.field)
			}
		}
	})
}

// TestStatusesAreTheLifecycle: the stored statuses are the states of
// sec.ArrangementLifecycle, which moves them.
func TestStatusesAreTheLifecycle(t *testing.T) {
	want := []sec.ArrangementState{sec.ArrangementPending, sec.ArrangementActive, sec.ArrangementEnded}
	for i, st := range []arrangement.Status{arrangement.Pending, arrangement.Active, arrangement.Ended} {
		if sec.ArrangementState(st) != want[i] {
			t.Errorf("status %q is not the lifecycle's %q", st, want[i])
		}
	}
	if got := sec.ArrangementLifecycle.States(); len(got) != len(want) {
		t.Errorf("the lifecycle has states %v", got)
	}
}
