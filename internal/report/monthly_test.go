package report

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// handEstate is a small world whose reports were worked out by hand.
type handEstate struct {
	db                  *store.DB
	clock               *clock
	mfa, mfb, mfr, mfx  party.Party
	s1, s2, s3          party.Party
	ssc                 party.Party
	a1, a2, b1          int64
	october             Month
	sscMember, sscOther access.Caller
	secretariat         access.Caller
}

// newEstate builds, in October 2026:
//
//	manufacturers MFA (models A1 ESME SMETS2+, A2 GSME SMETS1), MFB (B1 CHF
//	SMETS1), MFR (directory entry RED, naming the chair), MFX (AMBER, naming S2 only);
//	Suppliers S1, S2, S3 (S3 operates nothing);
//	portfolio: S1 A1 100+50 (two firmware, with and without a MAP), S1 A2 30,
//	S2 A1 20, S2 B1 7, and 5 A2 Devices with no Responsible Supplier.
func newEstate(t *testing.T, db *store.DB) *handEstate {
	ctx := context.Background()
	e := &handEstate{db: db, clock: setClock(db, ts("2026-10-10T09:00:00Z"))}
	e.october, _ = ParseMonth("2026-10")
	e.mfa = mustParty(t, db, "MFA", "Alder Meters", "", []string{"manufacturer"}, "security@alder.example")
	e.mfb = mustParty(t, db, "MFB", "Birch Devices", "", []string{"manufacturer"}, "psirt@birch.example")
	e.mfr = mustParty(t, db, "MFR", "Rowan Secret Works", sec.Red, []string{"manufacturer"}, "rowan@rowan.example")
	e.mfx = mustParty(t, db, "MFX", "Xylem Amber Ltd", sec.Amber, []string{"manufacturer"}, "x@xylem.example")
	e.s1 = mustParty(t, db, "S1", "Supplier One", "", []string{"large_supplier"}, "soc@one.example")
	e.s2 = mustParty(t, db, "S2", "Supplier Two", "", []string{"small_supplier"}, "soc@two.example")
	e.s3 = mustParty(t, db, "S3", "Supplier Three", "", []string{"large_supplier"}, "")
	map1 := mustParty(t, db, "MAP1", "Meter Assets One", "", []string{"map"}, "ops@map1.example")
	e.ssc = mustParty(t, db, "SSC", "Security Sub-Committee", "", []string{"ssc"}, "")
	mustParty(t, db, "SECAS", "Secretariat", "", []string{"secretariat"}, "")
	exec(t, db, "INSERT INTO audience_orgs (record_kind, record_id, org_id) VALUES ('party', $1, $2)", e.mfx.ID, e.s2.ID)
	e.sscMember = addUser(t, db, "chair@ssc.example", "SSC", sec.RoleSSCMember)
	// MFR's RED entry names the chair only.
	exec(t, db, "INSERT INTO audience_users (record_kind, record_id, user_id) VALUES ('party', $1, $2)", e.mfr.ID, e.sscMember.UserID)
	e.sscOther = addUser(t, db, "member@ssc.example", "SSC", sec.RoleSSCMember)
	e.secretariat = addUser(t, db, "sec@secas.example", "SECAS", sec.RoleSecretariat)

	e.a1 = insertModel(t, db, e.mfa.ID, "A1", "Alder E2", sec.ESME, sec.SMETS2)
	e.a2 = insertModel(t, db, e.mfa.ID, "A2", "Alder G1", sec.GSME, sec.SMETS1)
	e.b1 = insertModel(t, db, e.mfb.ID, "B1", "Birch Hub", sec.CHF, sec.SMETS1)
	mapID := map1.ID
	addPortfolio(t, db, e.s1.ID, e.a1, 1, mapID, sec.SMETS2, sec.ESME, 100)
	addPortfolio(t, db, e.s1.ID, e.a1, 2, 0, sec.SMETS2, sec.ESME, 50)
	addPortfolio(t, db, e.s1.ID, e.a2, 3, mapID, sec.SMETS1, sec.GSME, 30)
	addPortfolio(t, db, e.s2.ID, e.a1, 1, mapID, sec.SMETS2, sec.ESME, 20)
	addPortfolio(t, db, e.s2.ID, e.b1, 4, 0, sec.SMETS1, sec.CHF, 7)
	addPortfolio(t, db, 0, e.a2, 3, 0, sec.SMETS1, sec.GSME, 5)
	_ = ctx
	return e
}

