package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/coverage"
)

func arrangementCmd() *cli.Command {
	return &cli.Command{
		Name:    "arrangement",
		Summary: "G3.20 notification arrangements: list, import, confirm, end, evidence, alerts, impracticable",
		Help: `Arrangements are the contracts, churn contracts and Letters of Intent between Users,
MAPs and manufacturers, and manufacturers' enrolments in the SSC scheme, that let a
User be notified of material security vulnerabilities (SEC G3.20). The supplier side is
the User's: an Energy Supplier, or, in an arrangement with a manufacturer, also a Network
Party or Other User, which links it to its User Systems (G3.20(a)). Arrangements with a
MAP are for Energy Suppliers only.`,
		Subs: []*cli.Command{arrListCmd(), arrShowCmd(), arrImportCmd(), arrConfirmCmd(), arrEndCmd(), arrEvidenceCmd(),
			arrAlertsCmd(), arrSnapshotCmd(), impracticableCmd()},
	}
}

func arrListCmd() *cli.Command {
	var kind, party, on string
	return &cli.Command{
		Name:    "list",
		Summary: "list arrangements",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&kind, "kind", "", "only this kind (supplier_manufacturer, supplier_map, map_manufacturer, churn, letter_of_intent, ssc_scheme)")
			fs.StringVar(&party, "party", "", "only arrangements naming this organisation code")
			fs.StringVar(&on, "in-force-on", "", "only arrangements in force on this day (YYYY-MM-DD)")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			f := arrangement.Filter{Party: party}
			if kind != "" {
				k, err := arrangement.ParseKind(kind)
				if err != nil {
					return cli.Usagef("--kind: %v", err)
				}
				f.Kind = k
			}
			d, err := dateFlag("in-force-on", on)
			if err != nil {
				return err
			}
			f.InForceOn = d
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			as, err := arrangement.NewService(db).List(ctx, operator(env), f)
			if err != nil {
				return err
			}
			return env.Print(as, func(w io.Writer) error {
				fmt.Fprintln(w, "REFERENCE\tKIND\tPARTIES\tMODELS\tEFFECTIVE\tEXPIRES\tSTATE")
				for _, a := range as {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Reference, a.Kind, partyCodes(a), modelsText(a), a.Effective, a.Expires, a.State)
				}
				return nil
			})
		},
	}
}

func partyCodes(a arrangement.Arrangement) string {
	var out []string
	for _, o := range a.Parties() {
		out = append(out, o.Code)
	}
	if a.Kind == arrangement.SSCScheme {
		out = append(out, "SSC")
	}
	return strings.Join(out, "–")
}

func modelsText(a arrangement.Arrangement) string {
	if a.AllModels {
		return "all"
	}
	var out []string
	for _, m := range a.Models {
		out = append(out, m.String())
	}
	return strings.Join(out, " ")
}

func arrShowCmd() *cli.Command {
	return &cli.Command{
		Name:    "show",
		Args:    "REFERENCE",
		Summary: "show one arrangement with its evidence files",
		Flags:   cli.FormatFlag,
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("give one REFERENCE")
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			a, err := arrangement.NewService(db).Get(ctx, operator(env), args[0])
			if err != nil {
				return err
			}
			return env.Print(a, func(w io.Writer) error {
				fmt.Fprintf(w, "%s\t%s (%s)\n", a.Reference, a.KindLabel, a.Classification)
				for _, o := range a.Parties() {
					fmt.Fprintf(w, "party\t%s\n", o.Label())
				}
				fmt.Fprintf(w, "models\t%s\n", modelsText(a))
				fmt.Fprintf(w, "signed\t%s\neffective\t%s\nexpires\t%s\n", a.Signed, a.Effective, orNone(a.Expires.String()))
				for _, sg := range a.Signatures {
					fmt.Fprintf(w, "signature\t%s on %s\n", sg.Party.Label(), sg.Signed)
				}
				if !a.Ended.IsZero() {
					fmt.Fprintf(w, "ended\t%s\n", a.Ended)
				}
				fmt.Fprintf(w, "status\t%s (%s)\n", a.Status, a.State)
				if a.Legacy {
					fmt.Fprintln(w, "legacy\tyes: models certified before 22 June 2020 too")
				}
				if a.Materiality != "" {
					fmt.Fprintf(w, "material\t%s\n", a.Materiality)
				}
				for _, e := range a.Evidence {
					fmt.Fprintf(w, "evidence\t%d %s (%s, %d bytes, sha256 %s)\n", e.ID, e.Name, e.MediaType, e.Size, e.SHA256)
				}
				return nil
			})
		},
	}
}

func arrImportCmd() *cli.Command {
	return &cli.Command{
		Name:    "import",
		Args:    "FILE",
		Summary: "load arrangements: " + strings.Join(arrangement.CSVHeader, ","),
		Help: `Loads every row or none. models is "*" for all of a manufacturer's models, or model codes
separated by ";" (MANUFACTURER/MODEL where the row names no manufacturer). A row whose
reference exists already with the same terms is left alone, so importing the same file
twice changes nothing.`,
		Flags: cli.FormatFlag,
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			r, db, done, err := openInputDB(ctx, env, args)
			if err != nil {
				return err
			}
			defer done()
			res, err := arrangement.NewService(db).Import(ctx, operator(env), r)
			if err != nil {
				return err
			}
			return env.Print(res, func(w io.Writer) error {
				fmt.Fprintf(w, "%d rows: %d created, %d unchanged\n", res.Rows, res.Created, res.Unchanged)
				return nil
			})
		},
	}
}

