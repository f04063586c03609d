package web_test

import (
	"context"
	"strconv"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/vuln"
	"github.com/metersec/metersec/internal/vuln/vulntest"
)

func init() {
	// The audience routes name record kinds: add the vulnerability kinds to
	// the cases the foundation registered for parties.
	for _, pattern := range []string{"GET /api/v1/audience/{kind}/{id}", "PUT /api/v1/audience/{kind}/{id}"} {
		prev := visibilityCases[pattern]
		method, body := "GET", ""
		if pattern[0] == 'P' {
			method, body = "PUT", `{"orgs": ["NOPE"]}`
		}
		visibilityCases[pattern] = visibilityCase{calls: func(w *world) []call {
			out := prev.calls(w)
			out = append(out, eachID("vuln", method, "/api/v1/audience/vuln/{}", body)(w)...)
			out = append(out, eachID("vuln_recipient", method, "/api/v1/audience/vuln_recipient/{}", body)(w)...)
			return append(out, eachID("vuln_plan", method, "/api/v1/audience/vuln_plan/{}", body)(w)...)
		}}
	}
	register(map[string]visibilityCase{
		"GET /api/v1/vulnerabilities":                          {calls: one("GET", "/api/v1/vulnerabilities", ""), complete: true, Kind: "vuln"},
		"POST /api/v1/vulnerabilities":                         {calls: one("POST", "/api/v1/vulnerabilities", `{"title": ""}`)},
		"POST /api/v1/vulnerabilities/import":                  {calls: one("POST", "/api/v1/vulnerabilities/import", `{"document": {}}`)},
		"GET /api/v1/vulnerabilities/overview":                 {calls: one("GET", "/api/v1/vulnerabilities/overview", "")},
		"GET /api/v1/vulnerabilities/inbox":                    {calls: one("GET", "/api/v1/vulnerabilities/inbox", "")},
		"GET /api/v1/vulnerabilities/{ref}":                    {calls: each("vuln", "GET", "/api/v1/vulnerabilities/{}", "")},
		"PATCH /api/v1/vulnerabilities/{ref}":                  {calls: each("vuln", "PATCH", "/api/v1/vulnerabilities/{}", `{"reason": ""}`)},
		"POST /api/v1/vulnerabilities/{ref}/events":            {calls: each("vuln", "POST", "/api/v1/vulnerabilities/{}/events", `{"event": "explode"}`)},
		"GET /api/v1/vulnerabilities/{ref}/recipients":         {calls: each("vuln", "GET", "/api/v1/vulnerabilities/{}/recipients", "")},
		"GET /api/v1/vulnerabilities/{ref}/timeline":           {calls: each("vuln", "GET", "/api/v1/vulnerabilities/{}/timeline", "")},
		"POST /api/v1/vulnerabilities/{ref}/acknowledgement":   {calls: each("vuln", "POST", "/api/v1/vulnerabilities/{}/acknowledgement", `{"statement": "nope"}`)},
		"GET /api/v1/vulnerabilities/{ref}/plans":              {calls: each("vuln", "GET", "/api/v1/vulnerabilities/{}/plans", "")},
		"PUT /api/v1/vulnerabilities/{ref}/plan":               {calls: each("vuln", "PUT", "/api/v1/vulnerabilities/{}/plan", `{"steps": ""}`)},
		"POST /api/v1/vulnerabilities/{ref}/plans/{id}/events": {calls: vulnPlanCalls("POST", "/api/v1/vulnerabilities/{ref}/plans/{id}/events", `{"event": "explode"}`)},
		"GET /api/v1/vulnerabilities/{ref}/csaf":               {calls: each("vuln", "GET", "/api/v1/vulnerabilities/{}/csaf", "")},

		"GET /vulnerabilities":                          {calls: one("GET", "/vulnerabilities", ""), complete: true, Kind: "vuln"},
		"GET /vulnerabilities/new":                      {calls: one("GET", "/vulnerabilities/new", "")},
		"POST /vulnerabilities":                         {calls: one("POST", "/vulnerabilities", "title=&affected=E1+%3E%3D")},
		"POST /vulnerabilities/import":                  {calls: one("POST", "/vulnerabilities/import", "file=x")},
		"GET /vulnerabilities/overview":                 {calls: one("GET", "/vulnerabilities/overview", "")},
		"GET /inbox":                                    {calls: one("GET", "/inbox", "")},
		"POST /inbox/read":                              {calls: one("POST", "/inbox/read", "x=1")},
		"GET /inbox/{id}":                               {calls: noticeCalls},
		"GET /vulnerabilities/{ref}":                    {calls: each("vuln", "GET", "/vulnerabilities/{}", "")},
		"GET /vulnerabilities/{ref}/edit":               {calls: each("vuln", "GET", "/vulnerabilities/{}/edit", "")},
		"POST /vulnerabilities/{ref}/edit":              {calls: each("vuln", "POST", "/vulnerabilities/{}/edit", "reason=&affected=")},
		"POST /vulnerabilities/{ref}/events":            {calls: each("vuln", "POST", "/vulnerabilities/{}/events", "event=explode")},
		"POST /vulnerabilities/{ref}/acknowledge":       {calls: each("vuln", "POST", "/vulnerabilities/{}/acknowledge", "statement=nope")},
		"POST /vulnerabilities/{ref}/plan":              {calls: each("vuln", "POST", "/vulnerabilities/{}/plan", "steps=")},
		"POST /vulnerabilities/{ref}/plans/{id}/events": {calls: vulnPlanCalls("POST", "/vulnerabilities/{ref}/plans/{id}/events", "event=explode")},
		"GET /vulnerabilities/{ref}/csaf":               {calls: each("vuln", "GET", "/vulnerabilities/{}/csaf", "")},
	})
	seeders = append(seeders, seedVulns)
}

