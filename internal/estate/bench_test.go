package estate_test

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/generate"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store/storetest"
)

// TestImportScale times the bulk changes in a row at scale (devices, churn,
// the same devices again, a Supplier of Last Resort transfer) and checks the
// aggregates after them. It runs only when asked:
//
//	METERSEC_BENCH_DEVICES=1000000 [METERSEC_BENCH_DIR=/tmp/world1m] \
//	METERSEC_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test \
//	go test ./internal/estate/ -run TestImportScale -v -timeout 2h
//
// METERSEC_BENCH_DIR reuses (or keeps) a generated world. The import of
// devices against the engine's raw load of the same file, with the peak
// memory of the command, is "metersec bench import".
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

			f := open(t, filepath.Join(dir, "devices.csv"))
			began := time.Now()
			res, err := s.ImportDevices(ctx, sys, f, estate.ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			took := time.Since(began)
			t.Logf("import devices: %d rows in %s: %.0f rows/s", res.Rows, took.Round(time.Millisecond), float64(res.Rows)/took.Seconds())

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

func mustDate(s string) sec.Date { return sec.MustParseDate(s) }
