package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Migrations are numbered SQL files, applied in order, each in its own
// transaction together with its row in schema_migrations. A migration is
// never edited once it has landed; a change is a new file with the next
// number. While areas are built in parallel each area takes a block of
// numbers: 0001–0099 foundation, 0100 catalogue, 0200 estate, 0300
// arrangements, 0400 delivery, 0500 vulnerabilities, 0600 reports.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// Migration is one schema step.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists the embedded migrations in order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, e := range entries {
		name := e.Name()
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration file %s: name must be NNNN_description.sql", name)
		}
		body, err := fs.ReadFile(migrationFS, path.Join("migrations", name))
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: rest, SQL: string(body)})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("two migrations numbered %d", ms[i].Version)
		}
	}
	return ms, nil
}

// SchemaStatus is how the database's schema compares with this binary's.
type SchemaStatus struct {
	Current int   // highest applied version, 0 for an empty database
	Latest  int   // highest version this binary knows
	Pending []int // versions not yet applied
}

// OK reports whether the schema is exactly what this binary expects.
func (s SchemaStatus) OK() bool { return len(s.Pending) == 0 && s.Current == s.Latest }

// Schema reports the schema status.
func (db *DB) Schema(ctx context.Context) (SchemaStatus, error) {
	ms, err := Migrations()
	if err != nil {
		return SchemaStatus{}, err
	}
	var st SchemaStatus
	if len(ms) > 0 {
		st.Latest = ms[len(ms)-1].Version
	}
	applied, err := db.applied(ctx)
	if err != nil {
		return st, err
	}
	for v := range applied {
		st.Current = max(st.Current, v)
	}
	for _, m := range ms {
		if !applied[m.Version] {
			st.Pending = append(st.Pending, m.Version)
		}
	}
	return st, nil
}

// CheckSchema returns an error telling the operator to run migrate when the
// schema is not current.
func (db *DB) CheckSchema(ctx context.Context) error {
	st, err := db.Schema(ctx)
	if err != nil {
		return err
	}
	switch {
	case st.Current > st.Latest:
		return fmt.Errorf("the database schema (version %d) is newer than this metersec (version %d): upgrade metersec", st.Current, st.Latest)
	case !st.OK():
		pending := make([]string, len(st.Pending))
		for i, n := range st.Pending {
			pending[i] = fmt.Sprintf("%04d", n)
		}
		return fmt.Errorf("the database schema is at version %d and lacks migrations %s of this metersec (latest %d): run `metersec migrate --db %s` first",
			st.Current, strings.Join(pending, ", "), st.Latest, db.Location)
	}
	return nil
}

func (db *DB) applied(ctx context.Context) (map[int]bool, error) {
	var exists bool
	var q string
	if db.Dialect == Postgres {
		q = "SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations')"
	} else {
		q = "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations')"
	}
	if err := db.r.QueryRowContext(ctx, q).Scan(&exists); err != nil {
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	applied := map[int]bool{}
	if !exists {
		return applied, nil
	}
	rows, err := db.r.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		applied[v] = true
	}
	return applied, rows.Err()
}

// Migrate applies every pending migration, reporting each to progress (which
// may be nil). It returns the versions applied.
func (db *DB) Migrate(ctx context.Context, progress func(Migration)) ([]int, error) {
	ms, err := Migrations()
	if err != nil {
		return nil, err
	}
	if _, err := db.w.ExecContext(ctx, db.Dialect.ddl(
		"CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at @time NOT NULL)")); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	applied, err := db.applied(ctx)
	if err != nil {
		return nil, err
	}
	var done []int
	for _, m := range ms {
		if applied[m.Version] {
			continue
		}
		if progress != nil {
			progress(m)
		}
		tx, err := db.w.BeginTx(ctx, nil)
		if err != nil {
			return done, err
		}
		if _, err := tx.ExecContext(ctx, db.Dialect.ddl(m.SQL)); err != nil {
			tx.Rollback()
			return done, fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
			m.Version, m.Name, db.Now()); err != nil {
			tx.Rollback()
			return done, fmt.Errorf("record migration %d: %w", m.Version, err)
		}
		if err := tx.Commit(); err != nil {
			return done, fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
		}
		done = append(done, m.Version)
	}
	return done, nil
}
