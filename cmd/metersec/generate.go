package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/generate"
)

func generateCmd() *cli.Command {
	var opts generate.Options
	var start, end string
	return &cli.Command{
		Name:    "generate",
		Summary: "write a synthetic GB world as CSV files, for tests, demonstrations and benchmarks",
		Help: `Writes parties.csv, catalogue.csv, devices.csv and churn.csv into --out: about 25 Suppliers, 15
manufacturers, 6 MAPs, a catalogue of a few hundred models, --devices Devices as the estate stands on
--start, and the changes of supplier from --start until the day before --end, one Supplier of Last
Resort event included. One --seed always gives the same files. Every name and contact is invented.

Load them in this order (each import needs the one before):
  metersec import parties parties.csv
  metersec import catalogue catalogue.csv
  metersec import devices devices.csv
  metersec import churn churn.csv`,
		NoDB: true,
		Flags: func(fs *flag.FlagSet) {
			cli.FormatFlag(fs)
			fs.Int64Var(&opts.Devices, "devices", 10_000, "how many Devices (the GB estate is about 35 million)")
			fs.Uint64Var(&opts.Seed, "seed", 1, "picks the world")
			fs.StringVar(&opts.OutDir, "out", ".", "directory to write the four files into (created if missing)")
			fs.StringVar(&opts.TempDir, "temp-dir", "", "directory for the churn spill files (default --out)")
			fs.StringVar(&start, "start", "2025-01-01", "first day of the simulated year (YYYY-MM-DD)")
			fs.StringVar(&end, "end", "", "day after the simulated year (default a year after --start)")
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 0 {
				return cli.Usagef("generate takes no arguments")
			}
			if opts.Devices <= 0 {
				return cli.Usagef("--devices must be positive")
			}
			var err error
			if opts.Start, err = catalogue.ParseDate(start); err != nil {
				return cli.Usagef("--start: %v", err)
			}
			if end != "" {
				if opts.End, err = catalogue.ParseDate(end); err != nil {
					return cli.Usagef("--end: %v", err)
				}
			}
			p := newProgress(env.Stderr)
			every := max(opts.Devices/20, 100_000)
			var last int64
			opts.Progress = func(done, total int64) {
				if done-last >= every || done == total {
					last = done
					p.reportf("generated %d of %d Devices", done, total)
				}
			}
			began := time.Now()
			sum, err := generate.Run(ctx, opts)
			p.done()
			if err != nil {
				return err
			}
			return env.Print(sum, func(w io.Writer) error {
				fmt.Fprintf(w, "%d parties (%d Suppliers), %d models in %d catalogue rows, %d Devices in %d premises, %d changes of supplier, in %s (%.1fs)\n",
					sum.Parties, sum.Suppliers, sum.Models, sum.CatalogueRows, sum.Devices, sum.Premises, sum.ChurnRows, opts.OutDir, time.Since(began).Seconds())
				if sum.Failure.Supplier != "" {
					fmt.Fprintf(w, "Supplier of Last Resort: %s's %d Devices to %s on %s\n", sum.Failure.Supplier, sum.Failure.Devices,
						sum.Failure.SoLR, sum.Failure.Date.Format(catalogue.DateLayout))
				}
				return nil
			})
		},
	}
}
