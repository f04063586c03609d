package catalogue_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/generate"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

var sys = access.SystemCaller("test")

// world is the parties and catalogue of a generated GB world, generated once.
var world = sync.OnceValues(func() (parties, cat []byte) {
	var p, c bytes.Buffer
	_, err := generate.Generate(context.Background(), generate.Options{Devices: 10, Seed: 7},
		generate.Writers{Parties: &p, Catalogue: &c, Devices: io.Discard, Churn: io.Discard})
	if err != nil {
		panic(err)
	}
	return p.Bytes(), c.Bytes()
})

func loadParties(t testing.TB, db *store.DB) {
	t.Helper()
	p, _ := world()
	if _, err := (&party.Service{DB: db}).Import(context.Background(), sys, bytes.NewReader(p)); err != nil {
		t.Fatal(err)
	}
}

func export(t testing.TB, svc *catalogue.Service, c access.Caller) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := svc.Export(context.Background(), c, &buf, catalogue.Filter{}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// canonical reads a catalogue file and writes each row as Record writes it,
// sorted: the rows' meaning, whatever their order and spelling.
func canonical(t testing.TB, file []byte) []string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(file)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, rec := range recs[1:] {
		row, probs := catalogue.ParseCatalogueRow(rec)
		if probs != nil {
			t.Fatalf("%q: %v", rec, probs)
		}
		out = append(out, strings.Join(row.Record(), ","))
	}
	slices.Sort(out)
	return out
}

