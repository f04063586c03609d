package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/estate/estatebench"
	"github.com/metersec/metersec/internal/store"
)

func estateBenchCmd() *cli.Command {
	var o estatebench.Options
	return &cli.Command{
		Name:    "bench",
		Summary: "time the estate's national-scale questions against naive queries over the Device rows",
		Help: `Measures a database that holds an estate: the benchmark world that
"metersec arrangement bench" builds (35 million Devices), or an imported one. Times a
Supplier's portfolio and a manufacturer's operators from the aggregates (--runs times each)
and once from the Device rows; "who was responsible for Device D on day X" (--lookups random
Devices and days) against a raw primary-key read; with --transfer, a Supplier of Last Resort
transfer of the smallest Supplier with at least --transfer-min Devices (it changes the
database) against the raw UPDATE of the same rows, rolled back; and the drift check.
Example:
  metersec arrangement bench --db /var/tmp/bench.db --naive=false   # build once
  metersec estate bench --db /var/tmp/bench.db --transfer`,
		DBDefault: "./metersec-bench.db",
		Flags: func(fs *flag.FlagSet) {
			fs.IntVar(&o.Runs, "runs", 5, "timed runs of each aggregate query")
			fs.IntVar(&o.Lookups, "lookups", 2000, "responsible-on lookups")
			fs.BoolVar(&o.Transfer, "transfer", false, "also time a Supplier of Last Resort transfer (changes the database)")
			fs.Int64Var(&o.TransferMin, "transfer-min", 1_500_000, "the failed Supplier is the smallest with at least this many Devices")
			fs.StringVar(&o.TransferTo, "transfer-to", "", "the Supplier of Last Resort (the largest Supplier by default)")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			db, err := store.Open(ctx, env.DB)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.CheckSchema(ctx); err != nil {
				return err
			}
			o.Progress = func(step string) { fmt.Fprintf(env.Stderr, "timing %s …\n", step) }
			res, err := estatebench.Run(ctx, db, o)
			if err != nil {
				return err
			}
			return env.Print(res, func(w io.Writer) error {
				fmt.Fprintf(w, "engine\t%s, %d installed Devices\n", res.Engine, res.Devices)
				fmt.Fprintf(w, "Supplier portfolio (%s)\tmedian %.2f ms, slowest %.2f ms, %d rows; naive %.0f ms (%.0f×)\n",
					res.Supplier, res.SupplierMedianMS, res.SupplierMaxMS, res.SupplierRows, res.SupplierNaiveMS, res.SupplierRatio)
				fmt.Fprintf(w, "manufacturer's operators (%s)\tmedian %.2f ms, slowest %.2f ms, %d rows; naive %.0f ms (%.0f×)\n",
					res.Manufacturer, res.ManufacturerMedian, res.ManufacturerMaxMS, res.ManufacturerRows, res.ManufacturerNaiveMS, res.ManufacturerRatio)
				fmt.Fprintf(w, "responsible on a day\tmean %.3f ms, p99 %.3f ms (%d lookups); raw primary-key read %.3f ms\n",
					res.LookupMeanMS, res.LookupP99MS, res.Lookups, res.LookupRawMeanMS)
				if res.TransferFrom != "" {
					fmt.Fprintf(w, "SoLR transfer %s → %s\t%d Devices in %.1f s; raw UPDATE %.1f s (%.2f× of it)\n",
						res.TransferFrom, res.TransferTo, res.TransferDevices, res.TransferMS/1000, res.TransferRawMS/1000, res.TransferRatio)
				}
				fmt.Fprintf(w, "drift check\t%.1f s, %d groups drifted; raw COUNT(*) %.1f s\n", res.VerifyMS/1000, res.VerifyDrift, res.RawCountMS/1000)
				return nil
			})
		},
	}
}
