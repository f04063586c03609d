package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReportCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "m.db")
	parties := filepath.Join(dir, "parties.csv")
	os.WriteFile(parties, []byte("code,name,roles,contact_name,contact_email,contact_phone\n"+
		"SUPX,Supplier X,large_supplier,Sam,sam@supx.example,\nMFRX,Maker X,manufacturer,Mo,mo@mfrx.example,\n"), 0o600)
	for _, args := range [][]string{{"migrate", "--db", db}, {"import", "parties", parties, "--db", db}} {
		if code, out, errOut := run(t, "", nil, args...); code != 0 {
			t.Fatalf("%v: %d %s %s", args, code, out, errOut)
		}
	}
	code, out, errOut := run(t, "", nil, "report", "monthly", "--db", db, "--month", "2025-06")
	if code != 0 || !strings.Contains(out, "version 1, 2 reports") || !strings.Contains(out, "No snapshot was taken") {
		t.Fatalf("monthly: %d %q %q", code, out, errOut)
	}
	if code, out, _ := run(t, "", nil, "report", "monthly", "--db", db, "--month", "2025-06"); code != 0 || !strings.Contains(out, "nothing was generated or sent") {
		t.Errorf("second monthly run: %d %q", code, out)
	}
	if code, out, _ := run(t, "", nil, "report", "monthly", "--db", db, "--month", "2025-06", "--force-new-version", "--format", "json"); code != 0 || !strings.Contains(out, `"version": 2`) {
		t.Errorf("forced run: %d %q", code, out)
	}
	if code, out, _ := run(t, "", nil, "report", "list", "--db", db, "--org", "MFRX"); code != 0 || !strings.Contains(out, "MFR-2025-06-MFRX-v2") || !strings.Contains(out, "MFR-2025-06-MFRX-v1") {
		t.Errorf("list: %d %q", code, out)
	}
	pdf := filepath.Join(dir, "r.pdf")
	if code, out, errOut := run(t, "", nil, "report", "download", "1", "--db", db, "--as", "pdf", "--out", pdf); code != 0 || !strings.Contains(out, "SHA-256") {
		t.Errorf("download: %d %q %q", code, out, errOut)
	}
	if b, _ := os.ReadFile(pdf); !strings.HasPrefix(string(b), "%PDF-") {
		t.Errorf("download wrote %.20q", b)
	}
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"report", "monthly", "--db", db, "--month", "2025-13"}, 2, "want YYYY-MM"},
		{[]string{"report", "monthly", "--db", db, "--month", "2999-01"}, 1, "has not ended yet"},
		{[]string{"report", "download", "999", "--db", db}, 1, "not found"},
		{[]string{"report", "download", "x", "--db", db}, 2, "not a number"},
		{[]string{"report", "download", "1", "--db", db, "--as", "docx"}, 2, "unknown format"},
		{[]string{"report", "list", "--db", db, "--kind", "weekly"}, 2, "--kind"},
		{[]string{"report", "schedule", "--report-schedule", "weekly"}, 2, "report schedule"},
		{[]string{"serve", "--db", db, "--addr", "127.0.0.1:0", "--report-schedule", "day:31"}, 2, "report schedule"},
		{[]string{"serve", "--db", db, "--addr", "127.0.0.1:0", "--bank-holidays", filepath.Join(dir, "none.txt")}, 2, "none.txt"},
	} {
		code, _, errOut := run(t, "", nil, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.err) {
			t.Errorf("%v: exit %d %q, want %d and %q", tc.args, code, errOut, tc.code, tc.err)
		}
	}
	if code, out, _ := run(t, "", nil, "report", "schedule", "--year", "2026"); code != 0 || !strings.Contains(out, "December 2026   Mon 4 Jan 2027 06:00 GMT") {
		t.Errorf("schedule: %d %q", code, out)
	}
}