func arrConfirmCmd() *cli.Command {
	return &cli.Command{
		Name:    "confirm",
		Args:    "REFERENCE",
		Summary: "confirm a manufacturer's SSC scheme enrolment (for the SSC)",
		Flags:   cli.FormatFlag,
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("give one REFERENCE")
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			a, err := arrangement.NewService(db).Confirm(ctx, operator(env), args[0])
			if err != nil {
				return err
			}
			return env.Print(a, func(w io.Writer) error { fmt.Fprintf(w, "%s is %s\n", a.Reference, a.State); return nil })
		},
	}
}

func arrEndCmd() *cli.Command {
	var on string
	return &cli.Command{
		Name:    "end",
		Args:    "REFERENCE",
		Summary: "end an arrangement early",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&on, "date", "", "the first day it no longer counts (YYYY-MM-DD); today by default")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("give one REFERENCE")
			}
			d, err := dateFlag("date", on)
			if err != nil {
				return err
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			a, err := arrangement.NewService(db).Terminate(ctx, operator(env), args[0], d)
			if err != nil {
				return err
			}
			return env.Print(a, func(w io.Writer) error { fmt.Fprintf(w, "%s ended on %s\n", a.Reference, a.Ended); return nil })
		},
	}
}

func arrEvidenceCmd() *cli.Command {
	var name string
	return &cli.Command{
		Name:    "evidence",
		Args:    "REFERENCE FILE",
		Summary: "attach an evidence file (" + arrangement.AcceptedTypes + ")",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&name, "name", "", "the file's name as stored (default: FILE's base name)")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 2 {
				return cli.Usagef("give REFERENCE and FILE")
			}
			f, err := os.Open(args[1])
			if err != nil {
				return err
			}
			defer f.Close()
			if name == "" {
				name = filepath.Base(args[1])
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			ev, err := arrangement.NewService(db).AddEvidence(ctx, operator(env), args[0], name, f)
			if err != nil {
				return err
			}
			return env.Print(ev, func(w io.Writer) error {
				fmt.Fprintf(w, "attached %s to %s: %s, %d bytes, sha256 %s\n", ev.Name, args[0], ev.MediaType, ev.Size, ev.SHA256)
				return nil
			})
		},
	}
}

func arrAlertsCmd() *cli.Command {
	var date string
	as := coverage.DefaultAlertSettings()
	var cs coverageSettings
	return &cli.Command{
		Name:    "alerts",
		Summary: "the daily job: expiring arrangements, closing churn windows, new gaps; and the month's snapshot",
		Help: `Tells the parties concerned and the SSC (in-app alerts until delivery is wired in) of
arrangements expiring within --expiry-days, inherited Devices with no arrangement whose
churn window closes within --churn-notice-days, and Suppliers newly operating a model they
have no arrangement for; then records the month's coverage snapshot. Running it twice on
a day sends nothing twice. Run it daily (cron, or a systemd timer).`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&date, "date", "", "the day (YYYY-MM-DD); today by default")
			fs.IntVar(&as.ExpiryDays, "expiry-days", as.ExpiryDays, "announce arrangements expiring within this many days")
			fs.IntVar(&as.ChurnNoticeDays, "churn-notice-days", as.ChurnNoticeDays, "announce churn windows closing within this many days")
			cs.flags(fs)
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			d, err := dateFlag("date", date)
			if err != nil {
				return err
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			svc := coverage.NewService(db)
			if err := cs.service(svc); err != nil {
				return err
			}
			res, err := svc.RunAlerts(ctx, operator(env), d, as)
			if err != nil {
				return err
			}
			return env.Print(res, func(w io.Writer) error {
				fmt.Fprintf(w, "%s: %d expiry notices, %d churn-window notices, %d new-gap notices\n", res.Date, res.Expiring, res.ChurnClosing, res.NewGaps)
				if res.BaselineOnly {
					fmt.Fprintln(w, "no earlier snapshot: this one is the baseline, and no gap counts as new yet")
				} else {
					fmt.Fprintf(w, "new gaps measured against the %s snapshot\n", res.ComparedWith)
				}
				fmt.Fprintf(w, "snapshot %s: %d rows\n", res.SnapshotMonth, res.SnapshotRows)
				return nil
			})
		},
	}
}

func arrSnapshotCmd() *cli.Command {
	var date string
	var cs coverageSettings
	return &cli.Command{
		Name:    "snapshot",
		Summary: "record the month's coverage snapshot without sending alerts",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&date, "date", "", "the day (YYYY-MM-DD); today by default")
			cs.flags(fs)
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			d, err := dateFlag("date", date)
			if err != nil {
				return err
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			svc := coverage.NewService(db)
			if err := cs.service(svc); err != nil {
				return err
			}
			res, err := svc.Snapshot(ctx, operator(env), d)
			if err != nil {
				return err
			}
			return env.Print(res, func(w io.Writer) error { fmt.Fprintf(w, "snapshot %s: %d rows\n", res.Month, res.Rows); return nil })
		},
	}
}
