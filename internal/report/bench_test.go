package report

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
	"github.com/metersec/metersec/internal/uk"
)

// nationalPortfolio loads a national-scale estate as the portfolio
// aggregates hold it: 25 Suppliers with a skewed market share, 15
// manufacturers of 20 models each (300 models), 4 firmware versions per
// model and 7 MAPs (six and none), which is 210,000 rows summing to 35
// million Devices. The devices table itself is not needed: the monthly run
// never reads it.
func nationalPortfolio(b *testing.B, db *store.DB) (devices int64, rows int) {
	b.Helper()
	ctx := context.Background()
	var csv strings.Builder
	csv.WriteString("code,name,roles,contact_name,contact_email,contact_phone\n")
	for i := range 25 {
		role := "large_supplier"
		if i >= 10 {
			role = "small_supplier"
		}
		fmt.Fprintf(&csv, "S%02d,Supplier %02d Energy,%s,Security Desk,soc@s%02d.example,\n", i, i, role, i)
	}
	for i := range 15 {
		fmt.Fprintf(&csv, "M%02d,Maker %02d Metering,manufacturer,PSIRT,psirt@m%02d.example,01632 960%03d\n", i, i, i, i)
	}
	for i := range 6 {
		fmt.Fprintf(&csv, "A%02d,Asset Provider %02d,map,Ops,ops@a%02d.example,\n", i, i, i)
	}
	if _, err := (&party.Service{DB: db}).Import(ctx, sys, strings.NewReader(csv.String())); err != nil {
		b.Fatal(err)
	}
	ix, err := party.LoadIndex(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	org := func(code string) int64 { r, _ := ix.Code(code); return r.ID }
	// A second contact for every other manufacturer.
	for i := 0; i < 15; i += 2 {
		if _, err := (&party.Service{DB: db}).SetContact(ctx, sys, fmt.Sprintf("M%02d", i), party.ContactInput{Label: "out-of-hours", Name: "Duty officer", Email: fmt.Sprintf("duty@m%02d.example", i)}); err != nil {
			b.Fatal(err)
		}
	}
	types := []sec.DeviceType{sec.ESME, sec.GSME, sec.CHF, sec.GPF, sec.PPMID}
	type mdl struct {
		id  int64
		gen sec.Generation
		typ sec.DeviceType
	}
	var models []mdl
	err = db.Write(ctx, sys, func(tx *store.Tx) error {
		for i := range 300 {
			m := mdl{gen: sec.SMETS2, typ: types[i%len(types)]}
			if i%5 < 2 {
				m.gen = sec.SMETS1
			}
			if err := tx.QueryRowContext(ctx, `INSERT INTO device_models (manufacturer_id, code, name, device_type, generation, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`, org(fmt.Sprintf("M%02d", i%15)), fmt.Sprintf("%04X", 0x1000+i),
				fmt.Sprintf("Model %d", i), string(m.typ), string(m.gen), tx.Now).Scan(&m.id); err != nil {
				return err
			}
			models = append(models, m)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	maps := []int64{0}
	for i := range 6 {
		maps = append(maps, org(fmt.Sprintf("A%02d", i)))
	}
	// Weights: Supplier share falls with rank, model popularity varies.
	var weight float64
	type row struct {
		supplier, model, firmware, mapID int64
		gen                              sec.Generation
		typ                              sec.DeviceType
		w                                float64
	}
	var all []row
	for s := range 25 {
		for mi, m := range models {
			for f := range 4 {
				for _, mp := range maps {
					w := 1 / float64(s+2) * float64(1+(mi*7919)%13) * float64(4-f)
					all = append(all, row{org(fmt.Sprintf("S%02d", s)), m.id, m.id*10 + int64(f), mp, m.gen, m.typ, w})
					weight += w
				}
			}
		}
	}
	const target = 35_000_000
	counts := make([]int64, len(all))
	for i, r := range all {
		counts[i] = max(1, int64(target*r.w/weight))
		devices += counts[i]
	}
	counts[0] += target - devices
	devices = target
	err = db.Write(ctx, sys, func(tx *store.Tx) error {
		src := make([][]any, len(all))
		for i, r := range all {
			src[i] = []any{r.supplier, r.model, r.firmware, r.mapID, string(r.gen), string(r.typ), counts[i]}
		}
		return tx.InsertRows(ctx, "portfolio", []string{"supplier_id", "model_id", "firmware_id", "map_id", "generation", "device_type", "devices"}, src)
	})
	if err != nil {
		b.Fatal(err)
	}
	return devices, len(all)
}

// BenchmarkMonthlyRun measures the whole monthly mailing at national scale:
// the month-end snapshot of 210,000 portfolio rows (35 million Devices), a
// report for each of 15 manufacturers and 25 Suppliers in CSV, JSON, HTML
// and PDF, stored with digests and delivery records. Each iteration reports
// a new month, so each takes its own snapshot.
//
//	go test ./internal/report -run '^$' -bench MonthlyRun -benchtime 3x
//	METERSEC_TEST_POSTGRES=postgres://… go test ./internal/report -run '^$' -bench MonthlyRun -benchtime 3x
func BenchmarkMonthlyRun(b *testing.B) {
	for _, engine := range storetest.Engines() {
		// Loaded once per engine: the sub-benchmark runs more than once.
		db := storetest.Open(b, engine)
		start := time.Now()
		devices, rows := nationalPortfolio(b, db)
		b.Logf("%s: loaded %d portfolio rows (%d Devices) in %s", engine, rows, devices, time.Since(start).Round(time.Millisecond))
		s, rec := NewService(db), &recorder{}
		s.Notifier = rec
		first := MonthAt(time.Now().In(uk.London)).Add(-1)
		next := 0
		b.Run(string(engine), func(b *testing.B) {
			var reports int
			var bytes int64
			for b.Loop() {
				// The month-end snapshot as the scheduler takes it on time,
				// from the aggregates: this world has portfolio rows and no
				// Device rows, so a late month (computed from the supply
				// periods, as a first run days after the month would be)
				// would count nothing.
				m := first.Add(-next)
				if err := db.Write(context.Background(), sys, func(tx *store.Tx) error {
					_, err := takeSnapshot(context.Background(), tx, m, false)
					return err
				}); err != nil {
					b.Fatal(err)
				}
				run, err := s.RunMonthly(context.Background(), sys, m, RunOptions{Trigger: "cli"})
				if err != nil {
					b.Fatal(err)
				}
				if run.Repeat {
					b.Fatal("a month was run twice")
				}
				next++
				reports = run.Reports
			}
			if err := db.QueryRowContext(context.Background(), "SELECT SUM(size) FROM report_files").Scan(&bytes); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(reports), "reports/run")
			b.ReportMetric(float64(bytes)/float64(next)/1e6, "MB/run")
			if snap, _ := getSnapshot(context.Background(), db, first); snap.Devices != devices {
				b.Fatalf("snapshot counts %d Devices, want %d", snap.Devices, devices)
			}
		})
	}
}