func auditCount(t testing.TB, db *store.DB) int {
	var n int
	if err := db.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM audit_log").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestImportExportImport: a generated catalogue imports; its export holds
// the same rows; importing the export (or the file) again changes nothing; a
// fresh database importing the export exports the same bytes; and both
// engines export the same bytes.
func TestImportExportImport(t *testing.T) {
	ctx := context.Background()
	_, file := world()
	var exports [][]byte
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		svc := &catalogue.Service{DB: db}
		loadParties(t, db)
		res, err := svc.Import(ctx, sys, bytes.NewReader(file), catalogue.ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rows := len(canonical(t, file))
		if res.Rows != rows || res.FirmwareCreated != rows || res.ModelsCreated < 200 || res.CertificatesCreated == 0 || res.Unchanged != 0 || len(res.SHA256) != 64 {
			t.Errorf("first import: %+v (%d rows)", res, rows)
		}
		e1 := export(t, svc, sys)
		if got, want := canonical(t, e1), canonical(t, file); !slices.Equal(got, want) {
			t.Fatalf("the export's rows differ from the file's: %d rows vs %d", len(got), len(want))
		}
		before := auditCount(t, db)
		for name, f := range map[string][]byte{"the export": e1, "the file": file} {
			res, err := svc.Import(ctx, sys, bytes.NewReader(f), catalogue.ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Unchanged != rows || res.ModelsCreated+res.ModelsUpdated+res.FirmwareCreated+res.FirmwareUpdated+res.CertificatesCreated+res.CertificatesUpdated != 0 {
				t.Errorf("re-importing %s changed something: %+v", name, res)
			}
		}
		if n := auditCount(t, db); n != before {
			t.Errorf("a re-import that changed nothing wrote %d audit records", n-before)
		}
		if !bytes.Equal(export(t, svc, sys), e1) {
			t.Error("the export changed after re-imports")
		}

		fresh := storetest.Open(t, db.Dialect)
		loadParties(t, fresh)
		fsvc := &catalogue.Service{DB: fresh}
		if _, err := fsvc.Import(ctx, sys, bytes.NewReader(e1), catalogue.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		if e2 := export(t, fsvc, sys); !bytes.Equal(e1, e2) {
			t.Errorf("import→export→import→export differs: %d bytes vs %d", len(e1), len(e2))
		}
		exports = append(exports, e1)
	})
	if len(exports) == 2 && !bytes.Equal(exports[0], exports[1]) {
		t.Error("SQLite and PostgreSQL export different bytes")
	}
}

// smallWorld registers two manufacturers, a Supplier, and a caller of each
// manufacturer and of the Supplier.
func smallWorld(t *testing.T, db *store.DB) map[string]access.Caller {
	t.Helper()
	ctx := context.Background()
	out := map[string]access.Caller{}
	for i, o := range []struct{ code, role, user string }{
		{"MANA", "manufacturer", "mfrA"}, {"MANB", "manufacturer", "mfrB"}, {"SUPA", "large_supplier", "supA"},
	} {
		p, err := (&party.Service{DB: db}).Create(ctx, sys, party.NewParty{Code: o.code, Name: o.code, Roles: []string{o.role}})
		if err != nil {
			t.Fatal(err)
		}
		role := sec.RoleManufacturer
		if o.role != "manufacturer" {
			role = sec.RoleSupplier
		}
		out[o.user] = access.Caller{UserID: int64(100 + i), OrgID: p.ID, OrgCode: p.Code, Name: o.user, Roles: []sec.Role{role}, Via: "session"}
	}
	return out
}

const header = "manufacturer,model,device_type,generation,hardware_version,firmware,firmware_released,image_hash,cpa_reference,cpa_issued,cpa_kind,cpa_expiry,cpa_renewal,cpa_conditional,cpa_conditions,cpa_conditions_due,cpa_withdrawn\n"

func countRows(t *testing.T, db *store.DB, table string) int {
	var n int
	if err := db.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestImportProblems: every problem of a file is reported with its line, and
// nothing is written.
func TestImportProblems(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		smallWorld(t, db)
		svc := &catalogue.Service{DB: db}
		file := header +
			"MANA,4A1F,ESME,SMETS2+,1.0,1.0,,,CPA-1,2021-01-01,expiring,2027-01-01,,no,,,\n" + // 2: good
			"MANA,4A1F,GSME,SMETS2+,1.0,1.9,,,CPA-1,2021-01-01,expiring,2027-01-01,,no,,,\n" + // 3: model facts differ
			"MANA,4A1F,ESME,SMETS2+,1.0,1.1,2021-01-01,,CPA-2,2021-01-01,expiring,2027-01-01,,no,,,\n" + // 4: good
			"MANA,4A1F,ESME,SMETS2+,1.0,1.1,2022-01-01,,CPA-3,2021-01-01,expiring,2027-01-01,,no,,,\n" + // 5: firmware facts differ
			"MANA,4A1F,ESME,SMETS2+,1.0,1.2,,,CPA-1,2021-01-01,expiring,2028-01-01,,no,,,\n" + // 6: certificate facts differ
			"MANA,4A1F,ESME,SMETS2+,1.0,1.0,,,CPA-1,2021-01-01,expiring,2027-01-01,,no,,,\n" + // 7: repeats line 2
			"NOPE,X1,ESME,SMETS1,1,1.0,,,,,,,,,,,\n" + // 8: unknown manufacturer
			"SUPA,X1,ESME,SMETS1,1,1.0,,,,,,,,,,,\n" + // 9: not a manufacturer
			"MANA,X2,ESME,SMETS1,1,1..2,,,CPA-9,2021-01-01,lifetime,,,maybe,,,\n" + // 10: row problems
			"MANA,X3,ESME\n" + // 11: field count
			"MANA,X4,ESME,SMETS1,1,1.0,,,\"CPA,2021-01-01\n" // 12: broken quote: reading stops
		_, err := svc.Import(ctx, sys, strings.NewReader(file), catalogue.ImportOptions{})
		e := errs.As(err)
		if e.Code != errs.Invalid {
			t.Fatalf("error %v", err)
		}
		var got []string
		for _, f := range e.Fields {
			got = append(got, fmt.Sprintf("%d %s", f.Line, f.Field))
		}
		want := []string{"3 model", "5 firmware", "6 cpa_reference", "7 ", "8 manufacturer", "9 manufacturer",
			"10 firmware", "10 cpa_renewal", "10 cpa_conditional", "11 ", "12 "}
		if !slices.Equal(got, want) {
			t.Errorf("problems:\n%v\nwant\n%v\n%v", got, want, err)
		}
		for _, s := range []string{"differs from line 2", "repeats line 2", "no organisation has the code NOPE", "SUPA does not hold the Manufacturer role"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("error lacks %q:\n%v", s, err)
			}
		}
		for _, table := range []string{"device_models", "firmware_versions", "cpa_certificates", "cpa_certificate_firmware"} {
			if n := countRows(t, db, table); n != 0 {
				t.Errorf("%s has %d rows after a refused import", table, n)
			}
		}

		// The first 100 problems, and a count of the rest.
		var b strings.Builder
		b.WriteString(header)
		for range 250 {
			b.WriteString("MANA,4A1F,ESME,SMETS2+,1.0,bad..version,,,,,,,,,,,\n")
		}
		_, err = svc.Import(ctx, sys, strings.NewReader(b.String()), catalogue.ImportOptions{})
		if e := errs.As(err); len(e.Fields) != 100 || e.More != 150 || e.Fields[99].Line != 101 {
			t.Errorf("250 bad rows: %d listed, %d more", len(e.Fields), e.More)
		}

		for name, f := range map[string]string{
			"empty":      "",
			"header":     "manufacturer,model\n",
			"not CSV":    "\"unterminated\n",
			"BOM header": "\ufeff" + header + "MANA,4A1F,ESME,SMETS2+,1.0,1.0,,,,,,,,,,,\n",
		} {
			_, err := svc.Import(ctx, sys, strings.NewReader(f), catalogue.ImportOptions{})
			if name == "BOM header" {
				if err != nil {
					t.Errorf("a header with a byte order mark: %v", err)
				}
				continue
			}
			if errs.CodeOf(err) != errs.Invalid {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}

// TestImportWithdrawalNeedsReason: issue 14 (5), "a certificate withdrawal
// without a reason succeeded. Required fields are required": the import
// withdraws a certificate only with cpa_withdrawn_reason, and records it.
func TestImportWithdrawalNeedsReason(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		smallWorld(t, db)
		svc := &catalogue.Service{DB: db}
		legacy := header + "MANA,4A1F,ESME,SMETS2+,1.0,1.0,,,CPA-1,2021-01-01,expiring,2027-01-01,,no,,,2022-01-01\n"
		_, err := svc.Import(ctx, sys, strings.NewReader(legacy), catalogue.ImportOptions{})
		if e := errs.As(err); e.Code != errs.Invalid || len(e.Fields) != 1 || e.Fields[0].Line != 2 || e.Fields[0].Field != "cpa_withdrawn_reason" {
			t.Fatalf("a withdrawal without a reason: %v", err)
		}
		if n := countRows(t, db, "cpa_certificates"); n != 0 {
			t.Errorf("%d certificates written by a refused import", n)
		}
		full := strings.TrimSuffix(header, "\n") + ",cpa_withdrawn_reason\n" +
			"MANA,4A1F,ESME,SMETS2+,1.0,1.0,,,CPA-1,2021-01-01,expiring,2027-01-01,,no,,,2022-01-01,NCSC withdrew it\n"
		if _, err := svc.Import(ctx, sys, strings.NewReader(full), catalogue.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		var reason string
		if err := db.QueryRowContext(ctx, "SELECT withdrawn_reason FROM cpa_certificates WHERE reference = 'CPA-1'").Scan(&reason); err != nil || reason != "NCSC withdrew it" {
			t.Errorf("reason %q, %v", reason, err)
		}
		if !strings.Contains(string(export(t, svc, sys)), ",2022-01-01,NCSC withdrew it,\n") { // then the model_name column, empty
			t.Error("the export lacks the withdrawal's reason")
		}
	})
}

func TestImportUpdatesOnlyWhatChanged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		as := smallWorld(t, db)
		svc := &catalogue.Service{DB: db}
		first := header +
			"MANA,4A1F,ESME,SMETS2+,1.0,1.0,2021-01-01,,CPA-1,2021-01-01,expiring,2027-01-01,,no,,,\n" +
			"MANA,4A1F,ESME,SMETS2+,1.0,1.1,,,CPA-1,2021-01-01,expiring,2027-01-01,,no,,,\n" +
			"MANA,4A20,GSME,SMETS1,2,0x0100,,,CPA-2,2019-01-01,lifetime,,2025-01-01,yes,Close finding 4,2020-01-01,\n"
		res, err := svc.Import(ctx, as["mfrA"], strings.NewReader(first), catalogue.ImportOptions{Classification: sec.Amber})
		if err != nil {
			t.Fatal(err)
		}
		want := catalogue.ImportResult{Rows: 3, ModelsCreated: 2, FirmwareCreated: 3, CertificatesCreated: 2, SHA256: res.SHA256}
		if res != want {
			t.Errorf("first: %+v, want %+v", res, want)
		}
		ms, _ := svc.ListModels(ctx, as["mfrB"], catalogue.Filter{})
		if len(ms) != 0 {
			t.Errorf("models imported AMBER are seen by another manufacturer: %v", ms)
		}
		second := header +
			"MANA,4a1f,ESME,SMETS2+,1.1,1.0,2021-01-01,,CPA-1,2021-01-01,expiring,2027-01-01,,no,,,\n" + // hardware changed
			"MANA,4A1F,ESME,SMETS2+,1.1,1.1,2021-02-01,,CPA-1,2021-01-01,expiring,2027-01-01,,no,,,\n" + // release date set
			"MANA,4A1F,ESME,SMETS2+,1.1,1.1,2021-02-01,,CPA-5,2024-01-01,lifetime,,2030-01-01,no,,,\n" + // re-certified: a second certificate
			"MANA,4A1F,ESME,SMETS2+,1.1,1.2,,,,,,,,,,,\n" + // new firmware, no certificate yet
			"MANA,4A20,GSME,SMETS1,2,0x0100,,,CPA-2,2019-01-01,lifetime,,2025-01-01,no,,,\n" // conditions closed
		res, err = svc.Import(ctx, as["mfrA"], strings.NewReader(second), catalogue.ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want = catalogue.ImportResult{Rows: 5, ModelsUpdated: 1, FirmwareCreated: 1, FirmwareUpdated: 1, CertificatesCreated: 1,
			CertificatesUpdated: 1, Unchanged: 0, SHA256: res.SHA256}
		if res != want {
			t.Errorf("second: %+v, want %+v", res, want)
		}
		ms, _ = svc.ListModels(ctx, as["mfrA"], catalogue.Filter{})
		if len(ms) != 2 || ms[0].Code != "4A1F" || ms[0].Hardware != "1.1" || ms[0].Classification != sec.Amber {
			t.Errorf("models after the update: %+v", ms)
		}
		res, err = svc.Import(ctx, as["mfrA"], strings.NewReader(second), catalogue.ImportOptions{})
		if err != nil || res.Unchanged != 5 {
			t.Errorf("the same file again: %+v %v", res, err)
		}

		// A manufacturer imports only its own models; a Supplier nothing.
		other := header + "MANB,B1,ESME,SMETS2+,1.0,1.0,,,,,,,,,,,\n"
		_, err = svc.Import(ctx, as["mfrA"], strings.NewReader(other), catalogue.ImportOptions{})
		if e := errs.As(err); e.Code != errs.Invalid || len(e.Fields) != 1 || e.Fields[0].Field != "manufacturer" || e.Fields[0].Line != 2 {
			t.Errorf("a manufacturer importing another's model: %v", err)
		}
		_, err = svc.Import(ctx, as["supA"], strings.NewReader(other), catalogue.ImportOptions{})
		if errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("a Supplier importing: %v", err)
		}
		_, err = svc.Import(ctx, sys, strings.NewReader(other), catalogue.ImportOptions{Classification: sec.Red})
		if errs.CodeOf(err) != errs.Invalid {
			t.Errorf("importing models RED: %v", err)
		}
	})
}

