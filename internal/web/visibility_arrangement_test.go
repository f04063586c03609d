package web_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/sec"
)

func init() {
	bySupplier := func(path string) func(w *world) []call {
		return func(*world) []call {
			return []call{{"GET", strings.ReplaceAll(path, "{}", "SUPA"), ""}, {"GET", strings.ReplaceAll(path, "{}", "SUPB"), ""}}
		}
	}
	register(map[string]visibilityCase{
		"GET /api/v1/arrangements":                     {calls: one("GET", "/api/v1/arrangements", ""), complete: true, Kind: "arrangement"},
		"POST /api/v1/arrangements":                    {calls: one("POST", "/api/v1/arrangements", `{}`)},
		"POST /api/v1/arrangements/import":             {calls: one("POST", "/api/v1/arrangements/import", "reference,kind\n")},
		"GET /api/v1/arrangements/{ref}":               {calls: each("arrangement", "GET", "/api/v1/arrangements/{}", "")},
		"PATCH /api/v1/arrangements/{ref}":             {calls: each("arrangement", "PATCH", "/api/v1/arrangements/{}", `{"expires": "1999-01-01"}`)},
		"POST /api/v1/arrangements/{ref}/confirm":      {calls: each("arrangement", "POST", "/api/v1/arrangements/{}/confirm", "")},
		"POST /api/v1/arrangements/{ref}/end":          {calls: each("arrangement", "POST", "/api/v1/arrangements/{}/end", `{"date": "1990-01-01"}`)},
		"POST /api/v1/arrangements/{ref}/evidence":     {calls: each("arrangement", "POST", "/api/v1/arrangements/{}/evidence?name=x.pdf", "MZ")},
		"GET /api/v1/arrangements/{ref}/evidence/{id}": {calls: each("evidence", "GET", "/api/v1/arrangements/{}", "")},
		"GET /api/v1/arrangement-alerts":               {calls: one("GET", "/api/v1/arrangement-alerts", ""), complete: true, Kind: "alert"},
		"GET /api/v1/coverage": {calls: func(w *world) []call {
			return append(bySupplier("/api/v1/coverage?supplier={}")(w), call{"GET", "/api/v1/coverage", ""})
		}},
		"GET /api/v1/coverage/rows": {calls: func(w *world) []call {
			return append(bySupplier("/api/v1/coverage/rows?supplier={}")(w), call{"GET", "/api/v1/coverage/rows", ""})
		}},
		"GET /api/v1/coverage/matrix":             {calls: one("GET", "/api/v1/coverage/matrix", "")},
		"GET /api/v1/coverage/{supplier}/history": {calls: bySupplier("/api/v1/coverage/{}/history")},
		"POST /api/v1/coverage/alerts":            {calls: one("POST", "/api/v1/coverage/alerts", `{"date": "1990-01-01"}`)},
		"GET /api/v1/obligations":                 {calls: each("device", "GET", "/api/v1/obligations?date=2025-06-15&device={}", "")},
		"GET /arrangements":                       {calls: one("GET", "/arrangements", ""), complete: true, Kind: "arrangement"},
		"GET /arrangements/new":                   {calls: one("GET", "/arrangements/new", "")},
		"POST /arrangements":                      {calls: one("POST", "/arrangements", "kind=")},
		"POST /arrangements/import":               {calls: one("POST", "/arrangements/import", "x")},
		"GET /arrangements/{ref}":                 {calls: each("arrangement", "GET", "/arrangements/{}", "")},
		"POST /arrangements/{ref}":                {calls: each("arrangement", "POST", "/arrangements/{}", "expires=1999-01-01")},
		"POST /arrangements/{ref}/confirm":        {calls: each("arrangement", "POST", "/arrangements/{}/confirm", "")},
		"POST /arrangements/{ref}/end":            {calls: each("arrangement", "POST", "/arrangements/{}/end", "date=1990-01-01")},
		"POST /arrangements/{ref}/evidence":       {calls: each("arrangement", "POST", "/arrangements/{}/evidence", "x")},
		"GET /arrangements/{ref}/evidence/{id}":   {calls: each("evidence", "GET", "/arrangements/{}", "")},
		"GET /arrangement-alerts":                 {calls: one("GET", "/arrangement-alerts", ""), complete: true, Kind: "alert"},
		"GET /coverage": {calls: func(w *world) []call {
			return []call{{"GET", "/coverage", ""}, {"GET", "/coverage?date=2025-06-15", ""}}
		}, complete: true, Kind: "coverage"},
		"GET /coverage/{supplier}": {calls: bySupplier("/coverage/{}?date=2025-06-15")},
		"GET /obligations":         {calls: each("device", "GET", "/obligations?date=2025-06-15&device={}", "")},
	})
	seeders = append(seeders, seedArrangements)
}

