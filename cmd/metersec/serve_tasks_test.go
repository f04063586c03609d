package main

import (
	"testing"
	"time"

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
