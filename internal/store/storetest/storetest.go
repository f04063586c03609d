// Package storetest gives tests a fresh, migrated database on every engine:
// SQLite always, and PostgreSQL whenever METERSEC_TEST_POSTGRES holds a URL
// (each test gets its own schema, dropped when it ends).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/store"
)

// PostgresEnv names the variable holding the test server's URL.
const PostgresEnv = "METERSEC_TEST_POSTGRES"

// Engines lists the engines to test on.
func Engines() []store.Dialect {
	if os.Getenv(PostgresEnv) != "" {
		return []store.Dialect{store.SQLite, store.Postgres}
	}
	return []store.Dialect{store.SQLite}
}

// Each runs fn as a subtest named after each engine, with a fresh database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, e := range Engines() {
		t.Run(string(e), func(t *testing.T) { fn(t, Open(t, e)) })
	}
}

// Open returns a fresh migrated database on the engine, removed when the test
// ends.
func Open(t testing.TB, engine store.Dialect) *store.DB {
	t.Helper()
	db := OpenEmpty(t, engine)
	if _, err := db.Migrate(context.Background(), nil); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// OpenEmpty is Open without migrating.
func OpenEmpty(t testing.TB, engine store.Dialect) *store.DB {
	t.Helper()
	dsn := DSN(t, engine)
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open %s: %v", engine, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// DSN makes a fresh database on the engine and returns how to reach it: a
// SQLite file in the test's temporary directory, or a PostgreSQL URL whose
// search_path is a new schema. Either is removed when the test ends.
func DSN(t testing.TB, engine store.Dialect) string {
	t.Helper()
	if engine == store.SQLite {
		return filepath.Join(t.TempDir(), "metersec.db")
	}
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skipf("%s is not set", PostgresEnv)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("PostgreSQL at %s: %v", PostgresEnv, err)
	}
	defer admin.Close()
	var b [6]byte
	rand.Read(b[:])
	schema := "test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("PostgreSQL at %s is unreachable or refuses: %v", PostgresEnv, err)
	}
	t.Cleanup(func() {
		c, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer c.Close()
		c.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// Truncate empties table at once, as an operator with SQL access might: on
// PostgreSQL TRUNCATE, which fires no row triggers (so a table written once
// needs a statement trigger to refuse it); SQLite has no TRUNCATE, and its
// DELETE without WHERE is the same thing.
func Truncate(db *store.DB, table string) error {
	q := "DELETE FROM " + table
	if db.Dialect == store.Postgres {
		q = "TRUNCATE " + table
	}
	_, err := db.Writer().Exec(q)
	return err
}

// NewDatabase is an empty place to make a database in, as a restore does: a
// new SQLite file, or a new PostgreSQL database on the server of like (a
// URL), dropped when the test ends.
func NewDatabase(t testing.TB, engine store.Dialect, like string) string {
	t.Helper()
	if engine == store.SQLite {
		return filepath.Join(t.TempDir(), "new.db")
	}
	base := os.Getenv(PostgresEnv)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var b [6]byte
	rand.Read(b[:])
	name := "restore_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := sql.Open("pgx", base)
		if err == nil {
			c.Exec("DROP DATABASE " + name + " WITH (FORCE)")
			c.Close()
		}
	})
	u, err := url.Parse(like)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
