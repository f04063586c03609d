package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/vuln"
)

// vulnService is the vulnerability service as the server runs it, with its
// notices going to the delivery outbox.
func vulnService(db *store.DB) *vuln.Service {
	return vuln.NewService(db, deliveryNotifier())
}

func vulnCmd() *cli.Command {
	return &cli.Command{
		Name:    "vuln",
		Summary: "vulnerabilities: list, show, CSAF export and import, the periodic fan-out",
		Help: `Vulnerability coordination (SEC G3.17–G3.20): these commands act with the operator's full
view. People report, acknowledge and plan in the web UI or through the API.`,
		Subs: []*cli.Command{vulnListCmd(), vulnShowCmd(), vulnExportCmd(), vulnImportCmd(), vulnTickCmd()},
	}
}

func vulnListCmd() *cli.Command {
	var state, q string
	var open bool
	return &cli.Command{
		Name:    "list",
		Summary: "list vulnerabilities, newest first",
		Flags: func(fs *flag.FlagSet) {
			cli.FormatFlag(fs)
			fs.StringVar(&state, "state", "", "only this state (reported, triaged, notified, ssc_notified, in_remediation, rectified, mitigated, closed, closed_not_material)")
			fs.BoolVar(&open, "open", false, "only open vulnerabilities")
			fs.StringVar(&q, "q", "", "only those whose reference or title contains this")
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) > 0 {
				return cli.Usagef("list takes no arguments")
			}
			f := vuln.Filter{Open: open, Query: q, State: sec.VulnState(state)}
			if state != "" && !validVulnState(f.State) {
				return cli.Usagef("--state: unknown state %q", state)
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			l, err := vulnService(db).List(ctx, operator(env), f)
			if err != nil {
				return err
			}
			return env.Print(l, func(w io.Writer) error {
				fmt.Fprintln(w, "REF\tSTATE\tSEVERITY\tMATERIAL\tMANUFACTURER\tRECIPIENTS\tSUPPLIER DEVICES\tNOT ACKED\tOVERDUE PLANS\tMARKING\tTITLE")
				for _, s := range l {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\n", s.Ref, s.State, dash(s.Severity), material(s.Material),
						s.Manufacturer.Code, s.Recipients, s.Devices, s.Unacknowledged, s.OverduePlans, s.Classification, s.Title)
				}
				return nil
			})
		},
	}
}

func validVulnState(s sec.VulnState) bool {
	for _, x := range sec.VulnLifecycle.States() {
		if x == s {
			return true
		}
	}
	return false
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func material(m *bool) string {
	switch {
	case m == nil:
		return "not judged"
	case *m:
		return "material"
	}
	return "not material"
}

func tstr(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04")
}

// vulnDetail is what show prints.
type vulnDetail struct {
	vuln.Vulnerability
	Recipients []vuln.Recipient `json:"recipients"`
	Plans      []vuln.Plan      `json:"plans"`
	Timeline   []vuln.Event     `json:"timeline"`
}

func vulnShowCmd() *cli.Command {
	return &cli.Command{
		Name:    "show",
		Args:    "REF",
		Summary: "show a vulnerability with its recipients, plans and timeline",
		Flags:   cli.FormatFlag,
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("give one reference, like MSV-2026-0001")
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			svc, op := vulnService(db), operator(env)
			var d vulnDetail
			if d.Vulnerability, err = svc.Get(ctx, op, args[0]); err != nil {
				return err
			}
			if d.Recipients, err = svc.Recipients(ctx, op, d.Ref); err != nil {
				return err
			}
			if d.Plans, err = svc.Plans(ctx, op, d.Ref); err != nil {
				return err
			}
			if d.Timeline, err = svc.Timeline(ctx, op, d.Ref); err != nil {
				return err
			}
			return env.Print(d, func(w io.Writer) error { return printVuln(w, d) })
		},
	}
}

func printVuln(w io.Writer, d vulnDetail) error {
	v := d.Vulnerability
	fmt.Fprintf(w, "%s\t%s\n", v.Ref, v.Title)
	fmt.Fprintf(w, "state\t%s\n", v.State)
	fmt.Fprintf(w, "marking\t%s\n", v.Classification)
	fmt.Fprintf(w, "manufacturer\t%s (%s)\n", v.Manufacturer.Label(), v.Manufacturer.Code)
	fmt.Fprintf(w, "reported\t%s by %s\n", v.ReportedOn, v.Reporter.Label())
	fmt.Fprintf(w, "materiality\t%s %s\n", material(v.Material), v.MaterialityRationale)
	if v.CVSS != nil {
		fmt.Fprintf(w, "CVSS\t%s %.1f %s\n", v.CVSS.Severity, v.CVSS.Score, v.CVSS.Vector)
	}
	if len(v.CVEs) > 0 {
		fmt.Fprintf(w, "CVE\t%s\n", strings.Join(v.CVEs, ", "))
	}
	for _, a := range v.Affected {
		fmt.Fprintf(w, "affected\t%s (%s %s) %s: %s\n", a.Model.Code, a.Model.Generation, a.Model.DeviceType, a.Range, strings.Join(a.Firmware, ", "))
	}
	if v.Import != nil {
		for _, u := range v.Import.Unmapped {
			fmt.Fprintf(w, "unmapped\t%s %s: %s\n", u.ProductID, u.Name, u.Reason)
		}
	}
	fmt.Fprintln(w, "\nRECIPIENT\tROLE\tDEVICES\tACTIVE\tTOLD\tSEEN\tACKNOWLEDGED\tSTATEMENT\tREMINDERS")
	for _, r := range d.Recipients {
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%d\n", r.Org.Code, r.Role, r.Devices, yesNo(r.Active), tstr(r.NotifiedAt),
			tstr(r.SeenAt), tstr(r.AcknowledgedAt), dash(string(r.Statement)), r.Reminders)
	}
	if len(d.Plans) > 0 {
		fmt.Fprintln(w, "\nPLAN OF\tSTATE\tDECLARED COMPLETION\tNEXT UPDATE\tREVISION")
		for _, p := range d.Plans {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\n", p.Owner.Code, p.State, dash(p.DeclaredCompletion.String()), dash(p.NextUpdateDue.String()), p.Revision)
		}
	}
	fmt.Fprintln(w, "\nWHEN\tWHAT\tWHO\tNOTE")
	for _, e := range d.Timeline {
		what := e.Kind
		if e.Event != "" {
			what += " " + e.Event
		}
		if e.Recipient != "" {
			what += " [" + e.Recipient + "]"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", e.At.Format("2006-01-02 15:04"), what, e.Actor, e.Note)
	}
	return nil
}

