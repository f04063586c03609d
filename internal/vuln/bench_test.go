package vuln

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// The fan-out benchmark runs on a national-scale database built once and
// kept: METERSEC_BENCH_SQLITE names a SQLite file, METERSEC_BENCH_POSTGRES a
// PostgreSQL database (its public schema is used). Missing ones are built
// (minutes: see the log) with METERSEC_BENCH_DEVICES Devices (35,000,000 by
// default). For example:
//
//	METERSEC_BENCH_SQLITE=/var/tmp/fanout.db \
//	METERSEC_BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432/fanout \
//	go test -run '^$' -bench Fanout -benchtime 20x ./internal/vuln/
//
// The estate: 25 Suppliers, 10 MAPs, 15 manufacturers, 300 models of every
// type and generation with 5 firmware versions each (1,500 catalogue rows),
// Devices spread evenly over them. The vulnerability is the big
// manufacturer's 54 models below firmware 2.0: 54 × 4 of 1,500 firmware rows,
// so 5.04 million of 35 million Devices.
const (
	benchModels    = 300
	benchFirmware  = 5
	benchSuppliers = 25
	benchMAPs      = 10
	benchMakers    = 15
	benchAffected  = 54 // models of manufacturer 1 in the vulnerability
)

var benchVersions = []string{"1.0", "1.1", "1.2", "1.3", "2.0"}

func benchDevices() int64 {
	if n, err := strconv.ParseInt(os.Getenv("METERSEC_BENCH_DEVICES"), 10, 64); err == nil && n > 0 {
		return n
	}
	return 35_000_000
}

func benchDBs(b *testing.B) map[string]*store.DB {
	out := map[string]*store.DB{}
	for name, env := range map[string]string{"sqlite": "METERSEC_BENCH_SQLITE", "postgres": "METERSEC_BENCH_POSTGRES"} {
		dsn := os.Getenv(env)
		if dsn == "" {
			continue
		}
		db, err := store.Open(context.Background(), dsn)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		if err := buildBench(b, db); err != nil {
			b.Fatal(err)
		}
		out[name] = db
	}
	if len(out) == 0 {
		b.Skip("set METERSEC_BENCH_SQLITE and/or METERSEC_BENCH_POSTGRES")
	}
	return out
}

