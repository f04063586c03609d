package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/store"
)

// openDB opens the --db database; with current it also refuses a schema that
// is not the one this binary expects.
func openDB(ctx context.Context, env *cli.Env, current bool) (*store.DB, error) {
	db, err := store.Open(ctx, env.DB)
	if err != nil {
		return nil, err
	}
	if current {
		if err := db.CheckSchema(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// newLogger writes structured JSON logs at level to w.
func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, cli.Usagef("--log-level must be debug, info, warn or error")
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// isTerminal reports whether f is an interactive terminal, for progress bars.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func printf(w io.Writer, format string, args ...any) { fmt.Fprintf(w, format, args...) }

// sharedSettings are the flags that are settings of the site, not arguments
// of one run: they mean the same to every command that has them, so they
// read the generic METERSEC_<FLAG> variable and the config file (see package
// cli). Every server setting is one (demo serves too), and so are the
// policy figures that the reports and the scheduled work must agree on.
func sharedSettings() []string {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	serveCmd().Flags(fs)
	names := []string{"churn-window-months", "churn-notice-days", "expiry-days", "g320-fix-version"}
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	return names
}

// The usage of settings that serve and `report schedule` share.
const (
	reportScheduleUsage = "when the monthly reports go out: first-working-day, working-day:N or day:N, optionally @HH:MM UK time (default first-working-day@06:00)"
	bankHolidaysUsage   = "a file of YYYY-MM-DD[,name] lines replacing the built-in England and Wales bank holidays (2025-2027)"
	// serve and demo sign checkpoints with it, `audit checkpoint` signs one,
	// `audit verify` checks checkpoints against its public half.
	// `user add` reads them too: without an SMTP server it hands the
	// operator the new user's link instead of queueing an email.
	baseURLUsage      = "the address users reach metersec at, for links in emails and webhooks (default http://ADDR)"
	smtpHostUsage     = "the SMTP server for email; without it email waits in the queue and webhooks and the inbox still work"
	auditKeyFileUsage = "the site's ed25519 key pair (PEM, made by metersec audit keygen) that signs checkpoints of the audit trail; verify uses its public half; keep it out of the database and its backups"
)
