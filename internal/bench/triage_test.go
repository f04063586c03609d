package bench

import (
	"context"
	"flag"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// triageFull runs the triage timings at the sizes of the targets.
var triageFull = flag.Bool("triage-full", false, "time the triage intake of 100,000 Devices and the verify of a 1,000,000-entry record")

// triageRecord sets the size of the record TestTriageVerifySpeed verifies.
var triageRecord = flag.Int("triage-record", 0, "entries in the record TestTriageVerifySpeed verifies (default 10,000; 1,000,000 with -triage-full)")

// TestTriageIntakeSpeed times a batch intake (target: 100,000 Devices in
// under 10 s on either engine): 2,000 Devices by default, 100,000 with
// -triage-full. It logs the figures; unit tests never assert timings.
func TestTriageIntakeSpeed(t *testing.T) {
	n := 2_000
	if *triageFull {
		n = 100_000
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w, err := BuildTriageWorld(ctx, db, n)
		if err != nil {
			t.Fatal(err)
		}
		start, cpu := time.Now(), cpuTime()
		res, err := w.Intake(ctx, 0, n)
		if err != nil {
			t.Fatal(err)
		}
		logTiming(t, db, "intake of "+itoa(int(res.Received))+" Devices", start, cpu, 10*time.Second)
		rep, err := w.Triage.Verify(ctx, w.Operator, w.Facility)
		if err != nil || !rep.OK() || rep.Checked != int64(n) {
			t.Fatalf("verify after intake: %+v, %v", rep, err)
		}
	})
}

// TestTriageVerifySpeed times triage verify of one facility's record
// (target: 1,000,000 entries in under 10 s): 10,000 entries by default,
// 1,000,000 with -triage-full, written by intakes of 100,000 Devices.
func TestTriageVerifySpeed(t *testing.T) {
	n := 10_000
	if *triageFull {
		n = 1_000_000
	}
	if *triageRecord > 0 {
		n = *triageRecord
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w, err := BuildTriageWorld(ctx, db, n)
		if err != nil {
			t.Fatal(err)
		}
		for from := 0; from < n; from += 100_000 {
			if _, err := w.Intake(ctx, from, min(from+100_000, n)); err != nil {
				t.Fatal(err)
			}
		}
		start, cpu := time.Now(), cpuTime()
		rep, err := w.Triage.Verify(ctx, w.Operator, w.Facility)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() || rep.Checked != int64(n) {
			t.Fatalf("verify: %+v", rep)
		}
		logTiming(t, db, "verify of "+itoa(int(rep.Checked))+" entries", start, cpu, 10*time.Second)
	})
}

func logTiming(t *testing.T, db *store.DB, what string, start time.Time, cpu time.Duration, target time.Duration) {
	took := time.Since(start)
	verdict := "within"
	if took > target {
		verdict = "OVER"
	}
	t.Logf("%s: %s: %s wall, %s CPU of this process (%s the %s target)", db.Dialect, what, took.Round(time.Millisecond),
		(cpuTime() - cpu).Round(time.Millisecond), verdict, target)
}
