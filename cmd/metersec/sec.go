package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/release"
	"github.com/metersec/metersec/internal/uk"
)

func secCmd() *cli.Command {
	return &cli.Command{
		Name:    "sec",
		Summary: "the SEC release history and the modifications register the rules read",
		Help: `The date-based rules (who carries G3.17/G3.20, coverage, fan-out) rest on the SEC release
history: which release was in force on a date. metersec ships a table whose dates are marked
public or not (most are invented for illustration); answers resting on a non-public date say
so. The secretariat replaces the table with "sec import-releases"; every change is kept with
its reason. The modifications register (DP087, MP203, ...) names the release that implements
each rule change. The server reads both when it starts.`,
		Subs: []*cli.Command{secReleasesCmd(), secImportCmd(), secMoveCmd()},
	}
}

func secReleasesCmd() *cli.Command {
	return &cli.Command{
		Name:    "releases",
		Summary: "print the release table and the modifications register",
		Flags:   func(fs *flag.FlagSet) { cli.FormatFlag(fs) },
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) > 0 {
				return cli.Usagef("releases takes no arguments")
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			t, err := release.Load(ctx, db)
			if err != nil {
				return err
			}
			return env.Print(t, func(w io.Writer) error {
				if t.Shipped {
					fmt.Fprintln(w, "The table shipped with metersec (none imported):")
				}
				fmt.Fprintln(w, "VERSION\tEFFECTIVE\tPUBLIC\tSOURCE")
				for _, r := range t.Rows {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.Version, uk.Day(r.Effective.Time()), yesNo(r.Public), r.Source)
				}
				fmt.Fprintln(w, "\nMODIFICATION\tSTAGE\tRELEASE\tEFFECT\tTITLE")
				for _, m := range t.Modifications {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", m.Ref, m.Stage, m.Release, m.Effect, m.Title)
				}
				return nil
			})
		},
	}
}

func secImportCmd() *cli.Command {
	var reason string
	return &cli.Command{
		Name:    "import-releases",
		Args:    "FILE",
		Summary: "replace the release table with a CSV file (version,effective,public,source,note)",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&reason, "reason", "", "why the table changes (required; kept in the history)")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("import-releases takes one FILE")
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			t, err := release.Import(ctx, db, operator(env), f, reason)
			if err != nil {
				return err
			}
			return env.Print(t, func(w io.Writer) error {
				fmt.Fprintf(w, "Imported %d releases. A running server applies them when it restarts.\n", len(t.Rows))
				return nil
			})
		},
	}
}

func secMoveCmd() *cli.Command {
	var rel string
	return &cli.Command{
		Name:    "modification",
		Args:    "REF EVENT",
		Summary: "move a modification on: raise, refine, report, decide, reject or implement (--release)",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&rel, "release", "", "the release that implements it (for implement)")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 2 {
				return cli.Usagef("modification takes REF and EVENT")
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			m, err := release.Move(ctx, db, operator(env), args[0], release.MoveInput{Event: args[1], Release: rel})
			if err != nil {
				return err
			}
			return env.Print(m, func(w io.Writer) error {
				fmt.Fprintf(w, "%s is now %s%s.\n", m.Ref, m.Stage, map[bool]string{true: " in v" + m.Release.String(), false: ""}[!m.Release.IsZero()])
				return nil
			})
		},
	}
}
