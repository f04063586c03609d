package web_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/report"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
	"github.com/metersec/metersec/internal/uk"
)

// reportFiles calls one route per seeded report and format.
func reportFiles(w *world) []call {
	var out []call
	for _, kind := range []string{"report", "standing"} {
		for _, k := range w.keys[kind] {
			for _, f := range report.Formats {
				out = append(out, call{"GET", "/api/v1/reports/" + k.Key + "/files/" + string(f), ""})
			}
		}
	}
	return out
}

// standingTables calls the CSV of some tables of every seeded report (a
// monthly report has none: not found).
func standingTables(w *world) []call {
	var out []call
	for _, kind := range []string{"report", "standing"} {
		for _, k := range w.keys[kind] {
			for _, table := range []string{"summary", "certificate-devices", "unacknowledged", "churn"} {
				out = append(out, call{"GET", "/api/v1/reports/" + k.Key + "/tables/" + table, ""})
			}
		}
	}
	return out
}

// eachReport calls path (with {} for the id) for every seeded report,
// monthly and standing.
func eachReport(method, path string) func(w *world) []call {
	return func(w *world) []call {
		var out []call
		for _, kind := range []string{"report", "standing"} {
			for _, k := range w.keys[kind] {
				out = append(out, call{method, strings.ReplaceAll(path, "{}", k.Key), ""})
			}
		}
		if len(out) == 0 {
			w.t.Fatal("no seeded reports")
		}
		return out
	}
}

func init() {
	register(map[string]visibilityCase{
		"GET /api/v1/reports":                     {calls: one("GET", "/api/v1/reports", ""), complete: true, Kind: "report"},
		"GET /api/v1/reports/{id}":                {calls: eachReport("GET", "/api/v1/reports/{}"), Duty: namedByDuty},
		"GET /api/v1/reports/{id}/files/{format}": {calls: reportFiles, Duty: namedByDuty},
		"GET /api/v1/report-runs":                 {calls: one("GET", "/api/v1/report-runs", "")},
		"GET /api/v1/reports/{id}/tables/{table}": {calls: standingTables, Duty: namedByDuty},
		"POST /api/v1/reports/monthly":            {calls: one("POST", "/api/v1/reports/monthly", `{"month": "bad"}`)},
		"POST /api/v1/reports/standing":           {calls: one("POST", "/api/v1/reports/standing", `{"month": "bad"}`)},
		"GET /reports":                            {calls: one("GET", "/reports", ""), complete: true, Kind: "report"},
		"GET /reports/{id}":                       {calls: eachReport("GET", "/reports/{}"), Duty: namedByDuty},
		"POST /reports/monthly":                   {calls: one("POST", "/reports/monthly", "month=bad")},
		"GET /reports/standing":                   {calls: one("GET", "/reports/standing", ""), complete: true, Kind: "standing"},
		"POST /reports/standing":                  {calls: one("POST", "/reports/standing", "month=bad")},
	})
	seeders = append(seeders, seedReports)
}

// reportSeed is what seedReports made, for the scenario tests.
type reportSeed struct {
	month report.Month
	ids   map[string]int64 // by reference
	// recipient is each monthly report's recipient organisation, and named
	// the organisations its duty names (by code), by report id.
	recipient map[int64]int64
	named     map[int64][]string
}

// namedByDuty allows a party's marker in a monthly report to the report's
// recipient when the report's duty names that party (seeds/000: every
// manufacturer to every Supplier; the Suppliers operating its Devices to a
// manufacturer), whatever the party's directory marking. Nobody else gets
// the allowance: anyone else must be allowed the record by its marking.
func namedByDuty(w *world, v *viewer, c call, marker string) bool {
	seed := reportSeeds[w]
	parts := strings.Split(strings.TrimPrefix(strings.TrimPrefix(c.Path, "/api/v1"), "/reports/"), "/")
	id, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil || seed == nil || seed.recipient[id] == 0 || v.Caller.OrgID != seed.recipient[id] {
		return false
	}
	for _, code := range seed.named[id] {
		if marker == "VM~party~"+code+"~" {
			return true
		}
	}
	return false
}

