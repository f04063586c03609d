package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/demo"
	"github.com/metersec/metersec/internal/store"
)

func demoCmd() *cli.Command {
	var f serveFlags
	var reset, seedOnly bool
	return &cli.Command{
		Name:      "demo",
		Summary:   "seed a demonstration world and serve it",
		DBDefault: "./metersec-demo.db",
		Help: `Creates (or reuses) a local SQLite database, migrates it, seeds a deterministic synthetic
GB world (fictional organisations in every role, a user for each role) and serves it. Prints
the URL and every demo user's sign-in; users who need a second factor get a fixed TOTP secret:
add it to an authenticator app, or run "metersec totp SECRET" for the current code.`,
		Flags: func(fs *flag.FlagSet) {
			f.define(fs)
			fs.BoolVar(&reset, "reset", false, "delete the demo database first and seed a fresh one")
			fs.BoolVar(&seedOnly, "seed-only", false, "seed and print the sign-ins, then exit without serving")
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if store.IsPostgres(env.DB) {
				return cli.Usagef("the demo runs on a local SQLite file; to try PostgreSQL, migrate it and use `metersec serve`")
			}
			if reset {
				for _, suffix := range []string{"", "-wal", "-shm"} {
					if err := os.Remove(env.DB + suffix); err != nil && !os.IsNotExist(err) {
						return err
					}
				}
			}
			db, err := store.Open(ctx, env.DB)
			if err != nil {
				return err
			}
			defer db.Close()
			if _, err := db.Migrate(ctx, nil); err != nil {
				return err
			}
			seeded, err := demo.Seeded(ctx, db)
			if err != nil {
				return err
			}
			if !seeded {
				fmt.Fprintf(env.Stderr, "seeding the demo world into %s …\n", db.Location)
				start := time.Now()
				if err := demo.Seed(ctx, db); err != nil {
					return err
				}
				fmt.Fprintf(env.Stderr, "seeded in %s\n", time.Since(start).Round(time.Millisecond))
			} else {
				fmt.Fprintf(env.Stderr, "reusing the demo world in %s (--reset starts afresh)\n", db.Location)
			}
			if seedOnly {
				printSignins(env, "http://"+f.addr)
				return nil
			}
			return serve(ctx, env, db, f, func(a net.Addr) {
				printSignins(env, "http://"+a.String())
			})
		},
	}
}

func printSignins(env *cli.Env, url string) {
	w := env.Stdout
	fmt.Fprintf(w, "\nmetersec demo: open %s\n\n", url)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ROLE\tEMAIL\tPASSWORD\tTOTP SECRET (metersec totp SECRET)")
	for _, u := range demo.Users {
		roles := make([]string, len(u.Roles))
		for i, r := range u.Roles {
			roles[i] = r.Label()
		}
		secret := "-"
		if u.TOTPSecret != "" {
			secret = u.TOTPSecret
			if code, err := account.CurrentCode(u.TOTPSecret, time.Now()); err == nil {
				secret += "  (now " + code + ")"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", strings.Join(roles, ", "), u.Email, u.Password, secret)
	}
	tw.Flush()
	fmt.Fprintln(w)
}
