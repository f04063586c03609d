package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestBarLine(t *testing.T) {
	for _, c := range []struct {
		name             string
		size, read, rows int64
		elapsed          time.Duration
		step             string
		inStep           time.Duration
		want             string
	}{
		{"a quarter read in 10s leaves 30s", 40e6, 10e6, 100_000, 10 * time.Second, "", 0,
			"[#####...............]  25%    10.0/40.0 MB  100,000 rows  ETA 0:30"},
		{"half read in 61s leaves 1:01", 2e6, 1e6, 0, 61 * time.Second, "", 0,
			"[##########..........]  50%     1.0/2.0 MB  0 rows  ETA 1:01"},
		{"the write phase shows its step and clock, the bar full", 2e6, 2e6, 9_000, time.Minute, "writing Devices", 4 * time.Second,
			"[####################] 100%     2.0/2.0 MB  writing Devices 0:04"},
		{"unknown size (standard input): no bar, no ETA", 0, 5e6, 1_234_567, 3725 * time.Second, "", 0,
			"5.0 MB  1,234,567 rows  1:02:05"},
		{"read ahead of the size (buffering) stays at 100%", 1e6, 2e6, 0, time.Second, "", 0,
			"[####################] 100%     1.0/1.0 MB  0 rows  0:01"},
	} {
		if got := barLine(c.size, c.read, c.rows, c.elapsed, c.step, c.inStep); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
		if len(c.want) > 80 {
			t.Errorf("%s: %d columns", c.name, len(c.want))
		}
	}
}

// On a terminal the bar redraws in place and goes through the write steps.
func TestProgressBarOnATerminal(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out)
	p.tty = true // as isTerminal says for a terminal
	p.start = time.Now().Add(-10 * time.Second)
	var read atomic.Int64
	read.Store(1e6)
	b := p.bar(4e6, &read)
	b.rows(100_000, 1e6)
	time.Sleep(400 * time.Millisecond)
	b.phase("writing Devices")
	time.Sleep(400 * time.Millisecond)
	b.stop()
	s := out.String()
	for _, want := range []string{"\r\033[K[#####...............]  25%", "ETA 0:3", "100,000 rows", "[####################] 100%", "writing Devices 0:00"} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q in %q", want, s)
		}
	}
	if !strings.HasSuffix(s, "\n") {
		t.Errorf("the line is not ended: %q", s)
	}
}

// Elsewhere (a log, a pipe) the import writes plain lines, write steps
// included, and no control characters.
func TestImportDevicesProgressInALog(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "m.db")
	world := filepath.Join(dir, "w")
	if code, _, errOut := run(t, "", nil, "generate", "--devices", "300", "--out", world); code != 0 {
		t.Fatal(errOut)
	}
	run(t, "", nil, "migrate", "--db", db)
	for _, f := range []string{"parties", "catalogue"} {
		if code, _, errOut := run(t, "", nil, "import", f, filepath.Join(world, f+".csv"), "--db", db); code != 0 {
			t.Fatal(errOut)
		}
	}
	code, out, errOut := run(t, "", nil, "import", "devices", filepath.Join(world, "devices.csv"), "--db", db)
	if code != 0 || !strings.Contains(out, "300 rows: 300 Devices created") {
		t.Fatalf("import devices: %d %q %q", code, out, errOut)
	}
	for _, want := range []string{"read 300 rows", "writing Devices (", "updating the portfolio (", "committing ("} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr has no %q: %q", want, errOut)
		}
	}
	if strings.ContainsAny(errOut, "\r\033") {
		t.Errorf("control characters in a log: %q", errOut)
	}
	if _, err := os.Stat(db); err != nil {
		t.Fatal(err)
	}
}
