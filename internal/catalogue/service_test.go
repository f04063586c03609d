package catalogue

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audience"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// fixture is a database with two manufacturers, two Suppliers, the SSC, a
// MAP, and a caller of each.
type fixture struct {
	t   *testing.T
	db  *store.DB
	svc *Service
	sys access.Caller
	org map[string]int64
	// Callers by name: mfrA, mfrB, supA, supB, ssc, map.
	as map[string]access.Caller
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, db: db, svc: &Service{DB: db}, sys: access.SystemCaller("test"), org: map[string]int64{}, as: map[string]access.Caller{}}
	parties := &party.Service{DB: db}
	for _, o := range []struct {
		code, role string
		user       string
		userRole   sec.Role
	}{
		{"MANA", "manufacturer", "mfrA", sec.RoleManufacturer},
		{"MANB", "manufacturer", "mfrB", sec.RoleManufacturer},
		{"SUPA", "large_supplier", "supA", sec.RoleSupplier},
		{"SUPB", "small_supplier", "supB", sec.RoleSupplier},
		{"SSC", "ssc", "ssc", sec.RoleSSCMember},
		{"MAPA", "map", "map", sec.RoleMAP},
	} {
		p, err := parties.Create(ctx, f.sys, party.NewParty{Code: o.code, Name: "Org " + o.code, Roles: []string{o.role}})
		if err != nil {
			t.Fatal(err)
		}
		f.org[o.code] = p.ID
		f.as[o.user] = access.Caller{UserID: int64(1000 + len(f.as)), OrgID: p.ID, OrgCode: p.Code, Name: o.user + "@example.org",
			Roles: []sec.Role{o.userRole}, OrgRoles: p.Roles, Via: "session"}
	}
	return f
}

func (f *fixture) model(as string, in ModelInput) Model {
	f.t.Helper()
	m, err := f.svc.CreateModel(context.Background(), f.as[as], in)
	if err != nil {
		f.t.Fatalf("create model %+v as %s: %v", in, as, err)
	}
	return m
}

func (f *fixture) firmware(as string, modelID int64, versions ...string) {
	f.t.Helper()
	for _, v := range versions {
		if _, err := f.svc.AddFirmware(context.Background(), f.as[as], modelID, FirmwareInput{Version: v}); err != nil {
			f.t.Fatalf("add firmware %s: %v", v, err)
		}
	}
}

// wantFields checks that err is Invalid and names exactly the fields.
func wantFields(t *testing.T, what string, err error, fields ...string) {
	t.Helper()
	e := errs.As(err)
	if err == nil || e.Code != errs.Invalid {
		t.Errorf("%s: error %v, want invalid fields %v", what, err, fields)
		return
	}
	var got []string
	for _, f := range e.Fields {
		got = append(got, f.Field)
	}
	if !slices.Equal(got, fields) {
		t.Errorf("%s: fields %v (%v), want %v", what, got, err, fields)
	}
}

func wantCode(t *testing.T, what string, err error, code errs.Code) {
	t.Helper()
	if errs.CodeOf(err) != code || err == nil {
		t.Errorf("%s: error %v, want %s", what, err, code)
	}
}

