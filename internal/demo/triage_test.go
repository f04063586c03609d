package demo

import (
	"context"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/triage"
)

// checkTriage: the demo's approved facility holds Devices at every step, a
// legitimate breach and a refused one (rejected, then disposed), and its
// record verifies.
func checkTriage(t *testing.T, ctx context.Context, db *store.DB) {
	t.Helper()
	svc := triage.NewService(db)
	sys := access.SystemCaller("test")
	fs, err := svc.Facilities(ctx, sys)
	if err != nil || len(fs) != 2 {
		t.Fatalf("triage facilities: %+v, %v", fs, err)
	}
	reps, err := svc.VerifyAll(ctx, sys)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if !r.OK() {
			t.Errorf("facility %d: %+v", r.FacilityID, r.Broken)
		}
	}
	var operating triage.Facility
	for _, f := range fs {
		if f.Status == sec.FacilityOperating {
			operating = f
		}
	}
	rep, err := svc.Report(ctx, sys, operating.ID)
	if err != nil {
		t.Fatal(err)
	}
	states := map[sec.TriageState]int64{}
	for _, s := range rep.States {
		states[s.State] = s.Devices
	}
	for _, st := range []sec.TriageState{sec.TriageReceived, sec.TriageChecked, sec.TriageDiagnosed, sec.TriageReset, sec.TriageUpdated,
		sec.TriageSealed, sec.TriageReleased, sec.TriageDisposed, sec.TriageReturned} {
		if states[st] == 0 {
			t.Errorf("no demo Device is %s: %v", st, states)
		}
	}
	if rep.Breaches != 1 || len(rep.Recent) != 1 || rep.Recent[0].Reason == "" || rep.Seals != 3 {
		t.Errorf("triage report: %+v", rep)
	}
}
