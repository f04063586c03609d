package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/triage"
)

func triageCmd() *cli.Command {
	return &cli.Command{
		Name:    "triage",
		Summary: "Triage Facilities (MP203): facilities, batch intake, a Device's triage, reports, the record's hash chain",
		Help: `A Triage Facility Provider's facilities, approved by the SSC after an initial FUSA, keep an
append-only record of every Triage Activity on a Device, hash-chained per facility. These
commands read it with the operator's full view, load a batch intake file as a named
operator, and prove each facility's chain.`,
		Subs: []*cli.Command{triageListCmd(), triageVerifyCmd(), triageImportCmd(), triageShowCmd(), triageReportCmd()},
	}
}

func triageListCmd() *cli.Command {
	return &cli.Command{
		Name:    "list",
		Summary: "every facility with its status and the length of its record",
		Flags:   cli.FormatFlag,
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) > 0 {
				return cli.Usagef("triage list takes no arguments")
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			fs, err := triage.NewService(db).Facilities(ctx, operator(env))
			if err != nil {
				return err
			}
			return env.Print(fs, func(w io.Writer) error {
				fmt.Fprintln(w, "ID\tPROVIDER\tNAME\tSTATUS\tBREACH POLICY\tENTRIES")
				for _, f := range fs {
					fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%d\n", f.ID, f.Provider, f.Name, f.Status, f.BreachPolicy, f.Entries)
				}
				return nil
			})
		},
	}
}

func triageVerifyCmd() *cli.Command {
	return &cli.Command{
		Name:    "verify",
		Args:    "[FACILITY_ID]",
		Summary: "check each facility's record chain: exits 1 on any edit, deletion or reorder",
		Help: `Walks each facility's record (or the one named) in order and recomputes every link: an entry
whose columns no longer match its hash was edited; a missing number or a missing tail was
deleted; an entry that does not link to the one before was deleted, inserted or reordered.
Exits 1 naming the first break of each broken facility.`,
		Flags: cli.FormatFlag,
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) > 1 {
				return cli.Usagef("give at most one facility id")
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			svc := triage.NewService(db)
			start := time.Now()
			var reps []triage.Report
			if len(args) == 1 {
				id, err := strconv.ParseInt(args[0], 10, 64)
				if err != nil {
					return cli.Usagef("facility id %q is not a number", args[0])
				}
				rep, err := svc.Verify(ctx, operator(env), id)
				if err != nil {
					return err
				}
				reps = []triage.Report{rep}
			} else if reps, err = svc.VerifyAll(ctx, operator(env)); err != nil {
				return err
			}
			took := time.Since(start)
			broken := 0
			for _, r := range reps {
				if !r.OK() {
					broken++
				}
			}
			if err := env.Print(reps, func(w io.Writer) error {
				var total int64
				for _, r := range reps {
					total += r.Checked
					if r.OK() {
						fmt.Fprintf(w, "facility %d (%s): %d entries, chain holds\n", r.FacilityID, r.Facility, r.Checked)
					} else {
						fmt.Fprintf(w, "facility %d (%s): BROKEN at entry %d: %s\n", r.FacilityID, r.Facility, r.Broken.Seq, r.Broken.Reason)
					}
				}
				fmt.Fprintf(w, "%d facilities, %d entries checked in %s\n", len(reps), total, took.Round(time.Millisecond))
				return nil
			}); err != nil {
				return err
			}
			if broken > 0 {
				return errs.E(errs.Conflict, "%d of %d facilities' records do not verify: they were edited, deleted from or reordered", broken, len(reps))
			}
			return nil
		},
	}
}

// operatorCaller is the user with the email acting at the command line: a
// batch intake names the operator who received the Devices.
func operatorCaller(ctx context.Context, db *store.DB, email string) (access.Caller, error) {
	if email == "" {
		return access.Caller{}, cli.Usagef("give --operator, the email of the operator receiving the Devices")
	}
	u, err := account.FindUser(ctx, db, email)
	if err != nil {
		return access.Caller{}, errs.FieldError("operator", "no user %q", email)
	}
	if u.Disabled {
		return access.Caller{}, errs.FieldError("operator", "user %q is disabled", email)
	}
	return u.Caller("cli", nil), nil
}