func TestModelPermissionsAndVisibility(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		green := f.model("mfrA", ModelInput{Code: "4A1F", Name: "Meter one", DeviceType: "ESME", Generation: "SMETS2+", Hardware: "1.0"})
		if green.Manufacturer != "MANA" || green.Classification != sec.Green {
			t.Errorf("a manufacturer's model defaults to its own organisation, GREEN: %+v", green)
		}
		amber := f.model("mfrA", ModelInput{Code: "4A20", DeviceType: "gsme", Generation: "SMETS1", Hardware: "2", Classification: "amber"})
		f.model("ssc", ModelInput{Manufacturer: "manb", Code: "B001", DeviceType: "CHF", Generation: "SMETS2", Hardware: "h"})

		_, err := f.svc.CreateModel(ctx, f.as["mfrA"], ModelInput{Manufacturer: "MANB", Code: "X1", DeviceType: "ESME", Generation: "SMETS1", Hardware: "1"})
		wantCode(t, "a manufacturer creating another's model", err, errs.Forbidden)
		_, err = f.svc.CreateModel(ctx, f.as["supA"], ModelInput{Manufacturer: "MANA", Code: "X2", DeviceType: "ESME", Generation: "SMETS1", Hardware: "1"})
		wantCode(t, "a Supplier creating a model", err, errs.Forbidden)

		name := "Renamed"
		_, err = f.svc.UpdateModel(ctx, f.as["mfrB"], green.ID, ModelUpdate{Name: &name})
		wantCode(t, "a manufacturer editing another's GREEN model", err, errs.Forbidden)
		_, err = f.svc.UpdateModel(ctx, f.as["mfrB"], amber.ID, ModelUpdate{Name: &name})
		wantCode(t, "a manufacturer editing another's AMBER model it cannot see", err, errs.NotFound)
		if m, err := f.svc.UpdateModel(ctx, f.as["ssc"], amber.ID, ModelUpdate{Name: &name}); err != nil || m.Name != name {
			t.Errorf("the SSC edits any model: %+v %v", m, err)
		}
		if _, err := f.svc.AddFirmware(ctx, f.as["supA"], green.ID, FirmwareInput{Version: "1.0"}); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("a Supplier adding firmware: %v", err)
		}
		if _, err := f.svc.AddFirmware(ctx, f.as["mfrB"], green.ID, FirmwareInput{Version: "1.0"}); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("another manufacturer adding firmware: %v", err)
		}

		for who, want := range map[string][]string{
			"mfrA": {"MANA/4A1F", "MANA/4A20", "MANB/B001"},
			"mfrB": {"MANA/4A1F", "MANB/B001"},
			"supA": {"MANA/4A1F", "MANB/B001"},
			"map":  {"MANA/4A1F", "MANB/B001"},
			"ssc":  {"MANA/4A1F", "MANA/4A20", "MANB/B001"},
		} {
			ms, err := f.svc.ListModels(ctx, f.as[who], Filter{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range ms {
				got = append(got, m.Manufacturer+"/"+m.Code)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s sees %v, want %v", who, got, want)
			}
		}
		if _, err := f.svc.GetModel(ctx, f.as["supA"], amber.ID, sec.Date{}); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("a Supplier getting an AMBER model: %v", err)
		}
		if _, err := f.svc.ListModels(ctx, access.Public(), Filter{}); err != nil {
			t.Error(err)
		}
		if ms, _ := f.svc.ListModels(ctx, access.Public(), Filter{}); len(ms) != 0 {
			t.Errorf("the public sees %d GREEN models", len(ms))
		}

		// Filters.
		for _, tc := range []struct {
			f    Filter
			want int
		}{
			{Filter{Manufacturer: "mana"}, 2}, {Filter{DeviceType: sec.CHF}, 1}, {Filter{Generation: sec.SMETS1}, 1},
			{Filter{Query: "renamed"}, 1}, {Filter{Query: "4a"}, 2}, {Filter{Manufacturer: "MANA", Generation: sec.SMETS2}, 1},
		} {
			ms, err := f.svc.ListModels(ctx, f.as["ssc"], tc.f)
			if err != nil || len(ms) != tc.want {
				t.Errorf("filter %+v: %d models (%v), want %d", tc.f, len(ms), err, tc.want)
			}
		}
	})
}

func TestModelValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		f.model("ssc", ModelInput{Manufacturer: "MANA", Code: "4A1F", DeviceType: "ESME", Generation: "SMETS2+", Hardware: "1.0"})
		ok := ModelInput{Manufacturer: "MANA", Code: "4A2F", DeviceType: "ESME", Generation: "SMETS2+", Hardware: "1.0"}
		for _, tc := range []struct {
			name   string
			change func(*ModelInput)
			fields []string
		}{
			{"unknown manufacturer", func(in *ModelInput) { in.Manufacturer = "NOPE" }, []string{"manufacturer"}},
			{"an organisation without the Manufacturer role", func(in *ModelInput) { in.Manufacturer = "SUPA" }, []string{"manufacturer"}},
			{"duplicate model code per manufacturer, ignoring case", func(in *ModelInput) { in.Code = "4a1f" }, []string{"code"}},
			{"bad code, type, generation, hardware", func(in *ModelInput) {
				in.Code, in.DeviceType, in.Generation, in.Hardware = "4A 1F", "meter", "SMETS3", ""
			}, []string{"code", "device_type", "generation", "hardware_version"}},
			{"RED is not a catalogue marking", func(in *ModelInput) { in.Classification = "RED" }, []string{"classification"}},
			{"no manufacturer", func(in *ModelInput) { in.Manufacturer = "" }, []string{"manufacturer"}},
		} {
			in := ok
			tc.change(&in)
			_, err := f.svc.CreateModel(ctx, f.as["ssc"], in)
			wantFields(t, tc.name, err, tc.fields...)
		}
		// The same code under another manufacturer is a different model.
		other := ok
		other.Manufacturer, other.Code = "MANB", "4A1F"
		if _, err := f.svc.CreateModel(ctx, f.as["ssc"], other); err != nil {
			t.Error(err)
		}
	})
}

