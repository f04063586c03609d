package main

import (
	"context"
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
