package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/metersec/metersec/internal/store"
)

// TestSQLitePathIsTheFile: a database path holding characters a SQLite URI
// gives meaning to ('#' starts a fragment, '%' an escape) opens exactly
// that file. A subtest's directory holds '#' ("sqlite#01"), and its
// database was the file named by the part before it, shared across runs.
func TestSQLitePathIsTheFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, name := range []string{"a#01", "b%41", "c d"} {
		path := filepath.Join(dir, name, "metersec.db")
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		db, err := store.Open(ctx, path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := db.Migrate(ctx, nil); err != nil {
			t.Fatalf("%s: migrate: %v", name, err)
		}
		db.Close()
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s: the database is not at %s: %v", name, path, err)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !e.IsDir() {
			t.Errorf("a file %q was made beside the directories: a path was cut short", e.Name())
		}
	}
}
