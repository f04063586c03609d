package main

import (
	"context"
	"flag"
	"net"
	"time"

	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/web"
)

type serveFlags struct {
	addr          string
	secureCookies bool
	logLevel      string
	grace         time.Duration
}

func (f *serveFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "the address to listen on")
	fs.BoolVar(&f.secureCookies, "secure-cookies", false, "mark cookies Secure: set this when users reach metersec over HTTPS")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.DurationVar(&f.grace, "shutdown-grace", 20*time.Second, "how long requests in flight may finish on shutdown")
}

func serveCmd() *cli.Command {
	var f serveFlags
	return &cli.Command{
		Name:    "serve",
		Summary: "serve the web UI and the API",
		Help: `Serves the UI, the JSON API under /api/v1 (OpenAPI at /api/v1/openapi.json), /healthz,
/readyz and /metrics, and runs the delivery workers. Refuses a database whose schema is not
current: run "metersec migrate" first. Stops gracefully on SIGINT or SIGTERM.`,
		Flags: f.define,
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) > 0 {
				return cli.Usagef("serve takes no arguments")
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			return serve(ctx, env, db, f, nil)
		},
	}
}

// serve runs the server until ctx ends. ready, if not nil, is told the
// address once listening.
func serve(ctx context.Context, env *cli.Env, db *store.DB, f serveFlags, ready func(net.Addr)) error {
	log, err := newLogger(env.Stderr, f.logLevel)
	if err != nil {
		return err
	}
	srv, err := web.New(web.Config{DB: db, Log: log, SecureCookies: f.secureCookies, Version: version, Notifier: deliveryNotifier()})
	if err != nil {
		return err
	}
	log.Info("serving", "addr", f.addr, "database", db.Location, "engine", string(db.Dialect), "version", version)
	return srv.ListenAndServe(ctx, f.addr, f.grace, ready)
}
