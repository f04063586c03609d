package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/metersec/metersec/internal/assurance"
	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/sec"
)

func assessmentCmd() *cli.Command {
	return &cli.Command{
		Name:    "assessment",
		Summary: "User Security Assessments (SEC G8): list, show, and the forward plan",
		Help: `User Security Assessments of parties in their User roles: Full (FUSA), Verification (VUSA)
and Self-Assessments (SSA), their findings and outcomes, and the forward plan of which
assessment each party is due in a year.`,
		Subs: []*cli.Command{assessmentListCmd(), assessmentShowCmd(), assessmentPlanCmd()},
	}
}

// assuranceFlags are the settings the forward plan reads (DOMAIN.md marks
// them ASSUMPTION).
func assuranceFlags(fs *flag.FlagSet, s *sec.AssuranceSettings) {
	*s = sec.DefaultAssuranceSettings()
	fs.Int64Var(&s.SizeThreshold, "size-threshold", s.SizeThreshold, "weighted Smart Metering Systems from which a third-year assessment is a VUSA (SCF: 250,000)")
	fs.Float64Var(&s.NonDomesticWeight, "non-domestic-weight", s.NonDomesticWeight, "weight of a non-domestic Smart Metering System against a domestic one (SECMP0059)")
	fs.Float64Var(&s.NonDomesticShare, "non-domestic-share", s.NonDomesticShare, "share (0 to 1) of a Supplier's Smart Metering Systems taken as non-domestic when the SSC has recorded none")
}

func assessmentListCmd() *cli.Command {
	var f assurance.Filter
	var typ, state string
	return &cli.Command{
		Name:    "list",
		Summary: "list assessments, newest first, a page at a time",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&f.Party, "party", "", "only this organisation code")
			fs.IntVar(&f.Year, "year", 0, "only this plan year")
			fs.StringVar(&typ, "type", "", "only FUSA, VUSA or SSA")
			fs.StringVar(&state, "state", "", "only this state")
			fs.Int64Var(&f.After, "after", 0, "the cursor printed after the previous page")
			fs.IntVar(&f.Limit, "limit", 50, "at most this many (1 to 200)")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if typ != "" {
				t, err := sec.ParseAssessmentType(typ)
				if err != nil {
					return cli.Usagef("--type: %v", err)
				}
				f.Type = t
			}
			f.State = sec.AssessmentState(state)
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			p, err := assurance.NewService(db).List(ctx, operator(env), f)
			if err != nil {
				return err
			}
			return env.Print(p, func(w io.Writer) error {
				fmt.Fprintf(w, "%d assessments\n", p.Total)
				fmt.Fprintln(w, "ID\tPARTY\tROLE\tTYPE\tYEAR\tSTATE\tOUTCOME")
				for _, a := range p.Assessments {
					outcome := "-"
					if a.Outcome != nil {
						outcome = a.Outcome.Label
					}
					fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%d/%d\t%s\t%s\n", a.ID, a.Party, a.Role, a.Type, a.Year, a.YearInCycle, a.State, outcome)
				}
				if p.Next != 0 {
					fmt.Fprintf(w, "more: --after %d\n", p.Next)
				}
				return nil
			})
		},
	}
}

func assessmentShowCmd() *cli.Command {
	return &cli.Command{
		Name:    "show",
		Args:    "ID",
		Summary: "show one assessment with its findings, evidence and timeline",
		Flags:   cli.FormatFlag,
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("give one assessment ID")
			}
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return cli.Usagef("%q is not an assessment id", args[0])
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			a, err := assurance.NewService(db).Get(ctx, operator(env), id)
			if err != nil {
				return err
			}
			return env.Print(a, func(w io.Writer) error {
				fmt.Fprintf(w, "%s (%s)\n", a.Title, a.Classification)
				fmt.Fprintf(w, "state\t%s\n", a.State)
				if !a.FieldworkStart.IsZero() {
					fmt.Fprintf(w, "fieldwork\t%s to %s\n", a.FieldworkStart, a.FieldworkEnd)
				}
				if !a.ResponseDue.IsZero() {
					fmt.Fprintf(w, "response due\t%s (received %s)\n", a.ResponseDue, a.ResponseReceived)
				}
				if o := a.Outcome; o != nil {
					fmt.Fprintf(w, "outcome\t%s %s on %s %s\n", o.Kind, o.Label, o.Date, o.Steps)
				}
				for _, f := range a.Findings {
					fmt.Fprintf(w, "finding\t%s %s %s: %s (%s)\n", f.Clause, f.Kind, f.Severity, f.Title, f.Status)
				}
				for _, e := range a.Evidence {
					fmt.Fprintf(w, "evidence\t%d %s (%s, %d bytes, sha256 %s)\n", e.ID, e.Name, e.MediaType, e.Size, e.SHA256)
				}
				for _, e := range a.Timeline {
					fmt.Fprintf(w, "%s\t%s %s %s→%s %s\n", e.At.Format(time.RFC3339), e.Actor, e.Event, e.From, e.To, e.Note)
				}
				return nil
			})
		},
	}
}

func assessmentPlanCmd() *cli.Command {
	var year int
	var settings sec.AssuranceSettings
	return &cli.Command{
		Name:    "plan",
		Summary: "the forward plan: which assessment every party is due in a year, and why",
		Help: `For every party and every role in which it is assessed: the assessment due in the year
(FUSA, VUSA or SSA), by when, and why, chosen by the rules of sec.ChooseAssessment from the
party's assessment history, its Smart Metering Systems counted from the portfolio
aggregates, and any SSC override.`,
		Flags: func(fs *flag.FlagSet) {
			fs.IntVar(&year, "year", time.Now().Year(), "the plan year")
			assuranceFlags(fs, &settings)
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if err := settings.Validate(); err != nil {
				return cli.Usagef("%v", err)
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			svc := assurance.NewService(db)
			svc.Settings = settings
			fp, err := svc.ForwardPlan(ctx, operator(env), year)
			if err != nil {
				return err
			}
			return env.Print(fp.Rows, func(w io.Writer) error {
				fmt.Fprintln(w, "PARTY\tROLE\tTYPE\tDUE_BY\tYEAR_IN_CYCLE\tDOMESTIC\tNON_DOMESTIC\tREASON")
				for _, r := range fp.Rows {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", r.Party, r.Role, r.Type, r.DueBy, r.YearInCycle, r.Domestic, r.NonDomestic, r.Reason)
				}
				return nil
			})
		},
	}
}
