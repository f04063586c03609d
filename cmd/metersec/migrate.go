package main

import (
	"context"
	"flag"
	"io"

	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/store"
)

func migrateCmd() *cli.Command {
	var status bool
	return &cli.Command{
		Name:    "migrate",
		Summary: "create or upgrade the database schema",
		Help:    "Applies every migration the database lacks, each in its own transaction. With --status, only reports.",
		Flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&status, "status", false, "report the schema version without changing anything")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			db, err := openDB(ctx, env, false)
			if err != nil {
				return err
			}
			defer db.Close()
			if !status {
				applied, err := db.Migrate(ctx, func(m store.Migration) {
					if env.Format != "json" {
						printf(env.Stderr, "applying %04d_%s\n", m.Version, m.Name)
					}
				})
				if err != nil {
					return err
				}
				if env.Format != "json" {
					printf(env.Stderr, "applied %d migrations\n", len(applied))
				}
			}
			st, err := db.Schema(ctx)
			if err != nil {
				return err
			}
			return env.Print(st, func(w io.Writer) error {
				printf(w, "database\t%s\nschema version\t%d\nlatest known\t%d\ncurrent\t%s\n", db.Location, st.Current, st.Latest, yesNo(st.OK()))
				return nil
			})
		},
	}
}