func triageImportCmd() *cli.Command {
	var facility int64
	var email string
	return &cli.Command{
		Name:    "import",
		Args:    "FILE",
		Summary: "receive a batch of Devices at a facility: device_id,received_from,tool,interface",
		Help: `Receives every Device of the file at --facility as --operator (a Triage Facility Provider user
allowed on each row's tool and interface), all rows or none: a bad row rejects the file and
the error lists the first 100 problems with their line numbers. Each Device becomes in triage
in the estate and gets a receive entry in the facility's record. The file may be gzip-compressed.`,
		Flags: func(fs *flag.FlagSet) {
			cli.FormatFlag(fs)
			fs.Int64Var(&facility, "facility", 0, "the facility's id (see triage list)")
			fs.StringVar(&email, "operator", "", "email of the operator receiving the Devices")
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if facility == 0 {
				return cli.Usagef("give --facility")
			}
			r, db, done, err := openInputDB(ctx, env, args)
			if err != nil {
				return err
			}
			defer done()
			c, err := operatorCaller(ctx, db, email)
			if err != nil {
				return err
			}
			start := time.Now()
			res, err := triage.NewService(db).Intake(ctx, c, facility, r)
			if err != nil {
				return err
			}
			return env.Print(res, func(w io.Writer) error {
				fmt.Fprintf(w, "%d Devices received at facility %d (entries %d–%d) in %s\n", res.Received, res.FacilityID,
					res.FirstSeq, res.LastSeq, time.Since(start).Round(time.Millisecond))
				return nil
			})
		},
	}
}

func triageShowCmd() *cli.Command {
	return &cli.Command{
		Name:    "show",
		Args:    "DEVICE_ID",
		Summary: "a Device's triage history across facilities",
		Flags:   cli.FormatFlag,
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("give one Device ID")
			}
			id, err := estate.ParseDeviceID(args[0])
			if err != nil {
				return errs.FieldError("device_id", "%v", err)
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			h, err := triage.NewService(db).DeviceHistory(ctx, operator(env), id)
			if err != nil {
				return err
			}
			return env.Print(h, func(w io.Writer) error {
				fmt.Fprintf(w, "Device %s: %s\n", h.DeviceID, h.State)
				fmt.Fprintln(w, "FACILITY\tSEQ\tAT\tSTEP\tTO\tOPERATOR\tTOOL\tINTERFACE")
				for _, e := range h.Entries {
					fmt.Fprintf(w, "%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.FacilityID, e.Seq, e.At.Format(time.RFC3339), e.Step, e.To,
						e.Operator, e.Tool, e.Interface)
				}
				return nil
			})
		},
	}
}

func triageReportCmd() *cli.Command {
	return &cli.Command{
		Name:    "report",
		Summary: "each facility's throughput by step, Devices by outcome, seals and breaches",
		Flags:   cli.FormatFlag,
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) > 0 {
				return cli.Usagef("triage report takes no arguments")
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			reps, err := triage.NewService(db).Overview(ctx, operator(env))
			if err != nil {
				return err
			}
			return env.Print(reps, func(w io.Writer) error {
				for _, r := range reps {
					fmt.Fprintf(w, "facility %d (%s, %s, %s): %d entries, %d seals, %d breaches\n", r.FacilityID, r.Facility, r.Provider, r.Status,
						r.Entries, r.Seals, r.Breaches)
					for _, s := range r.Steps {
						fmt.Fprintf(w, "  step %s\t%d\n", s.Step, s.Count)
					}
					for _, s := range r.States {
						fmt.Fprintf(w, "  now %s\t%d\n", s.State, s.Devices)
					}
					for _, b := range r.Recent {
						fmt.Fprintf(w, "  breach at entry %d, Device %s (outer %s, inner %s): %s\n", b.Seq, b.DeviceID, b.Outer, b.Inner, b.Reason)
					}
				}
				return nil
			})
		},
	}
}
