package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/store"
)

func estateCmd() *cli.Command {
	return &cli.Command{
		Name:    "estate",
		Summary: "look up Devices, the portfolio, and check the aggregates",
		Help: `The installed estate: every Device, who was responsible for it on any day, and the portfolio
aggregates kept exact on every change. Load it with "metersec import devices|churn"; these
commands read it with the operator's full view, move a failed Supplier's Devices, and prove
the aggregates by recounting them.`,
		Subs: []*cli.Command{estateShowCmd(), estatePortfolioCmd(), estateVerifyCmd(), estateTransferCmd(), estateMAPCmd()},
	}
}

func estateVerifyCmd() *cli.Command {
	return &cli.Command{
		Name:    "verify",
		Summary: "recount the portfolio aggregates from the Devices and report drift",
		Help: `Recounts portfolio (installed Devices by Supplier, model, firmware and MAP) and
portfolio_inherited (installed inherited Devices by Supplier, model, MAP and supply start)
from the Device rows, and compares both ways: groups whose stored count differs, groups the
Devices have and the table lacks, and stored groups no Device backs. Exits 1 on any drift,
listing it.`,
		Flags: cli.FormatFlag,
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) > 0 {
				return cli.Usagef("estate verify takes no arguments")
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			rep, err := estate.NewService(db).Verify(ctx, operator(env))
			if err != nil {
				return err
			}
			names, err := estateNames(ctx, db)
			if err != nil {
				return err
			}
			if err := env.Print(rep, func(w io.Writer) error {
				fmt.Fprintf(w, "%d installed Devices in %d portfolio groups\n", rep.Devices, rep.Groups)
				if rep.OK() {
					fmt.Fprintln(w, "portfolio, portfolio_inherited and portfolio_enrolled match the Devices")
					return nil
				}
				if len(rep.Drift) > 0 {
					fmt.Fprintf(w, "portfolio: %d groups drifted\n", len(rep.Drift))
					fmt.Fprintln(w, "SUPPLIER\tMODEL\tFIRMWARE\tMAP\tSTORED\tCOUNTED")
					for _, d := range rep.Drift {
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%d\n", names.org(d.SupplierID), names.model(d.ModelID), names.firmware(d.FirmwareID), names.org(d.MAPID), d.Stored, d.Counted)
					}
				}
				if len(rep.Enrolled) > 0 {
					fmt.Fprintf(w, "portfolio_enrolled: %d groups drifted\n", len(rep.Enrolled))
					fmt.Fprintln(w, "SUPPLIER\tMODEL\tMAP\tENROLLED\tINHERITED FROM\tSTORED\tCOUNTED")
					for _, d := range rep.Enrolled {
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%d\n", names.org(d.SupplierID), names.model(d.ModelID), names.org(d.MAPID), d.EnrolledOn, d.InheritedFrom, d.Stored, d.Counted)
					}
				}
				if len(rep.Inherited) > 0 {
					fmt.Fprintf(w, "portfolio_inherited: %d groups drifted\n", len(rep.Inherited))
					fmt.Fprintln(w, "SUPPLIER\tMODEL\tMAP\tSUPPLY START\tSTORED\tCOUNTED")
					for _, d := range rep.Inherited {
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%d\n", names.org(d.SupplierID), names.model(d.ModelID), names.org(d.MAPID), d.SupplyStart, d.Stored, d.Counted)
					}
				}
				return nil
			}); err != nil {
				return err
			}
			if !rep.OK() {
				return errs.E(errs.Conflict, "the portfolio aggregates have drifted from the Devices: %d portfolio and %d inherited groups",
					len(rep.Drift), len(rep.Inherited))
			}
			return nil
		},
	}
}

// idNames turns the ids of a drift report into codes for people.
type idNames struct {
	orgs map[int64]string
	ix   *catalogue.Index
}

