package bench

import (
	"context"
	"flag"
	"syscall"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// triageFull runs the triage benchmarks at the sizes of the targets:
// 100,000 Devices in one intake, a record of 1,000,000 entries verified.
var triageFull = flag.Bool("triage-full", false, "run the triage benchmarks at full size (100,000-Device intake, 1,000,000-entry record)")

var triageIntake = flag.Int("triage-intake", 0, "time only an intake of this many Devices")

// TestTriageSpeed times a batch intake and a verify of the record it
// leaves, on each engine: small by default, the sizes with
// -triage-full (targets: each under 10 s).
func TestTriageSpeed(t *testing.T) {
	intake, record := 2_000, 10_000
	if *triageFull {
		intake, record = 100_000, 1_000_000
	}
	if *triageIntake > 0 {
		intake, record = *triageIntake, *triageIntake
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w, err := BuildTriageWorld(ctx, db, record)
		if err != nil {
			t.Fatal(err)
		}
		start, cpu := time.Now(), cpuTime()
		res, err := w.Intake(ctx, 0, intake)
		if err != nil {
			t.Fatal(err)
		}
		took := time.Since(start)
		t.Logf("%s: intake of %d Devices: %s (CPU of this process %s)", db.Dialect, res.Received, took.Round(time.Millisecond),
			(cpuTime() - cpu).Round(time.Millisecond))
		if *triageFull && took > 10*time.Second {
			t.Errorf("intake of %d Devices took %s, target 10 s", intake, took)
		}
		for from := intake; from < record; from += 100_000 {
			if _, err := w.Intake(ctx, from, min(from+100_000, record)); err != nil {
				t.Fatal(err)
			}
		}
		start, cpu = time.Now(), cpuTime()
		rep, err := w.Triage.Verify(ctx, w.Operator, w.Facility)
		if err != nil {
			t.Fatal(err)
		}
		took = time.Since(start)
		if !rep.OK() || rep.Checked != int64(record) {
			t.Fatalf("verify: %+v", rep)
		}
		t.Logf("%s: verify of %d entries: %s (CPU of this process %s)", db.Dialect, rep.Checked, took.Round(time.Millisecond),
			(cpuTime() - cpu).Round(time.Millisecond))
		if *triageFull && took > 10*time.Second {
			t.Errorf("verify of %d entries took %s, target 10 s", record, took)
		}
	})
}

// cpuTime is the user and system time this process has used: on a shared
// machine, wall time says as much about the neighbours as about the code.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
