package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

func TestMigrateIsIdempotentAndCheckSchema(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			db := storetest.OpenEmpty(t, e)
			if err := db.CheckSchema(ctx); err == nil {
				t.Fatal("an empty database passed the schema check")
			}
			applied, err := db.Migrate(ctx, nil)
			if err != nil || len(applied) == 0 {
				t.Fatalf("migrate: %v %v", applied, err)
			}
			if err := db.CheckSchema(ctx); err != nil {
				t.Fatalf("schema after migrate: %v", err)
			}
			again, err := db.Migrate(ctx, nil)
			if err != nil || len(again) != 0 {
				t.Fatalf("second migrate applied %v, %v", again, err)
			}
		})
	}
}

func TestWriteRollsBackOnError(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		boom := errors.New("boom")
		err := db.Write(ctx, access.SystemCaller("test"), func(tx *store.Tx) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO organisations (code, name, created_at, updated_at) VALUES ($1, $2, $3, $3)", "X", "X", tx.Now); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
		var n int
		db.QueryRowContext(ctx, "SELECT count(*) FROM organisations").Scan(&n)
		if n != 0 {
			t.Fatalf("rolled-back row is visible: %d", n)
		}
	})
}

func TestUniqueViolationIsRecognised(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ins := func() error {
			return db.Write(ctx, access.SystemCaller("test"), func(tx *store.Tx) error {
				_, err := tx.ExecContext(ctx, "INSERT INTO organisations (code, name, created_at, updated_at) VALUES ($1, $2, $3, $3)", "DUP", "Dup", tx.Now)
				return err
			})
		}
		if err := ins(); err != nil {
			t.Fatal(err)
		}
		if err := ins(); !store.IsUniqueViolation(err) {
			t.Fatalf("second insert: %v, want a unique violation", err)
		}
	})
}