func TestModelTypeFixedOnceInstalled(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		m := f.model("mfrA", ModelInput{Code: "4A1F", DeviceType: "ESME", Generation: "SMETS2+", Hardware: "1.0"})
		f.firmware("mfrA", m.ID, "1.0")
		gsme := "GSME"
		if _, err := f.svc.UpdateModel(ctx, f.as["mfrA"], m.ID, ModelUpdate{DeviceType: &gsme}); err != nil {
			t.Fatalf("a model with no Devices changes type: %v", err)
		}
		full, _ := f.svc.GetModel(ctx, f.sys, m.ID, sec.Date{})
		portfolio(t, db, f.org["SUPA"], m.ID, full.Firmware[0].ID, 10)
		esme := "ESME"
		_, err := f.svc.UpdateModel(ctx, f.as["mfrA"], m.ID, ModelUpdate{DeviceType: &esme})
		wantCode(t, "type change with Devices installed", err, errs.Conflict)
		hw := "1.1"
		if _, err := f.svc.UpdateModel(ctx, f.as["mfrA"], m.ID, ModelUpdate{Hardware: &hw}); err != nil {
			t.Errorf("hardware version changes: %v", err)
		}
	})
}

func portfolio(t *testing.T, db *store.DB, supplierID, modelID, firmwareID, devices int64) {
	t.Helper()
	if _, err := db.Writer().Exec(`INSERT INTO portfolio (supplier_id, model_id, firmware_id, map_id, generation, device_type, devices)
		SELECT $1, m.id, $3, 0, m.generation, m.device_type, $4 FROM device_models m WHERE m.id = $2`,
		supplierID, modelID, firmwareID, devices); err != nil {
		t.Fatal(err)
	}
}

func TestFirmwareOrderAndValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		m := f.model("mfrA", ModelInput{Code: "4A1F", DeviceType: "ESME", Generation: "SMETS2+", Hardware: "1.0"})
		f.firmware("mfrA", m.ID, "1.10", "1.2b", "1.2", "1.2.1", "0.9", "1.2a")
		fws, err := f.svc.ListFirmware(ctx, f.as["supA"], m.ID, sec.Date{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, fw := range fws {
			got = append(got, fw.Version.String())
			if fw.Status.State != Uncertified {
				t.Errorf("firmware %s with no certificate: %s", fw.Version, fw.Status.State)
			}
		}
		if want := []string{"0.9", "1.2", "1.2a", "1.2b", "1.2.1", "1.10"}; !slices.Equal(got, want) {
			t.Errorf("firmware order %v, want %v", got, want)
		}
		for _, tc := range []struct {
			name   string
			in     FirmwareInput
			fields []string
		}{
			{"bad firmware version", FirmwareInput{Version: "1..2"}, []string{"version"}},
			{"empty version", FirmwareInput{Version: ""}, []string{"version"}},
			{"ambiguous hex", FirmwareInput{Version: "1A2"}, []string{"version"}},
			{"duplicate version", FirmwareInput{Version: "1.2"}, []string{"version"}},
			{"bad date and hash", FirmwareInput{Version: "3.0", Released: "2021-02-30", ImageHash: "abc"}, []string{"released", "image_hash"}},
		} {
			_, err := f.svc.AddFirmware(ctx, f.as["mfrA"], m.ID, tc.in)
			wantFields(t, tc.name, err, tc.fields...)
		}
		hash := strings.Repeat("AB", 32)
		rel := "2021-03-01"
		fw, err := f.svc.UpdateFirmware(ctx, f.as["mfrA"], fws[0].ID, FirmwareUpdate{Released: &rel, ImageHash: &hash})
		if err != nil || fw.Released.String() != rel || fw.ImageHash != strings.ToLower(hash) {
			t.Errorf("update firmware: %+v %v", fw, err)
		}
		if _, err := f.svc.UpdateFirmware(ctx, f.as["mfrB"], fws[0].ID, FirmwareUpdate{Released: &rel}); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("another manufacturer updating firmware: %v", err)
		}
		if _, err := f.svc.UpdateFirmware(ctx, f.as["mfrA"], 999999, FirmwareUpdate{Released: &rel}); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("unknown firmware: %v", err)
		}
	})
}

