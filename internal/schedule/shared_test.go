package schedule

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// twoServers opens two handles on one fresh database, as two servers would.
func twoServers(t *testing.T, engine store.Dialect) [2]*store.DB {
	t.Helper()
	dsn := storetest.DSN(t, engine)
	var dbs [2]*store.DB
	for i := range dbs {
		db, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	if _, err := dbs[0].Migrate(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return dbs
}

// TestSharedRunsEachSlotOnce fires one task twenty times at once, half on
// each of two servers, for one slot, and then for the next: each slot runs
// exactly once. (Without Shared every firing ran.)
func TestSharedRunsEachSlotOnce(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			dbs := twoServers(t, engine)
			var runs atomic.Int32
			task := Task{Name: "count", Every: time.Hour, Run: func(context.Context, time.Time) error {
				runs.Add(1)
				time.Sleep(20 * time.Millisecond)
				return nil
			}}
			servers := [2][]Task{Shared(dbs[0], "a", task), Shared(dbs[1], "b", task)}
			fire := func(now time.Time) {
				var wg sync.WaitGroup
				for i := range 20 {
					wg.Go(func() {
						if err := servers[i%2][0].Run(context.Background(), now); err != nil {
							t.Error(err)
						}
					})
				}
				wg.Wait()
			}
			slot := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
			// The slot's first and last instants are the same slot.
			fire(slot)
			fire(slot.Add(time.Hour - time.Microsecond))
			if n := runs.Load(); n != 1 {
				t.Fatalf("one slot fired 40 times over two servers ran %d times, want 1", n)
			}
			fire(slot.Add(time.Hour))
			if n := runs.Load(); n != 2 {
				t.Fatalf("after the next slot: %d runs, want 2", n)
			}
			var rows int
			dbs[1].QueryRowContext(context.Background(), "SELECT COUNT(*) FROM schedule_runs WHERE task = 'count' AND finished_at IS NOT NULL").Scan(&rows)
			if rows != 2 {
				t.Fatalf("%d finished runs recorded, want 2", rows)
			}
		})
	}
}

// TestSharedNeverOverlaps: a run that overruns into the next slot holds the
// task, so the next slot's firing on the other server skips rather than
// running beside it; a failed run is recorded with its error.
func TestSharedNeverOverlaps(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			dbs := twoServers(t, engine)
			release := make(chan struct{})
			started := make(chan struct{})
			var running, most atomic.Int32
			task := Task{Name: "slow", Every: time.Minute, Run: func(_ context.Context, now time.Time) error {
				most.Store(max(most.Load(), running.Add(1)))
				defer running.Add(-1)
				if now.Minute() == 0 {
					close(started)
					<-release
				}
				return errors.New("boom")
			}}
			a, b := Shared(dbs[0], "a", task)[0], Shared(dbs[1], "b", task)[0]
			t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
			done := make(chan error)
			go func() { done <- a.Run(context.Background(), t0) }()
			<-started
			if err := b.Run(context.Background(), t0.Add(time.Minute)); err != nil {
				t.Fatalf("the overlapping firing: %v", err)
			}
			close(release)
			if err := <-done; err == nil || err.Error() != "boom" {
				t.Fatalf("the slow run: %v", err)
			}
			if most.Load() != 1 {
				t.Fatalf("%d runs at once", most.Load())
			}
			var n int
			var msg string
			dbs[0].QueryRowContext(context.Background(), "SELECT COUNT(*), MAX(error) FROM schedule_runs WHERE task = 'slow'").Scan(&n, &msg)
			if n != 1 || msg != "boom" {
				t.Fatalf("runs recorded %d, error %q; want the one run, failed with boom", n, msg)
			}
			// The skipped slot was not claimed: a later firing in it runs.
			if err := b.Run(context.Background(), t0.Add(time.Minute+time.Second)); err == nil {
				t.Fatal("the next slot did not run once the task was free")
			}
		})
	}
}