func estateNames(ctx context.Context, db *store.DB) (idNames, error) {
	n := idNames{orgs: map[int64]string{}}
	orgs, err := party.LoadIndex(ctx, db)
	if err != nil {
		return n, err
	}
	for _, o := range orgs.All() {
		n.orgs[o.ID] = o.Code
	}
	n.ix, err = catalogue.LoadIndex(ctx, db)
	return n, err
}

func (n idNames) org(id int64) string {
	if id == 0 {
		return "-"
	}
	if c, ok := n.orgs[id]; ok {
		return c
	}
	return fmt.Sprintf("#%d", id)
}

func (n idNames) model(id int64) string {
	if m, ok := n.ix.ModelByID(id); ok {
		return m.Manufacturer + "/" + m.Code
	}
	return fmt.Sprintf("#%d", id)
}

func (n idNames) firmware(id int64) string {
	if f, ok := n.ix.FirmwareByID(id); ok {
		return f.Version.String()
	}
	return fmt.Sprintf("#%d", id)
}

func estateShowCmd() *cli.Command {
	var date string
	return &cli.Command{
		Name:    "show",
		Args:    "DEVICE_ID",
		Summary: "a Device with its supply and firmware history",
		Help: `Prints a Device: model, firmware, MAP, status, its Responsible Supplier now and every
earlier supply period, and every firmware it ran. DEVICE_ID is the EUI-64 as 16 hex digits,
run together or in pairs separated by '-' or ':'. With --date, prints who was the
Responsible Supplier that day (a period includes its first day and not its last).`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&date, "date", "", "print who was responsible on this day (YYYY-MM-DD)")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("estate show takes one DEVICE_ID")
			}
			id, err := estate.ParseDeviceID(args[0])
			if err != nil {
				return cli.Usagef("%v", err)
			}
			d, err := dateFlag("date", date)
			if err != nil {
				return err
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			svc := estate.NewService(db)
			if !d.IsZero() {
				p, err := svc.ResponsibleOn(ctx, operator(env), id, d)
				if err != nil {
					return err
				}
				return env.Print(map[string]any{"device_id": id, "date": d, "period": p}, func(w io.Writer) error {
					fmt.Fprintf(w, "On %s the Responsible Supplier for %s was %s (from %s", d, id, p.Supplier, p.Start)
					if p.End.IsZero() {
						fmt.Fprintln(w, ", current)")
					} else {
						fmt.Fprintf(w, " until %s)\n", p.End)
					}
					return nil
				})
			}
			dev, err := svc.Device(ctx, operator(env), id)
			if err != nil {
				return err
			}
			return env.Print(dev, func(w io.Writer) error {
				fmt.Fprintf(w, "Device\t%s\n", dev.ID)
				fmt.Fprintf(w, "Type\t%s %s\n", dev.Generation, dev.DeviceType)
				fmt.Fprintf(w, "Model\t%s/%s\n", dev.Manufacturer, dev.Model)
				fmt.Fprintf(w, "Firmware\t%s since %s\n", dev.Firmware, dev.FirmwareSince)
				fmt.Fprintf(w, "MAP\t%s\n", orNone(dev.MAP))
				fmt.Fprintf(w, "Premises\t%s\n", dev.Premises)
				fmt.Fprintf(w, "Status\t%s\n", dev.Status)
				inh := ""
				if dev.Inherited {
					inh = " (inherited by a change of supplier)"
				}
				fmt.Fprintf(w, "Supplier\t%s since %s%s\n", orNone(dev.Supplier), dev.SupplyStart, inh)
				fmt.Fprintln(w, "\nSUPPLIER\tFROM\tUNTIL")
				for _, p := range dev.Supply {
					fmt.Fprintf(w, "%s\t%s\t%s\n", p.Supplier, p.Start, untilText(p.End.IsZero(), p.End.String()))
				}
				fmt.Fprintln(w, "\nFIRMWARE\tSINCE\tUNTIL")
				for _, f := range dev.FirmwareHistory {
					fmt.Fprintf(w, "%s\t%s\t%s\n", f.Firmware, f.Since, untilText(f.Until.IsZero(), f.Until.String()))
				}
				printMAPHistory(w, dev)
				return nil
			})
		},
	}
}