// buildBench migrates the database and loads the synthetic estate and the
// vulnerability, unless bench_meta says it is there already.
func buildBench(b *testing.B, db *store.DB) error {
	ctx := context.Background()
	if _, err := db.Migrate(ctx, nil); err != nil {
		return err
	}
	w := db.Writer()
	if _, err := w.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS bench_meta (devices BIGINT NOT NULL, vuln TEXT NOT NULL)"); err != nil {
		return err
	}
	var have int64
	var ref string
	if err := w.QueryRowContext(ctx, "SELECT devices, vuln FROM bench_meta").Scan(&have, &ref); err == nil {
		if have != benchDevices() {
			return fmt.Errorf("the benchmark database holds %d Devices, not %d: use another one", have, benchDevices())
		}
		// A database built before the covering index was in 0500.
		_, err := w.ExecContext(ctx, "CREATE INDEX IF NOT EXISTS portfolio_by_firmware ON portfolio (firmware_id, supplier_id, map_id, devices)")
		return err
	}
	start := time.Now()
	step := func(what string, q string, args ...any) error {
		t := time.Now()
		if _, err := w.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		b.Logf("%s %s: %s", db.Dialect, what, time.Since(t).Round(time.Millisecond))
		return nil
	}
	now := db.Now()
	// Organisations with fixed ids: Suppliers 1001…, MAPs 2001…,
	// manufacturers 3001…, the DCC 4001, the SSC 4002.
	orgs := []struct {
		id         int64
		code, role string
	}{{4001, "BDCC", "dcc"}, {4002, "BSSC", "ssc"}}
	for i := range benchSuppliers {
		orgs = append(orgs, struct {
			id         int64
			code, role string
		}{int64(1001 + i), fmt.Sprintf("BS%02d", i+1), "large_supplier"})
	}
	for i := range benchMAPs {
		orgs = append(orgs, struct {
			id         int64
			code, role string
		}{int64(2001 + i), fmt.Sprintf("BP%02d", i+1), "map"})
	}
	for i := range benchMakers {
		orgs = append(orgs, struct {
			id         int64
			code, role string
		}{int64(3001 + i), fmt.Sprintf("BM%02d", i+1), "manufacturer"})
	}
	for _, o := range orgs {
		if _, err := w.ExecContext(ctx, "INSERT INTO organisations (id, code, name, classification, created_at, updated_at) VALUES ($1, $2, $3, 'GREEN', $4, $4)",
			o.id, o.code, "Bench "+o.code, now); err != nil {
			return err
		}
		if _, err := w.ExecContext(ctx, "INSERT INTO organisation_roles (org_id, role) VALUES ($1, $2)", o.id, o.role); err != nil {
			return err
		}
	}
	// Models 1…300 (60 of manufacturer 1, the rest spread), firmware id =
	// model id × 10 + index.
	types := []sec.DeviceType{sec.ESME, sec.ESME, sec.ESME, sec.ESME, sec.GSME, sec.GSME, sec.CHF, sec.GPF, sec.PPMID, sec.IHD}
	for m := 1; m <= benchModels; m++ {
		maker := 3001
		if m > 60 {
			maker = 3002 + m%(benchMakers-1)
		}
		gen := sec.SMETS2
		if m%3 == 0 {
			gen = sec.SMETS1
		}
		if _, err := w.ExecContext(ctx, `INSERT INTO device_models (id, manufacturer_id, code, name, device_type, generation, hardware_version, created_at, updated_at)
			VALUES ($1, $2, $3, $3, $4, $5, '1', $6, $6)`, m, maker, fmt.Sprintf("M%03d", m), string(types[m%10]), string(gen), now); err != nil {
			return err
		}
		for f, v := range benchVersions {
			if _, err := w.ExecContext(ctx, "INSERT INTO firmware_versions (id, model_id, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
				m*10+f, m, v, now); err != nil {
				return err
			}
		}
	}
	if err := db.Write(ctx, access.SystemCaller("bench"), func(tx *store.Tx) error {
		return tx.ResetSequences(ctx, "organisations", "device_models", "firmware_versions")
	}); err != nil {
		return err
	}
	// Devices, in batches of 5 million: Device i has model 1 + i mod 300,
	// firmware (i / 300) mod 5 of it, Supplier (i / 7) mod 25, MAP
	// (i / 11) mod 10 for nine in ten, none for the tenth.
	n := benchDevices()
	const batch = 5_000_000
	row := `i, 1 + i % 300, (1 + i % 300) * 10 + (i / 300) % 5,
		CASE WHEN i % 10 < 9 THEN 2001 + (i / 11) % 10 END,
		CASE WHEN i % 20 = 0 THEN 'non_domestic' ELSE 'domestic' END, 'installed', 1001 + (i / 7) % 25,
		'2024-01-01', FALSE, '2024-01-01'`
	cols := "(id, model_id, firmware_id, map_id, premises, status, supplier_id, supply_start, inherited, firmware_since)"
	// One statement a batch on both engines: PostgreSQL's Devices have no
	// foreign keys to check (migration 0210); SQLite checks them with an
	// index lookup, cheap beside the insert.
	q := "INSERT INTO devices " + cols + " SELECT " + row + " FROM (" + db.Dialect.Series("$1", "$2") + ") g"
	for lo := int64(0); lo < n; lo += batch {
		hi := min(lo+batch, n) - 1
		if err := step(fmt.Sprintf("devices %d–%d", lo, hi), q, lo, hi); err != nil {
			return err
		}
	}
	if err := step("portfolio from devices", `INSERT INTO portfolio (supplier_id, model_id, firmware_id, map_id, generation, device_type, devices)
		SELECT d.supplier_id, d.model_id, d.firmware_id, COALESCE(d.map_id, 0), m.generation, m.device_type, count(*)
		FROM devices d JOIN device_models m ON m.id = d.model_id WHERE d.status = 'installed'
		GROUP BY d.supplier_id, d.model_id, d.firmware_id, COALESCE(d.map_id, 0), m.generation, m.device_type`); err != nil {
		return err
	}
	if err := step("analyze", "ANALYZE"); err != nil {
		return err
	}
	svc := NewService(db, nil)
	var affected []AffectedInput
	for m := 1; m <= benchAffected; m++ {
		affected = append(affected, AffectedInput{Model: fmt.Sprintf("M%03d", m), Fixed: "2.0"})
	}
	v, err := svc.Report(ctx, access.SystemCaller("bench"), NewVulnerability{Title: "Benchmark", Description: "Fan-out benchmark",
		Manufacturer: "BM01", Reporter: "BS01", Affected: affected, Material: ptr(true), MaterialityRationale: "bench"})
	if err != nil {
		return err
	}
	if _, err := w.ExecContext(ctx, "INSERT INTO bench_meta (devices, vuln) VALUES ($1, $2)", n, v.Ref); err != nil {
		return err
	}
	b.Logf("%s: built with %d Devices in %s", db.Dialect, n, time.Since(start).Round(time.Second))
	return nil
}

func ptr[T any](v T) *T { return &v }

func benchVuln(b *testing.B, db *store.DB) vulnRow {
	var ref string
	if err := db.QueryRowContext(context.Background(), "SELECT vuln FROM bench_meta").Scan(&ref); err != nil {
		b.Fatal(err)
	}
	v, err := findVuln(context.Background(), db, access.SystemCaller("bench"), ref, false)
	if err != nil {
		b.Fatal(err)
	}
	return v
}

