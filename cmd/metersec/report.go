package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/report"
	"github.com/metersec/metersec/internal/schedule"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/uk"
)

func reportCmd() *cli.Command {
	return &cli.Command{
		Name:    "report",
		Summary: "generate, list and download the SSC's monthly and standing reports",
		Help: `The monthly mailing tells each manufacturer which Suppliers operate its Devices and each
Supplier every manufacturer's security contacts, as things stood at the end of a month. The
server generates it on the first working day of each month (see "report schedule"); these
commands run it on demand. A month already run is not sent again unless --force-new-version is given,
which makes a new version. Reports are stored as generated, with their SHA-256 digests.`,
		Subs: []*cli.Command{reportRunCmd(report.Monthly), reportRunCmd(report.Standing), reportListCmd(), reportDownloadCmd(), reportScheduleCmd()},
	}
}

// lastMonth is the most recent month that has ended, UK time.
func lastMonth() report.Month { return report.MonthAt(time.Now().In(uk.London)).Add(-1) }

type monthFlag struct{ m *report.Month }

func (f monthFlag) String() string {
	if f.m == nil {
		return ""
	}
	return f.m.String()
}

func (f monthFlag) Set(s string) error {
	m, err := report.ParseMonth(s)
	if err != nil {
		return err
	}
	*f.m = m
	return nil
}

func reportRunCmd(scope report.Scope) *cli.Command {
	var month report.Month
	var force bool
	c := &cli.Command{
		Name: string(scope),
		Flags: func(fs *flag.FlagSet) {
			fs.Var(monthFlag{&month}, "month", "the month to report, YYYY-MM (default: the last month that has ended)")
			fs.BoolVar(&force, "force-new-version", false, "generate the month again as a new version even if it has been run (the monthly mailing is then sent again)")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) > 0 {
				return cli.Usagef("%s takes no arguments", scope)
			}
			if month.IsZero() {
				month = lastMonth()
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			s := report.NewService(db)
			opts := report.RunOptions{Force: force, Trigger: "cli"}
			var run report.Run
			if scope == report.Monthly {
				run, err = s.RunMonthly(ctx, operator(env), month, opts)
			} else {
				run, err = s.RunStanding(ctx, operator(env), month, opts)
			}
			if err != nil {
				return err
			}
			return env.Print(run, func(w io.Writer) error {
				if run.Repeat {
					fmt.Fprintf(w, "The %s reports for %s were generated on %s (version %d, %d reports): nothing was generated or sent.\nUse --force-new-version to make version %d.\n",
						scope, month.Label(), uk.DateTime(run.CreatedAt), run.Version, run.Reports, run.Version+1)
					return nil
				}
				fmt.Fprintf(w, "Generated the %s reports for %s: version %d, %s (run %d).\n", scope, month.Label(), run.Version, plural(run.Reports, "report"), run.ID)
				if run.Snapshot != nil && run.Snapshot.Late {
					fmt.Fprintf(w, "No snapshot was taken when %s ended: the Device counts are the estate as of %s, and the reports say so.\n",
						month.Label(), uk.DateTime(run.Snapshot.TakenAt))
				}
				fmt.Fprintf(w, "Digest of the run: %s\n", run.Digest)
				return nil
			})
		},
	}
	if scope == report.Monthly {
		c.Summary = "generate and send the monthly mailing to every manufacturer and Supplier"
	} else {
		c.Summary = "generate the SSC's standing report (RED, for the SSC members; not mailed)"
	}
	return c
}

func reportListCmd() *cli.Command {
	var month report.Month
	var kind, org string
	return &cli.Command{
		Name:    "list",
		Summary: "list stored reports with their digests and delivery records",
		Flags: func(fs *flag.FlagSet) {
			fs.Var(monthFlag{&month}, "month", "only this month, YYYY-MM")
			fs.StringVar(&kind, "kind", "", "only this kind: manufacturer, supplier or standing")
			fs.StringVar(&org, "org", "", "only reports to this organisation (its code)")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) > 0 {
				return cli.Usagef("list takes no arguments")
			}
			switch report.Kind(kind) {
			case "", report.ManufacturerKind, report.SupplierKind, report.StandingKind:
			default:
				return cli.Usagef("--kind must be manufacturer, supplier or standing")
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			rs, err := report.NewService(db).List(ctx, operator(env), report.Filter{Month: month, Kind: report.Kind(kind), Org: org})
			if err != nil {
				return err
			}
			return env.Print(rs, func(w io.Writer) error {
				fmt.Fprintln(w, "ID\tREFERENCE\tRECIPIENT\tCLASS\tCREATED\tDIGEST\tNOTICE")
				for _, r := range rs {
					to, notice := "SSC members", "not mailed"
					if r.Recipient != nil {
						to = r.Recipient.Code
					}
					if len(r.Deliveries) > 0 {
						d := r.Deliveries[0]
						notice = "queued " + d.QueuedAt.Format("2006-01-02 15:04")
						if d.NoticeID == 0 {
							notice = "no delivery queue"
						}
					}
					fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s…\t%s\n", r.ID, r.Reference, to, r.Classification, r.CreatedAt.Format("2006-01-02 15:04"), r.Digest[:12], notice)
				}
				return nil
			})
		},
	}
}

