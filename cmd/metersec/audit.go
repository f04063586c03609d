package main

import (
	"context"
	"fmt"
	"io"

	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/errs"
)

func auditCmd() *cli.Command {
	return &cli.Command{
		Name:    "audit",
		Summary: "check the audit trail",
		Subs: []*cli.Command{{
			Name:    "verify",
			Summary: "check every link of the hash-chained audit trail",
			Help:    "Walks the audit trail in order and reports the first entry that was edited, deleted or reordered. Exits 1 if it finds one.",
			Flags:   cli.FormatFlag,
			Run: func(ctx context.Context, env *cli.Env, args []string) error {
				db, err := openDB(ctx, env, true)
				if err != nil {
					return err
				}
				defer db.Close()
				rep, err := audit.Verify(ctx, db)
				if err != nil {
					return err
				}
				if err := env.Print(rep, func(w io.Writer) error {
					if rep.OK() {
						fmt.Fprintf(w, "audit trail intact: %d entries checked\n", rep.Checked)
					} else {
						fmt.Fprintf(w, "audit trail BROKEN at entry %d: %s (%d entries before it are intact)\n", rep.Broken.Seq, rep.Broken.Reason, rep.Checked)
					}
					return nil
				}); err != nil {
					return err
				}
				if !rep.OK() {
					return errs.E(errs.Conflict, "the audit trail is broken at entry %d", rep.Broken.Seq)
				}
				return nil
			},
		}},
	}
}
