package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"sync/atomic"
	"time"

	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/store"
)

func importCmd() *cli.Command {
	return &cli.Command{
		Name:    "import",
		Summary: "load CSV files (parties, catalogue, devices, churn)",
		Help: `Each file is loaded whole or not at all: a bad row rejects the file, and the error lists the
first 100 problems with their line numbers. Files may be gzip-compressed. Importing the same
file again changes nothing. Load a generated world in order: parties, catalogue, devices, churn.`,
		Subs: []*cli.Command{importPartiesCmd(), importCatalogueCmd(), importDevicesCmd(), importChurnCmd()},
	}
}

func importPartiesCmd() *cli.Command {
	return &cli.Command{
		Name:    "parties",
		Args:    "FILE",
		Summary: "load organisations: code,name,roles,contact_name,contact_email,contact_phone",
		Flags:   cli.FormatFlag,
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			r, db, done, err := openInputDB(ctx, env, args)
			if err != nil {
				return err
			}
			defer done()
			res, err := (&party.Service{DB: db}).Import(ctx, operator(env), r)
			if err != nil {
				return err
			}
			return env.Print(res, func(w io.Writer) error {
				fmt.Fprintf(w, "%d rows: %d created, %d updated, %d unchanged\n", res.Rows, res.Created, res.Updated, res.Unchanged)
				return nil
			})
		},
	}
}

// openInputDB opens what every import command reads and writes: the one
// FILE argument (see openInput) and the database, migrated. done closes both.
func openInputDB(ctx context.Context, env *cli.Env, args []string) (io.Reader, *store.DB, func(), error) {
	in, db, done, err := openCountedInputDB(ctx, env, args)
	if err != nil {
		return nil, nil, nil, err
	}
	return in.r, db, done, nil
}

// openCountedInputDB is openInputDB with the input's size and a count of the
// bytes read from it, for a progress bar.
func openCountedInputDB(ctx context.Context, env *cli.Env, args []string) (*input, *store.DB, func(), error) {
	in, err := openInput(args)
	if err != nil {
		return nil, nil, nil, err
	}
	db, err := openDB(ctx, env, true)
	if err != nil {
		in.close()
		return nil, nil, nil, err
	}
	return in, db, func() { db.Close(); in.close() }, nil
}

// input is the one FILE argument, opened.
type input struct {
	r     io.Reader // the file's text, decompressed
	size  int64     // the file's size on disk; 0 when unknown (standard input, a pipe)
	read  *atomic.Int64
	close func()
}

// openInput opens the one FILE argument ("-" for standard input),
// decompressing gzip. The bytes read are counted before decompression, so
// that they compare with the size on disk.
func openInput(args []string) (*input, error) {
	if len(args) != 1 {
		return nil, cli.Usagef("give one file (or - for standard input)")
	}
	var f *os.File = os.Stdin
	if args[0] != "-" {
		var err error
		if f, err = os.Open(args[0]); err != nil {
			return nil, err
		}
	}
	in := &input{read: new(atomic.Int64), close: func() { f.Close() }}
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		in.size = st.Size()
	}
	r, err := gunzipMaybe(countReads{f, in.read})
	if err != nil {
		f.Close()
		return nil, err
	}
	in.r = r
	return in, nil
}

// countReads counts the bytes read through it; the progress bar reads the
// count from another goroutine.
type countReads struct {
	r io.Reader
	n *atomic.Int64
}

