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
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/demo"
	"github.com/metersec/metersec/internal/store"
)

func demoCmd() *cli.Command {
	var f serveFlags
	var reset, seedOnly bool
	var devices int64
	return &cli.Command{
		Name:      "demo",
		Summary:   "seed a demonstration world and serve it",
		DBDefault: "./metersec-demo.db",
		Help: `Creates (or reuses) a local SQLite database, migrates it, seeds a deterministic synthetic
GB world and serves it: a generated market (25 Suppliers, 15 manufacturers, 6 MAPs, the DCC,
a catalogue of a few hundred models, an estate of Devices and a year of churn ending today,
loaded through the importers), governance bodies, a user for each role, arrangements of every
kind, vulnerabilities at every stage, coverage snapshots and last month's reports. Prints
the URL and every demo user's sign-in; users who need a second factor get a fixed TOTP secret:
add it to an authenticator app, or run "metersec totp SECRET" for the current code.`,
		Flags: func(fs *flag.FlagSet) {
			f.define(fs)
			fs.BoolVar(&reset, "reset", false, "delete the demo database first and seed a fresh one")
			fs.BoolVar(&seedOnly, "seed-only", false, "seed and print the sign-ins, then exit without serving")
			fs.Int64Var(&devices, "devices", demo.DefaultDevices, "Devices in the generated estate of a new demo world (at most 5,000,000)")
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if devices < 1000 || devices > 5_000_000 {
				return cli.Usagef("--devices: want 1000 to 5,000,000 (the demo's default is %d)", demo.DefaultDevices)
			}
			if store.IsPostgres(env.DB) {
				return cli.Usagef("the demo runs on a local SQLite file; to try PostgreSQL, migrate it and use `metersec serve`")
			}
			if reset {
				for _, suffix := range []string{"", "-wal", "-shm", ".audit-key.pem", ".audit-key.pub.pem"} {
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
				logf := func(format string, args ...any) {
					fmt.Fprintf(env.Stderr, "  "+format+"\n", args...)
				}
				if err := demo.Seed(ctx, db, demo.Options{Devices: devices, Log: logf}); err != nil {
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
			// The demo keeps its fixed TOTP secrets in the clear unless it is
			// given a key.
			f.insecureDev = true
			// It signs its audit trail, as production does, with a key kept
			// beside the database (made on the first run), so the audit page
			// and `audit verify --checkpoint` have a checkpoint to show.
			if f.auditKeyFile == "" {
				if f.auditKeyFile, err = demoAuditKey(env.DB); err != nil {
					return err
				}
			}
			return serve(ctx, env, db, f, func(a net.Addr) {
				printSignins(env, "http://"+a.String())
			})
		},
	}
}

// demoAuditKey returns the demo's audit signing key file beside its
// database, making the key pair when it is not there yet (or --reset
// removed the database it signed).
func demoAuditKey(dbPath string) (string, error) {
	priv, pub := dbPath+".audit-key.pem", dbPath+".audit-key.pub.pem"
	if _, err := os.Stat(priv); err == nil {
		return priv, nil
	}
	os.Remove(pub)
	if _, err := audit.GenerateKey(priv, pub); err != nil {
		return "", fmt.Errorf("the demo's audit key: %w", err)
	}
	return priv, nil
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
