package main

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/metersec/metersec/internal/uk"
)

// progressBar shows a devices import: on a terminal, a bar redrawn in place
// four times a second with the share of the file read, the megabytes, the
// rows and an ETA from the bytes read so far against the file's size; then,
// once the file is read, the write step under way and how long it has taken.
// Elsewhere (a log) it writes the plain lines of progress.report, and a line
// per write step.
type progressBar struct {
	p     *progress
	size  int64 // 0: unknown (standard input), so no bar and no ETA
	read  *atomic.Int64
	nrows atomic.Int64

	mu        sync.Mutex
	step      string
	stepBegan time.Time
	quit      chan struct{}
	finished  chan struct{}
}

// bar starts a progress bar over a file of size bytes, read counts the bytes
// read so far.
func (p *progress) bar(size int64, read *atomic.Int64) *progressBar {
	b := &progressBar{p: p, size: size, read: read, quit: make(chan struct{}), finished: make(chan struct{})}
	if !p.tty {
		close(b.finished)
		return b
	}
	go func() {
		defer close(b.finished)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-b.quit:
				b.draw()
				return
			case <-t.C:
				b.draw()
			}
		}
	}()
	return b
}

// rows is the import's Progress callback.
func (b *progressBar) rows(rows, bytes int64) {
	b.nrows.Store(rows)
	if !b.p.tty {
		b.p.report(rows, bytes)
	}
}

// phase is the import's Phase callback.
func (b *progressBar) phase(name string) {
	b.mu.Lock()
	b.step, b.stepBegan = name, time.Now()
	b.mu.Unlock()
	if !b.p.tty {
		fmt.Fprintf(b.p.w, "%s (%.0fs in)\n", name, time.Since(b.p.start).Seconds())
	}
}

// stop draws the last state and ends the line.
func (b *progressBar) stop() {
	select {
	case <-b.quit:
	default:
		close(b.quit)
	}
	<-b.finished
	b.p.done()
}

func (b *progressBar) draw() {
	b.mu.Lock()
	step, began := b.step, b.stepBegan
	b.mu.Unlock()
	now := time.Now()
	b.p.reportf("%s", barLine(b.size, b.read.Load(), b.nrows.Load(), now.Sub(b.p.start), step, now.Sub(began)))
}

// barLine is one state of the bar, at most 80 columns:
//
//	[#########...........]  45%   29.3/65.0 MB  1,200,000 rows  ETA 0:12
//	[####################] 100%   65.0/65.0 MB  writing Devices 0:04
func barLine(size, read, rows int64, elapsed time.Duration, step string, inStep time.Duration) string {
	const width = 20
	var b strings.Builder
	if size > 0 {
		frac := min(float64(read)/float64(size), 1)
		if step != "" {
			frac = 1 // the file is read: the writing has its own clock
		}
		filled := int(frac * width)
		fmt.Fprintf(&b, "[%s%s] %3.0f%%  %6.1f/%.1f MB", strings.Repeat("#", filled), strings.Repeat(".", width-filled),
			frac*100, float64(min(read, size))/1e6, float64(size)/1e6)
	} else {
		fmt.Fprintf(&b, "%.1f MB", float64(read)/1e6)
	}
	if step != "" {
		fmt.Fprintf(&b, "  %s %s", step, clock(inStep))
		return b.String()
	}
	fmt.Fprintf(&b, "  %s rows", thousands(rows))
	switch {
	case size > 0 && read > 0 && read < size:
		fmt.Fprintf(&b, "  ETA %s", clock(time.Duration(float64(elapsed)*float64(size-read)/float64(read))))
	default:
		fmt.Fprintf(&b, "  %s", clock(elapsed))
	}
	return b.String()
}

// clock is d as m:ss, or h:mm:ss from an hour.
func clock(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// thousands writes n with comma separators (1,200,000).
func thousands(n int64) string { return uk.Thousands(n) }
