package web_test

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/triage"
)

func init() {
	fac := func(method, path, body string) func(w *world) []call { return eachID("tfacility", method, path, body) }
	register(map[string]visibilityCase{
		"GET /api/v1/triage/facilities":                 {calls: one("GET", "/api/v1/triage/facilities", ""), complete: true, Kind: "tfacility"},
		"POST /api/v1/triage/facilities":                {calls: one("POST", "/api/v1/triage/facilities", `{"name": "", "address": ""}`)},
		"GET /api/v1/triage/facilities/{id}":            {calls: fac("GET", "/api/v1/triage/facilities/{}", "")},
		"POST /api/v1/triage/facilities/{id}/decisions": {calls: fac("POST", "/api/v1/triage/facilities/{}/decisions", `{"event": "no_such_event"}`)},
		"POST /api/v1/triage/facilities/{id}/policy":    {calls: fac("POST", "/api/v1/triage/facilities/{}/policy", `{"breach_policy": "sometimes"}`)},
		"GET /api/v1/triage/facilities/{id}/tools":      {calls: fac("GET", "/api/v1/triage/facilities/{}/tools", "")},
		"POST /api/v1/triage/facilities/{id}/tools":     {calls: fac("POST", "/api/v1/triage/facilities/{}/tools", `{"category": "spanner"}`)},
		"POST /api/v1/triage/tools/{id}/operators":      {calls: eachID("ttool", "POST", "/api/v1/triage/tools/{}/operators", `{"email": "nobody@example.org"}`)},
		"GET /api/v1/triage/facilities/{id}/entries":    {calls: fac("GET", "/api/v1/triage/facilities/{}/entries?limit=2", "")},
		"POST /api/v1/triage/facilities/{id}/entries":   {calls: fac("POST", "/api/v1/triage/facilities/{}/entries", `{"device_id": "zz-no-device", "step": "receive"}`)},
		"POST /api/v1/triage/facilities/{id}/intake":    {calls: fac("POST", "/api/v1/triage/facilities/{}/intake", "device_id\n")},
		"GET /api/v1/triage/facilities/{id}/verify":     {calls: fac("GET", "/api/v1/triage/facilities/{}/verify", "")},
		"GET /api/v1/triage/facilities/{id}/report":     {calls: fac("GET", "/api/v1/triage/facilities/{}/report", "")},
		"GET /api/v1/triage/overview":                   {calls: one("GET", "/api/v1/triage/overview", ""), complete: true, Kind: "tfacility"},
		"GET /api/v1/triage/outcomes":                   {calls: one("GET", "/api/v1/triage/outcomes", "")},
		"GET /api/v1/triage/devices/{id}":               {calls: each("tdevice", "GET", "/api/v1/triage/devices/{}", "")},
		"GET /triage":                                   {calls: one("GET", "/triage", "")},
		"GET /triage/facilities":                        {calls: one("GET", "/triage/facilities", ""), complete: true, Kind: "tfacility"},
		"GET /triage/facilities/{id}/tools":             {calls: fac("GET", "/triage/facilities/{}/tools", "")},
		"GET /triage/facilities/{id}/record":            {calls: fac("GET", "/triage/facilities/{}/record", "")},
		"GET /triage/devices":                           {calls: one("GET", "/triage/devices", "")},
		"GET /triage/outcomes":                          {calls: one("GET", "/triage/outcomes", "")},
		"GET /api/v1/triage/devices":                    {calls: one("GET", "/api/v1/triage/devices", "")},
		"POST /triage/facilities":                       {calls: one("POST", "/triage/facilities", "name=")},
		"GET /triage/facilities/{id}":                   {calls: fac("GET", "/triage/facilities/{}", "")},
		"POST /triage/facilities/{id}/decisions":        {calls: fac("POST", "/triage/facilities/{}/decisions", "event=no_such_event")},
		"POST /triage/facilities/{id}/tools":            {calls: fac("POST", "/triage/facilities/{}/tools", "category=spanner")},
		"POST /triage/facilities/{id}/intake":           {calls: fac("POST", "/triage/facilities/{}/intake", "x=1")},
		"GET /triage/facilities/{id}/scan":              {calls: scanCalls},
		"POST /triage/facilities/{id}/scan":             {calls: fac("POST", "/triage/facilities/{}/scan", "device_id=zz-no-device&step=receive")},
		"GET /triage/devices/{id}":                      {calls: each("tdevice", "GET", "/triage/devices/{}", "")},
	})
	seeders = append(seeders, seedTriage)
}

// scanCalls asks each facility's scanning page about each seeded Device.
func scanCalls(w *world) []call {
	var out []call
	for _, f := range w.keys["tfacility"] {
		for _, d := range w.keys["tdevice"] {
			out = append(out, call{"GET", "/triage/facilities/" + strconv.FormatInt(w.ids[f.Marker], 10) + "/scan?device=" + d.Key, ""})
		}
	}
	return out
}

