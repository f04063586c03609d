package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/generate"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// genWorld is a synthetic world loaded for the reports: parties through the
// party importer, models and portfolio aggregates through a small loader of
// this test's own (the estate's importer keeps the aggregates in real use),
// and the expected reports worked out straight from devices.csv.
type genWorld struct {
	parties  []generate.PartyRow
	orgID    map[string]int64
	expected map[string]map[string]map[string]int64 // manufacturer → supplier → model → Devices
	devices  int64
}

func loadGenerated(t *testing.T, db *store.DB, devices int64, seed uint64) *genWorld {
	t.Helper()
	ctx := context.Background()
	var parties, cat, devs, churn bytes.Buffer
	if _, err := generate.Generate(ctx, generate.Options{Devices: devices, Seed: seed, TempDir: t.TempDir()},
		generate.Writers{Parties: &parties, Catalogue: &cat, Devices: &devs, Churn: &churn}); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("METERSEC_REPORT_WORLD_DIR"); dir != "" {
		// For checking the expectations by hand (awk, a spreadsheet).
		os.WriteFile(filepath.Join(dir, "parties.csv"), parties.Bytes(), 0o644)
		os.WriteFile(filepath.Join(dir, "devices.csv"), devs.Bytes(), 0o644)
	}
	w := &genWorld{orgID: map[string]int64{}, expected: map[string]map[string]map[string]int64{}}
	for _, rec := range readAll(t, parties.Bytes())[1:] {
		p, probs := generate.ParsePartyRow(rec)
		if probs != nil {
			t.Fatal(probs)
		}
		w.parties = append(w.parties, p)
	}
	if _, err := (&party.Service{DB: db}).Import(ctx, sys, bytes.NewReader(parties.Bytes())); err != nil {
		t.Fatal(err)
	}
	ix, err := party.LoadIndex(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range w.parties {
		ref, _ := ix.Code(p.Code)
		w.orgID[p.Code] = ref.ID
	}

	// The catalogue through the catalogue's own importer.
	if _, err := (&catalogue.Service{DB: db}).Import(ctx, sys, bytes.NewReader(cat.Bytes()), catalogue.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	models := map[[2]string]int64{}
	firmware := map[string]int64{}
	rows, err := db.QueryContext(ctx, `SELECT dm.id, o.code, dm.code, fv.id, fv.version FROM device_models dm
		JOIN organisations o ON o.id = dm.manufacturer_id JOIN firmware_versions fv ON fv.model_id = dm.id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var mid, fid int64
		var mfr, code, version string
		if err := rows.Scan(&mid, &mfr, &code, &fid, &version); err != nil {
			t.Fatal(err)
		}
		models[[2]string{mfr, code}] = mid
		firmware[mfr+"/"+code+"/"+version] = fid
	}
	rows.Close()

	type key struct {
		supplier, model, firmware, mapID int64
		gen                              sec.Generation
		typ                              sec.DeviceType
	}
	agg := map[key]int64{}
	for _, rec := range readAll(t, devs.Bytes())[1:] {
		r, probs := estate.ParseDeviceRow(rec)
		if probs != nil {
			t.Fatal(probs)
		}
		fw := r.Manufacturer + "/" + r.Model + "/" + r.Firmware.String()
		if firmware[fw] == 0 || models[[2]string{r.Manufacturer, r.Model}] == 0 {
			t.Fatalf("devices.csv names %s, which the catalogue lacks", fw)
		}
		agg[key{w.orgID[r.Supplier], models[[2]string{r.Manufacturer, r.Model}], firmware[fw], w.orgID[r.MAP], r.Generation, r.Type}]++
		bySup := w.expected[r.Manufacturer]
		if bySup == nil {
			bySup = map[string]map[string]int64{}
			w.expected[r.Manufacturer] = bySup
		}
		if bySup[r.Supplier] == nil {
			bySup[r.Supplier] = map[string]int64{}
		}
		bySup[r.Supplier][r.Model]++
		w.devices++
	}
	// The Devices themselves too: a month first reported late is counted
	// from their supply periods as at its end.
	var devRows [][]any
	for _, rec := range readAll(t, devs.Bytes())[1:] {
		r, _ := estate.ParseDeviceRow(rec)
		var mp any
		if r.MAP != "" {
			mp = w.orgID[r.MAP]
		}
		fw := firmware[r.Manufacturer+"/"+r.Model+"/"+r.Firmware.String()]
		devRows = append(devRows, []any{r.ID.Int64(), models[[2]string{r.Manufacturer, r.Model}], fw, mp, string(r.Premises),
			w.orgID[r.Supplier], sec.DateOf(r.SupplyStart)})
	}
	err = db.Write(ctx, sys, func(tx *store.Tx) error {
		for batch := range slices.Chunk(devRows, 500) {
			var args []any
			values := make([]string, len(batch))
			for i, r := range batch {
				n := len(args)
				values[i] = fmt.Sprintf("($%d, $%d, $%d, $%d, $%d, 'installed', $%d, $%d, FALSE, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+7)
				args = append(args, r...)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO devices (id, model_id, firmware_id, map_id, premises, status, supplier_id, supply_start, inherited, firmware_since)
				VALUES `+strings.Join(values, ", "), args...); err != nil {
				return err
			}
		}
		for k, n := range agg {
			if _, err := tx.ExecContext(ctx, `INSERT INTO portfolio (supplier_id, model_id, firmware_id, map_id, generation, device_type, devices)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, k.supplier, k.model, k.firmware, k.mapID, string(k.gen), string(k.typ), n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func readAll(t *testing.T, b []byte) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(b))
	var out [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rec)
	}
}

func TestReportsOnAGeneratedWorld(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := setClock(db, ts("2024-12-15T10:00:00Z"))
		w := loadGenerated(t, db, 40_000, 7)
		clk.set(ts("2025-01-02T06:30:00Z"))
		s, rec := NewService(db), &recorder{}
		s.Notifier = rec
		dec, _ := ParseMonth("2024-12")
		run, err := s.RunMonthly(ctx, sys, dec, RunOptions{Trigger: "cli"})
		if err != nil {
			t.Fatal(err)
		}
		var mfrs, sups []generate.PartyRow
		for _, p := range w.parties {
			for _, r := range p.Roles {
				switch {
				case r == sec.Manufacturer:
					mfrs = append(mfrs, p)
				case r.IsSupplier():
					sups = append(sups, p)
				}
			}
		}
		if run.Reports != len(mfrs)+len(sups) || rec.count() != run.Reports {
			t.Fatalf("%d reports and %d notices for %d manufacturers and %d Suppliers", run.Reports, rec.count(), len(mfrs), len(sups))
		}
		var total int64
		for _, m := range mfrs {
			got := jsonData[ManufacturerData](t, s, sys, reportFor(t, s, ManufacturerKind, m.Code, 1).ID)
			total += got.Devices
			want := w.expected[m.Code]
			if len(got.Suppliers) != len(want) {
				t.Errorf("%s: report names %d Suppliers, devices.csv has %d operating its Devices", m.Code, len(got.Suppliers), len(want))
			}
			for _, so := range got.Suppliers {
				models, ok := want[so.Supplier.Code]
				if !ok {
					t.Errorf("%s's report names %s, which operates none of its Devices", m.Code, so.Supplier.Code)
					continue
				}
				var sum int64
				for _, mc := range so.Models {
					sum += mc.Devices
					if models[mc.Model] != mc.Devices {
						t.Errorf("%s / %s / model %s: %d Devices, devices.csv has %d", m.Code, so.Supplier.Code, mc.Model, mc.Devices, models[mc.Model])
					}
				}
				if sum != so.Devices || so.SMETS1+so.SMETS2 != so.Devices || len(so.Models) != len(models) {
					t.Errorf("%s / %s: totals do not add up: %+v", m.Code, so.Supplier.Code, so)
				}
			}
		}
		if total != w.devices {
			t.Errorf("the manufacturers' reports count %d Devices, the estate has %d", total, w.devices)
		}
		for _, sp := range sups {
			got := jsonData[SupplierData](t, s, sys, reportFor(t, s, SupplierKind, sp.Code, 1).ID)
			if len(got.Manufacturers) != len(mfrs) {
				t.Errorf("%s's contact list has %d manufacturers, want all %d", sp.Code, len(got.Manufacturers), len(mfrs))
			}
			for _, mc := range got.Manufacturers {
				i := -1
				for j, m := range mfrs {
					if m.Code == mc.Manufacturer.Code {
						i = j
					}
				}
				if i < 0 || len(mc.Contacts) != 1 || mc.Contacts[0].Email != mfrs[i].ContactEmail {
					t.Errorf("%s's list: %+v", sp.Code, mc)
				}
			}
		}

		// Figures counted by hand from this world's devices.csv (seed 7,
		// 40,000 Devices; METERSEC_REPORT_WORLD_DIR writes it out), with
		// awk -F, '$4=="HLQY" && $7=="ALDM"{print $5,$3}' devices.csv | sort | uniq -c
		// and the like. If the generator changes, count them again.
		hlqy := jsonData[ManufacturerData](t, s, sys, reportFor(t, s, ManufacturerKind, "HLQY", 1).ID)
		aurv := jsonData[ManufacturerData](t, s, sys, reportFor(t, s, ManufacturerKind, "AURV", 1).ID)
		find := func(d ManufacturerData, sup string) SupplierOperating {
			for _, so := range d.Suppliers {
				if so.Supplier.Code == sup {
					return so
				}
			}
			t.Fatalf("%s's report does not name %s", d.Manufacturer.Code, sup)
			return SupplierOperating{}
		}
		aldm := find(hlqy, "ALDM")
		zlmc := find(aurv, "ZLMC")
		var m4fdf int64
		for _, mc := range aldm.Models {
			if mc.Model == "4FDF" {
				m4fdf = mc.Devices
			}
		}
		for _, c := range []struct {
			what      string
			got, want int64
		}{
			{"HLQY Devices", hlqy.Devices, 6064},
			{"HLQY Suppliers", int64(len(hlqy.Suppliers)), 25},
			{"HLQY/ALDM Devices", aldm.Devices, 1198},
			{"HLQY/ALDM SMETS1", aldm.SMETS1, 0},
			{"HLQY/ALDM models", int64(len(aldm.Models)), 20},
			{"HLQY/ALDM model 4FDF", m4fdf, 328},
			{"AURV Devices", aurv.Devices, 3608},
			{"AURV/ZLMC Devices", zlmc.Devices, 28},
			{"AURV/ZLMC SMETS1", zlmc.SMETS1, 1},
			{"AURV/ZLMC SMETS2+", zlmc.SMETS2, 27},
			{"AURV/ZLMC models", int64(len(zlmc.Models)), 11},
		} {
			if c.got != c.want {
				t.Errorf("%s = %d, counted by hand %d", c.what, c.got, c.want)
			}
		}
		t.Logf("%d Devices, %d manufacturers, %d Suppliers: %d reports", w.devices, len(mfrs), len(sups), run.Reports)

		// The standing report's certificate section is the catalogue's
		// certificate report for the month's last day, as the SSC sees it.
		s.Sources = DefaultSources(db)
		if _, err := s.RunStanding(ctx, sys, dec, RunOptions{Trigger: "cli"}); err != nil {
			t.Fatal(err)
		}
		r, _, err := s.Latest(ctx, sys, StandingKind)
		if err != nil {
			t.Fatal(err)
		}
		v, err := s.StandingReport(ctx, sys, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		cr, err := (&catalogue.Service{DB: db}).CertReport(ctx, sys, dec.Last())
		if err != nil {
			t.Fatal(err)
		}
		if v.Data.Certificates == nil || v.Data.Certificates.Devices != cr.Devices || len(v.Data.Certificates.Rows) != len(cr.Rows) || cr.Devices == 0 {
			t.Errorf("certificate section %d Devices in %d rows, the catalogue's report %d in %d", v.Data.Certificates.Devices, len(v.Data.Certificates.Rows), cr.Devices, len(cr.Rows))
		}
		t.Logf("standing report: %d Devices on bad certificates", cr.Devices)
	})
}
