package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/metersec/metersec/internal/bench"
	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/store"
)

// metersec bench runs the benchmarks that BENCHMARKS.md records, each against
// its baseline in the same run. Their world builders live in internal/bench,
// outside the product's areas.
func benchCmd() *cli.Command {
	return &cli.Command{
		Name:    "bench",
		Summary: "run a named benchmark against its baseline (coverage, estate, import)",
		Help: `Each benchmark prints its figures and the baseline it is measured against in the same run,
so that a shared machine's load moves both. BENCHMARKS.md records what they measured.`,
		Subs: []*cli.Command{benchImportCmd(), benchCoverageCmd(), benchEstateCmd()},
	}
}

func benchImportCmd() *cli.Command {
	var o bench.ImportOptions
	var seed int64
	return &cli.Command{
		Name:    "import",
		Summary: "time import devices into an empty estate against the engine's raw load of the same file",
		Help: `Generates a world of --devices Devices (reused from --dir when it is there), then, on the same
devices.csv and in the same run: the raw load (SQLite: the sqlite3 shell's .import into a bare
table, then CREATE UNIQUE INDEX on the Device ID; PostgreSQL: COPY FROM STDIN in CSV into a bare
table, then ADD PRIMARY KEY) and "metersec import devices" into a new database holding only the
world's parties and catalogue, run as a child process so that its peak memory is its own. Prints
both times, the import's speed as a share of the raw load's, its peak memory and whether
"estate verify" finds the aggregates exact. The SQLite baseline needs the sqlite3 shell (Debian
package sqlite3).
Example:
  metersec bench import --devices 1000000 --engine sqlite --dir /var/tmp/msbench
  metersec bench import --devices 1000000 --engine postgres --postgres postgres://postgres@127.0.0.1:5432/test`,
		NoDB: true,
		Flags: func(fs *flag.FlagSet) {
			fs.Int64Var(&o.Devices, "devices", 1_000_000, "Devices in the generated file")
			fs.Int64Var(&seed, "seed", 1, "the generated world")
			fs.StringVar(&o.Dir, "dir", filepath.Join(os.TempDir(), "metersec-bench"), "where the world is generated and kept, and the SQLite databases go")
			fs.StringVar(&o.Engine, "engine", "sqlite", "sqlite or postgres")
			fs.StringVar(&o.Postgres, "postgres", "", "the PostgreSQL server's URL, for --engine postgres (each run makes its own schemas and drops them)")
			fs.StringVar(&o.Binary, "bin", "", "the metersec binary that imports (this one by default)")
			fs.BoolVar(&o.Raw, "raw", true, "run the raw baseline")
			fs.BoolVar(&o.Again, "again", false, "also import the same file again into the now populated estate (every row unchanged)")
			fs.BoolVar(&o.Verify, "verify", true, "recount the aggregates after the import")
			fs.BoolVar(&o.Keep, "keep", false, "keep the loaded database")
			fs.StringVar(&o.Profile, "profile", "", "a directory for the import's CPU profile and phase log (import-ENGINE-N.pprof, .log)")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			o.Seed = uint64(seed)
			if err := os.MkdirAll(o.Dir, 0o755); err != nil {
				return err
			}
			o.Progress = func(step string) { fmt.Fprintf(env.Stderr, "%s  %s …\n", time.Now().Format("15:04:05"), step) }
			res, err := bench.RunImport(ctx, o)
			if err != nil {
				return err
			}
			return env.Print(res, func(w io.Writer) error {
				fmt.Fprintf(w, "engine\t%s, %d Devices, a %.0f MB file; load average %.1f before, %.1f after\n", res.Engine, res.Devices, res.FileMB, res.LoadAvg, res.LoadAvgAfter)
				if res.RawSeconds > 0 {
					fmt.Fprintf(w, "raw load\t%.1f s (%s)", res.RawSeconds, res.RawMethod)
					if res.RawPeakRSSMB > 0 {
						fmt.Fprintf(w, ", peak RSS %.0f MB", res.RawPeakRSSMB)
					}
					fmt.Fprintln(w)
				}
				fmt.Fprintf(w, "import devices\t%.1f s (%.1f s of CPU), %d Devices created, peak RSS %.0f MB\n", res.ImportSeconds, res.ImportCPUSeconds, res.Created, res.ImportPeakMB)
				if res.CPURatio > 0 {
					fmt.Fprintf(w, "CPU\traw load %.1f s; the import's speed by CPU time %.2f× the raw load's\n", res.RawCPUSeconds, res.CPURatio)
				}
				if res.SpeedRatio > 0 {
					fmt.Fprintf(w, "speed\t%.2f× the raw load's (target at least 0.5×)\n", res.SpeedRatio)
				}
				if res.AgainSeconds > 0 {
					fmt.Fprintf(w, "import again\t%.1f s into the populated estate, peak RSS %.0f MB\n", res.AgainSeconds, res.AgainPeakMB)
				}
				if res.Verified {
					fmt.Fprintf(w, "estate verify\t%s, %d portfolio groups (%.1f s)\n", map[bool]string{true: "aggregates exact", false: "DRIFT"}[res.VerifyOK], res.VerifyGroups, res.VerifySecs)
				}
				return nil
			})
		},
	}
}

