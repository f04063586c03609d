package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/coverage"
	"github.com/metersec/metersec/internal/release"
	"github.com/metersec/metersec/internal/sec"
)

// dateFlag reads an optional YYYY-MM-DD flag value.
func dateFlag(name, v string) (sec.Date, error) {
	if v == "" {
		return sec.Date{}, nil
	}
	d, err := sec.ParseDate(v)
	if err != nil {
		return d, cli.Usagef("--%s: %v", name, err)
	}
	return d, nil
}

// coverageSettings are the flags every coverage command shares.
type coverageSettings struct {
	churnMonths int
	g320Fix     string
}

func (cs *coverageSettings) flags(fs *flag.FlagSet) {
	fs.IntVar(&cs.churnMonths, "churn-window-months", sec.DefaultSettings().ChurnWindowMonths,
		"months an inheriting Supplier has to contract with the MAP (LC50.5)")
	fs.StringVar(&cs.g320Fix, "g320-fix-version", "", "SEC release in which DP087 corrects G3.20 (unset: not yet)")
}

func (cs *coverageSettings) service(svc *coverage.Service) error {
	// The release history and the modifications register are data
	// (internal/release); the flags below override the register.
	t, err := release.Load(context.Background(), svc.DB)
	if err != nil {
		return err
	}
	svc.Versions = t.Versions()
	s := t.Settings(sec.DefaultSettings())
	s.ChurnWindowMonths = cs.churnMonths
	if cs.g320Fix != "" {
		v, err := sec.ParseVersion(cs.g320Fix)
		if err != nil {
			return cli.Usagef("--g320-fix-version: %v", err)
		}
		s.G320FixVersion = v
	}
	if err := s.Validate(svc.Versions); err != nil {
		return cli.Usagef("%v", err)
	}
	svc.Settings = s
	return nil
}

func coverageCmd() *cli.Command {
	var supplier, date string
	var history bool
	var cs coverageSettings
	return &cli.Command{
		Name:    "coverage",
		Summary: "G3.20 coverage of each Supplier, model by model",
		Help: `Prints, for each Supplier (or the one given), each model it operates: Covered (direct,
through the owning MAP, or the SSC scheme), Reasonable steps (a Letter of Intent, or
inherited Devices in the churn window) or Gap, with Device counts and the arrangement behind
each; the DCC's Devices and those under no G3.20 duty are listed apart. Computed from the
portfolio aggregates as the estate stands, with arrangements, churn windows and the SEC
version of --date (today by default), and after them each Supplier's User Systems in service
with each manufacturer's G3.20(a) status. --history prints the Supplier's monthly snapshots.`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&supplier, "supplier", "", "only this Supplier's coverage (organisation code)")
			fs.StringVar(&date, "date", "", "the day (YYYY-MM-DD); today by default")
			fs.BoolVar(&history, "history", false, "print the Supplier's monthly snapshots instead (needs --supplier)")
			cs.flags(fs)
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) > 0 {
				return cli.Usagef("coverage takes no arguments; use --supplier CODE")
			}
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
			if history {
				if supplier == "" {
					return cli.Usagef("--history needs --supplier")
				}
				org, months, err := svc.History(ctx, operator(env), supplier)
				if err != nil {
					return err
				}
				return env.Print(map[string]any{"supplier": org, "months": months}, func(w io.Writer) error {
					fmt.Fprintf(w, "%s: coverage by month\n", org.Label())
					fmt.Fprintln(w, "MONTH\tTAKEN\tDEVICES\tCOVERED\tSTEPS\tGAP\tDCC\tDP087 GAP\tNO DUTY\tGAP MODELS\tCHANGES")
					for _, m := range months {
						t := m.Totals
						fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", m.Month, m.TakenOn, t.Devices, t.Covered, t.Steps, t.Gap, t.DCC, t.DP087, t.Exempt, m.GapModels, len(m.Changes))
						for _, c := range m.Changes {
							fmt.Fprintf(w, "\t  %s/%s: %s → %s (%d)\n", c.Manufacturer, c.Model, orNone(string(c.From)), orNone(string(c.To)), c.Devices)
						}
					}
					return nil
				})
			}
			rep, err := svc.Compute(ctx, operator(env), coverage.Query{Supplier: supplier, Date: d})
			if err != nil {
				return err
			}
			return env.Print(rep, func(w io.Writer) error { return printCoverage(w, rep) })
		},
	}
}