// seedTriage gives the triage viewer's organisation (TRIA) an operating
// facility with a tool and an interface, and receives two Devices there: one
// of Supplier A, found with a breached boundary, and one of Supplier B. A
// second facility, of no one signed in, is only applied for. The facility
// is AMBER to its provider; each entry AMBER to the provider and the Device's
// Supplier; each Device (a literal) to those and its manufacturer.
func seedTriage(w *world) {
	ctx := context.Background()
	org := func(name string) int64 { return w.byRole[name].Caller.OrgID }
	tria, supA, supB, manA := org("triage"), org("supplierA"), org("supplierB"), org("manufacturer")
	now := time.Now().UTC()
	var model, fw int64
	if err := w.db.Writer().QueryRow(`INSERT INTO device_models (manufacturer_id, code, name, device_type, generation, hardware_version, classification, created_at, updated_at)
		VALUES ($1, 'TRI-MOD-1', 'Triage model', 'ESME', 'SMETS2+', '1.0', 'GREEN', $2, $2) RETURNING id`, manA, now).Scan(&model); err != nil {
		w.t.Fatal(err)
	}
	if err := w.db.Writer().QueryRow(`INSERT INTO firmware_versions (model_id, version, created_at, updated_at) VALUES ($1, '1.0', $2, $2) RETURNING id`,
		model, now).Scan(&fw); err != nil {
		w.t.Fatal(err)
	}
	devices := map[int64]estate.DeviceID{supA: estate.DeviceID(0x7E1A00000000AA01), supB: estate.DeviceID(0x7E1A00000000AA02)}
	for sup, id := range devices {
		w.exec(`INSERT INTO devices (id, model_id, firmware_id, premises, status, supplier_id, supply_start, firmware_since)
			VALUES ($1, $2, $3, 'domestic', 'installed', $4, '2023-01-01', '2023-01-01')`, id.Int64(), model, fw, sup)
		w.exec(`INSERT INTO portfolio (supplier_id, model_id, firmware_id, map_id, generation, device_type, devices) VALUES ($1, $2, $3, 0, 'SMETS2+', 'ESME', 1)`,
			sup, model, fw)
		// The platform administrators are in the audience as readers of
		// the audit trail, whose object ids name the Devices the estate
		// moved into triage (audit.List).
		w.addLiteral("tdevice", fmt.Sprintf("%016x", uint64(id)), id.String(), sec.Amber, sec.Audience{Orgs: []int64{tria, sup, manA, org("admin")}})
	}
	svc := triage.NewService(w.db)
	f, err := svc.Apply(ctx, w.sys, triage.NewFacility{Provider: "TRIA", Name: "Bench " + marker("tfacility", "F1"), Address: "1 Triage Way"})
	if err != nil {
		w.t.Fatal(err)
	}
	w.addRecord("tfacility", "F1", sec.Amber, sec.Audience{Orgs: []int64{tria}})
	w.setID(marker("tfacility", "F1"), f.ID)
	for _, ev := range []sec.FacilityEvent{sec.FacilityBeginFUSA, sec.FacilityApprove, sec.FacilityStartOperating} {
		if _, err := svc.Decide(ctx, w.sys, f.ID, triage.Decision{Event: ev}); err != nil {
			w.t.Fatal(err)
		}
	}
	op := w.byRole["triage"].Caller
	for _, ti := range []triage.ToolInput{
		{Category: "tool", Serial: "TT1", Kind: "tool " + marker("ttool", "T1"), Operators: []string{op.Name}},
		{Category: "interface", Serial: "TI1", Kind: "port " + marker("ttool", "I1"), Operators: []string{op.Name}},
	} {
		t, err := svc.RegisterTool(ctx, w.sys, f.ID, ti)
		if err != nil {
			w.t.Fatal(err)
		}
		key := "T1"
		if ti.Category == "interface" {
			key = "I1"
		}
		w.addRecord("ttool", key, sec.Amber, sec.Audience{Orgs: []int64{tria}})
		w.setID(marker("ttool", key), t.ID)
	}
	for sup, id := range devices {
		key := "R" + strconv.FormatInt(sup, 10)
		if _, err := svc.Record(ctx, op, f.ID, triage.StepInput{DeviceID: id, Step: sec.StepReceive, Tool: "TT1", Interface: "TI1",
			ReceivedFrom: "depot " + marker("tentry", key)}); err != nil {
			w.t.Fatal(err)
		}
		w.addRecord("tentry", key, sec.Amber, sec.Audience{Orgs: []int64{tria, sup}})
	}
	if _, err := svc.Record(ctx, op, f.ID, triage.StepInput{DeviceID: devices[supA], Step: sec.StepBoundaryCheck, Tool: "TT1", Interface: "TI1",
		Outer: "breached", Inner: "intact", Reason: "battery alert " + marker("tentry", "B1")}); err != nil {
		w.t.Fatal(err)
	}
	w.addRecord("tentry", "B1", sec.Amber, sec.Audience{Orgs: []int64{tria, supA}})

	// A facility applied for by another provider, seen by the SSC only.
	w.exec(`INSERT INTO organisations (code, name, classification, created_at, updated_at) VALUES ('TRIB', 'Other triage', 'GREEN', $1, $1)`, now)
	w.exec(`INSERT INTO organisation_roles (org_id, role) SELECT id, 'triage_facility_provider' FROM organisations WHERE code = 'TRIB'`)
	g, err := svc.Apply(ctx, w.sys, triage.NewFacility{Provider: "TRIB", Name: "Other " + marker("tfacility", "F2"), Address: "2 Triage Way"})
	if err != nil {
		w.t.Fatal(err)
	}
	var trib int64
	if err := w.db.QueryRowContext(ctx, "SELECT id FROM organisations WHERE code = 'TRIB'").Scan(&trib); err != nil {
		w.t.Fatal(err)
	}
	w.addRecord("tfacility", "F2", sec.Amber, sec.Audience{Orgs: []int64{trib}})
	w.setID(marker("tfacility", "F2"), g.ID)
}