func reportDownloadCmd() *cli.Command {
	var as, out string
	return &cli.Command{
		Name:    "download",
		Args:    "ID",
		Summary: "write a stored report file exactly as it was generated",
		Help:    "Writes the report's file in the --as format to --out (default: REFERENCE.FORMAT in the current directory; - for standard output) and prints its SHA-256, which matches the stored digest.",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&as, "as", "pdf", "the file format: csv, json, html or pdf")
			fs.StringVar(&out, "out", "", "where to write it (- for standard output)")
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("give the report's ID (see metersec report list)")
			}
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return cli.Usagef("report ID %q is not a number", args[0])
			}
			format, err := report.ParseFormat(as)
			if err != nil {
				return cli.Usagef("--as: %v", err)
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			dl, err := report.NewService(db).File(ctx, operator(env), id, format)
			if err != nil {
				return err
			}
			if out == "-" {
				_, err := env.Stdout.Write(dl.Bytes)
				return err
			}
			if out == "" {
				out = dl.Filename()
			}
			if err := os.WriteFile(out, dl.Bytes, 0o600); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "wrote %s (%d bytes, SHA-256 %s, %s)\n", out, len(dl.Bytes), dl.SHA256, dl.Report.Classification)
			return nil
		},
	}
}

func reportScheduleCmd() *cli.Command {
	var year int
	var spec, holidays string
	return &cli.Command{
		Name:    "schedule",
		NoDB:    true,
		Summary: "show when each month's reports go out",
		Help: `Lists, for each month of a year, the day and UK time its reports are due under the schedule:
by default the first working day of the next month at 06:00, skipping weekends and the England
and Wales bank holidays of 2025 to 2027 (data, not law: give later years with --bank-holidays,
a file of YYYY-MM-DD[,name] lines).`,
		Flags: func(fs *flag.FlagSet) {
			fs.IntVar(&year, "year", time.Now().Year(), "the year whose months to list")
			// The same settings as serve's, read from the same variables.
			fs.StringVar(&spec, "report-schedule", "", reportScheduleUsage)
			fs.StringVar(&holidays, "bank-holidays", "", bankHolidaysUsage)
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) > 0 {
				return cli.Usagef("schedule takes no arguments")
			}
			if year < 2000 || year > 2999 {
				return cli.Usagef("--year must be from 2000 to 2999")
			}
			sch, err := report.LoadSchedule(spec, holidays)
			if err != nil {
				return cli.Usagef("%v", err)
			}
			type due struct {
				Month string    `json:"month"` // YYYY-MM
				Due   time.Time `json:"due"`
			}
			res := struct {
				Schedule string   `json:"schedule"`
				Warnings []string `json:"warnings"`
				Months   []due    `json:"months"`
			}{Schedule: sch.String()}
			for _, y := range []int{year, year + 1} {
				if !sch.Holidays.Covers(y) {
					res.Warnings = append(res.Warnings, fmt.Sprintf("the holiday table has no holidays in %d; only weekends are skipped", y))
				}
			}
			for mo := time.January; mo <= time.December; mo++ {
				m := report.Month{Year: year, Month: mo}
				res.Months = append(res.Months, due{fmt.Sprintf("%04d-%02d", year, int(mo)), sch.Due(m).In(uk.London)})
			}
			return env.Print(res, func(w io.Writer) error {
				fmt.Fprintf(w, "Schedule %s, UK time.\n", res.Schedule)
				for _, warning := range res.Warnings {
					fmt.Fprintf(w, "Warning: %s.\n", warning)
				}
				for i, d := range res.Months {
					fmt.Fprintf(w, "%-15s %s\n", report.Month{Year: year, Month: time.Month(i + 1)}.Label(), d.Due.In(uk.London).Weekday().String()[:3]+" "+uk.DateTime(d.Due))
				}
				return nil
			})
		},
	}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// reportTask is the monthly reports' scheduled task for serve.
func reportTask(db *store.DB, sch report.Schedule, every time.Duration) schedule.Task {
	s := report.NewService(db)
	s.Schedule = sch
	return s.Task(every)
}