func TestCertificates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		m := f.model("mfrA", ModelInput{Code: "4A1F", DeviceType: "ESME", Generation: "SMETS2+", Hardware: "1.0"})
		f.firmware("mfrA", m.ID, "1.0", "1.1", "2.0")
		good := CertificateInput{Reference: "CPA/2021/0117", Issued: "2021-02-01", Kind: "expiring", Expiry: "2027-02-01", Firmware: []string{"1.1", "1.0"}}
		for _, tc := range []struct {
			name   string
			change func(*CertificateInput)
			fields []string
		}{
			{"expiring without expiry", func(in *CertificateInput) { in.Expiry = "" }, []string{"expiry"}},
			{"lifetime without renewal", func(in *CertificateInput) { in.Kind, in.Expiry = "lifetime", "" }, []string{"renewal"}},
			{"lifetime with an expiry date", func(in *CertificateInput) { in.Kind, in.Renewal = "lifetime", "2030-01-01" }, []string{"expiry"}},
			{"dates in the wrong order", func(in *CertificateInput) {
				in.Expiry, in.Withdrawn, in.WithdrawnReason = "2020-01-01", "2020-06-01", "superseded"
			}, []string{"expiry", "withdrawn"}},
			// Issue 14 (5): "a certificate withdrawal without a reason
			// succeeded. Required fields are required."
			{"withdrawn without a reason", func(in *CertificateInput) { in.Withdrawn = "2022-06-01" }, []string{"withdrawn_reason"}},
			{"a reason without a withdrawal", func(in *CertificateInput) { in.WithdrawnReason = "superseded" }, []string{"withdrawn_reason"}},
			{"conditional without conditions or due date", func(in *CertificateInput) { in.Conditional = true }, []string{"conditions", "conditions_due"}},
			{"conditions on an unconditional certificate", func(in *CertificateInput) { in.Conditions = "x" }, []string{"conditions"}},
			{"unknown kind, bad date, bad reference", func(in *CertificateInput) { in.Kind, in.Issued, in.Reference = "forever", "01/02/2021", "CPA 1" }, []string{"issued"}},
			{"unknown firmware", func(in *CertificateInput) { in.Firmware = []string{"1.0", "9.9"} }, []string{"firmware[1]"}},
			{"no firmware", func(in *CertificateInput) { in.Firmware = nil }, []string{"firmware"}},
		} {
			in := good
			tc.change(&in)
			_, err := f.svc.AddCertificate(ctx, f.as["mfrA"], m.ID, in)
			wantFields(t, tc.name, err, tc.fields...)
		}
		c, err := f.svc.AddCertificate(ctx, f.as["mfrA"], m.ID, good)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(c.Firmware, []string{"1.0", "1.1"}) || c.Status.State == "" {
			t.Errorf("certificate %+v", c)
		}
		_, err = f.svc.AddCertificate(ctx, f.as["mfrA"], m.ID, good)
		wantFields(t, "duplicate reference", err, "reference")
		_, err = f.svc.AddCertificate(ctx, f.as["mfrB"], m.ID, good)
		wantCode(t, "another manufacturer's certificate", err, errs.Forbidden)

		// Lifetime with conditions, then conditions closed.
		lt := CertificateInput{Reference: "CPA-2023-0342", Issued: "2023-05-10", Kind: "lifetime", Renewal: "2029-05-10",
			Conditional: true, Conditions: "Close finding 4 (tamper log)", ConditionsDue: "2024-05-10", Firmware: []string{"2.0"}}
		lc, err := f.svc.AddCertificate(ctx, f.as["ssc"], m.ID, lt)
		if err != nil {
			t.Fatal(err)
		}
		model, _ := f.svc.GetModel(ctx, f.as["supA"], m.ID, day("2024-01-01"))
		if st := model.Firmware[2].Status; st.State != Conditional || st.ConditionsOverdue {
			t.Errorf("2.0 on 2024-01-01: %+v", st)
		}
		model, _ = f.svc.GetModel(ctx, f.as["supA"], m.ID, day("2024-06-01"))
		if st := model.Firmware[2].Status; st.State != Conditional || !st.ConditionsOverdue {
			t.Errorf("2.0 on 2024-06-01: %+v", st)
		}
		no, empty := false, ""
		lc, err = f.svc.UpdateCertificate(ctx, f.as["mfrA"], lc.ID, CertificateUpdate{Conditional: &no, Conditions: &empty, ConditionsDue: &empty})
		if err != nil || lc.Conditional {
			t.Fatalf("close conditions: %+v %v", lc, err)
		}
		bad := "2020-01-01"
		_, err = f.svc.UpdateCertificate(ctx, f.as["mfrA"], lc.ID, CertificateUpdate{Renewal: &bad})
		wantFields(t, "renewal before issue", err, "renewal")
		lc, err = f.svc.UpdateCertificate(ctx, f.as["mfrA"], lc.ID, CertificateUpdate{Firmware: &[]string{"1.1", "2.0"}})
		if err != nil || !slices.Equal(lc.Firmware, []string{"1.1", "2.0"}) {
			t.Errorf("relink: %+v %v", lc, err)
		}

		// Withdrawal.
		_, err = f.svc.WithdrawCertificate(ctx, f.as["mfrA"], c.ID, Withdrawal{Date: "2020-01-01", Reason: "key compromise"})
		wantFields(t, "withdrawn before issue", err, "date")
		// A withdrawal without a reason once succeeded.
		for _, reason := range []string{"", "  \n "} {
			_, err = f.svc.WithdrawCertificate(ctx, f.as["mfrA"], c.ID, Withdrawal{Date: "2023-03-01", Reason: reason})
			wantFields(t, "withdrawn without a reason", err, "reason")
		}
		// Changing the date is no way round it.
		_, err = f.svc.UpdateCertificate(ctx, f.as["mfrA"], c.ID, CertificateUpdate{Withdrawn: ptr("2023-03-01")})
		wantFields(t, "withdrawn by an update", err, "withdrawn")
		w, err := f.svc.WithdrawCertificate(ctx, f.as["mfrA"], c.ID, Withdrawal{Date: "2023-03-01", Reason: " NCSC withdrew it "})
		if err != nil || w.Withdrawn.String() != "2023-03-01" || w.WithdrawnReason != "NCSC withdrew it" {
			t.Fatalf("withdraw: %+v %v", w, err)
		}
		_, err = f.svc.WithdrawCertificate(ctx, f.as["mfrA"], c.ID, Withdrawal{})
		wantCode(t, "withdrawn twice", err, errs.Conflict)
		model, _ = f.svc.GetModel(ctx, f.as["supA"], m.ID, day("2024-01-01"))
		for i, want := range []State{Withdrawn, Valid, Valid} {
			if st := model.Firmware[i].Status.State; st != want {
				t.Errorf("firmware %s after withdrawal: %s, want %s (%s)", model.Firmware[i].Version, st, want, model.Firmware[i].Status.Reason)
			}
		}
		if _, err := f.svc.WithdrawCertificate(ctx, f.as["supA"], lc.ID, Withdrawal{}); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("a Supplier withdrawing: %v", err)
		}
	})
}