// FuzzImport feeds arbitrary rows to the importer on SQLite (after a good
// header: header problems are tested above): it never fails other than with
// a clear Invalid error, and whatever it accepts exports and imports back
// unchanged.
func FuzzImport(f *testing.F) {
	f.Add("MANA,4A1F,ESME,SMETS2+,1.0,1.0,2021-01-01,,CPA-1,2021-01-01,expiring,2027-01-01,,no,,,\n")
	f.Add("MANA,4A20,GSME,SMETS1,2,0x0100,,,CPA-2,2019-01-01,lifetime,,2025-01-01,yes,\"Close 4, tamper\",2020-01-01,2024-01-01\n" +
		"MANA,4A20,GSME,SMETS1,2,0x0200,,,CPA-2,2019-01-01,lifetime,,2025-01-01,yes,\"Close 4, tamper\",2020-01-01,2024-01-01\n")
	f.Add("MANB,b1,chf,2,h,1.2b,,,,,,,,no,,,\nMANB,B1,CHF,SMETS2+,h,1.2b,,,,,,,,no,,,\n")
	f.Add("MANB,B2,PPMID,SMETS2+,h,1.0,,,CPA-3,2020-01-01,expiring,2026-01-01,,no,,,\nMANB,B2,PPMID,SMETS2+,h,1.0,,,CPA-4,2021-01-01,expiring,2027-01-01,,no,,,\n")
	f.Add("MANA,X,ESME,SMETS1,1,1..2,,,\"broken\n")
	f.Add("SUPA,X,ESME,SMETS1,1,1.0,,,,,,,,,,,\n")
	f.Add("\"0000000000")
	db := storetest.Open(f, store.SQLite)
	ctx := context.Background()
	for _, o := range []struct{ code, role string }{{"MANA", "manufacturer"}, {"MANB", "manufacturer"}, {"SUPA", "large_supplier"}} {
		if _, err := (&party.Service{DB: db}).Create(ctx, sys, party.NewParty{Code: o.code, Name: o.code, Roles: []string{o.role}}); err != nil {
			f.Fatal(err)
		}
	}
	svc := &catalogue.Service{DB: db}
	f.Fuzz(func(t *testing.T, rows string) {
		_, err := svc.Import(ctx, sys, strings.NewReader(header+rows), catalogue.ImportOptions{})
		if err != nil {
			if e := errs.As(err); e.Code != errs.Invalid {
				t.Fatalf("import failed with %s: %v", e.Code, errs.As(err).Err)
			}
			return
		}
		e1 := export(t, svc, sys)
		res, err := svc.Import(ctx, sys, bytes.NewReader(e1), catalogue.ImportOptions{})
		if err != nil {
			t.Fatalf("the export does not import: %v\n%s", err, e1)
		}
		if res.Unchanged != res.Rows {
			t.Fatalf("importing the export changed something: %+v", res)
		}
		if e2 := export(t, svc, sys); !bytes.Equal(e1, e2) {
			t.Fatalf("the export changed")
		}
	})
}
