package bench

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// TestAssurancePlanSpeed builds a synthetic estate (METERSEC_BENCH_DEVICES,
// 20,000 by default; 35000000 for the national size) on each engine, and
// times the forward plan for every party from the portfolio aggregates
// against counting the same Smart Metering Systems from the Device rows.
// The target is under 1 s at 35 million Devices on either engine.
func TestAssurancePlanSpeed(t *testing.T) {
	devices := int64(20_000)
	if v := os.Getenv("METERSEC_BENCH_DEVICES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1000 {
			t.Fatalf("METERSEC_BENCH_DEVICES=%q: want a number of Devices, at least 1000", v)
		}
		devices = n
	}
	if world := os.Getenv("METERSEC_BENCH_WORLD"); world != "" {
		// A world `metersec bench coverage` built (and kept) at that
		// location: the national size costs an hour to build, once.
		ctx := context.Background()
		db, err := store.Open(ctx, world)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Migrate(ctx, nil); err != nil {
			t.Fatal(err)
		}
		built, have, err := IsWorld(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if !built {
			t.Fatalf("METERSEC_BENCH_WORLD=%s holds no benchmark world: build it with metersec bench coverage --db %[1]s", world)
		}
		t.Logf("reusing the benchmark world in %s (%d Devices)", db.Location, have)
		if err := AddAssessments(ctx, db, 2027, nil); err != nil {
			t.Fatal(err)
		}
		timeAssurancePlan(t, db, have*9/10)
		return
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.Now()
		if err := BuildAssurance(ctx, db, devices, 2027, nil); err != nil {
			t.Fatal(err)
		}
		t.Logf("built %d Devices in %s", devices, time.Since(t0).Round(time.Millisecond))
		timeAssurancePlan(t, db, devices*9/10)
	})
}

// timeAssurancePlan settles a built world and times the forward plan on it,
// checking it counts at least atLeast Devices and the same totals as the
// Device rows.
func timeAssurancePlan(t *testing.T, db *store.DB, atLeast int64) {
	t.Helper()
	ctx := context.Background()
	// As autovacuum would after a load (the shared server here runs
	// without it): statistics and the visibility map for the planner.
	if err := db.SettleBulkLoad(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := RunAssurancePlan(ctx, db, 2027, 5, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d Devices, %d portfolio rows, %d plan rows; plan from the aggregates median %s (runs %v); counts from the Device rows %s; ratio %.1f×",
		res.Engine, res.Devices, res.PortfolioRows, res.Rows, res.Median, res.Plan, res.FromDevices, res.Ratio)
	if res.Devices < atLeast || res.Rows < 25 || !res.SameTotals {
		t.Errorf("result %+v", res)
	}
	if res.Median > time.Second {
		t.Errorf("the forward plan took %s; the target is under 1 s", res.Median)
	}
}