// TestRankSQLMatchesStatus holds the report's SQL to CertificateStatus: for
// certificates of every shape and dates around each of their dates, the SQL
// rank is the Go rank.
func TestRankSQLMatchesStatus(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		m := f.model("mfrA", ModelInput{Code: "4A1F", DeviceType: "ESME", Generation: "SMETS2+", Hardware: "1.0"})
		f.firmware("mfrA", m.ID, "1.0")
		var certs []Certificate
		n := 0
		for _, kind := range []string{"expiring", "lifetime"} {
			for _, cond := range []bool{false, true} {
				for _, wd := range []string{"", "2022-06-01", "2024-01-01"} {
					n++
					in := CertificateInput{Reference: "CPA-" + string(rune('A'+n)), Issued: "2021-01-01", Kind: kind, Withdrawn: wd, Firmware: []string{"1.0"}}
					if wd != "" {
						in.WithdrawnReason = "superseded"
					}
					if kind == "expiring" {
						in.Expiry = "2023-01-01"
					} else {
						in.Renewal = "2023-01-01"
					}
					if cond {
						in.Conditional, in.Conditions, in.ConditionsDue = true, "c", "2022-01-01"
					}
					c, err := f.svc.AddCertificate(ctx, f.as["mfrA"], m.ID, in)
					if err != nil {
						t.Fatal(err)
					}
					certs = append(certs, c)
				}
			}
		}
		for _, d := range []string{"2020-12-31", "2021-01-01", "2021-12-31", "2022-01-01", "2022-01-02", "2022-05-31", "2022-06-01",
			"2022-12-31", "2023-01-01", "2023-01-02", "2023-12-31", "2024-01-01", "2030-01-01"} {
			ranks, err := certificateRanks(ctx, db, day(d))
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range certs {
				st := CertificateStatus(c, day(d))
				got, inSQL := ranks[c.ID]
				if st.State == NotIssued {
					if inSQL {
						t.Errorf("%s on %s: not issued, but the SQL ranks it", c.Reference, d)
					}
					continue
				}
				if !inSQL || got != st.rank() {
					t.Errorf("%s (%s) on %s: SQL rank %d, Go %d (%s)", c.Reference, certFacts(c), d, got, st.rank(), st.State)
				}
			}
		}
	})
}