func (e *handEstate) service() (*Service, *recorder) {
	rec := &recorder{}
	s := NewService(e.db)
	s.Notifier = rec
	return s, rec
}

func jsonData[T any](t *testing.T, s *Service, c access.Caller, id int64) T {
	t.Helper()
	dl, err := s.File(context.Background(), c, id, JSON)
	if err != nil {
		t.Fatalf("report %d as JSON: %v", id, err)
	}
	var doc struct{ Data T }
	if err := json.Unmarshal(dl.Bytes, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Data
}

func reportFor(t *testing.T, s *Service, kind Kind, code string, version int) Report {
	t.Helper()
	rs, err := s.List(context.Background(), sys, Filter{Kind: kind, Org: code})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Version == version {
			return r
		}
	}
	t.Fatalf("no %s report v%d for %s among %d", kind, version, code, len(rs))
	return Report{}
}

func TestMonthlyReportsAgainstHandCheckedEstate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEstate(t, db)
		s, rec := e.service()

		// October is snapshotted as it ends; MFA then changes its contact:
		// October's report keeps the contact of 31 October.
		e.clock.set(ts("2026-11-01T00:01:00Z"))
		if err := s.Tick(ctx, ts("2026-11-01T00:01:00Z")); err != nil {
			t.Fatal(err)
		}
		e.clock.set(ts("2026-11-01T10:00:00Z"))
		if _, err := (&party.Service{DB: db}).SetContact(ctx, sys, "MFA", party.ContactInput{Name: "New Person", Email: "new@alder.example"}); err != nil {
			t.Fatal(err)
		}
		e.clock.set(ts("2026-11-02T07:00:00Z"))
		run, err := s.RunMonthly(ctx, e.sscMember, e.october, RunOptions{Trigger: "cli"})
		if err != nil {
			t.Fatal(err)
		}
		// 4 manufacturers and 3 Suppliers: MFR's directory entry is RED, and
		// it still gets its report (issue 13 point 6: "An organisation whose
		// directory entry is RED is still a recipient").
		if run.Version != 1 || run.Reports != 7 || run.Repeat || run.Snapshot == nil || run.Snapshot.Late {
			t.Fatalf("run = %+v", run)
		}

		mfa := jsonData[ManufacturerData](t, s, sys, reportFor(t, s, ManufacturerKind, "MFA", 1).ID)
		want := ManufacturerData{
			Manufacturer: OrgRef{"MFA", "Alder Meters"},
			Suppliers: []SupplierOperating{
				{Supplier: OrgRef{"S1", "Supplier One"}, SMETS1: 30, SMETS2: 150, Devices: 180, Models: []ModelCount{
					{Model: "A1", Name: "Alder E2", DeviceType: sec.ESME, Generation: sec.SMETS2, Devices: 150},
					{Model: "A2", Name: "Alder G1", DeviceType: sec.GSME, Generation: sec.SMETS1, Devices: 30}}},
				{Supplier: OrgRef{"S2", "Supplier Two"}, SMETS2: 20, Devices: 20, Models: []ModelCount{
					{Model: "A1", Name: "Alder E2", DeviceType: sec.ESME, Generation: sec.SMETS2, Devices: 20}}},
			},
			Devices: 205, NoSupplier: 5,
		}
		if !reflect.DeepEqual(want, mfa) {
			t.Errorf("MFA's report:\n got %+v\nwant %+v", mfa, want)
		}
		mfb := jsonData[ManufacturerData](t, s, sys, reportFor(t, s, ManufacturerKind, "MFB", 1).ID)
		if len(mfb.Suppliers) != 1 || mfb.Suppliers[0].Supplier.Code != "S2" || mfb.Suppliers[0].SMETS1 != 7 || mfb.Devices != 7 {
			t.Errorf("MFB's report: %+v", mfb)
		}
		// A manufacturer's report names only the Suppliers of its own models,
		// in every format.
		for _, f := range Formats {
			dl, err := s.File(ctx, sys, reportFor(t, s, ManufacturerKind, "MFB", 1).ID, f)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(dl.Bytes, []byte("Supplier One")) || !bytes.Contains(dl.Bytes, []byte("Supplier Two")) {
				t.Errorf("MFB's %s names Supplier One, or not Supplier Two", f)
			}
		}
		mfrReport := reportFor(t, s, ManufacturerKind, "MFR", 1)
		if mfr := jsonData[ManufacturerData](t, s, sys, mfrReport.ID); mfr.Manufacturer.Code != "MFR" || len(mfr.Suppliers) != 0 {
			t.Errorf("MFR's report: %+v", mfr)
		}

		// seeds/000: "The SSC must inform Energy Suppliers on a monthly basis
		// of the current contact details for all Device manufacturers": every
		// Supplier gets every manufacturer, the AMBER one not naming it and
		// the RED one included, the duty overriding their markings.
		s1 := jsonData[SupplierData](t, s, sys, reportFor(t, s, SupplierKind, "S1", 1).ID)
		wantS1 := SupplierData{Supplier: OrgRef{"S1", "Supplier One"}, Manufacturers: []ManufacturerContacts{
			{Manufacturer: OrgRef{"MFA", "Alder Meters"}, Contacts: []Contact{{Label: "primary", Name: "Contact of MFA", Email: "security@alder.example", Phone: "01632 960000"}}},
			{Manufacturer: OrgRef{"MFB", "Birch Devices"}, Contacts: []Contact{{Label: "primary", Name: "Contact of MFB", Email: "psirt@birch.example", Phone: "01632 960000"}}},
			{Manufacturer: OrgRef{"MFR", "Rowan Secret Works"}, Contacts: []Contact{{Label: "primary", Name: "Contact of MFR", Email: "rowan@rowan.example", Phone: "01632 960000"}}},
			{Manufacturer: OrgRef{"MFX", "Xylem Amber Ltd"}, Contacts: []Contact{{Label: "primary", Name: "Contact of MFX", Email: "x@xylem.example", Phone: "01632 960000"}}},
		}}
		if !reflect.DeepEqual(wantS1, s1) {
			t.Errorf("S1's report:\n got %+v\nwant %+v", s1, wantS1)
		}
		s2 := jsonData[SupplierData](t, s, sys, reportFor(t, s, SupplierKind, "S2", 1).ID)
		var codes []string
		for _, m := range s2.Manufacturers {
			codes = append(codes, m.Manufacturer.Code)
		}
		if !slices.Equal(codes, []string{"MFA", "MFB", "MFR", "MFX"}) {
			t.Errorf("S2's manufacturers = %v, want MFA, MFB, MFR, MFX", codes)
		}
		for _, f := range Formats {
			dl, _ := s.File(ctx, sys, reportFor(t, s, SupplierKind, "S3", 1).ID, f)
			// Third parties to the duty (other Suppliers) are never named; the
			// contact changed after the month's end is not either.
			for _, leak := range []string{"Supplier One", "Supplier Two", "new@alder.example"} {
				if bytes.Contains(dl.Bytes, []byte(leak)) {
					t.Errorf("S3's %s report contains %q", f, leak)
				}
			}
			for _, want := range []string{"Rowan Secret Works", "rowan@rowan.example", "Xylem Amber Ltd"} {
				if !bytes.Contains(dl.Bytes, []byte(want)) {
					t.Errorf("S3's %s report lacks %q, which the duty requires", f, want)
				}
			}
		}

		// Each report is AMBER to its recipient and the SSC, in SQL.
		mfaUser := access.Caller{UserID: 7001, OrgID: e.mfa.ID, Roles: []sec.Role{sec.RoleManufacturer}, Via: "session"}
		s1User := access.Caller{UserID: 7002, OrgID: e.s1.ID, Roles: []sec.Role{sec.RoleSupplier}, Via: "session"}
		for _, tc := range []struct {
			who  access.Caller
			want []string
		}{
			{mfaUser, []string{"MFR-2026-10-MFA-v1"}},
			{s1User, []string{"SUP-2026-10-S1-v1"}},
			// The secretariat is not named on MFR's RED entry: it reads only
			// the reports naming no entry it may not see (MFA, MFB, MFX).
			{e.secretariat, []string{"MFR-2026-10-MFA-v1", "MFR-2026-10-MFB-v1", "MFR-2026-10-MFX-v1"}},
			{e.sscOther, []string{"MFR-2026-10-MFA-v1", "MFR-2026-10-MFB-v1", "MFR-2026-10-MFX-v1"}},
			{e.sscMember, nil}, // named on MFR's entry: all seven, checked by count below
		} {
			rs, err := s.List(ctx, tc.who, Filter{})
			if err != nil {
				t.Fatal(err)
			}
			var refs []string
			for _, r := range rs {
				refs = append(refs, r.Reference)
			}
			if tc.want != nil && !slices.Equal(refs, tc.want) {
				t.Errorf("%s sees %v, want %v", tc.who.Name, refs, tc.want)
			}
			if tc.want == nil && len(refs) != 7 {
				t.Errorf("the SSC member named on MFR's entry sees %d reports, want 7", len(refs))
			}
		}
		other := reportFor(t, s, ManufacturerKind, "MFB", 1)
		if _, err := s.Get(ctx, mfaUser, other.ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("MFA reading MFB's report: %v, want not found", err)
		}
		if _, err := s.File(ctx, s1User, other.ID, PDF); !errs.Is(err, errs.NotFound) {
			t.Errorf("S1 downloading MFB's report: %v, want not found", err)
		}
		if _, err := s.RunMonthly(ctx, mfaUser, e.october, RunOptions{}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("a manufacturer running the reports: %v, want forbidden", err)
		}

		for _, who := range []access.Caller{e.secretariat, e.sscOther, s1User} {
			if _, err := s.Get(ctx, who, mfrReport.ID); !errs.Is(err, errs.NotFound) {
				t.Errorf("%s reading MFR's report: %v, want not found", who.Name, err)
			}
		}
		if _, err := s.File(ctx, e.sscOther, reportFor(t, s, SupplierKind, "S2", 1).ID, CSV); !errs.Is(err, errs.NotFound) {
			t.Errorf("an SSC member not named on MFR's RED entry downloading S2's report: %v, want not found", err)
		}
		// The directory itself still keeps MFR's RED entry from everyone its
		// marking excludes: the duty showed it to each Supplier in its own
		// report only.
		for _, who := range []access.Caller{s1User, e.secretariat, e.sscOther} {
			if _, err := (&party.Service{DB: db}).Get(ctx, who, "MFR"); !errs.Is(err, errs.NotFound) {
				t.Errorf("%s reading MFR's directory entry: %v, want not found", who.Name, err)
			}
		}
		mfrUser := access.Caller{UserID: 7003, OrgID: e.mfr.ID, Roles: []sec.Role{sec.RoleManufacturer}, Via: "session"}
		if rs, err := s.List(ctx, mfrUser, Filter{}); err != nil || len(rs) != 1 || rs[0].Reference != "MFR-2026-10-MFR-v1" {
			t.Errorf("MFR's own users see %+v %v, want its report", rs, err)
		}

		// Each override is on record with the report and in the audit trail:
		// MFR's own report (1), MFA told of S1 and S2 (AMBER, not naming it:
		// 2), MFB of S2 (1), S1 and S3 told of MFR and MFX (2 each), S2 of MFR
		// (MFX's entry names S2: 1).
		if n := count(t, db, "SELECT COUNT(*) FROM report_disclosures"); n != 9 {
			t.Errorf("%d duty overrides recorded, want 9", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'report.duty_override'"); n != 9 {
			t.Errorf("%d duty overrides audited, want 9", n)
		}
		got, err := s.Get(ctx, e.sscMember, reportFor(t, s, SupplierKind, "S1", 1).ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Overrides) != 2 || got.Overrides[0].Org.Code != "MFR" || got.Overrides[0].Marking != sec.Red ||
			got.Overrides[0].Duty != sec.DutyManufacturerContacts || got.Overrides[1].Org.Code != "MFX" || got.Overrides[1].Marking != sec.Amber {
			t.Errorf("S1's report overrides: %+v", got.Overrides)
		}

		// Every recipient got one notice linking to its own report.
		if rec.count() != 7 {
			t.Fatalf("%d notices, want 7", rec.count())
		}
		for _, n := range rec.notices {
			r, err := s.Get(ctx, sys, n.RecordID)
			if err != nil {
				t.Fatal(err)
			}
			org := map[string]int64{"MFA": e.mfa.ID, "MFB": e.mfb.ID, "MFR": e.mfr.ID, "MFX": e.mfx.ID, "S1": e.s1.ID, "S2": e.s2.ID, "S3": e.s3.ID}[r.Recipient.Code]
			if n.OrgID != org || n.Link != "/reports/"+itoa(r.ID) || n.Classification != sec.Amber || !strings.Contains(n.Body, r.Digest) {
				t.Errorf("notice %+v for report %s", n, r.Reference)
			}
			if len(r.Deliveries) != 1 || r.Deliveries[0].NoticeID == 0 {
				t.Errorf("report %s: delivery record %+v", r.Reference, r.Deliveries)
			}
		}
		s1r, _ := s.Get(ctx, sys, reportFor(t, s, SupplierKind, "S1", 1).ID)
		if !slices.Equal(s1r.Deliveries[0].Emails, []string{"soc@one.example"}) {
			t.Errorf("S1's delivery went to %v", s1r.Deliveries[0].Emails)
		}

		// Every format carries the title, the month, the classification and
		// the footer, and its digest is the one stored.
		r := reportFor(t, s, ManufacturerKind, "MFA", 1)
		for _, f := range Formats {
			dl, err := s.File(ctx, mfaUser, r.ID, f)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(dl.Bytes)
			if hex.EncodeToString(sum[:]) != dl.SHA256 {
				t.Errorf("%s: stored digest does not match the bytes", f)
			}
			// (PDF strings escape parentheses, so the footer is sought without them.)
			for _, want := range []string{"Suppliers operating your Devices", "October 2026", "TLP:AMBER", "MFR-2026-10-MFA-v1", "Security Sub-Committee", "Page 1 of"} {
				if want == "Page 1 of" && f != PDF {
					continue
				}
				if !bytes.Contains(dl.Bytes, []byte(want)) {
					t.Errorf("%s lacks %q", f, want)
				}
			}
		}
	})
}

