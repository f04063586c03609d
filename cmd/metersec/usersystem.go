package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/coverage"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/usersystem"
)

func userSystemCmd() *cli.Command {
	return &cli.Command{
		Name:    "usersystem",
		Summary: "Users' User Systems (G3.17(a), G3.20(a)) and SECMP0057 notifications",
		Help: `The register of each User's User Systems: the manufacturers and developers of their
hardware, software and firmware, and the arrangement with each that lets the User be
notified of material security vulnerabilities (G3.20(a)). Registering a User's second or
subsequent User System notifies the SSC (SECMP0057), before the system's first use.`,
		Subs: []*cli.Command{usListCmd(), usShowCmd(), usAddCmd(), usRetireCmd(), usLinkCmd(), usNotificationsCmd(), usAcknowledgeCmd()},
	}
}

func usListCmd() *cli.Command {
	var user, date string
	return &cli.Command{
		Name:    "list",
		Summary: "list User Systems with their G3.20(a) status",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&user, "user", "", "only this User's (organisation code)")
			fs.StringVar(&date, "date", "", "the day the statuses are for (YYYY-MM-DD); today by default")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			d, err := dateFlag("date", date)
			if err != nil {
				return err
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			ss, err := (&usersystem.Service{DB: db}).List(ctx, operator(env), usersystem.Filter{User: user, On: d})
			if err != nil {
				return err
			}
			return env.Print(ss, func(w io.Writer) error {
				fmt.Fprintln(w, "ID\tUSER\tNO\tNAME\tFROM\tTO\tMANUFACTURERS\tG3.20(a)")
				for _, s := range ss {
					fmt.Fprintf(w, "%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.User, s.Ordinal, s.Name, s.InServiceFrom, orNone(s.InServiceTo.String()),
						componentsText(s), s.StatusLabel)
				}
				return nil
			})
		},
	}
}

func componentsText(s usersystem.System) string {
	var out []string
	for _, c := range s.Components {
		t := c.Manufacturer + ":" + c.Status.Label()
		if c.Arrangement != "" {
			t += " (" + c.Arrangement + ")"
		}
		out = append(out, t)
	}
	return strings.Join(out, ", ")
}

func printUserSystem(w io.Writer, s usersystem.System) error {
	fmt.Fprintf(w, "%d\t%s (User System %d of %s, %s)\n", s.ID, s.Name, s.Ordinal, s.User, s.Classification)
	if s.Description != "" {
		fmt.Fprintf(w, "about\t%s\n", s.Description)
	}
	fmt.Fprintf(w, "in service\t%s to %s\nregistered\t%s by %s\n", s.InServiceFrom, orNone(s.InServiceTo.String()), s.RegisteredOn, s.RegisteredBy)
	if n := s.Notification; n != nil {
		when := "before first use"
		if !n.OnTime {
			when = "late (due by " + n.Due.String() + ")"
		}
		fmt.Fprintf(w, "SECMP0057\tnotification %d to the SSC on %s, %s\n", n.ID, n.NotifiedOn, when)
	}
	for _, d := range s.Duties {
		fmt.Fprintf(w, "%s\t%s\n", d.Clause, d.Reason)
	}
	fmt.Fprintf(w, "status on %s\t%s\n", s.On, s.StatusLabel)
	for _, c := range s.Components {
		fmt.Fprintf(w, "manufacturer\t%s (%s%s): %s, %s %s\n", c.Manufacturer, c.Supplies, prefixed(", ", c.Component), c.StatusLabel, orNone(c.Arrangement), c.Reason)
	}
	return nil
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}

func usID(args []string, what string) (int64, error) {
	if len(args) != 1 {
		return 0, cli.Usagef("give one %s", what)
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || id <= 0 {
		return 0, cli.Usagef("%s must be a number, not %q", what, args[0])
	}
	return id, nil
}

func usShowCmd() *cli.Command {
	var date string
	return &cli.Command{
		Name:    "show",
		Args:    "ID",
		Summary: "show one User System, its duties on the day and its manufacturers",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&date, "date", "", "the day the duties and statuses are for (YYYY-MM-DD); today by default")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			id, err := usID(args, "ID")
			if err != nil {
				return err
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
			s, err := (&usersystem.Service{DB: db}).Get(ctx, operator(env), id, d)
			if err != nil {
				return err
			}
			return env.Print(s, func(w io.Writer) error { return printUserSystem(w, s) })
		},
	}
}

// componentFlag collects repeated --component MANUFACTURER[:SUPPLIES[:ARRANGEMENT]].
type componentFlag []usersystem.ComponentInput

func (c *componentFlag) String() string { return "" }

func (c *componentFlag) Set(v string) error {
	parts := strings.SplitN(v, ":", 3)
	in := usersystem.ComponentInput{Manufacturer: parts[0]}
	if len(parts) > 1 {
		in.Supplies = parts[1]
	}
	if len(parts) > 2 {
		in.Arrangement = parts[2]
	}
	*c = append(*c, in)
	return nil
}