// seedArrangements adds arrangements of every classification between the
// world's organisations, evidence files, alerts, portfolios for both
// Suppliers, and Devices of each. Each arrangement's title and materiality
// carry its marker; evidence content and Devices are literals.
func seedArrangements(w *world) {
	ctx := context.Background()
	org := func(name string) int64 { return w.byRole[name].Caller.OrgID }
	supA, supB, manA, manB, mapA := org("supplierA"), org("supplierB"), org("manufacturer"), org("manufacturerB"), org("map")
	now := time.Now().UTC()
	firmware := map[int64]int64{}
	model := func(mfr int64, code string, typ sec.DeviceType) int64 {
		var id int64
		if err := w.db.Writer().QueryRow(`INSERT INTO device_models (manufacturer_id, code, name, device_type, generation, hardware_version, created_at, updated_at)
			VALUES ($1, $2, $3, $4, 'SMETS2+', '1.0', $5, $5) RETURNING id`, mfr, code, "Model "+code, typ, now).Scan(&id); err != nil {
			w.t.Fatal(err)
		}
		var fw, cert int64
		if err := w.db.Writer().QueryRow(`INSERT INTO firmware_versions (model_id, version, created_at, updated_at) VALUES ($1, '1.0', $2, $2) RETURNING id`,
			id, now).Scan(&fw); err != nil {
			w.t.Fatal(err)
		}
		if err := w.db.Writer().QueryRow(`INSERT INTO cpa_certificates (model_id, reference, issued, kind, expires, created_at, updated_at)
			VALUES ($1, $2, '2021-01-01', 'expiring', '2030-01-01', $3, $3) RETURNING id`, id, "CPA-"+code, now).Scan(&cert); err != nil {
			w.t.Fatal(err)
		}
		w.exec(`INSERT INTO cpa_certificate_firmware (certificate_id, firmware_id) VALUES ($1, $2)`, cert, fw)
		firmware[id] = fw
		return id
	}
	m1, m2, n1 := model(manA, "M1", sec.ESME), model(manA, "M2", sec.CHF), model(manB, "N1", sec.GSME)
	f1, f2, g1 := firmware[m1], firmware[m2], firmware[n1]

	svc := arrangement.NewService(w.db)
	svc.Today = func(time.Time) sec.Date { return sec.MustParseDate("2025-06-15") }
	add := func(ref, kind string, class sec.Classification, in arrangement.Input, aud sec.Audience) int64 {
		in.Reference, in.Kind = ref, kind
		in.Title = "Arrangement " + marker("arrangement", ref)
		in.Materiality = "Material means " + marker("arrangement", ref)
		in.Signed, in.Effective, in.AllModels = "2024-01-01", "2024-01-01", true
		if class != sec.Red {
			in.Classification = string(class)
		}
		a, err := svc.Create(ctx, w.sys, in)
		if err != nil {
			w.t.Fatalf("seed %s: %v", ref, err)
		}
		if class == sec.Red {
			w.exec("UPDATE arrangements SET classification = 'RED' WHERE id = $1", a.ID)
		}
		w.addRecord("arrangement", ref, class, aud)
		return a.ID
	}
	orgs := func(ids ...int64) sec.Audience { return sec.Audience{Orgs: ids} }
	add("AW", "supplier_manufacturer", sec.White, arrangement.Input{Supplier: "SUPA", Manufacturer: "MANA"}, orgs(supA, manA))
	add("AG", "supplier_map", sec.Green, arrangement.Input{Supplier: "SUPB", MAP: "MAPA"}, orgs(supB, mapA))
	aa1 := add("AA1", "supplier_map", sec.Amber, arrangement.Input{Supplier: "SUPA", MAP: "MAPA"}, orgs(supA, mapA))
	add("AA2", "loi", sec.Amber, arrangement.Input{Supplier: "SUPB", Manufacturer: "MANB"}, orgs(supB, manB))
	add("AA3", "map_manufacturer", sec.Amber, arrangement.Input{MAP: "MAPA", Manufacturer: "MANB"}, orgs(mapA, manB))
	add("AS", "ssc_scheme", sec.Amber, arrangement.Input{Manufacturer: "MANB"}, orgs(manB))
	ssc := w.byRole["ssc"].Caller.UserID
	ar := add("AR", "supplier_manufacturer", sec.Red, arrangement.Input{Supplier: "SUPA", Manufacturer: "MANB"}, sec.Audience{Users: []int64{ssc}})
	w.exec("INSERT INTO audience_users (record_kind, record_id, user_id) VALUES ('arrangement', $1, $2)", ar, ssc)

	// Evidence: the downloads carry literals; only the arrangement's
	// audience may fetch them.
	for _, e := range []struct {
		ref   string
		id    int64
		class sec.Classification
		aud   sec.Audience
	}{{"AA1", aa1, sec.Amber, orgs(supA, mapA)}, {"AR", ar, sec.Red, sec.Audience{Users: []int64{ssc}}}} {
		lit := "EVIDENCE-CONTENT-OF-" + e.ref + "-QX"
		ev, err := svc.AddEvidence(ctx, w.sys, e.ref, "letter.txt", strings.NewReader("Signed letter. "+lit+"\n"))
		if err != nil {
			w.t.Fatal(err)
		}
		w.addLiteral("evidence", fmt.Sprintf("%s/evidence/%d", e.ref, ev.ID), lit, e.class, e.aud)
	}

	// Alerts: one to each of SUPA, MANA and the SSC, AMBER to the recipient.
	for _, a := range []struct {
		key string
		org int64
	}{{"toSUPA", supA}, {"toMANA", manA}, {"toSSC", w.byRole["ssc"].Caller.OrgID}} {
		w.exec(`INSERT INTO arrangement_alerts (org_id, kind, title, body, classification, alert_key, created_at)
			VALUES ($1, 'coverage.gap', $2, 'body', 'AMBER', $3, $4)`, a.org, "Alert "+marker("alert", a.key), a.key, now)
		w.addRecord("alert", a.key, sec.Amber, orgs(a.org))
	}

	// Portfolios of both Suppliers. A Supplier's coverage is AMBER to the
	// Supplier: its literal is the link to it (only the SSC's matrix and the
	// Supplier itself show it), since other areas add to the portfolios too.
	w.exec(`INSERT INTO portfolio (supplier_id, model_id, firmware_id, map_id, generation, device_type, devices) VALUES
		($1, $2, $7, $3, 'SMETS2+', 'ESME', 5000), ($1, $4, $8, 0, 'SMETS2+', 'CHF', 2000), ($1, $5, $9, $3, 'SMETS2+', 'GSME', 771),
		($6, $5, $9, 0, 'SMETS2+', 'GSME', 8000), ($6, $2, $7, $3, 'SMETS2+', 'ESME', 883)`, supA, m1, mapA, m2, n1, supB, f1, f2, g1)
	w.exec(`INSERT INTO portfolio_inherited (supplier_id, model_id, map_id, supply_start, devices) VALUES ($1, $2, $3, '2025-05-01', 80)`, supB, m1, mapA)
	w.addLiteral("coverage", "SUPA", `href="/coverage/SUPA`, sec.Amber, orgs(supA))
	w.addLiteral("coverage", "SUPB", `href="/coverage/SUPB`, sec.Amber, orgs(supB))

	// Devices, seen by their Supplier, MAP and manufacturer.
	for _, d := range []struct {
		id                  int64
		model, supplier, mp int64
		manufacturer, fw    int64
	}{{0x0A1B2C3D4E5F6071, m1, supA, mapA, manA, f1}, {0x0A1B2C3D4E5F6072, n1, supB, 0, manB, g1}} {
		var mp any
		aud := orgs(d.supplier, d.manufacturer)
		if d.mp != 0 {
			mp = d.mp
			aud.Orgs = append(aud.Orgs, d.mp)
		}
		w.exec(`INSERT INTO devices (id, model_id, firmware_id, map_id, premises, status, supplier_id, supply_start, inherited, firmware_since)
			VALUES ($1, $2, $5, $3, 'domestic', 'installed', $4, '2022-01-01', FALSE, '2022-01-01')`, d.id, d.model, mp, d.supplier, d.fw)
		id := estate.DeviceIDFromInt64(d.id).String()
		w.addLiteral("device", id, id, sec.Amber, aud)
	}
	_ = access.Caller{}
}