// dirEntry is an organisation's directory marking and audience, read from
// the tables (the world's facts, not the code under test).
func dirEntry(w *world, id int64) (sec.Classification, sec.Audience) {
	var class sec.Classification
	if err := w.db.Writer().QueryRow("SELECT classification FROM organisations WHERE id = $1", id).Scan(&class); err != nil {
		w.t.Fatal(err)
	}
	aud := sec.Audience{Orgs: []int64{id}}
	for _, q := range []string{"SELECT org_id FROM audience_orgs WHERE record_kind = 'party' AND record_id = $1",
		"SELECT user_id FROM audience_users WHERE record_kind = 'party' AND record_id = $1"} {
		rows, err := w.db.Writer().Query(q, id)
		if err != nil {
			w.t.Fatal(err)
		}
		for rows.Next() {
			var x int64
			rows.Scan(&x)
			if strings.Contains(q, "audience_orgs") {
				aud.Orgs = append(aud.Orgs, x)
			} else {
				aud.Users = append(aud.Users, x)
			}
		}
		rows.Close()
	}
	return class, aud
}

var (
	reportSeedsMu sync.Mutex
	reportSeeds   = map[*world]*reportSeed{}
)

// seedReports runs last month's mailing and standing report over a
// month-end snapshot of its own: two Suppliers of its own operate models of
// manufacturer (GREEN, AMBER and RED models) and manufacturerB. The
// Suppliers' names and the models' names are literals whose audience is who
// may know them: a Supplier's name is its own and that of the manufacturers
// whose Devices it operates (the SSC's duty, seeds/000); a model's name
// follows its catalogue marking. Every report is registered by its
// reference: AMBER to its recipient, or RED to the SSC members.
func seedReports(w *world) {
	ctx := context.Background()
	m := report.MonthAt(time.Now().In(uk.London)).Add(-1)
	seed := &reportSeed{month: m, ids: map[string]int64{}, recipient: map[int64]int64{}, named: map[int64][]string{}}
	reportSeedsMu.Lock()
	reportSeeds[w] = seed
	reportSeedsMu.Unlock()
	parties := &party.Service{DB: w.db}
	mana, manb := w.byRole["manufacturer"].Caller, w.byRole["manufacturerB"].Caller
	ssc := w.byRole["ssc"].Caller.UserID

	sup := map[string]party.Party{}
	for _, s := range []struct{ code, name, role string }{{"RPS1", "Report Supplier One", "large_supplier"}, {"RPS2", "Report Supplier Two", "small_supplier"}} {
		p, err := parties.Create(ctx, w.sys, party.NewParty{Code: s.code, Name: s.name, Roles: []string{s.role}})
		if err != nil {
			w.t.Fatal(err)
		}
		sup[s.code] = p
	}
	w.addLiteral("rsupplier", "RPS1", "Report Supplier One", sec.Amber, sec.Audience{Orgs: []int64{sup["RPS1"].ID, mana.OrgID}})
	w.addLiteral("rsupplier", "RPS2", "Report Supplier Two", sec.Amber, sec.Audience{Orgs: []int64{sup["RPS2"].ID, manb.OrgID}})
	// A Supplier whose directory entry is RED, naming the first SSC member
	// only: the duty still names it to MANA, whose Devices it operates
	// (issue 13 point 6), and to no one else.
	crimson, err := parties.Create(ctx, w.sys, party.NewParty{Code: "RPS3", Name: "Report Supplier Crimson", Roles: []string{"large_supplier"}, Classification: "RED"})
	if err != nil {
		w.t.Fatal(err)
	}
	sup["RPS3"] = crimson
	w.exec("INSERT INTO audience_users (record_kind, record_id, user_id) VALUES ('party', $1, $2)", crimson.ID, ssc)
	w.addLiteral("rsupplier", "RPS3", "Report Supplier Crimson", sec.Red, sec.Audience{Users: []int64{ssc, mana.UserID}})

	cat := &catalogue.Service{DB: w.db}
	model := func(mfr string, mfrID int64, class sec.Classification, name string) int64 {
		md, err := cat.CreateModel(ctx, w.sys, catalogue.ModelInput{Manufacturer: mfr, Code: "R" + string(class)[:1] + mfr,
			DeviceType: "GSME", Generation: "SMETS1", Hardware: "1"})
		if err != nil {
			w.t.Fatal(err)
		}
		w.exec("UPDATE device_models SET name = $1, classification = $2 WHERE id = $3", name, string(class), md.ID)
		aud := sec.Audience{Orgs: []int64{mfrID}}
		if class == sec.Red {
			w.exec("INSERT INTO audience_users (record_kind, record_id, user_id) VALUES ($1, $2, $3)", catalogue.KindModel, md.ID, ssc)
			aud.Users = []int64{ssc}
		}
		w.addLiteral("rmodel", name, name, class, aud)
		return md.ID
	}
	green := model("MANA", mana.OrgID, sec.Green, "Reportmodel Green Alpha")
	amber := model("MANA", mana.OrgID, sec.Amber, "Reportmodel Amber Alpha")
	red := model("MANA", mana.OrgID, sec.Red, "Reportmodel Red Alpha")
	greenB := model("MANB", manb.OrgID, sec.Green, "Reportmodel Green Beta")

	// The month's snapshot, as the scheduled job would have taken it.
	rows := []struct{ supplier, model, devices int64 }{
		{sup["RPS1"].ID, green, 1111}, {sup["RPS1"].ID, amber, 2222}, {sup["RPS1"].ID, red, 3333}, {sup["RPS2"].ID, greenB, 4444},
		{sup["RPS3"].ID, green, 5555},
	}
	var total int64
	for _, r := range rows {
		w.exec("INSERT INTO portfolio_snapshots (month, supplier_id, model_id, generation, device_type, devices) VALUES ($1, $2, $3, 'SMETS1', 'GSME', $4)",
			m.String(), r.supplier, r.model, r.devices)
		total += r.devices
	}
	w.exec("INSERT INTO portfolio_snapshot_months (month, taken_at, late, row_count, devices) VALUES ($1, $2, FALSE, $3, $4)",
		m.String(), m.End(uk.London).UTC(), len(rows), total)

	svc := w.srv.Reports
	if _, err := svc.RunMonthly(ctx, w.sys, m, report.RunOptions{Trigger: "cli"}); err != nil {
		w.t.Fatal(err)
	}
	if _, err := svc.RunStanding(ctx, w.sys, m, report.RunOptions{Trigger: "cli"}); err != nil {
		w.t.Fatal(err)
	}
	ix, err := party.LoadIndex(ctx, w.db)
	if err != nil {
		w.t.Fatal(err)
	}
	rs, err := svc.List(ctx, w.sys, report.Filter{})
	if err != nil {
		w.t.Fatal(err)
	}
	members := []int64{w.byRole["ssc"].Caller.UserID, w.byRole["ssc2"].Caller.UserID}
	// Who each monthly report names under its duty (seeds/000), from the
	// world as built: every manufacturer for a Supplier, the Suppliers of
	// the snapshot rows for a manufacturer.
	operating := map[int64][]string{}
	for _, r := range rows {
		var mfr int64
		w.db.Writer().QueryRow("SELECT manufacturer_id FROM device_models WHERE id = $1", r.model).Scan(&mfr)
		for code, p := range sup {
			if p.ID == r.supplier && !slices.Contains(operating[mfr], code) {
				operating[mfr] = append(operating[mfr], code)
			}
		}
	}
	for _, r := range rs {
		key := strconv.FormatInt(r.ID, 10)
		seed.ids[r.Reference] = r.ID
		if r.Kind == report.StandingKind {
			w.addLiteral("standing", key, r.Reference, sec.Red, sec.Audience{Users: members})
			continue
		}
		rcpt, _ := ix.Code(r.Recipient.Code)
		seed.recipient[r.ID] = rcpt.ID
		if r.Kind == report.SupplierKind {
			for _, m := range ix.WithRole(sec.Manufacturer) {
				seed.named[r.ID] = append(seed.named[r.ID], m.Code)
			}
		} else {
			seed.named[r.ID] = operating[rcpt.ID]
		}
		// A report is AMBER to its recipient and the SSC; but where it names
		// an entry its recipient could not see by marking (the duty's
		// override), or its recipient's own entry is RED, anyone besides the
		// recipient must be allowed every such entry to read it.
		recipientView := sec.Viewer{UserID: -1, OrgID: rcpt.ID}
		var overridden []int64
		if class, _ := dirEntry(w, rcpt.ID); class == sec.Red {
			overridden = append(overridden, rcpt.ID)
		}
		for _, code := range seed.named[r.ID] {
			o, _ := ix.Code(code)
			if class, aud := dirEntry(w, o.ID); !sec.CanSee(recipientView, class, aud) || class == sec.Red {
				overridden = append(overridden, o.ID)
			}
		}
		var readers []int64
		for _, v := range w.viewers {
			if !v.Caller.SignedIn() {
				continue
			}
			ok := v.Caller.OrgID == rcpt.ID || sec.CanSee(v.Caller.Viewer(), sec.Amber, sec.Audience{Orgs: []int64{rcpt.ID}})
			for _, id := range overridden {
				if class, aud := dirEntry(w, id); v.Caller.OrgID != rcpt.ID && !sec.CanSee(v.Caller.Viewer(), class, aud) {
					ok = false
				}
			}
			if ok {
				readers = append(readers, v.Caller.UserID)
			}
		}
		w.addLiteral("report", key, r.Reference, sec.Red, sec.Audience{Users: readers})
	}
}

