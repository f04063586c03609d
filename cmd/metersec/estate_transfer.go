package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/estate"
)

func estateTransferCmd() *cli.Command {
	var from, to, date string
	return &cli.Command{
		Name:    "transfer",
		Summary: "move every Device of a failed Supplier to a Supplier of Last Resort",
		Help: `Every Device whose Responsible Supplier is --from passes to --to on --date, in one transaction:
each Device's supply period closes and an inherited one opens. Refused if any Device's supply
began on or after --date.`,
		Flags: func(fs *flag.FlagSet) {
			cli.FormatFlag(fs)
			fs.StringVar(&from, "from", "", "code of the failed Supplier")
			fs.StringVar(&to, "to", "", "code of the Supplier of Last Resort")
			fs.StringVar(&date, "date", "", "effective date, YYYY-MM-DD (default today)")
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 0 || from == "" || to == "" {
				return cli.Usagef("give --from and --to")
			}
			day, err := dateFlag("date", date)
			if err != nil {
				return err
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			res, err := estate.NewService(db).TransferAll(ctx, operator(env), estate.Transfer{From: from, To: to, Effective: day})
			if err != nil {
				return err
			}
			return env.Print(res, func(w io.Writer) error {
				fmt.Fprintf(w, "%d Devices moved from %s to %s on %s\n", res.Devices, res.From, res.To, res.Effective)
				return nil
			})
		},
	}
}