func (c countReads) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func importDevicesCmd() *cli.Command {
	var profile string
	return &cli.Command{
		Name:    "devices",
		Args:    "FILE",
		Summary: "load the Device estate (devices.csv)",
		Help: `The header is:
  device_id,device_type,generation,manufacturer,model,firmware,supplier,supply_start,map,premises
one row per installed Device. Import the parties and the catalogue first: every row must name a
catalogue model and firmware of its manufacturer, a Supplier and (or empty) a MAP. Devices already
in the estate as the file describes them are left alone. The file streams: tens of millions of rows
need no more memory than a few.
--cpuprofile writes a CPU profile of the import (go tool pprof) for measuring it (BENCHMARKS.md).`,
		Flags: func(fs *flag.FlagSet) {
			cli.FormatFlag(fs)
			fs.StringVar(&profile, "cpuprofile", "", "write a CPU profile of the import to this file")
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			// A first load holds a sort run and the counts (about 100 MB) and
			// makes garbage as fast as the collector frees it: a soft limit
			// on the heap keeps the process's peak bounded (BENCHMARKS.md,
			// issue 16: under 300 MB for 35 million Devices), unless
			// GOMEMLIMIT says otherwise.
			if os.Getenv("GOMEMLIMIT") == "" {
				debug.SetMemoryLimit(importMemoryLimit)
			}
			// Most of the heap is the sort run, which holds no pointers:
			// collecting at half again the live heap instead of twice it
			// costs the collector little.
			if os.Getenv("GOGC") == "" {
				debug.SetGCPercent(50)
			}
			if profile != "" {
				stop, err := startCPUProfile(profile)
				if err != nil {
					return err
				}
				defer stop()
			}
			in, db, done, err := openCountedInputDB(ctx, env, args)
			if err != nil {
				return err
			}
			defer done()
			p := newProgress(env.Stderr)
			bar := p.bar(in.size, in.read)
			res, err := estate.NewService(db).ImportDevices(ctx, operator(env), in.r, estate.ImportOptions{Progress: bar.rows, Phase: bar.phase})
			bar.stop()
			if err != nil {
				return err
			}
			return env.Print(res, func(w io.Writer) error {
				fmt.Fprintf(w, "%d rows: %d Devices created, %d MAP changed, %d unchanged (%s)\n", res.Rows, res.Created, res.MAPChanged, res.Unchanged, p.rate(res.Rows))
				return nil
			})
		},
	}
}

func importChurnCmd() *cli.Command {
	return &cli.Command{
		Name:    "churn",
		Args:    "FILE",
		Summary: "load changes of supplier (churn.csv)",
		Help: `The header is:
  device_id,new_supplier,effective_date
one row per change of Responsible Supplier, in date order; a Device may change more than once.
Each change closes the Device's supply period and opens the next on the effective date, which must
be after the current one began. Changes already recorded are left alone.`,
		Flags: cli.FormatFlag,
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			r, db, done, err := openInputDB(ctx, env, args)
			if err != nil {
				return err
			}
			defer done()
			p := newProgress(env.Stderr)
			res, err := estate.NewService(db).ImportChurn(ctx, operator(env), r, estate.ImportOptions{Progress: p.report})
			p.done()
			if err != nil {
				return err
			}
			return env.Print(res, func(w io.Writer) error {
				fmt.Fprintf(w, "%d rows: %d changes made, %d unchanged (%s)\n", res.Rows, res.Changed, res.Unchanged, p.rate(res.Rows))
				return nil
			})
		},
	}
}

// progress shows how far a long import has read: a line redrawn in place on
// a terminal, plain lines otherwise (logs).
type progress struct {
	w     io.Writer
	tty   bool
	start time.Time
	drawn bool
}

func newProgress(w io.Writer) *progress {
	return &progress{w: w, tty: isTerminal(w), start: time.Now()}
}

func (p *progress) report(rows, bytes int64) {
	secs := time.Since(p.start).Seconds()
	p.reportf("read %d rows, %.1f MB in %.0fs (%.0f rows/s)", rows, float64(bytes)/1e6, secs, float64(rows)/max(secs, 1e-3))
}

func (p *progress) reportf(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.drawn = true
		return
	}
	fmt.Fprintln(p.w, line)
}

// done ends the progress line (the checks and the writing follow the read).
func (p *progress) done() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}

func (p *progress) rate(rows int64) string {
	secs := time.Since(p.start).Seconds()
	return fmt.Sprintf("%.1fs, %.0f rows/s", secs, float64(rows)/max(secs, 1e-3))
}

// importMemoryLimit is import devices' soft limit on the Go heap.
const importMemoryLimit = 192 << 20

// startCPUProfile writes a CPU profile to path until stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
