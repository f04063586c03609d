package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"

	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/store"
)

func backupCmd() *cli.Command {
	var out string
	return &cli.Command{
		Name:    "backup",
		Summary: "write an online, consistent copy of the database",
		Help: `SQLite: writes a consistent copy with VACUUM INTO while the server keeps running; the copy
is a SQLite file that --db can open directly. PostgreSQL: runs pg_dump (custom format,
restore with pg_restore), which reads one consistent snapshot.`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&out, "out", "", "the file to write (must not exist)")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if out == "" {
				return cli.Usagef("say where to write the copy: --out FILE")
			}
			if _, err := os.Stat(out); err == nil {
				return cli.Usagef("%s exists already: choose a new file", out)
			}
			if store.IsPostgres(env.DB) {
				pgdump, err := exec.LookPath("pg_dump")
				if err != nil {
					return fmt.Errorf("backing up PostgreSQL needs pg_dump on the PATH (Debian: apt-get install postgresql-client)")
				}
				cmd := exec.CommandContext(ctx, pgdump, "--format=custom", "--file="+out, env.DB)
				cmd.Stdout, cmd.Stderr = env.Stderr, env.Stderr // stdout is for the result
				if err := cmd.Run(); err != nil {
					return fmt.Errorf("pg_dump: %w", err)
				}
			} else {
				db, err := openDB(ctx, env, false)
				if err != nil {
					return err
				}
				defer db.Close()
				if err := db.Backup(ctx, out); err != nil {
					return err
				}
			}
			st, err := os.Stat(out)
			if err != nil {
				return err
			}
			return env.Print(map[string]any{"file": out, "bytes": st.Size()}, func(w io.Writer) error {
				fmt.Fprintf(w, "wrote %s (%d bytes)\n", out, st.Size())
				return nil
			})
		},
	}
}
