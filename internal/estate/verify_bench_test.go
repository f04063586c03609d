package estate

import (
	"os"
	"strconv"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/store/storetest"
)

// BenchmarkVerify times Verify over an estate of METERSEC_BENCH_DEVICES
// Devices (100,000 by default) spread over two Suppliers, three models and
// their firmware, a third of them inherited:
//
//	METERSEC_BENCH_DEVICES=1000000 go test -run '^$' -bench Verify -benchtime 3x ./internal/estate/
func BenchmarkVerify(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("METERSEC_BENCH_DEVICES")); err == nil && v > 0 {
		n = v
	}
	for _, engine := range storetest.Engines() {
		b.Run(string(engine), func(b *testing.B) {
			db := storetest.Open(b, engine)
			f := newFixture(b, db)
			if _, err := db.Writer().ExecContext(f.ctx, "DELETE FROM devices"); err != nil {
				b.Fatal(err)
			}
			// Device i: supplier SUPA or SUPB, model by i mod 3, the model's
			// first firmware, inherited when i mod 3 = 0.
			if _, err := db.Writer().ExecContext(f.ctx, `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < CAST($1 AS BIGINT))
				INSERT INTO devices (id, model_id, firmware_id, map_id, premises, status, supplier_id, supply_start, inherited, firmware_since)
				SELECT 1000000 + i, m.id, (SELECT MIN(f.id) FROM firmware_versions f WHERE f.model_id = m.id), NULL, 'domestic', 'installed',
				       CASE WHEN i % 2 = 0 THEN CAST($2 AS BIGINT) ELSE CAST($3 AS BIGINT) END, '2024-03-01', i % 3 = 0, '2020-01-01'
				FROM s JOIN device_models m ON m.id = (SELECT MIN(id) FROM device_models) + i % 3`, n, f.orgs["SUPA"], f.orgs["SUPB"]); err != nil {
				b.Fatal(err)
			}
			f.rebuild()
			b.ResetTimer()
			for b.Loop() {
				rep, err := f.svc.Verify(f.ctx, access.SystemCaller("test"))
				if err != nil || !rep.OK() || rep.Devices != int64(n) {
					b.Fatalf("%+v %v", rep, err)
				}
			}
			b.ReportMetric(float64(n), "devices")
		})
	}
}
