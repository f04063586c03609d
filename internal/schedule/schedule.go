// Package schedule runs the server's periodic work: re-fanning out open
// vulnerabilities when the estate changes, reminders, overdue escalations,
// monthly reports and coverage snapshots. Each task runs on its own ticker,
// never overlapping itself. With several servers on one database, Shared
// makes each slot of each task run once, on one server (schedule_runs and a
// lock); tasks are still written to be idempotent, so a run that catches up
// after a missed or failed slot does no harm. This package owns
// schedule_runs.
package schedule

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Task is periodic work.
type Task struct {
	Name  string
	Every time.Duration
	Run   func(ctx context.Context, now time.Time) error
}

// Run runs the tasks until ctx ends, each first after a short delay (so the
// server is up) and then every Every. Failures are logged and retried at the
// next tick.
func Run(ctx context.Context, log *slog.Logger, now func() time.Time, tasks ...Task) {
	var wg sync.WaitGroup
	for _, t := range tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first := time.NewTimer(2 * time.Second)
			defer first.Stop()
			select {
			case <-ctx.Done():
				return
			case <-first.C:
			}
			tick := time.NewTicker(t.Every)
			defer tick.Stop()
			for {
				start := time.Now()
				if err := t.Run(ctx, now()); err != nil && ctx.Err() == nil {
					log.Error("scheduled task failed", "task", t.Name, "err", err)
				} else if d := time.Since(start); d > t.Every/2 {
					log.Warn("scheduled task is slow", "task", t.Name, "took", d.String())
				}
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
			}
		}()
	}
	wg.Wait()
}