// naiveGroupsSQL is the fan-out's question asked of the Device rows
// themselves: the design DESIGN.md says to avoid.
const naiveGroupsSQL = `SELECT d.supplier_id, COALESCE(d.map_id, 0), m.generation, m.device_type, count(*)
	FROM devices d JOIN vuln_firmware vf ON vf.firmware_id = d.firmware_id JOIN device_models m ON m.id = d.model_id
	WHERE vf.vuln_id = $1 AND d.status = 'installed' AND d.supplier_id IS NOT NULL
	GROUP BY d.supplier_id, COALESCE(d.map_id, 0), m.generation, m.device_type`

var errRollback = errors.New("roll back")

// BenchmarkFanout measures, on each engine: the recipients computed from
// the aggregates (the read Tick does for each open vulnerability every
// minute), a complete first fan-out (recipients written, every one told, in
// a transaction rolled back so each run starts afresh), and the naive query
// over the Device rows; and checks the two answers agree.
func BenchmarkFanout(b *testing.B) {
	for name, db := range benchDBs(b) {
		ctx := context.Background()
		v := benchVuln(b, db)
		svc := NewService(db, nil)
		today := svc.today(time.Now())
		var total int64
		b.Run(name+"/aggregates", func(b *testing.B) {
			for b.Loop() {
				gs, err := affectedGroups(ctx, db, v.ID)
				if err != nil {
					b.Fatal(err)
				}
				want, err := svc.wanted(ctx, db, v, gs, today)
				if err != nil {
					b.Fatal(err)
				}
				total = 0
				for _, g := range gs {
					total += g.Devices
				}
				if len(want) == 0 {
					b.Fatal("nobody to tell")
				}
			}
			b.ReportMetric(float64(total), "devices")
		})
		b.Run(name+"/first-fanout", func(b *testing.B) {
			for b.Loop() {
				err := db.Write(ctx, access.SystemCaller("bench"), func(tx *store.Tx) error {
					if _, err := tx.ExecContext(ctx, "DELETE FROM audience_orgs WHERE record_kind = 'vuln_recipient'"); err != nil {
						return err
					}
					for _, q := range []string{"DELETE FROM vuln_events WHERE vuln_id = $1", "DELETE FROM vuln_recipients WHERE vuln_id = $1"} {
						if _, err := tx.ExecContext(ctx, q, v.ID); err != nil {
							return err
						}
					}
					locked, err := lockVulnByID(ctx, tx, v.ID)
					if err != nil {
						return err
					}
					res, err := svc.fanout(ctx, tx, locked)
					if err != nil {
						return err
					}
					if res.Notified == 0 {
						return errors.New("nobody told")
					}
					return errRollback
				})
				if !errors.Is(err, errRollback) {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/tick-idle", func(b *testing.B) {
			// The first tick may remind; from then on the estate is unchanged.
			if _, err := svc.TickReport(ctx, time.Now()); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				res, err := svc.TickReport(ctx, time.Now())
				if err != nil {
					b.Fatal(err)
				}
				if res.Refanned+res.Notified+res.Reminded > 0 {
					b.Fatalf("an idle tick did something: %+v", res)
				}
			}
		})
		var naive int64
		b.Run(name+"/naive", func(b *testing.B) {
			for b.Loop() {
				rows, err := db.QueryContext(ctx, naiveGroupsSQL, v.ID)
				if err != nil {
					b.Fatal(err)
				}
				var got []affectedGroup
				naive = 0
				for rows.Next() {
					var g affectedGroup
					if err := rows.Scan(&g.Supplier, &g.MAP, &g.Generation, &g.Type, &g.Devices); err != nil {
						b.Fatal(err)
					}
					naive += g.Devices
					got = append(got, g)
				}
				rows.Close()
				agg, err := affectedGroups(ctx, db, v.ID)
				if err != nil {
					b.Fatal(err)
				}
				order := func(a, c affectedGroup) int {
					return cmpGroups(a, c)
				}
				slices.SortFunc(got, order)
				slices.SortFunc(agg, order)
				if !reflect.DeepEqual(got, agg) {
					b.Fatalf("the aggregates (%d groups) and the Devices (%d groups) disagree", len(agg), len(got))
				}
			}
			b.ReportMetric(float64(naive), "devices")
		})
	}
}

func cmpGroups(a, c affectedGroup) int {
	switch {
	case a.Supplier != c.Supplier:
		return int(a.Supplier - c.Supplier)
	case a.MAP != c.MAP:
		return int(a.MAP - c.MAP)
	case a.Generation != c.Generation:
		if a.Generation < c.Generation {
			return -1
		}
		return 1
	case a.Type != c.Type:
		if a.Type < c.Type {
			return -1
		}
		return 1
	}
	return 0
}
