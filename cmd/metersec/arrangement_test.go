package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestArrangementCommands walks the arrangement, coverage and obligations
// commands on a small database: imports, listing, evidence, the alert job,
// and their bad input.
func TestArrangementCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "m.db")
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	parties := write("parties.csv", "code,name,roles,contact_name,contact_email,contact_phone\n"+
		"SSC,Security Sub-Committee,ssc,,,\nSUPA,Supplier A,large_supplier,,,\nMAPA,MAP A,map,,,\nMANA,Maker A,manufacturer,,,\n")
	cat := write("catalogue.csv", "manufacturer,model,device_type,generation,hardware_version,firmware,firmware_released,image_hash,cpa_reference,cpa_issued,cpa_kind,cpa_expiry,cpa_renewal,cpa_conditional,cpa_conditions,cpa_conditions_due,cpa_withdrawn\n"+
		"MANA,4A1F,ESME,SMETS2+,1.0,2.1.0,2021-03-01,,CPA-2021-0117,2021-02-01,expiring,2027-02-01,,no,,,\n")
	arrs := write("arrangements.csv", "reference,kind,supplier,map,manufacturer,models,materiality,signed,effective,expires,sec_version,legacy,classification\n"+
		"C-1,supplier_manufacturer,SUPA,,MANA,4A1F,CVSS 7.0 or above,2024-01-10,2024-02-01,2025-07-31,5.21,,\n"+
		"S-1,scheme,,,MANA,*,,2020-09-15,2020-09-15,,,yes,\n")
	bad := write("bad.csv", "reference,kind,supplier,map,manufacturer,models,materiality,signed,effective,expires,sec_version,legacy,classification\n"+
		"C-2,supplier_manufacturer,MAPA,,MANA,4A1F,x,2024-01-10,2024-02-01,2023-01-01,9.9,,\n")
	pdf := write("contract.pdf", "%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n")
	disguised := write("scan.pdf", "\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x01")
	for _, s := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"migrate"}, 0, "current"},
		{[]string{"import", "parties", parties}, 0, "4 created"},
		{[]string{"import", "catalogue", cat}, 0, ""},
		{[]string{"arrangement", "import", arrs}, 0, "2 created"},
		{[]string{"arrangement", "import", arrs}, 0, "2 unchanged"},
		{[]string{"arrangement", "import", bad}, 1, "line 2"},
		{[]string{"arrangement", "list", "--format", "json"}, 0, `"reference": "C-1"`},
		{[]string{"arrangement", "list", "--kind", "handshake"}, 2, "unknown kind"},
		{[]string{"arrangement", "show", "S-1"}, 0, "legacy"},
		{[]string{"arrangement", "evidence", "C-1", pdf}, 0, "application/pdf"},
		{[]string{"arrangement", "evidence", "C-1", disguised}, 1, "disguised"},
		{[]string{"arrangement", "end", "C-1", "--date", "2020-01-01"}, 1, "backwards"},
		{[]string{"arrangement", "alerts", "--date", "2025-07-15"}, 0, "baseline"},
		{[]string{"arrangement", "alerts", "--expiry-days", "0"}, 1, "expiry_days"},
		// The release table is data (internal/release): the shipped table has v6.6 from the November 2022 release.
		{[]string{"coverage", "--date", "2025-07-15", "--format", "json"}, 0, `"sec_version": "6.6"`},
		{[]string{"coverage", "--date", "15/07/2025"}, 2, "YYYY-MM-DD"},
		{[]string{"coverage", "--supplier", "MANA"}, 1, "not found"},
		{[]string{"coverage", "--history"}, 2, "needs --supplier"},
		{[]string{"coverage", "--churn-window-months", "0"}, 2, "churn_window_months"},
		{[]string{"obligations", "not-an-id"}, 1, "device id"},
		{[]string{"obligations", "00-00-00-00-00-00-00-01"}, 1, "no Device"},
		{[]string{"obligations", "--sec-version", "5.99", "00-00-00-00-00-00-00-01"}, 1, "unknown SEC version"},
	} {
		args := append(s.args, "--db", db)
		code, out, errOut := run(t, "", nil, args...)
		if code != s.code || !strings.Contains(out+errOut, s.want) {
			t.Errorf("metersec %s: exit %d, want %d with %q:\n%s%s", strings.Join(s.args, " "), code, s.code, s.want, out, errOut)
		}
	}
}

// TestBenchCoverageCommand builds a tiny synthetic world and checks that
// the aggregates and the naive Device scan agree.
func TestBenchCoverageCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "bench.db")
	code, out, errOut := run(t, "", nil, "bench", "coverage", "--db", db, "--devices", "3000", "--runs", "1", "--format", "json")
	if code != 0 || !strings.Contains(out, `"naive_and_aggregate_agree": true`) || !strings.Contains(out, `"devices": 3000`) {
		t.Fatalf("bench: %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "built in") {
		t.Errorf("no build report: %s", errOut)
	}
	// A second run reuses the world.
	code, _, errOut = run(t, "", nil, "bench", "coverage", "--db", db, "--runs", "1", "--naive=false")
	if code != 0 || !strings.Contains(errOut, "reusing") {
		t.Errorf("second bench: %d %s", code, errOut)
	}
	// It refuses a database that holds something else.
	other := filepath.Join(t.TempDir(), "other.db")
	run(t, "", nil, "migrate", "--db", other)
	p := filepath.Join(t.TempDir(), "p.csv")
	os.WriteFile(p, []byte("code,name,roles,contact_name,contact_email,contact_phone\nOPS,Operations,operator,,,\n"), 0o600)
	run(t, "", nil, "import", "parties", p, "--db", other)
	if code, _, errOut := run(t, "", nil, "bench", "coverage", "--db", other, "--devices", "10"); code != 1 || !strings.Contains(errOut, "empty database") {
		t.Errorf("bench on a used database: %d %s", code, errOut)
	}
}