// noticeCalls opens every notice the seeding wrote, as everyone: only its
// organisation's people get anything but a 404.
func noticeCalls(w *world) []call {
	rows, err := w.db.QueryContext(context.Background(), "SELECT id FROM notices ORDER BY id")
	if err != nil {
		w.t.Fatal(err)
	}
	defer rows.Close()
	var out []call
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		out = append(out, call{"GET", "/inbox/" + strconv.FormatInt(id, 10), ""})
	}
	return append(out, call{"GET", "/inbox/999999", ""})
}

// vulnPlanCalls asks for every seeded plan on its vulnerability, and for a
// plan that does not exist.
func vulnPlanCalls(method, path, body string) func(w *world) []call {
	return func(w *world) []call {
		var out []call
		for _, p := range vulnPlansOf[w] {
			out = append(out, w.aim(call{method, replace(path, p.ref, p.id), body}, p.marker, replace(path, p.ref, 999999)))
		}
		for _, k := range w.keys["vuln"] {
			out = append(out, call{method, replace(path, k.Key, 999999), body})
		}
		return out
	}
}

func replace(path, ref string, id int64) string {
	out := []byte{}
	for i := 0; i < len(path); i++ {
		switch {
		case len(path[i:]) >= 5 && path[i:i+5] == "{ref}":
			out = append(out, ref...)
			i += 4
		case len(path[i:]) >= 4 && path[i:i+4] == "{id}":
			out = strconv.AppendInt(out, id, 10)
			i += 3
		default:
			out = append(out, path[i])
		}
	}
	return string(out)
}

// The counts of the seeded estate. Each is a literal that must reach only
// those who may see it: a Supplier's own count, the manufacturer's totals.
const (
	// A Supplier is told for every affected Device it operates, its hubs
	// included (seeds/000: "all Suppliers which are operating their
	// Devices"), so these are meters plus hubs.
	supplierADevices = 1234567 // SUPA's Devices on the affected firmware (1000000 of them MAPA's)
	supplierBDevices = 7654321 // SUPB's
	// SMETS2+ Communications Hubs are the DCC's: its count is the sum of
	// both Suppliers' hubs, so it equals neither Supplier's own figure.
	supplierAHubs = 1111
	supplierBHubs = 2345678
	dccDevices    = supplierAHubs + supplierBHubs
)

