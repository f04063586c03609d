package main

import (
	"context"
	"fmt"
	"io"

	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/risk"
)

func riskCmd() *cli.Command {
	return &cli.Command{
		Name:    "risk",
		Summary: "the SSC's risk register",
		Help:    `The SSC's own risk assessment: risks with owner, likelihood, impact, score, band, treatment and review date.`,
		Subs:    []*cli.Command{riskListCmd()},
	}
}

func riskListCmd() *cli.Command {
	return &cli.Command{
		Name:    "list",
		Summary: "list the register, highest score first",
		Flags:   cli.FormatFlag,
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			reg, err := (&risk.Service{DB: db}).List(ctx, operator(env))
			if err != nil {
				return err
			}
			return env.Print(reg, func(w io.Writer) error {
				fmt.Fprintf(w, "%d risks\n", reg.Total)
				fmt.Fprintln(w, "ID\tSCORE\tBAND\tL\tI\tOWNER\tREVIEW\tRISK")
				for _, r := range reg.Risks {
					fmt.Fprintf(w, "%d\t%d\t%s\t%d\t%d\t%s\t%s\t%s\n", r.ID, r.Score, r.Band, r.Likelihood, r.Impact, r.Owner, r.ReviewDate, r.Title)
				}
				return nil
			})
		},
	}
}
