package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/party"
)

func importCmd() *cli.Command {
	return &cli.Command{
		Name:    "import",
		Summary: "load CSV files (parties, catalogue, devices, churn)",
		Help: `Each file is loaded whole or not at all: a bad row rejects the file, and the error lists the
first 100 problems with their line numbers. Files may be gzip-compressed. Importing the same
file again changes nothing. Load a generated world in order: parties, catalogue, devices, churn.`,
		Subs: []*cli.Command{importPartiesCmd(), importCatalogueCmd()},
	}
}

func importPartiesCmd() *cli.Command {
	return &cli.Command{
		Name:    "parties",
		Args:    "FILE",
		Summary: "load organisations: code,name,roles,contact_name,contact_email,contact_phone",
		Flags:   cli.FormatFlag,
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			r, closeFn, err := openInput(args)
			if err != nil {
				return err
			}
			defer closeFn()
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			res, err := (&party.Service{DB: db}).Import(ctx, operator(env), r)
			if err != nil {
				return err
			}
			return env.Print(res, func(w io.Writer) error {
				fmt.Fprintf(w, "%d rows: %d created, %d updated, %d unchanged\n", res.Rows, res.Created, res.Updated, res.Unchanged)
				return nil
			})
		},
	}
}

// openInput opens the one FILE argument ("-" for standard input),
// decompressing gzip.
func openInput(args []string) (io.Reader, func(), error) {
	if len(args) != 1 {
		return nil, nil, cli.Usagef("give one file (or - for standard input)")
	}
	var f io.ReadCloser = os.Stdin
	if args[0] != "-" {
		var err error
		if f, err = os.Open(args[0]); err != nil {
			return nil, nil, err
		}
	}
	r, err := gunzipMaybe(f)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return r, func() { f.Close() }, nil
}
