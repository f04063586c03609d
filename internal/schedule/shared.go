package schedule

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/store"
)

// keepRuns is how long the record of a run is kept.
const keepRuns = 30 * 24 * time.Hour

// Shared makes tasks safe to run on every server of one database: each run
// of a task belongs to a slot (the time it is due, rounded down to its
// interval) and a slot runs once, on whichever server claims it first in
// schedule_runs; a run also holds the task's lock (store.TryLock: a
// PostgreSQL advisory lock), so a run that overruns its slot never overlaps
// the next one on another server. A server that finds the slot taken or the
// lock held skips the tick. holder names this server in the record.
//
// A slot whose run failed is not retried: the next slot is, and every task
// catches up on what it missed (they are written to be idempotent).
func Shared(db *store.DB, holder string, tasks ...Task) []Task {
	out := make([]Task, len(tasks))
	for i, t := range tasks {
		run := t.Run
		out[i] = Task{Name: t.Name, Every: t.Every, Run: func(ctx context.Context, now time.Time) error {
			_, err := runOnce(ctx, db, holder, t.Name, t.Every, now, run)
			return err
		}}
	}
	return out
}

// runOnce runs fn for the slot of now unless the slot has run or the task is
// running elsewhere, and reports whether it ran.
func runOnce(ctx context.Context, db *store.DB, holder, name string, every time.Duration, now time.Time,
	fn func(context.Context, time.Time) error) (bool, error) {
	unlock, ok, err := db.TryLock(ctx, "schedule:"+name)
	if err != nil || !ok {
		return false, err
	}
	defer unlock()
	slot := now.UTC().Truncate(every)
	sys := access.SystemCaller("scheduler")
	claimed := false
	if err := db.Write(ctx, sys, func(tx *store.Tx) error {
		var got string
		err := tx.QueryRowContext(ctx, `INSERT INTO schedule_runs (task, slot, holder, started_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (task, slot) DO NOTHING RETURNING holder`, name, slot, holder, tx.Now).Scan(&got)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		claimed = true
		_, err = tx.ExecContext(ctx, "DELETE FROM schedule_runs WHERE task = $1 AND slot < $2", name, slot.Add(-keepRuns))
		return err
	}); err != nil {
		return false, fmt.Errorf("claim %s at %s: %w", name, slot.Format(time.RFC3339), err)
	}
	if !claimed {
		return false, nil
	}
	runErr := fn(ctx, now)
	msg := ""
	if runErr != nil {
		msg = runErr.Error()
	}
	// Recorded even when ctx has ended (the server is stopping), so the
	// record says how the run ended.
	wctx := context.WithoutCancel(ctx)
	if err := db.Write(wctx, sys, func(tx *store.Tx) error {
		_, err := tx.ExecContext(wctx, "UPDATE schedule_runs SET finished_at = $1, error = $2 WHERE task = $3 AND slot = $4",
			tx.Now, msg, name, slot)
		return err
	}); err != nil {
		return true, errors.Join(runErr, fmt.Errorf("record %s at %s: %w", name, slot.Format(time.RFC3339), err))
	}
	return true, runErr
}