func printMAPHistory(w io.Writer, dev estate.Device) {
	fmt.Fprintln(w, "\nMAP\tFROM\tUNTIL")
	for _, p := range dev.MAPHistory {
		fmt.Fprintf(w, "%s\t%s\t%s\n", orNone(p.MAP), p.Start, untilText(p.End.IsZero(), p.End.String()))
	}
}

func estateMAPCmd() *cli.Command {
	var mapCode, date string
	var none bool
	return &cli.Command{
		Name:    "map",
		Args:    "DEVICE_ID",
		Summary: "record that another MAP (or none) owns a Device from a day",
		Help: `Records a change of the Meter Asset Provider that owns a Device: the current owner's period
closes the day before --date and the new one opens on it, so "obligations --date" and
"coverage --date" on an earlier day still use the MAP of that day. The Device moves between
portfolio groups in the same transaction, with an audit record. --map names the new MAP
(an organisation with the MAP role); --none records that no MAP owns it. The day must be
after the current owner's start.
Example:
  metersec estate map 00-1A-2B-3C-4D-5E-6F-70 --map MAPB --date 2026-11-01`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&mapCode, "map", "", "the new MAP's organisation code")
			fs.BoolVar(&none, "none", false, "no MAP owns the Device from the day")
			fs.StringVar(&date, "date", "", "the first day of the new ownership (YYYY-MM-DD; today when empty)")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("estate map takes one DEVICE_ID")
			}
			if (mapCode == "") == !none {
				return cli.Usagef("give either --map CODE or --none")
			}
			id, err := estate.ParseDeviceID(args[0])
			if err != nil {
				return cli.Usagef("%v", err)
			}
			d, err := dateFlag("date", date)
			if err != nil {
				return err
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			dev, err := estate.NewService(db).ChangeMAP(ctx, operator(env), estate.MAPChange{DeviceID: id, NewMAP: mapCode, Effective: d})
			if err != nil {
				return err
			}
			return env.Print(dev, func(w io.Writer) error {
				fmt.Fprintf(w, "Device %s is owned by %s from %s\n", dev.ID, orNone(dev.MAP), dev.MAPHistory[0].Start)
				printMAPHistory(w, dev)
				return nil
			})
		},
	}
}

func untilText(current bool, s string) string {
	if current {
		return "(current)"
	}
	return s
}

func estatePortfolioCmd() *cli.Command {
	var q estate.PortfolioQuery
	return &cli.Command{
		Name:    "portfolio",
		Summary: "installed Devices by Supplier, model, firmware and MAP",
		Help: `Prints the portfolio aggregates: installed Devices counted by Responsible Supplier,
model, firmware and owning MAP, narrowed by the flags (organisation codes).`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&q.Supplier, "supplier", "", "only this Supplier's Devices")
			fs.StringVar(&q.Manufacturer, "manufacturer", "", "only this manufacturer's models")
			fs.StringVar(&q.MAP, "map", "", "only Devices this MAP owns")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) > 0 {
				return cli.Usagef("estate portfolio takes no arguments; use --supplier, --manufacturer or --map")
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			rows, err := estate.NewService(db).Portfolio(ctx, operator(env), q)
			if err != nil {
				return err
			}
			return env.Print(rows, func(w io.Writer) error {
				fmt.Fprintln(w, "SUPPLIER\tMANUFACTURER\tMODEL\tFIRMWARE\tGENERATION\tTYPE\tMAP\tDEVICES")
				var total int64
				for _, r := range rows {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", r.Supplier, r.Manufacturer, r.Model, r.Firmware, r.Generation, r.DeviceType, orNone(r.MAP), r.Devices)
					total += r.Devices
				}
				fmt.Fprintf(w, "%d groups, %d Devices\n", len(rows), total)
				return nil
			})
		},
	}
}
