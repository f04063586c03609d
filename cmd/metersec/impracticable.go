package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/impracticable"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

func impracticableCmd() *cli.Command {
	return &cli.Command{
		Name:    "impracticable",
		Summary: "records that an arrangement with a manufacturer is not practicable: list, show, record, decide, withdraw, evidence",
		Help: `G3.20 binds each User "wherever it is practicable to do so". A Supplier records, per
manufacturer, why an arrangement to be notified of vulnerabilities is not practicable, with
evidence; the SSC accepts or rejects it; the Supplier may withdraw it. Coverage shows an
accepted one as its own status, "Not practicable (accepted by the SSC)"; pending and rejected
ones change nothing. Records are RED: the Supplier's users cleared for RED, the SSC members
and the secretariat.

--as EMAIL acts as that user (a Supplier's cleared user records and withdraws; an SSC member
or the secretariat decides); without it the operator acts as the system, which may record for
a --supplier and read everything, but decides nothing.`,
		Subs: []*cli.Command{impListCmd(), impShowCmd(), impRecordCmd(), impDecideCmd(), impWithdrawCmd(), impEvidenceCmd()},
	}
}

// impCaller is the user named by --as, or the operator.
func impCaller(ctx context.Context, env *cli.Env, db *store.DB, as string) (access.Caller, error) {
	if as == "" {
		return operator(env), nil
	}
	return operatorCaller(ctx, db, as)
}

func printImp(env *cli.Env, r impracticable.Record) error {
	return env.Print(r, func(w io.Writer) error {
		fmt.Fprintf(w, "%s\t%s (%s)\n", r.Reference, r.StateLabel, r.Classification)
		fmt.Fprintf(w, "supplier\t%s\nmanufacturer\t%s\nrecorded\t%s by %s\nreason\t%s\n", r.Supplier.Code, r.Manufacturer.Code, r.RecordedOn, r.CreatedBy, r.Reason)
		if !r.DecidedOn.IsZero() {
			fmt.Fprintf(w, "decided\t%s by %s: %s\n", r.DecidedOn, r.DecidedBy, r.DecisionNote)
		}
		if !r.WithdrawnOn.IsZero() {
			fmt.Fprintf(w, "withdrawn\t%s\n", r.WithdrawnOn)
		}
		for _, e := range r.Evidence {
			fmt.Fprintf(w, "evidence\t%d %s (%s, %d bytes, sha256 %s)\n", e.ID, e.Name, e.MediaType, e.Size, e.SHA256)
		}
		return nil
	})
}

func impListCmd() *cli.Command {
	var f impracticable.Filter
	var as string
	return &cli.Command{
		Name:    "list",
		Summary: "list records, newest first",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&f.Supplier, "supplier", "", "only this Supplier's records")
			fs.StringVar(&f.Manufacturer, "manufacturer", "", "only records about this manufacturer")
			fs.StringVar(&f.State, "state", "", "only records in this state (recorded, accepted, rejected, withdrawn)")
			fs.StringVar(&as, "as", "", "list as this user (email), seeing what they may")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			c, err := impCaller(ctx, env, db, as)
			if err != nil {
				return err
			}
			rs, err := (&impracticable.Service{DB: db}).List(ctx, c, f)
			if err != nil {
				return err
			}
			if rs == nil {
				rs = []impracticable.Record{}
			}
			return env.Print(rs, func(w io.Writer) error {
				fmt.Fprintln(w, "REFERENCE\tSUPPLIER\tMANUFACTURER\tSTATE\tRECORDED\tDECIDED")
				for _, r := range rs {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Reference, r.Supplier.Code, r.Manufacturer.Code, r.State, r.RecordedOn, orNone(r.DecidedOn.String()))
				}
				return nil
			})
		},
	}
}

func impShowCmd() *cli.Command {
	var as string
	return &cli.Command{
		Name:    "show",
		Args:    "REFERENCE",
		Summary: "show one record with its evidence files",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&as, "as", "", "show as this user (email)")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("give one REFERENCE")
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			c, err := impCaller(ctx, env, db, as)
			if err != nil {
				return err
			}
			r, err := (&impracticable.Service{DB: db}).Get(ctx, c, args[0])
			if err != nil {
				return err
			}
			return printImp(env, r)
		},
	}
}