func TestReportAPIScenarios(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorldOn(t, db)
		seed := reportSeeds[w]
		m := seed.month.String()
		mana := itoa(seed.ids["MFR-"+m+"-MANA-v1"])
		runAPICases(t, w, []apiCase{
			{Name: "no credentials", Method: "GET", URL: "/api/v1/reports", Status: 401},
			{Name: "bad month filter", As: "ssc", Method: "GET", URL: "/api/v1/reports?month=2026-13", Status: 422, Contains: []string{"month"}},
			{Name: "bad kind filter", As: "ssc", Method: "GET", URL: "/api/v1/reports?kind=weekly", Status: 422, Contains: []string{"kind"}},
			{Name: "id not a number", As: "ssc", Method: "GET", URL: "/api/v1/reports/abc", Status: 422, Contains: []string{"positive whole number"}},
			{Name: "no such report", As: "ssc", Method: "GET", URL: "/api/v1/reports/999999", Status: 404},
			{Name: "bad format", As: "manufacturer", Method: "GET", URL: "/api/v1/reports/" + mana + "/files/docx", Status: 422, Contains: []string{"unknown format"}},
			{Name: "another manufacturer's report", As: "manufacturerB", Method: "GET", URL: "/api/v1/reports/" + mana, Status: 404},
			{Name: "another manufacturer's file", As: "supplierA", Method: "GET", URL: "/api/v1/reports/" + mana + "/files/pdf", Status: 404},
			{Name: "a Supplier may not run", As: "supplierA", Method: "POST", URL: "/api/v1/reports/monthly", Body: `{"month": "` + m + `"}`, Status: 403},
			{Name: "the administrator may not run", As: "admin", Method: "POST", URL: "/api/v1/reports/standing", Body: `{}`, Status: 403},
			{Name: "runs are for the SSC", As: "manufacturer", Method: "GET", URL: "/api/v1/report-runs", Status: 403},
			{Name: "month not ended", As: "ssc", Method: "POST", URL: "/api/v1/reports/monthly", Body: `{"month": "2999-01"}`, Status: 422, Contains: []string{"has not ended"}},
			{Name: "bad month", As: "ssc", Method: "POST", URL: "/api/v1/reports/monthly", Body: `{"month": "last"}`, Status: 422, Contains: []string{"YYYY-MM"}},
			{Name: "unknown field", As: "ssc", Method: "POST", URL: "/api/v1/reports/monthly", Body: `{"month": "` + m + `", "resend": true}`, Status: 422, Contains: []string{"resend"}},
			{Name: "force is a boolean", As: "ssc", Method: "POST", URL: "/api/v1/reports/monthly", Body: `{"force": "yes"}`, Status: 422, Contains: []string{"force"}},
			{Name: "wrong media type", As: "ssc", Method: "POST", URL: "/api/v1/reports/monthly", Body: `month=` + m, ContentType: "application/x-www-form-urlencoded", Status: 415},
			{Name: "a month already run is not run again", As: "ssc", Method: "POST", URL: "/api/v1/reports/monthly", Body: `{"month": "` + m + `"}`, Status: 200, Contains: []string{`"repeat": true`, `"version": 1`}},
			{Name: "the recipient downloads its PDF", As: "manufacturer", Method: "GET", URL: "/api/v1/reports/" + mana + "/files/pdf", Status: 200, Contains: []string{"%PDF-", "Report Supplier One"}},
			{Name: "a forced run is a new version", As: "secretariat", Method: "POST", URL: "/api/v1/reports/standing", Body: `{"month": "` + m + `", "force": true}`, Status: 201, Contains: []string{`"version": 2`}, Writes: true},
		})
		// Version 2 of the standing report was made after every area seeded
		// its records (vulnerabilities of every marking among them): what it
		// shows each SSC member it names must be what that member may see.
		rs, err := w.srv.Reports.List(context.Background(), w.sys, report.Filter{Kind: report.StandingKind})
		if err != nil || len(rs) != 2 || rs[0].Version != 2 {
			t.Fatalf("standing reports %+v %v", rs, err)
		}
		shown := 0
		for _, who := range []string{"ssc", "ssc2"} {
			v := w.byRole[who]
			for _, f := range report.Formats {
				status, body := w.do(v, "GET", "/api/v1/reports/"+itoa(rs[0].ID)+"/files/"+string(f), "")
				if status != 200 {
					t.Fatalf("%s reading v2 as %s: %d", who, f, status)
				}
				for _, m := range w.markersIn(body) {
					shown++
					if rec, ok := w.records[m]; ok && !sec.CanSee(v.Caller.Viewer(), rec.Class, rec.Aud) {
						t.Errorf("LEAK: the standing report shows %s %s (%s)", who, m, rec)
					}
				}
			}
		}
		t.Logf("the standing report v2 showed %d marked records to the SSC members", shown)

		// A manufacturer's report names only the Suppliers of its own models,
		// and its RED model by code only.
		_, body := w.do(w.byRole["manufacturer"], "GET", "/api/v1/reports/"+mana+"/files/json", "")
		if strings.Contains(body, "Report Supplier Two") || !strings.Contains(body, "Reportmodel Amber Alpha") || strings.Contains(body, "Reportmodel Red Alpha") {
			t.Errorf("MANA's report: %s", body)
		}
		// Issue 13 point 6, seeds/000 "The SSC must inform Device
		// manufacturers on a monthly basis of which Energy Suppliers are
		// operating their Devices": RPS3, whose entry is RED, is named to
		// MANA, whose Devices it operates; the directory still hides it from
		// MANA, and the report from the SSC member its entry does not name.
		if !strings.Contains(body, "Report Supplier Crimson") || !strings.Contains(body, "RPS3") {
			t.Errorf("MANA's report does not name the RED Supplier operating its Devices: %s", body)
		}
		for _, c := range []struct{ who, path string }{
			{"manufacturer", "/api/v1/parties/RPS3"}, {"manufacturer", "/parties/RPS3"},
			{"ssc2", "/api/v1/reports/" + mana}, {"secretariat", "/api/v1/reports/" + mana + "/files/pdf"},
			{"supplierA", "/api/v1/parties/PRED"},
		} {
			if status, _ := w.do(w.byRole[c.who], "GET", c.path, ""); status != 404 {
				t.Errorf("%s GET %s: %d, want 404", c.who, c.path, status)
			}
		}
		if status, body := w.do(w.byRole["ssc"], "GET", "/reports/"+mana, ""); status != 200 || !strings.Contains(body, "Named under the SSC") || !strings.Contains(body, "Report Supplier Crimson") {
			t.Errorf("the SSC member RPS3's entry names: %d, the page should list the override", status)
		}
		// seeds/000 "The SSC must inform Energy Suppliers on a monthly basis
		// of the current contact details for all Device manufacturers": PRED,
		// RED, and PAMBER, AMBER to SUPA only, are in every Supplier's report
		// (their contacts began after the month's end, so none is listed).
		supb := itoa(seed.ids["SUP-"+m+"-SUPB-v1"])
		if status, body := w.do(w.byRole["supplierB"], "GET", "/api/v1/reports/"+supb+"/files/csv", ""); status != 200 || !strings.Contains(body, "PRED,Party VM~party~PRED~") || !strings.Contains(body, "PAMBER,Party VM~party~PAMBER~") {
			t.Errorf("SUPB's report lacks the RED or AMBER manufacturer: %d %s", status, body)
		}
		var overrides int
		w.db.Writer().QueryRow("SELECT COUNT(*) FROM audit_log WHERE action = 'report.duty_override'").Scan(&overrides)
		if overrides == 0 {
			t.Error("no duty override was audited")
		}
		// The HTML file is served with a policy that allows its inline style
		// and nothing else.
		req := w.byRole["manufacturer"]
		resp, err := req.client.Get(w.ts.URL + "/api/v1/reports/" + mana + "/files/html")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none'; style-src 'unsafe-inline'") || !strings.HasPrefix(resp.Header.Get("Repr-Digest"), "sha-256=:") {
			t.Errorf("HTML download headers: %v", resp.Header)
		}
	})
}

func TestReportForms(t *testing.T) {
	w := newWorld(t, store.SQLite)
	m := reportSeeds[w].month.String()
	ssc := w.byRole["ssc"]
	if status, _ := w.do(ssc, "POST", "/reports/monthly", "month="+m); status != 303 {
		t.Fatalf("form run: status %d", status)
	}
	status, body := w.do(ssc, "GET", "/reports?month="+m, "")
	if status != 200 || !strings.Contains(body, "had been generated already") {
		t.Errorf("after a repeated run the page should say so: %d", status)
	}
	if status, _ := w.do(w.byRole["supplierA"], "POST", "/reports/monthly", "month="+m+"&force=yes"); status != 403 {
		t.Errorf("a Supplier's form: status %d", status)
	}
	status, body = w.do(ssc, "GET", "/reports/standing", "")
	if status != 200 || !strings.Contains(body, "<svg") || !strings.Contains(body, "Changes of supplier") {
		t.Errorf("standing page: %d", status)
	}
	if status, _ := w.do(w.byRole["supplierA"], "GET", "/reports/standing", ""); status != 403 {
		t.Errorf("a Supplier on the standing page: %d", status)
	}
}
