package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestGenerateImportTransfer generates a tiny world and loads it in the
// documented order, then moves the failed Supplier's Devices back and forth.
func TestGenerateImportTransfer(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "m.db")
	out := filepath.Join(dir, "world")
	code, stdout, errOut := run(t, "", nil, "generate", "--devices", "500", "--seed", "3", "--out", out, "--format", "json")
	if code != 0 {
		t.Fatalf("generate: %d %s %s", code, stdout, errOut)
	}
	var sum struct {
		Devices int64
		Failure struct {
			Supplier string
			SoLR     string `json:"solr"`
		}
	}
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil || sum.Devices != 500 {
		t.Fatalf("generate output %q: %v", stdout, err)
	}
	if code, _, errOut := run(t, "", nil, "migrate", "--db", db); code != 0 {
		t.Fatalf("migrate: %s", errOut)
	}
	for _, f := range []string{"parties", "catalogue", "devices", "churn"} {
		code, stdout, errOut := run(t, "", nil, "import", f, "--db", db, filepath.Join(out, f+".csv"))
		if code != 0 {
			t.Fatalf("import %s: %d %s %s", f, code, stdout, errOut)
		}
		if f == "devices" && !strings.Contains(stdout, "Devices created") {
			t.Fatalf("import devices: %q", stdout)
		}
	}
	// Again, as JSON: nothing changes.
	code, stdout, errOut = run(t, "", nil, "import", "devices", "--db", db, "--format", "json", filepath.Join(out, "devices.csv"))
	var res struct{ Rows, Created, Unchanged int64 }
	if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil || res.Created != 0 || res.Unchanged != sum.Devices {
		t.Fatalf("devices again: %d %q %s", code, stdout, errOut)
	}
	// The Supplier of Last Resort hands them on to the failed Supplier's
	// successor, after the year.
	code, stdout, errOut = run(t, "", nil, "estate", "transfer", "--db", db, "--from", sum.Failure.SoLR, "--to", sum.Failure.Supplier, "--date", "2026-06-01")
	if code != 0 || !strings.Contains(stdout, "Devices moved from "+sum.Failure.SoLR) {
		t.Fatalf("transfer: %d %q %s", code, stdout, errOut)
	}
	code, _, errOut = run(t, "", nil, "estate", "transfer", "--db", db, "--from", "NOSUCH", "--to", sum.Failure.Supplier)
	if code == 0 || !strings.Contains(errOut, "no such organisation") {
		t.Fatalf("transfer from nobody: %d %s", code, errOut)
	}
}