func TestIndexAndAffectedFirmware(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		m := f.model("mfrA", ModelInput{Code: "4A1F", DeviceType: "GPF", Generation: "SMETS1", Hardware: "1.0", Classification: "AMBER"})
		f.firmware("mfrA", m.ID, "1.4", "1.2", "1.3.9", "1.1", "2.0", "1.2.0")
		h := f.model("mfrB", ModelInput{Code: "HX", DeviceType: "ESME", Generation: "SMETS2+", Hardware: "1.0"})
		f.firmware("mfrB", h.ID, "0x0100", "0x00FF", "0x0200")
		ix, err := LoadIndex(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if nm, nf := ix.Len(); nm != 2 || nf != 9 {
			t.Errorf("Len = %d, %d", nm, nf)
		}
		ref, ok := ix.Model("mana", "4a1f")
		if !ok || ref.ID != m.ID || ref.ManufacturerID != f.org["MANA"] || ref.DeviceType != sec.GPF || ref.Generation != sec.SMETS1 || ref.Classification != sec.Amber {
			t.Errorf("Model(mana, 4a1f) = %+v %v", ref, ok)
		}
		if byID, ok := ix.ModelByID(m.ID); !ok || byID != ref {
			t.Errorf("ModelByID = %+v", byID)
		}
		fw, ok := ix.Firmware(m.ID, "1.2.0")
		if !ok || fw.Version.String() != "1.2.0" {
			t.Errorf("Firmware(1.2.0) = %+v %v", fw, ok)
		}
		if _, ok := ix.Firmware(m.ID, "1.2.00"); ok {
			t.Error("firmware is matched by exact text")
		}
		if got, ok := ix.FirmwareByID(fw.ID); !ok || got != fw {
			t.Errorf("FirmwareByID = %+v", got)
		}
		versions := func(ids []int64) []string {
			var out []string
			for _, id := range ids {
				f, _ := ix.FirmwareByID(id)
				out = append(out, f.Version.String())
			}
			return out
		}
		r1, _ := NewRange("1.2", "1.4", "")
		r2, _ := NewRange("2.0", "", "2.0")
		if got := versions(AffectedFirmware(ix, m.ID, []Range{r1})); !slices.Equal(got, []string{"1.2", "1.2.0", "1.3.9"}) {
			t.Errorf("affected by %s: %v", r1, got)
		}
		if got := versions(ix.AffectedFirmware(m.ID, []Range{r2, r1})); !slices.Equal(got, []string{"1.2", "1.2.0", "1.3.9", "2.0"}) {
			t.Errorf("affected by two ranges: %v", got)
		}
		if got := ix.AffectedFirmware(m.ID, []Range{{}}); len(got) != 6 {
			t.Errorf("all versions: %v", got)
		}
		hr, _ := NewRange("0x0100", "", "")
		if got := versions(ix.AffectedFirmware(h.ID, []Range{hr})); !slices.Equal(got, []string{"0x0100", "0x0200"}) {
			t.Errorf("hex range: %v", got)
		}
		if got := ix.AffectedFirmware(m.ID, []Range{hr}); got != nil {
			t.Errorf("a hex range holds no dotted firmware: %v", got)
		}
	})
}