// seedVulns reports a vulnerability of every classification on models of
// `manufacturer` (MANA), which supplierA and supplierB both operate, so each
// has a recipient row. Suppliers acknowledge with a marked justification and
// write marked plans, so any leak of one Supplier's row, counts or plan to
// the other shows.
func seedVulns(w *world) {
	ctx := context.Background()
	as := func(name string) access.Caller { return w.byRole[name].Caller }
	man, supA, supB := w.byRole["manufacturer"].Caller, w.byRole["supplierA"].Caller, w.byRole["supplierB"].Caller
	mapOrg, dcc := w.byRole["map"].Caller.OrgID, w.byRole["dcc"].Caller.OrgID
	e1, fw, err := vulntest.Model(ctx, w.db, man.OrgID, "VE1", sec.ESME, sec.SMETS2, "1.0", "2.0")
	if err != nil {
		w.t.Fatal(err)
	}
	ch, chfw, err := vulntest.Model(ctx, w.db, man.OrgID, "VCH", sec.CHF, sec.SMETS2, "0x0001")
	if err != nil {
		w.t.Fatal(err)
	}
	for _, p := range []struct{ sup, model, fw, mapID, n int64 }{
		{supA.OrgID, e1, fw["1.0"], mapOrg, 1000000},
		{supA.OrgID, e1, fw["1.0"], 0, supplierADevices - 1000000 - supplierAHubs},
		{supB.OrgID, e1, fw["1.0"], 0, supplierBDevices - supplierBHubs},
		{supA.OrgID, ch, chfw["0x0001"], 0, supplierAHubs},
		{supB.OrgID, ch, chfw["0x0001"], 0, supplierBHubs},
	} {
		if err := vulntest.Portfolio(ctx, w.db, p.sup, p.model, p.fw, p.mapID, p.n); err != nil {
			w.t.Fatal(err)
		}
	}
	// Who is in the AMBER audience once it is sent: the reporter and
	// manufacturer, every recipient, and the SSC's organisations (told as
	// the SSC since material).
	ssc, secas := w.byRole["ssc"].Caller.OrgID, w.byRole["secretariat"].Caller.OrgID
	told := []int64{man.OrgID, supA.OrgID, supB.OrgID, mapOrg, dcc, ssc, secas}
	svc := w.srv.Vulns
	lit := func(kind, key string, n int64, class sec.Classification, orgs ...int64) {
		s := strconv.FormatInt(n, 10)
		w.addLiteral(kind, key, s, class, sec.Audience{Orgs: orgs})
		w.addLiteral(kind, key+"-html", thousands(s), class, sec.Audience{Orgs: orgs})
	}
	lit("vuln_count", "A", supplierADevices, sec.Amber, supA.OrgID, man.OrgID)
	lit("vuln_count", "B", supplierBDevices, sec.Amber, supB.OrgID, man.OrgID)
	lit("vuln_count", "DCC", dccDevices, sec.Amber, dcc, man.OrgID)
	// Every installed affected Device has a Responsible Supplier, so the
	// Suppliers' counts add up to the manufacturer's and the SSC's total.
	lit("vuln_count", "ALL", supplierADevices+supplierBDevices, sec.Amber, ssc, secas, man.OrgID)

	for _, class := range sec.Classifications {
		key := string(class)
		reporter := man
		if class == sec.Red {
			reporter = w.byRole["ssc"].Caller
		}
		v, err := svc.Report(ctx, as(nameOf(w, reporter)), vuln.NewVulnerability{
			Title: "Vuln " + marker("vuln", key), Description: "Described " + marker("vuln", key), Manufacturer: "MANA",
			Affected: []vuln.AffectedInput{{Model: "VE1", Fixed: "2.0"}, {Model: "VCH"}},
			CVSS:     "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Classification: key,
			Material: yesPtr(), MaterialityRationale: "Rationale " + marker("vuln", key),
		})
		if err != nil {
			w.t.Fatalf("seed %s vulnerability: %v", key, err)
		}
		aud := sec.Audience{Orgs: told}
		if class == sec.Red {
			aud = sec.Audience{Users: []int64{reporter.UserID}}
		}
		// The text carries the classification's marker; routes name the
		// vulnerability by its reference.
		m := marker("vuln", key)
		w.records[m] = record{Kind: "vuln", Class: class, Aud: aud}
		w.keys["vuln"] = append(w.keys["vuln"], recordKey{Key: v.Ref, Marker: m})
		w.setID(m, v.ID)

		if class == sec.Red {
			continue // held: nobody was told (an inbox cannot carry RED)
		}
		rs, err := svc.Recipients(ctx, access.SystemCaller("test"), v.Ref)
		if err != nil {
			w.t.Fatal(err)
		}
		for _, s := range []struct {
			who, key string
			org      int64
		}{{"supplierA", key + "-A", supA.OrgID}, {"supplierB", key + "-B", supB.OrgID}} {
			if _, err := svc.Acknowledge(ctx, as(s.who), v.Ref, vuln.AckInput{Statement: vuln.StatementNotAffected,
				Justification: "Justified " + marker("vuln_recipient", s.key)}); err != nil {
				w.t.Fatalf("seed acknowledgement: %v", err)
			}
			w.addRecord("vuln_recipient", s.key, sec.Amber, sec.Audience{Orgs: []int64{s.org, man.OrgID}})
			for _, r := range rs {
				if r.Org.Code == w.byRole[s.who].Caller.OrgCode {
					w.setID(marker("vuln_recipient", s.key), r.ID)
				}
			}
			p, err := svc.SavePlan(ctx, as(s.who), v.Ref, vuln.PlanInput{Steps: "Steps " + marker("vuln_plan", s.key), Submit: true,
				DeclaredCompletion: sec.DateOf(w.db.Now()).AddDays(30)})
			if err != nil {
				w.t.Fatalf("seed plan: %v", err)
			}
			w.addRecord("vuln_plan", s.key, sec.Amber, sec.Audience{Orgs: []int64{s.org}})
			w.setID(marker("vuln_plan", s.key), p.ID)
			vulnPlansOf[w] = append(vulnPlansOf[w], seededPlan{ref: v.Ref, id: p.ID, marker: marker("vuln_plan", s.key)})
		}
	}
}

// vulnPlansOf holds each world's seeded plans, which routes name by
// vulnerability and id.
var vulnPlansOf = map[*world][]seededPlan{}

type seededPlan struct {
	ref    string
	id     int64
	marker string
}

func nameOf(w *world, c access.Caller) string {
	for name, v := range w.byRole {
		if v.Caller.UserID == c.UserID {
			return name
		}
	}
	w.t.Fatalf("no viewer for user %d", c.UserID)
	return ""
}

func yesPtr() *bool { b := true; return &b }

// thousands writes n as the UI's num does.
func thousands(s string) string {
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
