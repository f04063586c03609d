package web_test

import (
	"fmt"
	"time"

	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/sec"
)

func init() {
	register(map[string]visibilityCase{
		"GET /api/v1/devices/{id}":             {calls: each("estdevice", "GET", "/api/v1/devices/{}", "")},
		"GET /api/v1/devices/{id}/responsible": {calls: each("estdevice", "GET", "/api/v1/devices/{}/responsible?date=2024-06-01", "")},
		// An unknown version: refused after the Device is found and the
		// caller allowed, naming the model.
		"POST /api/v1/devices/{id}/firmware": {calls: each("estdevice", "POST", "/api/v1/devices/{}/firmware", `{"firmware": "no-such-version"}`)},
		// Every seeded Device is installed: a conflict once it is found.
		"POST /api/v1/devices/{id}/status": {calls: each("estdevice", "POST", "/api/v1/devices/{}/status", `{"status": "installed"}`)},
		// Refused before the Supplier change is tried: it belongs to the
		// churn half of the service.
		"POST /api/v1/devices/{id}/supplier": {calls: each("estdevice", "POST", "/api/v1/devices/{}/supplier", `{"new_supplier": "SUPB", "effective_date": "2012-01-01"}`)},
		// 2012 is before every seeded Device's MAP ownership began: refused
		// once the Device is found and the caller allowed.
		"POST /api/v1/devices/{id}/map": {calls: each("estdevice", "POST", "/api/v1/devices/{}/map", `{"new_map": "MAPA", "effective_date": "2012-01-01"}`)},
		"POST /devices/{id}/map":        {calls: each("estdevice", "POST", "/devices/{}/map", "new_map=MAPA&effective_date=2012-01-01")},
		"POST /api/v1/estate/devices":   {calls: one("POST", "/api/v1/estate/devices", "")},
		"POST /api/v1/estate/churn":     {calls: one("POST", "/api/v1/estate/churn", "")},
		"POST /api/v1/estate/transfers": {calls: one("POST", "/api/v1/estate/transfers", `{"from": "", "to": ""}`)},
		"GET /api/v1/portfolio":         {calls: one("GET", "/api/v1/portfolio", ""), complete: true, Kind: "estmodel"},
		"GET /api/v1/estate/verify":     {calls: one("GET", "/api/v1/estate/verify", "")},

		"GET /estate": {calls: func(w *world) []call {
			return []call{{"GET", "/estate", ""}, {"GET", "/estate?device=00-11", ""}}
		}},
		"GET /devices/{id}":           {calls: each("estdevice", "GET", "/devices/{}?date=2024-06-01", "")},
		"POST /devices/{id}/firmware": {calls: each("estdevice", "POST", "/devices/{}/firmware", "firmware=no-such-version")},
		"POST /devices/{id}/status":   {calls: each("estdevice", "POST", "/devices/{}/status", "status=installed")},
		"POST /devices/{id}/supplier": {calls: each("estdevice", "POST", "/devices/{}/supplier", "new_supplier=SUPB&effective_date=2012-01-01")},
		// Filters on another's code find nothing more than the caller sees.
		"GET /portfolio": {calls: func(w *world) []call {
			return []call{{"GET", "/portfolio", ""}, {"GET", "/portfolio?supplier=SUPA", ""}, {"GET", "/portfolio?manufacturer=MANB&map=MAPA", ""}}
		}},
		"GET /portfolio.csv":          {calls: one("GET", "/portfolio.csv", ""), complete: true, Kind: "estmodel"},
		"GET /estate/import":          {calls: one("GET", "/estate/import", "")},
		"POST /estate/import/devices": {calls: one("POST", "/estate/import/devices", "x=1")},
		"POST /estate/import/churn":   {calls: one("POST", "/estate/import/churn", "x=1")},
	})
	seeders = append(seeders, seedEstate)
}