func TestRerunsAreIdempotentAndForcedRerunsAreNewVersions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEstate(t, db)
		s, rec := e.service()
		e.clock.set(ts("2026-11-02T07:00:00Z"))
		first, err := s.RunMonthly(ctx, sys, e.october, RunOptions{Trigger: "schedule"})
		if err != nil {
			t.Fatal(err)
		}
		before := map[int64]string{}
		rs, _ := s.List(ctx, sys, Filter{})
		for _, r := range rs {
			before[r.ID] = r.Digest
		}
		audits := count(t, db, "SELECT COUNT(*) FROM audit_log")

		// The estate changes; running the month again sends nothing.
		addPortfolio(t, db, e.s3.ID, e.b1, 9, 0, sec.SMETS1, sec.CHF, 1000)
		again, err := s.RunMonthly(ctx, e.sscMember, e.october, RunOptions{Trigger: "cli"})
		if err != nil {
			t.Fatal(err)
		}
		if !again.Repeat || again.ID != first.ID || rec.count() != 7 || count(t, db, "SELECT COUNT(*) FROM reports") != 7 ||
			count(t, db, "SELECT COUNT(*) FROM audit_log") != audits {
			t.Fatalf("a second run wrote or sent something: %+v, %d notices", again, rec.count())
		}

		// Forced: version 2 for everyone, from the same month-end snapshot, mailed again.
		forced, err := s.RunMonthly(ctx, e.sscMember, e.october, RunOptions{Force: true, Trigger: "cli"})
		if err != nil {
			t.Fatal(err)
		}
		if forced.Repeat || forced.Version != 2 || forced.Reports != 7 || rec.count() != 14 {
			t.Fatalf("forced run %+v, %d notices", forced, rec.count())
		}
		v2 := jsonData[ManufacturerData](t, s, sys, reportFor(t, s, ManufacturerKind, "MFB", 2).ID)
		if v2.Devices != 7 {
			t.Errorf("version 2 of MFB's report counts %d Devices: it must come from the month-end snapshot (7), not today's estate", v2.Devices)
		}
		dl, _ := s.File(ctx, sys, reportFor(t, s, ManufacturerKind, "MFB", 2).ID, HTML)
		if !bytes.Contains(dl.Bytes, []byte("replaces MFR-2026-10-MFB-v1")) {
			t.Errorf("version 2 does not say which report it replaces")
		}
		// Version 1 is untouched.
		for id, digest := range before {
			r, err := s.Get(ctx, sys, id)
			if err != nil || r.Digest != digest {
				t.Errorf("report %d changed: %v", id, err)
			}
			for _, f := range r.Files {
				dl, _ := s.File(ctx, sys, id, f.Format)
				if sha256Hex(dl.Bytes) != f.SHA256 {
					t.Errorf("report %d %s: bytes no longer match their digest", id, f.Format)
				}
			}
		}
		// This month was first run without a month-end snapshot: every report
		// of it says so.
		for _, r := range []Report{reportFor(t, s, ManufacturerKind, "MFB", 2), reportFor(t, s, SupplierKind, "S1", 1)} {
			dl, _ := s.File(ctx, sys, r.ID, CSV)
			if !bytes.Contains(dl.Bytes, []byte("No snapshot of the estate was taken when October 2026 ended")) {
				t.Errorf("%s does not say its figures are late", r.Reference)
			}
		}
		runs, err := s.Runs(ctx, e.secretariat, 10)
		if err != nil || len(runs) != 2 || runs[0].Version != 2 || !runs[0].Forced {
			t.Errorf("runs: %+v %v", runs, err)
		}
	})
}