func benchCoverageCmd() *cli.Command {
	var devices int64
	var date string
	var runs int
	var naive, past bool
	return &cli.Command{
		Name:    "coverage",
		Summary: "build a synthetic national estate and time coverage against a naive Device scan",
		Help: `On an empty database (a new SQLite file, or an empty PostgreSQL schema) builds a synthetic
world with SQL: 25 Suppliers, 15 manufacturers, 300 models, 6 MAPs, --devices Devices with
their portfolio aggregates, and a few hundred arrangements, printing how long each step
took. On a database it built before, it only measures: coverage for every Supplier and for
the largest one from the aggregates (--runs times each; the median and the slowest), and
once each from a naive scan of the Device rows, with the ratio.
Example:
  metersec bench coverage --db /var/tmp/bench.db --devices 35000000`,
		DBDefault: "./metersec-bench.db",
		Flags: func(fs *flag.FlagSet) {
			fs.Int64Var(&devices, "devices", 35_000_000, "Devices to build")
			fs.StringVar(&date, "date", "2025-07-01", "the day the estate stands on and coverage is computed for")
			fs.IntVar(&runs, "runs", 5, "timed runs of each aggregate query")
			fs.BoolVar(&naive, "naive", true, "also time the naive Device scan (slow: minutes at 35 million)")
			fs.BoolVar(&past, "past", true, "also time the day as a past day, from the supply periods (slow: minutes at 35 million)")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			d, err := dateFlag("date", date)
			if err != nil {
				return err
			}
			db, err := store.Open(ctx, env.DB)
			if err != nil {
				return err
			}
			defer db.Close()
			if _, err := db.Migrate(ctx, nil); err != nil {
				return err
			}
			built, have, err := bench.IsWorld(ctx, db)
			if err != nil {
				return err
			}
			if !built {
				fmt.Fprintf(env.Stderr, "building %d Devices into %s\n", devices, db.Location)
				t0 := time.Now()
				err := bench.BuildWorld(ctx, db, bench.WorldOptions{Devices: devices, Date: d}, func(step string, took time.Duration) {
					fmt.Fprintf(env.Stderr, "  %-40s %8.1fs\n", step, took.Seconds())
				})
				if err != nil {
					return err
				}
				fmt.Fprintf(env.Stderr, "built in %.1fs\n", time.Since(t0).Seconds())
			} else {
				fmt.Fprintf(env.Stderr, "reusing the benchmark world in %s (%d Devices)\n", db.Location, have)
			}
			res, err := bench.RunCoverage(ctx, db, d, runs, past, naive)
			if err != nil {
				return err
			}
			return env.Print(res, func(w io.Writer) error {
				fmt.Fprintf(w, "engine\t%s\n", res.Engine)
				fmt.Fprintf(w, "devices\t%d (portfolio rows %d, inherited rows %d)\n", res.Devices, res.PortfolioRows, res.InheritedRows)
				fmt.Fprintf(w, "all %d Suppliers\tmedian %.1f ms, slowest %.1f ms (%d runs); CPU of this process %.1f ms\n", res.Suppliers, res.AllMedianMS, res.AllMaxMS, res.Runs, res.AllCPUMS)
				fmt.Fprintf(w, "one Supplier (%s)\tmedian %.1f ms, slowest %.1f ms; CPU of this process %.1f ms\n", res.OneSupplier, res.OneMedianMS, res.OneMaxMS, res.OneCPUMS)
				fmt.Fprintf(w, "all, from the cache\t%.1f ms (asked again, nothing changed)\n", res.CachedAllMS)
				if res.Load > 0 {
					fmt.Fprintf(w, "load average\t%.1f (the machine's other work)\n", res.Load)
				}
				if past {
					fmt.Fprintf(w, "as a past day, all\t%.0f ms (%.0f ms CPU), from the supply periods; one %.0f ms; 90 days earlier %.0f ms; same answers %s\n",
						res.PastAllMS, res.PastAllCPUMS, res.PastOneMS, res.PastEarlierMS, yesNo(res.PastAgree))
				}
				if naive {
					fmt.Fprintf(w, "naive scan, all\t%.0f ms (%.0f× slower)\n", res.NaiveAllMS, res.RatioAll)
					fmt.Fprintf(w, "naive scan, one\t%.0f ms (%.0f× slower)\n", res.NaiveOneMS, res.RatioOne)
					fmt.Fprintf(w, "same answers\t%s\n", yesNo(res.Agree))
				}
				fmt.Fprintf(w, "devices by status\tcovered %d, steps %d, gap %d, DCC %d, no duty %d\n",
					res.DevicesCovered, res.DevicesSteps, res.DevicesGap, res.DevicesDCC, res.DevicesExempt)
				return nil
			})
		},
	}
}

func benchEstateCmd() *cli.Command {
	var o bench.EstateOptions
	return &cli.Command{
		Name:    "estate",
		Summary: "time the estate's national-scale questions against naive queries over the Device rows",
		Help: `Measures a database that holds an estate: the benchmark world that
"metersec bench coverage" builds (35 million Devices), or an imported one. Times a
Supplier's portfolio and a manufacturer's operators from the aggregates (--runs times each)
and once from the Device rows; "who was responsible for Device D on day X" (--lookups random
Devices and days) against a raw primary-key read; with --transfer, a Supplier of Last Resort
transfer of the smallest Supplier with at least --transfer-min Devices (it changes the
database) against the raw UPDATE of the same rows, rolled back; and the drift check.
Example:
  metersec bench coverage --db /var/tmp/bench.db --naive=false   # build once
  metersec bench estate --db /var/tmp/bench.db --transfer`,
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
			res, err := bench.RunEstate(ctx, db, o)
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
