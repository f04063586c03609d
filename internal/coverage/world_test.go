package coverage

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/generate"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// genDevice is a Device of the generated world after churn up to the day.
type genDevice struct {
	row       estate.DeviceRow
	supplier  string
	start     sec.Date
	inherited bool
}

// loadWorld generates a small GB world and loads it with a loader of the
// test's own (the estate's importer is another area's): parties, catalogue,
// Devices, and the changes of supplier up to asOf, then the aggregates.
func loadWorld(t *testing.T, db *store.DB, devices int64, asOf sec.Date) (map[string]int64, []genDevice) {
	t.Helper()
	ctx := context.Background()
	var parties, cat, devs, churn bytes.Buffer
	if _, err := generate.Generate(ctx, generate.Options{Devices: devices, Seed: 11,
		Start: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}, generate.Writers{Parties: &parties, Catalogue: &cat, Devices: &devs, Churn: &churn}); err != nil {
		t.Fatal(err)
	}
	read := func(b *bytes.Buffer) [][]string {
		recs, err := csv.NewReader(b).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs[1:]
	}
	orgs := map[string]int64{}
	models := map[string]int64{}
	firmware := map[string]int64{}
	certs := map[string]int64{}
	var world []genDevice
	err := db.Write(ctx, access.SystemCaller("load"), func(tx *store.Tx) error {
		exec := func(q string, args ...any) {
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		for _, rec := range read(&parties) {
			p, probs := generate.ParsePartyRow(rec)
			if probs != nil {
				t.Fatalf("party %v: %v", rec, probs)
			}
			var id int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO organisations (code, name, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id`,
				p.Code, p.Name, tx.Now).Scan(&id); err != nil {
				t.Fatal(err)
			}
			for _, r := range p.Roles {
				exec("INSERT INTO organisation_roles (org_id, role) VALUES ($1, $2)", id, r)
			}
			orgs[p.Code] = id
		}
		for _, rec := range read(&cat) {
			r, probs := catalogue.ParseCatalogueRow(rec)
			if probs != nil {
				t.Fatalf("catalogue %v: %v", rec, probs)
			}
			mk := r.Manufacturer + "/" + r.Model
			if _, ok := models[mk]; !ok {
				var id int64
				if err := tx.QueryRowContext(ctx, `INSERT INTO device_models (manufacturer_id, code, device_type, generation, created_at, updated_at)
					VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`, orgs[r.Manufacturer], r.Model, r.DeviceType, r.Generation, tx.Now).Scan(&id); err != nil {
					t.Fatal(err)
				}
				models[mk] = id
			}
			var fw int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO firmware_versions (model_id, version, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id`,
				models[mk], r.Firmware.String(), tx.Now).Scan(&fw); err != nil {
				t.Fatal(err)
			}
			firmware[mk+"/"+r.Firmware.String()] = fw
			// A certificate may cover several firmware rows of a model.
			ck := mk + "/" + r.CPA.Reference
			cert, ok := certs[ck]
			if !ok {
				date := func(t time.Time) any {
					if t.IsZero() {
						return nil
					}
					return sec.DateOf(t)
				}
				if err := tx.QueryRowContext(ctx, `INSERT INTO cpa_certificates (model_id, reference, issued, kind, expires, renewal, created_at, updated_at)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`, models[mk], r.CPA.Reference, sec.DateOf(r.CPA.Issued), r.CPA.Kind,
					date(r.CPA.Expiry), date(r.CPA.Renewal), tx.Now).Scan(&cert); err != nil {
					t.Fatal(err)
				}
				certs[ck] = cert
			}
			exec(`INSERT INTO cpa_certificate_firmware (certificate_id, firmware_id) VALUES ($1, $2)`, cert, fw)
		}
		index := map[estate.DeviceID]int{}
		for _, rec := range read(&devs) {
			r, probs := estate.ParseDeviceRow(rec)
			if probs != nil {
				t.Fatalf("device %v: %v", rec, probs)
			}
			index[r.ID] = len(world)
			world = append(world, genDevice{row: r, supplier: r.Supplier, start: sec.DateOf(r.SupplyStart)})
		}
		for _, rec := range read(&churn) {
			r, probs := estate.ParseChurnRow(rec)
			if probs != nil {
				t.Fatalf("churn %v: %v", rec, probs)
			}
			eff := sec.DateOf(r.EffectiveDate)
			if eff.After(asOf) {
				break // the file is sorted by day
			}
			d := &world[index[r.DeviceID]]
			exec(`INSERT INTO supply_periods (device_id, start, "end", supplier_id) VALUES ($1, $2, $3, $4)`,
				r.DeviceID.Int64(), d.start, eff, orgs[d.supplier])
			d.supplier, d.start, d.inherited = r.NewSupplier, eff, true
		}
		for _, d := range world {
			r := d.row
			mk := r.Manufacturer + "/" + r.Model
			var mp any
			if r.MAP != "" {
				mp = orgs[r.MAP]
			}
			var enrolled any
			if !r.EnrolledOn.IsZero() {
				enrolled = sec.DateOf(r.EnrolledOn)
			}
			exec(`INSERT INTO devices (id, model_id, firmware_id, map_id, premises, status, supplier_id, supply_start, inherited, firmware_since, enrolled_on)
				VALUES ($1, $2, $3, $4, $5, 'installed', $6, $7, $8, $7, $9)`, r.ID.Int64(), models[mk], firmware[mk+"/"+r.Firmware.String()],
				mp, string(r.Premises), orgs[d.supplier], d.start, d.inherited, enrolled)
		}
		return RebuildAggregates(ctx, tx)
	})
	if err != nil {
		t.Fatal(err)
	}
	return orgs, world
}

// TestCoverageGeneratedWorld checks coverage on a generated estate against
// expectations worked out from the Device rows themselves.
func TestCoverageGeneratedWorld(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		d := sec.MustParseDate("2025-10-01")
		_, world := loadWorld(t, db, 6000, d)
		sys := access.SystemCaller("test")

		// The Supplier with most Devices, and its manufacturers by Devices.
		bySupplier := map[string]int{}
		for _, g := range world {
			bySupplier[g.supplier]++
		}
		var sup string
		for s, n := range bySupplier {
			if sup == "" || n > bySupplier[sup] || n == bySupplier[sup] && s < sup {
				sup = s
			}
		}
		mfrCount := map[string]int{}
		mapCount := map[string]int{}
		for _, g := range world {
			if g.supplier == sup && g.row.Type != sec.CHF && g.row.Type != sec.GPF {
				mfrCount[g.row.Manufacturer]++
				if g.row.MAP != "" {
					mapCount[g.row.MAP]++
				}
			}
		}
		var mfrs []string
		for m := range mfrCount {
			mfrs = append(mfrs, m)
		}
		slices.SortFunc(mfrs, func(a, b string) int { return cmp.Or(mfrCount[b]-mfrCount[a], strings.Compare(a, b)) })
		if len(mfrs) < 5 || len(mapCount) == 0 {
			t.Fatalf("world too small: %v %v", mfrCount, mapCount)
		}
		var mapCode string
		for m := range mapCount {
			if mapCode == "" || mapCount[m] > mapCount[mapCode] || mapCount[m] == mapCount[mapCode] && m < mapCode {
				mapCode = m
			}
		}
		direct, scheme, chain, loi := mfrs[0], mfrs[1], mfrs[2], mfrs[3]

		arr := arrangement.NewService(db)
		arr.Today = func(time.Time) sec.Date { return d }
		mk := func(in arrangement.Input) {
			in.Materiality, in.Signed, in.Effective, in.AllModels = "CVSS 7.0 or above", "2024-01-01", "2024-01-01", true
			if _, err := arr.Create(ctx, sys, in); err != nil {
				t.Fatal(err)
			}
		}
		mk(arrangement.Input{Reference: "G-DIRECT", Kind: "supplier_manufacturer", Supplier: sup, Manufacturer: direct})
		mk(arrangement.Input{Reference: "G-SCHEME", Kind: "ssc_scheme", Manufacturer: scheme})
		mk(arrangement.Input{Reference: "G-SMAP", Kind: "supplier_map", Supplier: sup, MAP: mapCode})
		mk(arrangement.Input{Reference: "G-MAPM", Kind: "map_manufacturer", MAP: mapCode, Manufacturer: chain})
		mk(arrangement.Input{Reference: "G-LOI", Kind: "loi", Supplier: sup, Manufacturer: loi})

		cov := NewService(db)
		rep, err := cov.Compute(ctx, sys, Query{Date: d})
		if err != nil {
			t.Fatal(err)
		}
		naive, err := cov.Compute(ctx, sys, Query{Date: d, Naive: true})
		if err != nil {
			t.Fatal(err)
		}
		if !SameCoverage(rep, naive) {
			for i := range rep.Suppliers {
				if !reflect.DeepEqual(rep.Suppliers[i], naive.Suppliers[i]) {
					for j := range rep.Suppliers[i].Models {
						if !reflect.DeepEqual(rep.Suppliers[i].Models[j], naive.Suppliers[i].Models[j]) {
							t.Errorf("aggregates and Device scan disagree:\n%+v\n%+v", rep.Suppliers[i].Models[j], naive.Suppliers[i].Models[j])
							break
						}
					}
					break
				}
			}
		}

		// Every installed Device of every Supplier is counted once, and the
		// SMETS2+ hubs are the DCC's.
		certified := map[string]sec.Date{}
		rows, err := db.QueryContext(ctx, `SELECT o.code || '/' || m.code, MIN(c.issued) FROM device_models m JOIN organisations o ON o.id = m.manufacturer_id
			JOIN cpa_certificates c ON c.model_id = m.id GROUP BY o.code, m.code`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var k string
			var c sec.Date
			if err := rows.Scan(&k, &c); err != nil {
				t.Fatal(err)
			}
			certified[k] = c
		}
		rows.Close()
		type expect struct{ devices, dcc, covered, steps, gap, exempt, dp087 int64 }
		want := map[string]*expect{}
		from := WindowOpenFrom(sec.DefaultSettings(), d)
		for _, g := range world {
			e := want[g.supplier]
			if e == nil {
				e = &expect{}
				want[g.supplier] = e
			}
			e.devices++
			r := g.row
			hub := r.Type == sec.CHF || r.Type == sec.GPF
			switch {
			case hub && r.Generation == sec.SMETS2:
				e.dcc++
			case r.Type == sec.IHD: // IHD out of scope
				e.exempt++
			case r.Generation == sec.SMETS1 && (r.EnrolledOn.IsZero() || sec.DateOf(r.EnrolledOn).After(d)):
				// seeds/001: User obligations for enrolled SMETS1 Devices only.
				e.exempt++
			case hub: // SMETS1 hubs: the DP087 known gap (v6.3 in force), its own status
				e.dp087++
			case (r.Type == sec.ESME || r.Type == sec.GSME) && !certified[r.Manufacturer+"/"+r.Model].IsZero() &&
				!certified[r.Manufacturer+"/"+r.Model].Before(sec.SchemeBuildStandardFrom):
				// seeds/000: the build standard reaches every manufacturer's
				// new meters certified from 22 June 2020, enrolled or not.
				e.covered++
			case g.supplier != sup:
				// No arrangements for other Suppliers except the scheme.
				if r.Manufacturer == scheme && !certified[r.Manufacturer+"/"+r.Model].Before(arrangement.SchemeBuildStandardFrom) {
					e.covered++
				} else if g.inherited && !g.start.Before(from) {
					e.steps++
				} else {
					e.gap++
				}
			case r.Manufacturer == direct:
				e.covered++
			case r.Manufacturer == scheme && !certified[r.Manufacturer+"/"+r.Model].Before(arrangement.SchemeBuildStandardFrom):
				e.covered++
			case r.Manufacturer == chain && r.MAP == mapCode:
				e.covered++
			case r.Manufacturer == loi:
				e.steps++
			case g.inherited && !g.start.Before(from):
				e.steps++
			default:
				e.gap++
			}
		}
		if len(rep.Suppliers) != len(want) {
			t.Errorf("%d Suppliers in the report, %d with Devices", len(rep.Suppliers), len(want))
		}
		for _, sc := range rep.Suppliers {
			e := want[sc.Supplier.Code]
			got := expect{sc.Totals.Devices, sc.Totals.DCC, sc.Totals.Covered, sc.Totals.Steps, sc.Totals.Gap, sc.Totals.Exempt, sc.Totals.DP087}
			if e == nil || got != *e {
				t.Errorf("%s: got %+v, want %+v", sc.Supplier.Code, got, e)
			}
		}
		t.Logf("%s: %+v; direct %s scheme %s chain %s via %s, loi %s", sup, want[sup], direct, scheme, chain, mapCode, loi)
		// The chosen Supplier's rows name the route the rules should take.
		sc := supplierOf(t, rep, sup)
		for _, mc := range sc.Models {
			for _, p := range mc.Parts {
				if p.Route == RouteBuildStandard {
					continue // the SSC scheme reaches the model before any other route is needed
				}
				switch m := mc.Manufacturer.Code; {
				case m == direct && p.Route != RouteDirect,
					m == loi && p.Route != RouteLoI,
					m == chain && p.MAP != nil && p.MAP.Code == mapCode && p.Route != RouteMAP:
					t.Errorf("%s/%s: part %+v", m, mc.Model.Code, p)
				}
			}
		}
	})
}
