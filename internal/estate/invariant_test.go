package estate_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/generate"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// The portfolio aggregates must equal a recount of the Device rows after any
// sequence of changes. This test loads a small generated world, then makes a
// few hundred random changes of every kind — bulk imports, churn files,
// single changes of supplier, Supplier of Last Resort transfers, firmware
// upgrades and status changes, valid and invalid — and recounts after each.
func TestAggregatesStayExactUnderRandomChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sys := access.SystemCaller("test")
		dir := t.TempDir()
		start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		if _, err := generate.Run(ctx, generate.Options{Devices: 3000, Seed: 5, Start: start, End: start.AddDate(1, 0, 0), OutDir: dir}); err != nil {
			t.Fatal(err)
		}
		load := func(name string, fn func(f *os.File) error) {
			f, err := os.Open(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := fn(f); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		svc := estate.NewService(db)
		load("parties.csv", func(f *os.File) error { _, err := (&party.Service{DB: db}).Import(ctx, sys, f); return err })
		load("catalogue.csv", func(f *os.File) error {
			_, err := (&catalogue.Service{DB: db}).Import(ctx, sys, f, catalogue.ImportOptions{})
			return err
		})
		load("devices.csv", func(f *os.File) error { _, err := svc.ImportDevices(ctx, sys, f, estate.ImportOptions{}); return err })
		checkExact(t, ctx, db, "after the devices file")
		load("churn.csv", func(f *os.File) error { _, err := svc.ImportChurn(ctx, sys, f, estate.ImportOptions{}); return err })
		checkExact(t, ctx, db, "after the churn file")

		ix, err := catalogue.LoadIndex(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		suppliers := orgCodes(t, ctx, db, "SELECT o.code FROM organisations o JOIN organisation_roles r ON r.org_id = o.id WHERE r.role IN ('large_supplier', 'small_supplier') ORDER BY o.code")
		maps := orgCodes(t, ctx, db, "SELECT o.code FROM organisations o JOIN organisation_roles r ON r.org_id = o.id WHERE r.role = 'map' ORDER BY o.code")
		r := rand.New(rand.NewPCG(7, 11))
		day := sec.MustParseDate("2026-01-10")
		nextID := uint64(0xF0F0_0000_0000_0000)
		applied := map[string]int{}
		for step := 0; step < 150; step++ {
			day = day.AddDays(r.IntN(3))
			dev := randomDevice(t, ctx, db, r)
			var op string
			var err error
			switch k := r.IntN(7); k {
			case 0: // a bulk file of new Devices, sometimes with a bad row
				op = "import devices"
				var b bytes.Buffer
				b.WriteString(strings.Join(estate.DeviceHeader, ",") + "\n")
				models := ix.Models()
				for range 1 + r.IntN(40) {
					m := models[r.IntN(len(models))]
					fws := ix.FirmwareOf(m.ID)
					if len(fws) == 0 {
						continue
					}
					mp := ""
					if r.IntN(3) > 0 {
						mp = maps[r.IntN(len(maps))]
					}
					nextID++
					row := estate.DeviceRow{ID: estate.DeviceID(nextID), Type: m.DeviceType, Generation: m.Generation, Manufacturer: m.Manufacturer,
						Model: m.Code, Firmware: fws[r.IntN(len(fws))].Version, Supplier: suppliers[r.IntN(len(suppliers))],
						SupplyStart: day.AddDays(-r.IntN(900)).Time(), MAP: mp, Premises: estate.Domestic}
					b.WriteString(strings.Join(row.Record(), ",") + "\n")
				}
				if r.IntN(5) == 0 {
					b.WriteString("not-a-device,ESME,SMETS2+,X,Y,1.0,Z,2025-01-01,,domestic\n")
				}
				_, err = svc.ImportDevices(ctx, sys, &b, estate.ImportOptions{})
			case 1: // a churn file, sometimes going backwards
				op = "import churn"
				var b bytes.Buffer
				b.WriteString(strings.Join(estate.ChurnHeader, ",") + "\n")
				for range 1 + r.IntN(20) {
					d := randomDevice(t, ctx, db, r)
					eff := day
					if r.IntN(8) == 0 {
						eff = d.SupplyStart.AddDays(-1)
					}
					b.WriteString(fmt.Sprintf("%s,%s,%s\n", d.ID, suppliers[r.IntN(len(suppliers))], eff))
				}
				_, err = svc.ImportChurn(ctx, sys, &b, estate.ImportOptions{})
			case 2:
				op = "change supplier"
				_, err = svc.ChangeSupplier(ctx, sys, estate.Change{DeviceID: dev.ID, NewSupplier: suppliers[r.IntN(len(suppliers))], Effective: day})
			case 3:
				op = "transfer"
				_, err = svc.TransferAll(ctx, sys, estate.Transfer{From: suppliers[r.IntN(len(suppliers))], To: suppliers[r.IntN(len(suppliers))], Effective: day})
			case 4:
				op = "firmware"
				m, _ := ix.Model(dev.Manufacturer, dev.Model)
				fws := ix.FirmwareOf(m.ID)
				_, err = svc.UpgradeFirmware(ctx, sys, dev.ID, fws[r.IntN(len(fws))].Version.String(), day)
			default:
				op = "status"
				sts := []estate.Status{estate.Installed, estate.Removed, estate.InTriage, estate.Disposed}
				_, err = svc.SetStatus(ctx, sys, dev.ID, sts[r.IntN(len(sts))])
			}
			switch {
			case err == nil:
				applied[op]++
			case errs.CodeOf(err) == errs.Internal:
				t.Fatalf("step %d, %s: %v", step, op, err)
			}
			checkExact(t, ctx, db, fmt.Sprintf("step %d (%s, err %v)", step, op, err))
		}
		t.Logf("applied: %v", applied)
		for _, op := range []string{"import devices", "import churn", "change supplier", "transfer", "firmware", "status"} {
			if applied[op] == 0 {
				t.Errorf("no %s succeeded: the sequence tested nothing of it", op)
			}
		}
		if vr, err := svc.Verify(ctx, access.SystemCaller("test")); err != nil || !vr.OK() {
			t.Errorf("Verify: %+v, %v", vr, err)
		}
	})
}