func vulnExportCmd() *cli.Command {
	var out string
	return &cli.Command{
		Name:    "export-csaf",
		Args:    "REF",
		Summary: "write a vulnerability as a CSAF 2.0 advisory (JSON on standard output)",
		Help: `The advisory passes the CSAF 2.0 schema and the mandatory product checks; its TLP label follows
the vulnerability's marking. It never names who was told or who acknowledged.`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&out, "o", "", "write to this file instead of standard output")
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("give one reference, like MSV-2026-0001")
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			doc, _, err := vulnService(db).ExportCSAF(ctx, operator(env), args[0])
			if err != nil {
				return err
			}
			if out != "" {
				return os.WriteFile(out, doc, 0o644)
			}
			_, err = env.Stdout.Write(doc)
			return err
		},
	}
}

func vulnImportCmd() *cli.Command {
	var mfr, reporter, materialFlag, rationale string
	var dry bool
	return &cli.Command{
		Name:    "import-csaf",
		Args:    "FILE",
		Summary: "record a manufacturer's CSAF 2.0 advisory as a vulnerability",
		Help: `Reads a CSAF 2.0 advisory (at most 5 MiB; - for standard input), checks it against the CSAF 2.0
schema, maps its product tree onto the catalogue's models and firmware and reports it as a
vulnerability of one manufacturer, fanned out at once. Products that do not map are listed and
kept with the vulnerability. Exits 1 without recording anything if the file is not valid CSAF or
nothing in it maps.`,
		Flags: func(fs *flag.FlagSet) {
			cli.FormatFlag(fs)
			fs.StringVar(&mfr, "manufacturer", "", "the manufacturer's code, when the advisory names several manufacturers")
			fs.StringVar(&reporter, "reporter", "", "the reporting organisation's code (default: the manufacturer)")
			fs.StringVar(&materialFlag, "material", "", "true or false to judge it at once (needs --rationale)")
			fs.StringVar(&rationale, "rationale", "", "why it is or is not material")
			fs.BoolVar(&dry, "dry-run", false, "map and check the advisory, record nothing")
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			opt := vuln.ImportOptions{Manufacturer: mfr, Reporter: reporter, MaterialityRationale: rationale, DryRun: dry}
			switch materialFlag {
			case "":
			case "true", "false":
				m := materialFlag == "true"
				opt.Material = &m
			default:
				return cli.Usagef("--material must be true or false")
			}
			r, db, done, err := openInputDB(ctx, env, args)
			if err != nil {
				return err
			}
			defer done()
			res, err := vulnService(db).ImportCSAF(ctx, operator(env), r, opt)
			if err != nil {
				return err
			}
			return env.Print(res, func(w io.Writer) error {
				if res.Vulnerability != nil {
					fmt.Fprintf(w, "recorded %s (%s) for %s\n", res.Vulnerability.Ref, res.Vulnerability.State, res.Manufacturer)
				} else {
					fmt.Fprintf(w, "dry run: would record a vulnerability of %s\n", res.Manufacturer)
				}
				for _, a := range res.Affected {
					fmt.Fprintf(w, "affected\t%s\t>=%s <=%s\n", a.Model, a.Introduced, a.LastAffected)
				}
				for _, u := range res.Report.Unmapped {
					fmt.Fprintf(w, "unmapped\t%s\t%s: %s\n", u.ProductID, u.Name, u.Reason)
				}
				for _, warn := range res.Report.Warnings {
					fmt.Fprintf(w, "warning\t%s\n", warn)
				}
				return nil
			})
		},
	}
}

func vulnTickCmd() *cli.Command {
	return &cli.Command{
		Name:    "tick",
		Summary: "run the periodic vulnerability work once: re-fan-out, reminders, overdue plans",
		Help: `The server does this every minute; run it by hand after loading an estate or to catch up.
It is idempotent: running it twice sends nothing twice.`,
		Flags: cli.FormatFlag,
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			res, err := vulnService(db).TickReport(ctx, time.Now())
			if perr := env.Print(res, func(w io.Writer) error {
				fmt.Fprintf(w, "open %d, recipients changed on %d, newly told %d, reminders %d, plans overdue %d, firmware recomputed %d, RED held %d, errors %d\n",
					res.Open, res.Refanned, res.Notified, res.Reminded, res.MarkedOverdue, res.Firmware, res.Skipped, res.Errors)
				return nil
			}); perr != nil {
				return perr
			}
			return err
		},
	}
}

// deliveryNotifier is where vulnerability notices go: the delivery outbox,
// which the server's workers send.
func deliveryNotifier() vuln.Notifier { return vuln.Delivery }
