// Package store opens metersec's database, SQLite (embedded, the default) or
// PostgreSQL (production), upgrades its schema from embedded numbered
// migrations, and runs transactions that carry the clock and the actor.
//
// One SQL code base serves both engines: statements use $N placeholders and
// the SQL both understand. The few differences (column types in DDL, bulk
// loading, error codes) live here, in dialect.go and migrate.go. Areas of the
// domain own their SQL; this package owns none of it.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// DB is an open database.
type DB struct {
	Dialect Dialect
	// w runs write transactions, r runs reads. On SQLite w has one connection
	// (SQLite allows one writer; queueing in Go beats spinning on SQLITE_BUSY)
	// and begins transactions IMMEDIATE; r has several. On PostgreSQL both are
	// the same pool.
	w, r *sql.DB
	// Now is the clock; tests replace it. It returns UTC truncated to the
	// microsecond, the precision both engines keep.
	Now func() time.Time
	// Location says where the database is, for messages (never a password).
	Location string
	path     string // the SQLite file, "" for PostgreSQL
}

// IsPostgres reports whether dsn names a PostgreSQL server.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens the database named by dsn: a postgres:// URL, or the path of a
// SQLite file (created if absent). It does not migrate.
func Open(ctx context.Context, dsn string) (*DB, error) {
	if dsn == "" {
		return nil, errors.New("no database given: use --db PATH or --db postgres://… (METERSEC_DB)")
	}
	db := &DB{Now: defaultNow}
	if IsPostgres(dsn) {
		db.Dialect = Postgres
		pool, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL: %w", err)
		}
		pool.SetMaxOpenConns(max(8, 4*runtime.GOMAXPROCS(0)))
		pool.SetMaxIdleConns(8)
		pool.SetConnMaxIdleTime(5 * time.Minute)
		db.w, db.r = pool, pool
		db.Location = redact(dsn)
	} else {
		db.Dialect = SQLite
		path := strings.TrimPrefix(dsn, "sqlite://")
		path = strings.TrimPrefix(path, "file:")
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, err
		}
		db.path, db.Location = abs, abs
		uri := "file:" + uriPath(abs)
		w, err := sql.Open("sqlite", uri+"?"+sqlitePragmas+"&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("open SQLite %s: %w", abs, err)
		}
		w.SetMaxOpenConns(1)
		w.SetConnMaxIdleTime(0)
		// Readers map up to 1 GiB of the file instead of copying each page
		// through read(2): verifying a triage record of 60,000 entries took
		// 515 ms of CPU with the map against 820 ms without (SQLite reads
		// the WAL's pages the usual way, so writers are unaffected).
		r, err := sql.Open("sqlite", uri+"?"+sqlitePragmas+"&_pragma=query_only(1)&_pragma=mmap_size(1073741824)")
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("open SQLite %s: %w", abs, err)
		}
		r.SetMaxOpenConns(max(4, 2*runtime.GOMAXPROCS(0)))
		db.w, db.r = w, r
	}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// sqlitePragmas are every SQLite connection's settings.
const sqlitePragmas = "_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)" +
	"&_pragma=synchronous(NORMAL)&_pragma=cache_size(-65536)&_time_format=sqlite"

func defaultNow() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.w.PingContext(ctx); err != nil {
		return fmt.Errorf("database %s unreachable: %w", db.Location, err)
	}
	return nil
}

// Close closes the pools.
func (db *DB) Close() error {
	err := db.w.Close()
	if db.r != db.w {
		err = errors.Join(err, db.r.Close())
	}
	return err
}

// Path is the SQLite file, or "" on PostgreSQL.
func (db *DB) Path() string { return db.path }

// QueryContext runs a read outside any transaction.
func (db *DB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return db.r.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a read returning at most one row.
func (db *DB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return db.r.QueryRowContext(ctx, query, args...)
}

// Writer is the write pool, for the rare code (backup, bulk loads) that needs
// a raw connection. Prefer Write.
func (db *DB) Writer() *sql.DB { return db.w }

// redact hides the password in a PostgreSQL URL.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://…"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	return u.String()
}

// uriPath escapes a file path for a SQLite URI filename: '%', '?' and '#'
// would otherwise start an escape, the parameters or a fragment, and a
// path holding one ("/tmp/TestX#01/…", a subtest's directory) silently
// opened the file named by the part before it.
func uriPath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}
