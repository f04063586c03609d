package schedule

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

func TestTasksRunRepeatedlyAndStop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var ok, failing atomic.Int32
	done := make(chan struct{})
	go func() {
		Run(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now,
			Task{Name: "ok", Every: 10 * time.Millisecond, Run: func(context.Context, time.Time) error { ok.Add(1); return nil }},
			Task{Name: "failing", Every: 10 * time.Millisecond, Run: func(context.Context, time.Time) error { failing.Add(1); return errors.New("boom") }},
		)
		close(done)
	}()
	deadline := time.After(10 * time.Second)
	for ok.Load() < 3 || failing.Load() < 3 {
		select {
		case <-deadline:
			t.Fatalf("tasks ran %d and %d times", ok.Load(), failing.Load())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}