func usAddCmd() *cli.Command {
	var in usersystem.Input
	var comps componentFlag
	return &cli.Command{
		Name:    "add",
		Summary: "register a User System (a second or subsequent one notifies the SSC)",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&in.User, "user", "", "the User's organisation code (required)")
			fs.StringVar(&in.Name, "name", "", "the system's name, unique for the User (required)")
			fs.StringVar(&in.Description, "description", "", "what the system is")
			fs.StringVar(&in.InServiceFrom, "from", "", "the first day in service, YYYY-MM-DD (required)")
			fs.StringVar(&in.InServiceTo, "to", "", "the last day in service, YYYY-MM-DD, if known")
			fs.StringVar(&in.Classification, "classification", "", "RED (the default) or AMBER, GREEN, WHITE")
			fs.Var(&comps, "component", "a manufacturer or developer as CODE[:SUPPLIES[:ARRANGEMENT]], SUPPLIES one of\n"+
				strings.Join(usersystem.Supplies, ", ")+"; repeat for each (at least one)")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) > 0 {
				return cli.Usagef("add takes no arguments; use the flags")
			}
			in.Components = comps
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			s, err := (&usersystem.Service{DB: db}).Create(ctx, operator(env), in)
			if err != nil {
				return err
			}
			return env.Print(s, func(w io.Writer) error { return printUserSystem(w, s) })
		},
	}
}

func usRetireCmd() *cli.Command {
	var to string
	return &cli.Command{
		Name:    "retire",
		Args:    "ID",
		Summary: "record a User System's last day in service",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&to, "to", "", "the last day in service, YYYY-MM-DD (required)")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			id, err := usID(args, "ID")
			if err != nil {
				return err
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			s, err := (&usersystem.Service{DB: db}).Retire(ctx, operator(env), id, to)
			if err != nil {
				return err
			}
			return env.Print(s, func(w io.Writer) error { return printUserSystem(w, s) })
		},
	}
}

func usLinkCmd() *cli.Command {
	var mfr, ref string
	var clear bool
	return &cli.Command{
		Name:    "link",
		Args:    "ID",
		Summary: "name the arrangement covering one manufacturer of a User System",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&mfr, "manufacturer", "", "the manufacturer's organisation code (required)")
			fs.StringVar(&ref, "arrangement", "", "the arrangement's reference: a contract or Letter of Intent between the User and it")
			fs.BoolVar(&clear, "clear", false, "clear the arrangement instead")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			id, err := usID(args, "ID")
			if err != nil {
				return err
			}
			if (ref == "") == !clear {
				return cli.Usagef("give --arrangement REF, or --clear")
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			s, err := (&usersystem.Service{DB: db}).LinkArrangement(ctx, operator(env), id, mfr, ref)
			if err != nil {
				return err
			}
			return env.Print(s, func(w io.Writer) error { return printUserSystem(w, s) })
		},
	}
}

func usNotificationsCmd() *cli.Command {
	return &cli.Command{
		Name:    "notifications",
		Summary: "list SECMP0057 notifications of second and subsequent User Systems",
		Flags:   cli.FormatFlag,
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) > 0 {
				return cli.Usagef("notifications takes no arguments")
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			ns, err := (&usersystem.Service{DB: db}).Notifications(ctx, operator(env))
			if err != nil {
				return err
			}
			return env.Print(ns, func(w io.Writer) error {
				fmt.Fprintln(w, "ID\tNOTIFIED\tUSER\tNO\tSYSTEM\tFIRST USE\tIN TIME\tACKNOWLEDGED")
				for _, n := range ns {
					ack := "no"
					if n.AcknowledgedAt != nil {
						ack = n.AcknowledgedAt.Format("2006-01-02") + " " + n.AcknowledgedBy
					}
					fmt.Fprintf(w, "%d\t%s\t%s\t%d\t%s\t%s\t%t\t%s\n", n.ID, n.NotifiedOn, n.User, n.Ordinal, n.SystemName, n.FirstUse, n.OnTime, ack)
				}
				return nil
			})
		},
	}
}

func usAcknowledgeCmd() *cli.Command {
	return &cli.Command{
		Name:    "acknowledge",
		Args:    "ID",
		Summary: "record that the SSC took note of a notification",
		Flags:   cli.FormatFlag,
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			id, err := usID(args, "notification ID")
			if err != nil {
				return err
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			n, err := (&usersystem.Service{DB: db}).Acknowledge(ctx, operator(env), id)
			if err != nil {
				return err
			}
			return env.Print(n, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "notification %d (%s's User System %d) acknowledged by %s\n", n.ID, n.User, n.Ordinal, n.AcknowledgedBy)
				return errs.Wrap(err, "print")
			})
		},
	}
}

// printUserSystemCoverage prints, after the Devices, each Supplier's User
// Systems in service on the report's day with each manufacturer's G3.20(a)
// status (those the reader may see).
func printUserSystemCoverage(w io.Writer, rep coverage.Report) {
	for _, sc := range rep.Suppliers {
		if len(sc.UserSystems) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s: User Systems in service (G3.17(a), G3.20(a))\n", sc.Supplier.Label())
		fmt.Fprintln(w, "STATUS\tSYSTEM\tMANUFACTURER\tSUPPLIES\tARRANGEMENT")
		for _, s := range sc.UserSystems {
			for _, c := range s.Components {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", c.StatusLabel, s.Name, c.Manufacturer, c.Supplies, orNone(c.Arrangement))
			}
		}
	}
}
