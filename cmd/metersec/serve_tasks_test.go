package main

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// TestServeTickSetsTheSchedule: --tick is the period of the frequent task
// and a floor for the others, so `serve --tick 1h` (as the crash test runs
// it) keeps every task quiet for an hour.
func TestServeTickSetsTheSchedule(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	every := func(tick time.Duration) map[string]time.Duration {
		out := map[string]time.Duration{}
		for _, task := range tasks(db, serveFlags{tick: tick}) {
			out[task.Name] = task.Every
		}
		return out
	}
	short := every(10 * time.Second)
	if short["vulnerabilities"] != 10*time.Second || short["coverage alerts"] != time.Hour || short["remediation plans"] != time.Hour {
		t.Errorf("--tick 10s: %v", short)
	}
	for name, d := range every(2 * time.Hour) {
		if d != 2*time.Hour {
			t.Errorf("--tick 2h: %s runs every %s", name, d)
		}
	}
}

// TestDemoAuditKey: the demo signs its audit trail with a key beside its
// database, made once and reused.
func TestDemoAuditKey(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "demo.db")
	first, err := demoAuditKey(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	k1, err := audit.LoadKey(first)
	if err != nil {
		t.Fatal(err)
	}
	again, err := demoAuditKey(dbPath)
	if err != nil || again != first {
		t.Fatalf("second run: %q, %v", again, err)
	}
	k2, err := audit.LoadKey(again)
	if err != nil || !k1.Public().Equal(k2.Public()) {
		t.Fatalf("the key changed between runs: %v", err)
	}
}
