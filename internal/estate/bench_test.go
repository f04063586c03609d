package estate_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/generate"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// TestImportScale measures the bulk changes at scale against a raw baseline
// in the same run. It runs only when asked:
//
//	METERSEC_BENCH_DEVICES=1000000 [METERSEC_BENCH_DIR=/tmp/world1m] \
//	METERSEC_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test \
//	go test ./internal/estate/ -run TestImportScale -v -timeout 2h
//
// METERSEC_BENCH_DIR reuses (or keeps) a generated world. The baseline is
// the least a database can do with the same rows: on SQLite a prepared
// single-row INSERT of every row into a bare table in one transaction, on
// PostgreSQL one COPY into a bare table; both read the same file with the
// same CSV reader. Peak memory is best measured on the command instead:
//
//	/usr/bin/time -v metersec import devices --db DB devices.csv
func TestImportScale(t *testing.T) {
	n, _ := strconv.ParseInt(os.Getenv("METERSEC_BENCH_DEVICES"), 10, 64)
	if n <= 0 {
		t.Skip("set METERSEC_BENCH_DEVICES to run")
	}
	ctx := context.Background()
	dir := os.Getenv("METERSEC_BENCH_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	if _, err := os.Stat(filepath.Join(dir, "churn.csv")); err != nil {
		began := time.Now()
		if _, err := generate.Run(ctx, generate.Options{Devices: n, Seed: 1, OutDir: dir}); err != nil {
			t.Fatal(err)
		}
		t.Logf("generated %d Devices in %s", n, time.Since(began).Round(time.Millisecond))
	}
	w := &world{dir: dir}
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			db := storetest.Open(t, engine)
			loadRefs(t, db, w)
			s := estate.NewService(db)

			began := time.Now()
			rows := baseline(t, db, filepath.Join(dir, "devices.csv"))
			base := time.Since(began)
			t.Logf("baseline: %d rows in %s: %.0f rows/s", rows, base.Round(time.Millisecond), float64(rows)/base.Seconds())

			f := open(t, filepath.Join(dir, "devices.csv"))
			began = time.Now()
			res, err := s.ImportDevices(ctx, sys, f, estate.ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			took := time.Since(began)
			t.Logf("import devices: %d rows in %s: %.0f rows/s, %.2f× the baseline's time",
				res.Rows, took.Round(time.Millisecond), float64(res.Rows)/took.Seconds(), took.Seconds()/base.Seconds())

			f = open(t, filepath.Join(dir, "churn.csv"))
			began = time.Now()
			cres, err := s.ImportChurn(ctx, sys, f, estate.ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			took = time.Since(began)
			t.Logf("import churn: %d rows in %s: %.0f rows/s", cres.Rows, took.Round(time.Millisecond), float64(cres.Rows)/took.Seconds())

			f = open(t, filepath.Join(dir, "devices.csv"))
			began = time.Now()
			if res, err = s.ImportDevices(ctx, sys, f, estate.ImportOptions{}); err != nil || res.Unchanged != res.Rows {
				t.Fatalf("again: %+v %v", res, err)
			}
			took = time.Since(began)
			t.Logf("import devices again (all unchanged): %s: %.0f rows/s", took.Round(time.Millisecond), float64(res.Rows)/took.Seconds())

			by := groups(t, db, "SELECT o.code, COUNT(*) FROM devices d JOIN organisations o ON o.id = d.supplier_id GROUP BY o.code")
			var from, to string
			for c, k := range by {
				if from == "" || k > by[from] {
					from = c
				}
			}
			for c := range by {
				if c != from && (to == "" || by[c] > by[to]) {
					to = c
				}
			}
			began = time.Now()
			tres, err := s.TransferAll(ctx, sys, estate.Transfer{From: from, To: to, Effective: mustDate("2026-06-01")})
			if err != nil {
				t.Fatal(err)
			}
			took = time.Since(began)
			t.Logf("transfer all of %s (largest) to %s: %d Devices in %s: %.0f Devices/s",
				from, to, tres.Devices, took.Round(time.Millisecond), float64(tres.Devices)/took.Seconds())
			checkAggregates(t, db)
		})
	}
}

func open(t *testing.T, path string) io.Reader {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return bufio.NewReaderSize(f, 1<<16)
}

// baseline loads the devices file's rows, barely converted, into a bare
// table: the floor under any importer.
func baseline(t *testing.T, db *store.DB, path string) int64 {
	ctx := context.Background()
	var n int64
	err := db.Write(ctx, sys, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE bench_raw (id BIGINT, device_type TEXT, generation TEXT, manufacturer TEXT,
			model TEXT, firmware TEXT, supplier TEXT, supply_start TEXT, map TEXT, premises TEXT)`); err != nil {
			return err
		}
		cr := csv.NewReader(open(t, path))
		cr.ReuseRecord = true
		if _, err := cr.Read(); err != nil {
			return err
		}
		next := func() ([]any, error) {
			rec, err := cr.Read()
			if err == io.EOF {
				return nil, nil
			}
			if err != nil {
				return nil, err
			}
			id, err := estate.ParseDeviceID(rec[0])
			if err != nil {
				return nil, err
			}
			return []any{id.Int64(), rec[1], rec[2], rec[3], rec[4], rec[5], rec[6], rec[7], rec[8], rec[9]}, nil
		}
		if tx.Dialect == store.Postgres {
			return tx.Raw(func(dc any) error {
				var err error
				n, err = dc.(*stdlib.Conn).Conn().CopyFrom(ctx, pgx.Identifier{"bench_raw"},
					[]string{"id", "device_type", "generation", "manufacturer", "model", "firmware", "supplier", "supply_start", "map", "premises"},
					&rowSource{next: next})
				return err
			})
		}
		st, err := tx.PrepareContext(ctx, "INSERT INTO bench_raw VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
		if err != nil {
			return err
		}
		defer st.Close()
		for {
			vals, err := next()
			if err != nil {
				return err
			}
			if vals == nil {
				return nil
			}
			if _, err := st.ExecContext(ctx, vals...); err != nil {
				return err
			}
			n++
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

type rowSource struct {
	next func() ([]any, error)
	vals []any
	err  error
}

func (s *rowSource) Next() bool {
	s.vals, s.err = s.next()
	return s.err == nil && s.vals != nil
}
func (s *rowSource) Values() ([]any, error) { return s.vals, nil }
func (s *rowSource) Err() error             { return s.err }

func mustDate(s string) sec.Date { return sec.MustParseDate(s) }
