package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// TestStagingOperations runs the engine-specific operations the areas use
// on both engines and checks what they leave: a staging table made, filled
// by Stage (more rows than one SQLite batch), read back in key order with
// its dates, a series, day arithmetic, per-transaction settings and a row
// lock clause that the engine accepts, and nothing left after DropStaging.
func TestStagingOperations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		err := db.Write(ctx, access.SystemCaller("test"), func(tx *store.Tx) error {
			if err := tx.SetLocal(ctx, "work_mem", "64MB"); err != nil {
				return err
			}
			restore, err := tx.CapCache(ctx, 1024)
			if err != nil {
				return err
			}
			defer restore()
			if err := tx.CreateStaging(ctx, "test_stage", "line BIGINT NOT NULL, id BIGINT NOT NULL, on_day @date NOT NULL, note TEXT", "id, line"); err != nil {
				return err
			}
			const rows = 450
			i := 0
			n, err := tx.Stage(ctx, "test_stage", []string{"line", "id", "on_day", "note"}, func() ([]any, error) {
				if i == rows {
					return nil, nil
				}
				i++
				return []any{int64(i), int64(rows - i), tx.Dialect.Date(day.AddDate(0, 0, i)), nil}, nil
			})
			if err != nil || n != rows {
				t.Fatalf("staged %d rows, %v", n, err)
			}
			if err := tx.Analyze(ctx, "test_stage"); err != nil {
				return err
			}
			var first int64
			var firstDay string
			if err := tx.QueryRowContext(ctx, "SELECT id, CAST(on_day AS TEXT) FROM test_stage WHERE line = 1"+store.ForUpdate(tx, "")).Scan(&first, &firstDay); err != nil {
				return err
			}
			if first != rows-1 || firstDay != "2026-03-02" {
				t.Errorf("line 1 is %d on %s", first, firstDay)
			}
			var lowest int64
			if err := tx.QueryRowContext(ctx, "SELECT id FROM test_stage ORDER BY id LIMIT 1").Scan(&lowest); err != nil || lowest != 0 {
				t.Errorf("lowest id %d, %v", lowest, err)
			}
			var got string
			if err := tx.QueryRowContext(ctx, "SELECT CAST("+tx.Dialect.AddDays(tx.Dialect.DateLiteral("2026-03-01"), "-(1)")+" AS TEXT)").Scan(&got); err != nil {
				return err
			}
			if got != "2026-02-28" {
				t.Errorf("2026-03-01 less a day is %s", got)
			}
			var count, sum int64
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*), SUM(i) FROM ("+tx.Dialect.Series("3", "7")+") s").Scan(&count, &sum); err != nil {
				return err
			}
			if count != 5 || sum != 25 {
				t.Errorf("series 3..7: %d rows summing to %d", count, sum)
			}
			if err := tx.CreateStagingAs(ctx, "test_copy", "SELECT id FROM test_stage WHERE id < 10"); err != nil {
				return err
			}
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM test_copy").Scan(&count); err != nil || count != 10 {
				t.Errorf("copied %d rows, %v", count, err)
			}
			return tx.DropStaging(ctx, "test_stage", "test_copy")
		})
		if err != nil {
			t.Fatal(err)
		}
		var left int64
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM test_stage").Scan(&left); err == nil {
			t.Error("the staging table outlived its transaction")
		}
	})
}