func impRecordCmd() *cli.Command {
	var in impracticable.NewRecord
	var as string
	return &cli.Command{
		Name:    "record",
		Summary: "record that an arrangement with a manufacturer is not practicable",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&in.Supplier, "supplier", "", "the Supplier's code (the --as user's own organisation by default)")
			fs.StringVar(&in.Manufacturer, "manufacturer", "", "the manufacturer's code (required)")
			fs.StringVar(&in.Reason, "reason", "", "why an arrangement is not practicable (required)")
			fs.StringVar(&as, "as", "", "record as this Supplier user (email), cleared for RED")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			c, err := impCaller(ctx, env, db, as)
			if err != nil {
				return err
			}
			r, err := (&impracticable.Service{DB: db}).Create(ctx, c, in)
			if err != nil {
				return err
			}
			return printImp(env, r)
		},
	}
}

func impDecideCmd() *cli.Command {
	var decision, note, as string
	return &cli.Command{
		Name:    "decide",
		Args:    "REFERENCE",
		Summary: "the SSC accepts or rejects a record (needs --as, an SSC member or the secretariat)",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&decision, "decision", "", "accept or reject (required)")
			fs.StringVar(&note, "note", "", "the SSC's decision note (required)")
			fs.StringVar(&as, "as", "", "the SSC member or secretariat user deciding (email, required)")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("give one REFERENCE")
			}
			ev := sec.ImpracticableEvent(decision)
			if ev != sec.ImpracticableAccept && ev != sec.ImpracticableReject {
				return cli.Usagef("--decision: accept or reject")
			}
			if as == "" {
				return cli.Usagef("give --as, the email of the SSC member or secretariat user deciding")
			}
			return impMove(ctx, env, as, args[0], impracticable.Move{Event: ev, Note: note})
		},
	}
}

func impWithdrawCmd() *cli.Command {
	var as, note string
	return &cli.Command{
		Name:    "withdraw",
		Args:    "REFERENCE",
		Summary: "the Supplier withdraws its record (needs --as, one of its users)",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&as, "as", "", "the Supplier's user withdrawing it (email, required)")
			fs.StringVar(&note, "note", "", "why (optional)")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("give one REFERENCE")
			}
			if as == "" {
				return cli.Usagef("give --as, the email of the Supplier's user withdrawing it")
			}
			return impMove(ctx, env, as, args[0], impracticable.Move{Event: sec.ImpracticableWithdraw, Note: note})
		},
	}
}

func impMove(ctx context.Context, env *cli.Env, as, ref string, m impracticable.Move) error {
	db, err := openDB(ctx, env, true)
	if err != nil {
		return err
	}
	defer db.Close()
	c, err := impCaller(ctx, env, db, as)
	if err != nil {
		return err
	}
	r, err := (&impracticable.Service{DB: db}).Act(ctx, c, ref, m)
	if err != nil {
		return err
	}
	return printImp(env, r)
}

func impEvidenceCmd() *cli.Command {
	var name, as string
	return &cli.Command{
		Name:    "evidence",
		Args:    "REFERENCE FILE",
		Summary: "attach an evidence file to an open record",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&name, "name", "", "the file's name as stored (default: FILE's base name)")
			fs.StringVar(&as, "as", "", "attach as this user (email): the Supplier's or the SSC's")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 2 {
				return cli.Usagef("give REFERENCE and FILE")
			}
			f, err := os.Open(args[1])
			if err != nil {
				return err
			}
			defer f.Close()
			if name == "" {
				name = filepath.Base(args[1])
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			c, err := impCaller(ctx, env, db, as)
			if err != nil {
				return err
			}
			ev, err := (&impracticable.Service{DB: db}).AddEvidence(ctx, c, args[0], name, f)
			if err != nil {
				return err
			}
			return env.Print(ev, func(w io.Writer) error {
				fmt.Fprintf(w, "attached %s to %s: %s, %d bytes, sha256 %s\n", ev.Name, args[0], ev.MediaType, ev.Size, ev.SHA256)
				return nil
			})
		},
	}
}