func TestStoredReportsCannotBeChanged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEstate(t, db)
		s, _ := e.service()
		e.clock.set(ts("2026-11-02T07:00:00Z"))
		if _, err := s.RunMonthly(ctx, sys, e.october, RunOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RunStanding(ctx, sys, e.october, RunOptions{}); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			"UPDATE reports SET title = 'changed'",
			"UPDATE reports SET digest = 'x' WHERE kind = 'supplier'",
			"DELETE FROM reports WHERE kind = 'standing'",
			"UPDATE report_files SET content = $1",
			"DELETE FROM report_files",
			"UPDATE report_runs SET reports = 0",
			"DELETE FROM report_runs",
			"UPDATE report_deliveries SET emails = 'someone@else.example'",
			"DELETE FROM report_deliveries",
			"UPDATE portfolio_snapshots SET devices = devices + 1",
			"DELETE FROM portfolio_snapshots",
			"UPDATE portfolio_snapshot_months SET late = FALSE",
			"DELETE FROM portfolio_snapshot_months",
			"UPDATE report_disclosures SET marking = 'GREEN'",
			"DELETE FROM report_disclosures",
		} {
			var args []any
			if strings.Contains(q, "$1") {
				args = []any{[]byte("forged")}
			}
			if _, err := db.Writer().ExecContext(ctx, q, args...); err == nil || !strings.Contains(err.Error(), "written once") {
				t.Errorf("%s: got %v, want refused", q, err)
			}
		}
		if err := storetest.Truncate(db, "report_files"); err == nil {
			t.Error("emptying report_files at once (TRUNCATE on PostgreSQL) was allowed")
		}
		if n := count(t, db, "SELECT COUNT(*) FROM reports"); n != 8 {
			t.Errorf("%d reports after the attempts, want 8", n)
		}
	})
}

