package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/store"
)

func backupCmd() *cli.Command {
	var out string
	return &cli.Command{
		Name:    "backup",
		Summary: "write an online, consistent copy of the database",
		Help: `SQLite: writes a consistent copy with SQLite's online backup, from one snapshot, while the
server keeps running (writers are not held up); the copy is a SQLite file that --db can open directly.
PostgreSQL: runs pg_dump (custom format) of the schema --db names, which reads one consistent
snapshot. Either restores with "metersec restore --from FILE".`,
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
			db, err := openDB(ctx, env, false)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.Backup(ctx, out, env.DB, env.Stderr); err != nil {
				return err
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

// restoreReport is what restore found in the restored database.
type restoreReport struct {
	Schema int                 `json:"schema_version"`
	Tables map[string]int64    `json:"tables"`
	Audit  audit.Report        `json:"audit"`
	Estate estate.VerifyReport `json:"estate"`
}

func restoreCmd() *cli.Command {
	var from string
	return &cli.Command{
		Name:    "restore",
		Summary: "restore a backup into a new, empty database and check it",
		Help: `Loads a file made by "metersec backup" into the database --db names, which must be new:
a SQLite path that does not exist, or a PostgreSQL database (and schema, with
?search_path=) holding no metersec tables. A SQLite backup is checked (integrity_check)
and copied into place whole; a PostgreSQL backup is loaded with pg_restore in one
transaction, so a failure leaves nothing behind. Then the restored database is checked as
"audit verify" and "estate verify" would, and every table's row count is printed. Exits 1
if either check fails. A backup from an older metersec needs "metersec migrate" after.`,
		Flags: func(fs *flag.FlagSet) {
			cli.FormatFlag(fs)
			fs.StringVar(&from, "from", "", "the backup file to restore")
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if from == "" {
				return cli.Usagef("say which backup to restore: --from FILE")
			}
			if len(args) > 0 {
				return cli.Usagef("restore takes no arguments")
			}
			if err := store.Restore(ctx, from, env.DB, env.Stderr); err != nil {
				return err
			}
			db, err := openDB(ctx, env, false)
			if err != nil {
				return err
			}
			defer db.Close()
			st, err := db.Schema(ctx)
			if err != nil {
				return err
			}
			rep := restoreReport{Schema: st.Current}
			if rep.Tables, err = db.RowCounts(ctx, db); err != nil {
				return err
			}
			if rep.Audit, err = audit.Verify(ctx, db); err != nil {
				return err
			}
			if st.OK() {
				if rep.Estate, err = estate.NewService(db).Verify(ctx, operator(env)); err != nil {
					return err
				}
			}
			if err := env.Print(rep, func(w io.Writer) error {
				fmt.Fprintf(w, "restored %s into %s (schema version %d)\n", from, db.Location, st.Current)
				names := make([]string, 0, len(rep.Tables))
				for n := range rep.Tables {
					names = append(names, n)
				}
				slices.Sort(names)
				for _, n := range names {
					fmt.Fprintf(w, "  %-32s %12d rows\n", n, rep.Tables[n])
				}
				if rep.Audit.OK() {
					fmt.Fprintf(w, "audit trail intact: %d entries checked\n", rep.Audit.Checked)
				} else {
					fmt.Fprintf(w, "audit trail BROKEN at entry %d: %s\n", rep.Audit.Broken.Seq, rep.Audit.Broken.Reason)
				}
				switch {
				case !st.OK():
					fmt.Fprintf(w, "the backup's schema is older than this metersec: run `metersec migrate`, then `metersec estate verify`\n")
				case rep.Estate.OK():
					fmt.Fprintf(w, "estate aggregates match the Devices: %d installed Devices in %d portfolio groups\n", rep.Estate.Devices, rep.Estate.Groups)
				default:
					fmt.Fprintf(w, "estate aggregates DRIFT: %d portfolio groups and %d inherited groups differ\n", len(rep.Estate.Drift), len(rep.Estate.Inherited))
				}
				return nil
			}); err != nil {
				return err
			}
			if !rep.Audit.OK() {
				return errs.E(errs.Conflict, "the restored audit trail is broken at entry %d", rep.Audit.Broken.Seq)
			}
			if st.OK() && !rep.Estate.OK() {
				return errs.E(errs.Conflict, "the restored estate aggregates drift from the Devices")
			}
			return nil
		},
	}
}