// TestCertReport inserts portfolio rows directly (the estate keeps them) and
// checks the counts and who sees which rows.
func TestCertReport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		a := f.model("mfrA", ModelInput{Code: "A1", DeviceType: "ESME", Generation: "SMETS2+", Hardware: "1"})
		f.firmware("mfrA", a.ID, "1.0", "1.1", "1.2", "1.3")
		b := f.model("mfrB", ModelInput{Code: "B1", DeviceType: "GSME", Generation: "SMETS1", Hardware: "1", Classification: "AMBER"})
		f.firmware("mfrB", b.ID, "0x0001", "0x0002")
		add := func(model int64, in CertificateInput) {
			if _, err := f.svc.AddCertificate(ctx, f.sys, model, in); err != nil {
				t.Fatal(err)
			}
		}
		add(a.ID, CertificateInput{Reference: "A-EXP", Issued: "2016-01-01", Kind: "expiring", Expiry: "2022-01-01", Firmware: []string{"1.0"}})
		add(a.ID, CertificateInput{Reference: "A-OK", Issued: "2020-01-01", Kind: "lifetime", Renewal: "2030-01-01", Firmware: []string{"1.1"}})
		add(a.ID, CertificateInput{Reference: "A-COND", Issued: "2020-01-01", Kind: "expiring", Expiry: "2030-01-01",
			Conditional: true, Conditions: "close", ConditionsDue: "2023-01-01", Firmware: []string{"1.2"}})
		// 1.3 has no certificate.
		add(b.ID, CertificateInput{Reference: "B-WD", Issued: "2019-01-01", Kind: "expiring", Expiry: "2030-01-01", Withdrawn: "2023-06-01", WithdrawnReason: "NCSC withdrew it", Firmware: []string{"0x0001"}})
		add(b.ID, CertificateInput{Reference: "B-OLD", Issued: "2015-01-01", Kind: "expiring", Expiry: "2021-01-01", Firmware: []string{"0x0002"}})
		add(b.ID, CertificateInput{Reference: "B-NEW", Issued: "2020-12-01", Kind: "lifetime", Renewal: "2023-12-01", Firmware: []string{"0x0002"}})
		full, _ := f.svc.GetModel(ctx, f.sys, a.ID, sec.Date{})
		fa := map[string]int64{}
		for _, fw := range full.Firmware {
			fa[fw.Version.String()] = fw.ID
		}
		fullB, _ := f.svc.GetModel(ctx, f.sys, b.ID, sec.Date{})
		fb := map[string]int64{}
		for _, fw := range fullB.Firmware {
			fb[fw.Version.String()] = fw.ID
		}
		supA, supB := f.org["SUPA"], f.org["SUPB"]
		portfolio(t, db, supA, a.ID, fa["1.0"], 100)
		portfolio(t, db, supA, a.ID, fa["1.1"], 1000)
		portfolio(t, db, supA, a.ID, fa["1.2"], 20)
		portfolio(t, db, supB, a.ID, fa["1.3"], 3)
		portfolio(t, db, supB, b.ID, fb["0x0001"], 40)
		portfolio(t, db, supA, b.ID, fb["0x0002"], 5)
		// A second MAP row of the same Supplier, model and firmware adds up.
		if _, err := db.Writer().Exec(`INSERT INTO portfolio (supplier_id, model_id, firmware_id, map_id, generation, device_type, devices)
			VALUES ($1, $2, $3, $4, 'SMETS2+', 'ESME', 7)`, supA, a.ID, fa["1.0"], f.org["MAPA"]); err != nil {
			t.Fatal(err)
		}

		type line struct {
			supplier, model, fw string
			state               State
			overdue             bool
			devices             int64
		}
		rowsOf := func(rep CertReport) []line {
			var out []line
			for _, r := range rep.Rows {
				out = append(out, line{r.Supplier, r.Manufacturer + "/" + r.Model, r.Firmware.String(), r.Status.State, r.Status.ConditionsOverdue, r.Devices})
			}
			return out
		}
		all := []line{
			{"SUPA", "MANA/A1", "1.0", Expired, false, 107},
			{"SUPA", "MANA/A1", "1.2", Conditional, true, 20},
			{"SUPA", "MANB/B1", "0x0002", RenewalOverdue, false, 5},
			{"SUPB", "MANA/A1", "1.3", Uncertified, false, 3},
			{"SUPB", "MANB/B1", "0x0001", Withdrawn, false, 40},
		}
		for who, want := range map[string][]line{
			"ssc":  all,
			"supA": {all[0], all[1], all[2]},
			"supB": {all[3], all[4]},
			"mfrA": {all[0], all[1], all[3]},
			"mfrB": {all[2], all[4]},
		} {
			rep, err := f.svc.CertReport(ctx, f.as[who], day("2024-06-01"))
			if err != nil {
				t.Fatal(err)
			}
			if got := rowsOf(rep); !slices.Equal(got, want) {
				t.Errorf("%s sees\n%v\nwant\n%v", who, got, want)
			}
		}
		rep, _ := f.svc.CertReport(ctx, f.as["ssc"], day("2024-06-01"))
		wantTotals := []SupplierTotal{
			{Supplier: "SUPA", Devices: 132, Expired: 107, RenewalOverdue: 5, Conditional: 20, ConditionsOverdue: 20},
			{Supplier: "SUPB", Devices: 43, Withdrawn: 40, Uncertified: 3},
		}
		if !slices.Equal(rep.Suppliers, wantTotals) || rep.Devices != 175 {
			t.Errorf("totals %+v (%d), want %+v", rep.Suppliers, rep.Devices, wantTotals)
		}
		// On an earlier date: 1.0 was valid, conditions not yet due, 0x0001
		// not yet withdrawn, 0x0002 covered by B-NEW.
		rep, _ = f.svc.CertReport(ctx, f.as["ssc"], day("2021-06-01"))
		if got := rowsOf(rep); !slices.Equal(got, []line{{"SUPA", "MANA/A1", "1.2", Conditional, false, 20}, {"SUPB", "MANA/A1", "1.3", Uncertified, false, 3}}) {
			t.Errorf("on 2021-06-01: %v", got)
		}
		if _, err := f.svc.CertReport(ctx, f.as["map"], sec.Date{}); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("a MAP asking for the report: %v", err)
		}
	})
}