// seedEstate adds installed Devices of each Supplier, MAP and manufacturer,
// one SMETS2+ Communications Hub (the DCC's), with supply history. Each has
// a model of its own whose code is a literal: it appears in the portfolio
// only with the Device, so the portfolio routes are checked too. The models
// are AMBER in the catalogue to the Device's parties, so the catalogue shows
// them to no one else. Device IDs (kind estdevice) are literals, AMBER to the Device's
// current Supplier, its MAP, its manufacturer and, for the hub, the DCC.
func seedEstate(w *world) {
	org := func(name string) int64 { return w.byRole[name].Caller.OrgID }
	supA, supB, manA, manB, mapA, dcc := org("supplierA"), org("supplierB"), org("manufacturer"), org("manufacturerB"), org("map"), org("dcc")
	now := time.Now().UTC()
	for i, d := range []struct {
		supplier, manufacturer, mp int64
		typ                        sec.DeviceType
		gen                        sec.Generation
		start                      string
		inherited                  bool
		before                     int64 // the previous Supplier, 0 for none
	}{
		{supA, manA, mapA, sec.ESME, sec.SMETS2, "2022-01-01", false, 0},
		{supB, manB, 0, sec.GSME, sec.SMETS2, "2021-05-01", false, 0},
		{supB, manB, 0, sec.CHF, sec.SMETS2, "2021-05-01", false, 0},
		{supA, manA, 0, sec.CHF, sec.SMETS1, "2019-01-01", false, 0},
		{supB, manA, mapA, sec.ESME, sec.SMETS2, "2024-03-01", true, supA},
	} {
		n := i + 1
		code := fmt.Sprintf("EST-MOD-%d", n)
		var model, fw int64
		if err := w.db.Writer().QueryRow(`INSERT INTO device_models (manufacturer_id, code, name, device_type, generation, hardware_version, classification, created_at, updated_at)
			VALUES ($1, $2, 'Estate model', $3, $4, '1.0', 'AMBER', $5, $5) RETURNING id`, d.manufacturer, code, d.typ, d.gen, now).Scan(&model); err != nil {
			w.t.Fatal(err)
		}
		if err := w.db.Writer().QueryRow(`INSERT INTO firmware_versions (model_id, version, created_at, updated_at) VALUES ($1, '4.0.1', $2, $2) RETURNING id`,
			model, now).Scan(&fw); err != nil {
			w.t.Fatal(err)
		}
		aud := sec.Audience{Orgs: []int64{d.supplier, d.manufacturer}}
		if d.mp != 0 {
			aud.Orgs = append(aud.Orgs, d.mp)
		}
		if d.gen == sec.SMETS2 && d.typ.IsCommsHub() {
			aud.Orgs = append(aud.Orgs, dcc)
		}
		for _, o := range aud.Orgs {
			if o != d.manufacturer {
				w.exec("INSERT INTO audience_orgs (record_kind, record_id, org_id) VALUES ($1, $2, $3)", catalogue.KindModel, model, o)
			}
		}
		id := estate.DeviceID(0x5EED000000000000 + uint64(n))
		var mp any
		if d.mp != 0 {
			mp = d.mp
		}
		w.exec(`INSERT INTO devices (id, model_id, firmware_id, map_id, premises, status, supplier_id, supply_start, inherited, firmware_since)
			VALUES ($1, $2, $3, $4, 'domestic', 'installed', $5, $6, $7, '2021-01-01')`, id.Int64(), model, fw, mp, d.supplier, d.start, d.inherited)
		if d.before != 0 {
			w.exec(`INSERT INTO supply_periods (device_id, start, "end", supplier_id) VALUES ($1, '2020-01-01', $2, $3)`, id.Int64(), d.start, d.before)
		}
		w.exec(`INSERT INTO portfolio (supplier_id, model_id, firmware_id, map_id, generation, device_type, devices) VALUES ($1, $2, $3, $4, $5, $6, 1)`,
			d.supplier, model, fw, d.mp, d.gen, d.typ)
		if d.inherited {
			w.exec(`INSERT INTO portfolio_inherited (supplier_id, model_id, map_id, supply_start, devices) VALUES ($1, $2, $3, $4, 1)`,
				d.supplier, model, d.mp, d.start)
		}
		// Routes name the Device in the compact form, so a page echoing
		// its path shows no literal; responses write the canonical form.
		w.addLiteral("estdevice", fmt.Sprintf("%016x", uint64(id)), id.String(), sec.Amber, aud)
		w.addLiteral("estmodel", code, code, sec.Amber, aud)
	}
}