func orgCodes(t *testing.T, ctx context.Context, db *store.DB, q string) []string {
	t.Helper()
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	return out
}

// randomDevice is a Device of the estate, any status.
func randomDevice(t *testing.T, ctx context.Context, db *store.DB, r *rand.Rand) estate.Device {
	t.Helper()
	var n int64
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM devices").Scan(&n); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := db.QueryRowContext(ctx, "SELECT id FROM devices ORDER BY id LIMIT 1 OFFSET $1", r.Int64N(n)).Scan(&id); err != nil {
		t.Fatal(err)
	}
	d, err := estate.NewService(db).Device(ctx, access.SystemCaller("test"), estate.DeviceIDFromInt64(id))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// checkExact recounts every aggregate from the Device rows, independently of
// Verify, and compares.
func checkExact(t *testing.T, ctx context.Context, db *store.DB, when string) {
	t.Helper()
	pairs := []struct{ stored, counted string }{
		{`SELECT supplier_id, model_id, firmware_id, map_id, devices FROM portfolio WHERE devices <> 0`,
			`SELECT supplier_id, model_id, firmware_id, COALESCE(map_id, 0), COUNT(*) FROM devices WHERE status = 'installed' GROUP BY supplier_id, model_id, firmware_id, COALESCE(map_id, 0)`},
		{`SELECT supplier_id, model_id, map_id, CAST(supply_start AS TEXT), devices FROM portfolio_inherited WHERE devices <> 0`,
			`SELECT supplier_id, model_id, COALESCE(map_id, 0), CAST(supply_start AS TEXT), COUNT(*) FROM devices WHERE status = 'installed' AND inherited GROUP BY supplier_id, model_id, COALESCE(map_id, 0), supply_start`},
		{`SELECT p.supplier_id, p.model_id, m.generation, m.device_type, 0 FROM portfolio p JOIN device_models m ON m.id = p.model_id WHERE p.generation <> m.generation OR p.device_type <> m.device_type`,
			`SELECT 0, 0, '', '', 0 WHERE 1 = 0`},
		// The per-model totals the SSC's chart sums (migration 1301).
		{`SELECT model_id, generation, 'devices', 0, devices FROM portfolio_model_totals WHERE portfolio_rows <> 0`,
			`SELECT model_id, generation, 'devices', 0, SUM(devices) FROM portfolio WHERE devices <> 0 GROUP BY model_id, generation`},
		{`SELECT model_id, generation, 'rows', 0, portfolio_rows FROM portfolio_model_totals WHERE portfolio_rows <> 0`,
			`SELECT model_id, generation, 'rows', 0, COUNT(*) FROM portfolio WHERE devices <> 0 GROUP BY model_id, generation`},
		{`SELECT model_id, generation, 'empty', 0, devices FROM portfolio_model_totals WHERE portfolio_rows = 0 AND devices <> 0`,
			`SELECT 0, '', '', 0, 0 WHERE 1 = 0`},
	}
	for _, p := range pairs {
		a, b := rowSet(t, ctx, db, p.stored), rowSet(t, ctx, db, p.counted)
		if !reflect.DeepEqual(a, b) {
			for k, v := range a {
				if b[k] != v {
					t.Errorf("%s: stored %s = %d, recounted %d", when, k, v, b[k])
				}
			}
			for k, v := range b {
				if _, ok := a[k]; !ok {
					t.Errorf("%s: %s recounted %d, not stored", when, k, v)
				}
			}
			t.FailNow()
		}
	}
}

func rowSet(t *testing.T, ctx context.Context, db *store.DB, q string) map[string]int64 {
	t.Helper()
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var a, b, c, d any
		var n int64
		if err := rows.Scan(&a, &b, &c, &d, &n); err != nil {
			t.Fatal(err)
		}
		k := fmt.Sprintf("%v/%v/%v/%.10s", a, b, c, fmt.Sprint(d))
		out[k] += n
	}
	return out
}