func TestMonthlyMailingGoesThroughTheDeliveryQueue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEstate(t, db)
		s := NewService(db) // with the real delivery queue
		e.clock.set(ts("2026-11-02T07:00:00Z"))
		if _, err := s.RunMonthly(ctx, sys, e.october, RunOptions{Trigger: "schedule"}); err != nil {
			t.Fatal(err)
		}
		// One notice per recipient, linking to its report; one email job per
		// contact (S3 has none; MFR, RED, is mailed too).
		if n := count(t, db, "SELECT COUNT(*) FROM notices WHERE record_kind = 'report'"); n != 7 {
			t.Fatalf("%d notices, want 7", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM delivery_jobs WHERE record_kind = 'report' AND channel = 'email'"); n != 6 {
			t.Errorf("%d email jobs, want 6", n)
		}
		mfa := reportFor(t, s, ManufacturerKind, "MFA", 1)
		if n := count(t, db, "SELECT COUNT(*) FROM notices WHERE org_id = $1 AND link = $2 AND record_id = $3", e.mfa.ID, "/reports/"+itoa(mfa.ID), mfa.ID); n != 1 {
			t.Errorf("MFA's notice does not link to its report")
		}
		mfaUser := access.Caller{UserID: 7001, OrgID: e.mfa.ID, Roles: []sec.Role{sec.RoleManufacturer}, Via: "session"}
		r, err := s.Get(ctx, mfaUser, mfa.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Deliveries) != 1 || len(r.Deliveries[0].Jobs) != 1 || r.Deliveries[0].Jobs[0].To != "security@alder.example" || r.Deliveries[0].Jobs[0].State != "pending" {
			t.Errorf("MFA's delivery record: %+v", r.Deliveries)
		}
		// Run again: nothing more is queued. Forced: every recipient again.
		if _, err := s.RunMonthly(ctx, sys, e.october, RunOptions{}); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM notices"); n != 7 {
			t.Errorf("a second run queued more notices: %d", n)
		}
		if _, err := s.RunMonthly(ctx, sys, e.october, RunOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM notices"); n != 14 {
			t.Errorf("a forced run queued %d notices in all, want 14", n)
		}
	})
}