func orNone(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func printCoverage(w io.Writer, rep coverage.Report) error {
	fmt.Fprintf(w, "G3.20 coverage on %s under SEC v%s (churn window %d months)\n", rep.Date, rep.SECVersion, rep.ChurnWindowMonths)
	fmt.Fprintf(w, "Counted %s.\n", rep.Basis)
	if rep.SECVersionCaveat != "" {
		fmt.Fprintf(w, "NOTE: %s\n", rep.SECVersionCaveat)
	}
	for _, sc := range rep.Suppliers {
		t := sc.Totals
		fmt.Fprintf(w, "\n%s: %d Devices: %d covered, %d reasonable steps, %d gap; %d the DCC's, %d in the DP087 gap, %d under no G3.20 duty\n",
			sc.Supplier.Label(), t.Devices, t.Covered, t.Steps, t.Gap, t.DCC, t.DP087, t.Exempt)
		fmt.Fprintln(w, "STATUS\tMODEL\tTYPE\tDEVICES\tHOW\tMAP\tARRANGEMENTS\tUNTIL")
		for _, list := range sc.Lists() {
			for _, mc := range list {
				for i, p := range mc.Parts {
					status, model, typ := p.Status.Label(), mc.Manufacturer.Code+"/"+mc.Model.Code, string(mc.Model.Type)+" "+string(mc.Model.Generation)
					if i > 0 {
						model, typ = "", ""
					}
					mp := ""
					if p.MAP != nil {
						mp = p.MAP.Code
					}
					var refs []string
					for _, a := range p.Arrangements {
						if a.Visible {
							refs = append(refs, a.Reference)
						} else {
							refs = append(refs, "("+strings.Join(a.Parties, "–")+")")
						}
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", status, model, typ, p.Devices, p.Route.Label(), mp, strings.Join(refs, " + "), p.Until)
				}
			}
		}
	}
	printUserSystemCoverage(w, rep)
	if len(rep.Suppliers) == 0 {
		fmt.Fprintln(w, "\nNo coverage to show: no Supplier operates Devices, or none you may see.")
	}
	return nil
}

func obligationsCmd() *cli.Command {
	var date, version string
	var cs coverageSettings
	return &cli.Command{
		Name:    "obligations",
		Args:    "DEVICE_ID",
		Summary: "who carries G3.17 and G3.20 for one Device, and why",
		Help: `For one Device on a day (today by default), prints the Responsible Supplier, who carries
G3.17(b) and G3.20(b) under the SEC version in force (or --sec-version), the arrangement that
meets G3.20 and the reason for each answer. DEVICE_ID is the EUI-64, for example
00-1A-2B-3C-4D-5E-6F-70.`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&date, "date", "", "the day (YYYY-MM-DD); today by default")
			fs.StringVar(&version, "sec-version", "", "answer under this SEC release instead of the one in force")
			cs.flags(fs)
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("give one DEVICE_ID")
			}
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
			ex, err := svc.Explain(ctx, operator(env), args[0], d, version)
			if err != nil {
				return err
			}
			return env.Print(ex, func(w io.Writer) error {
				dv := ex.Device
				fmt.Fprintf(w, "Device %s on %s\n", ex.DeviceID, ex.Date)
				fmt.Fprintf(w, "  %s, %s, model %s/%s, status %s\n", dv.TypeLabel, dv.Generation, dv.Manufacturer.Code, dv.Model.Code, dv.Status)
				if dv.MAP != nil {
					fmt.Fprintf(w, "  owned by MAP %s\n", dv.MAP.Label())
				}
				if ex.Supplier != nil {
					s := ex.Supplier
					how := "installed"
					if s.Inherited {
						how = "inherited on a change of supplier"
					}
					fmt.Fprintf(w, "  Responsible Supplier: %s since %s (%s)", s.Label, s.Since, how)
					if !s.Until.IsZero() {
						fmt.Fprintf(w, " until %s", s.Until)
					}
					fmt.Fprintln(w)
				} else {
					fmt.Fprintln(w, "  Responsible Supplier: none on this day")
				}
				fmt.Fprintf(w, "  SEC version: %s\n\n", ex.VersionNote)
				for _, du := range ex.Duties {
					gap := ""
					if du.KnownGap {
						gap = " (known gap, DP087)"
					}
					fmt.Fprintf(w, "%s: %s%s\n  %s\n", du.Clause, du.Party, gap, du.Reason)
				}
				fmt.Fprintln(w)
				if c := ex.Coverage; c != nil {
					fmt.Fprintf(w, "G3.20 arrangement: %s (%s)\n  %s\n", c.Status.Label(), c.Route.Label(), c.Reason)
					if ex.CoverageNote != "" {
						fmt.Fprintf(w, "  %s\n", ex.CoverageNote)
					}
				} else {
					fmt.Fprintf(w, "G3.20 arrangement: %s\n", ex.CoverageNote)
				}
				return nil
			})
		},
	}
}