// TestEveryChangeAudited: each change writes one audit record in its own
// transaction; a change that changes nothing writes none.
func TestEveryChangeAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		actions := func() []string {
			rows, err := db.QueryContext(ctx, "SELECT action FROM audit_log WHERE action LIKE 'catalogue.%' ORDER BY seq")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var out []string
			for rows.Next() {
				var a string
				rows.Scan(&a)
				out = append(out, a)
			}
			return out
		}
		mfr := f.as["mfrA"]
		m := f.model("mfrA", ModelInput{Code: "4A1F", DeviceType: "ESME", Generation: "SMETS2+", Hardware: "1.0"})
		name := "Named"
		f.svc.UpdateModel(ctx, mfr, m.ID, ModelUpdate{Name: &name})
		f.svc.UpdateModel(ctx, mfr, m.ID, ModelUpdate{Name: &name}) // no change
		fw, _ := f.svc.AddFirmware(ctx, mfr, m.ID, FirmwareInput{Version: "1.0"})
		rel := "2021-01-01"
		f.svc.UpdateFirmware(ctx, mfr, fw.ID, FirmwareUpdate{Released: &rel})
		c, _ := f.svc.AddCertificate(ctx, mfr, m.ID, CertificateInput{Reference: "C1", Issued: "2021-01-01", Kind: "expiring", Expiry: "2027-01-01", Firmware: []string{"1.0"}})
		exp := "2028-01-01"
		f.svc.UpdateCertificate(ctx, mfr, c.ID, CertificateUpdate{Expiry: &exp})
		f.svc.WithdrawCertificate(ctx, mfr, c.ID, Withdrawal{Date: "2024-01-01", Reason: "test"})
		file := strings.Join(CatalogueHeader, ",") + "\nMANA,4A2F,ESME,SMETS2+,1,1.0,,,,,,,,,,,\n"
		f.svc.Import(ctx, mfr, strings.NewReader(file), ImportOptions{})
		f.svc.Import(ctx, mfr, strings.NewReader(file), ImportOptions{}) // no change
		want := []string{"catalogue.model.create", "catalogue.model.update", "catalogue.firmware.create", "catalogue.firmware.update",
			"catalogue.certificate.create", "catalogue.certificate.update", "catalogue.certificate.withdraw", "catalogue.import"}
		if got := actions(); !slices.Equal(got, want) {
			t.Errorf("audit actions\n%v\nwant\n%v", got, want)
		}
	})
}

// TestModelAudience: the SSC names a Supplier on an AMBER model through the
// audience service; the Supplier then sees it, another does not.
func TestModelAudience(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		m := f.model("mfrA", ModelInput{Code: "4A1F", DeviceType: "ESME", Generation: "SMETS2+", Hardware: "1.0", Classification: "AMBER"})
		aud := &audience.Service{DB: db}
		if _, err := aud.Set(ctx, f.as["mfrA"], KindModel, m.ID, audience.Input{Orgs: []string{"SUPA"}, Users: []string{}}); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("a manufacturer setting an audience: %v", err)
		}
		if _, err := aud.Set(ctx, f.as["ssc"], KindModel, m.ID, audience.Input{Orgs: []string{"SUPA"}, Users: []string{}}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.GetModel(ctx, f.as["supA"], m.ID, sec.Date{}); err != nil {
			t.Errorf("a Supplier named on an AMBER model: %v", err)
		}
		if _, err := f.svc.GetModel(ctx, f.as["supB"], m.ID, sec.Date{}); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("a Supplier not named: %v", err)
		}
		if a, err := aud.Get(ctx, f.as["mfrA"], KindModel, m.ID); err != nil || len(a.Orgs) != 1 {
			t.Errorf("the manufacturer reads its model's audience: %+v %v", a, err)
		}
	})
}

func ptr[T any](v T) *T { return &v }
