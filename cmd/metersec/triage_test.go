package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/bench"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// triageWorld is a migrated database on the engine holding a bench triage
// world, and how to reach it.
func triageWorld(t *testing.T, engine store.Dialect) (string, *store.DB, *bench.TriageWorld) {
	t.Helper()
	ctx := context.Background()
	dsn := storetest.DSN(t, engine)
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	w, err := bench.BuildTriageWorld(ctx, db, 20)
	if err != nil {
		t.Fatal(err)
	}
	return dsn, db, w
}

// triage import loads a batch as a named operator, all rows or none; the
// other commands read what it wrote.
func TestTriageCommands(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			dsn, _, w := triageWorld(t, engine)
			dir := t.TempDir()
			file := filepath.Join(dir, "intake.csv")
			os.WriteFile(file, bench.IntakeCSV(0, 10), 0o600)
			bad := filepath.Join(dir, "bad.csv")
			os.WriteFile(bad, append(bench.IntakeCSV(10, 12), []byte("00-00-00-00-00-00-00-99,X,BT1,BI1\n")...), 0o600)
			fac := strconv.FormatInt(w.Facility, 10)
			for _, tc := range []struct {
				args []string
				code int
				says []string
			}{
				{[]string{"triage", "import", file, "--facility", fac}, 2, []string{"--operator"}},
				{[]string{"triage", "import", bad, "--facility", fac, "--operator", "operator@btfp.example"}, 1, []string{"line 4: device_id", "not in the estate", "nothing was written"}},
				{[]string{"triage", "verify"}, 0, []string{"0 entries, chain holds"}},
				{[]string{"triage", "import", file, "--facility", fac, "--operator", "operator@btfp.example"}, 0, []string{"10 Devices received", "entries 1–10"}},
				{[]string{"triage", "verify", fac}, 0, []string{"10 entries, chain holds"}},
				{[]string{"triage", "list", "--format", "json"}, 0, []string{`"entries": 10`, `"status": "operating"`}},
				{[]string{"triage", "show", bench.TriageDevice(3).String()}, 0, []string{"received", "operator@btfp.example", "BT1"}},
				{[]string{"triage", "report"}, 0, []string{"10 entries", "step receive", "now received"}},
			} {
				code, out, errOut := run(t, "", nil, append(tc.args, "--db", dsn)...)
				if code != tc.code {
					t.Errorf("%v: exit %d, want %d\n%s%s", tc.args, code, tc.code, out, errOut)
				}
				for _, s := range tc.says {
					if !strings.Contains(out+errOut, s) {
						t.Errorf("%v: output lacks %q:\n%s%s", tc.args, s, out, errOut)
					}
				}
			}
		})
	}
}

// triage verify exits 1 on any edit, deletion or reorder made directly in
// SQL, on each engine.
func TestTriageVerifyFindsTampering(t *testing.T) {
	for _, engine := range storetest.Engines() {
		for _, tamper := range []struct {
			name, says string
			sql        []string
		}{
			{"edit", "entry 4 does not match its hash", []string{"UPDATE triage_entries SET operator = 'x' WHERE seq = 4"}},
			{"delete", "entry 5 is missing", []string{"DELETE FROM triage_entries WHERE seq = 5"}},
			{"delete the tail", "entries at the end were deleted", []string{"DELETE FROM triage_entries WHERE seq = 6"}},
			{"reorder", "entry 3 does not link to entry 2", []string{
				"UPDATE triage_entries SET seq = 0 WHERE seq = 3",
				"UPDATE triage_entries SET seq = 3 WHERE seq = 4",
				"UPDATE triage_entries SET seq = 4 WHERE seq = 0"}},
		} {
			t.Run(string(engine)+"/"+tamper.name, func(t *testing.T) {
				dsn, db, w := triageWorld(t, engine)
				ctx := context.Background()
				if _, err := w.Intake(ctx, 0, 6); err != nil {
					t.Fatal(err)
				}
				if code, out, errOut := run(t, "", nil, "triage", "verify", "--db", dsn); code != 0 {
					t.Fatalf("before: exit %d\n%s%s", code, out, errOut)
				}
				for _, q := range tamper.sql {
					if _, err := db.Writer().ExecContext(ctx, q); err != nil {
						t.Fatal(err)
					}
				}
				code, out, errOut := run(t, "", nil, "triage", "verify", "--db", dsn)
				if code != 1 || !strings.Contains(out, tamper.says) || !strings.Contains(errOut, "do not verify") {
					t.Errorf("exit %d, want 1 saying %q\n%s%s", code, tamper.says, out, errOut)
				}
			})
		}
	}
}
