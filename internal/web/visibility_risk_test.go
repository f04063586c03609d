package web_test

import (
	"context"

	"github.com/metersec/metersec/internal/risk"
	"github.com/metersec/metersec/internal/sec"
)

func init() {
	register(map[string]visibilityCase{
		"GET /api/v1/risks":                                {calls: one("GET", "/api/v1/risks", ""), complete: true, Kind: "risk"},
		"POST /api/v1/risks":                               {calls: one("POST", "/api/v1/risks", `{}`)},
		"PUT /api/v1/risks/{id}":                           {calls: eachID("risk", "PUT", "/api/v1/risks/{}", `{"title": "t", "owner": "o", "likelihood": 9, "impact": 1, "review_date": "2030-01-01"}`)},
		"GET /api/v1/risk-definitions":                     {calls: one("GET", "/api/v1/risk-definitions", "")},
		"PUT /api/v1/risk-definitions/likelihoods/{level}": {calls: one("PUT", "/api/v1/risk-definitions/likelihoods/2", `{"label": "Unlikely", "min_pct": 5, "max_pct": 90}`)},
		"PUT /api/v1/risk-definitions/bands/{name}":        {calls: one("PUT", "/api/v1/risk-definitions/bands/Low", `{"min_score": 1, "max_score": 9}`)},
		"GET /risks":                                       {calls: one("GET", "/risks", ""), complete: true, Kind: "risk"},
		"POST /risks":                                      {calls: one("POST", "/risks", "title=")},
		"POST /risks/{id}":                                 {calls: eachID("risk", "POST", "/risks/{}", "title=t&owner=o&likelihood=9&impact=1&review_date=2030-01-01")},
		"POST /risks/likelihoods/{level}":                  {calls: one("POST", "/risks/likelihoods/2", "label=Unlikely&min_pct=5&max_pct=90")},
	})
	seeders = append(seeders, seedRisks)
}

// seedRisks adds an AMBER risk for the SSC, an AMBER one also naming
// Supplier A, and a RED one naming one SSC member.
func seedRisks(w *world) {
	ctx := context.Background()
	svc := &risk.Service{DB: w.db}
	for _, s := range []struct {
		key   string
		class sec.Classification
		aud   sec.Audience
	}{
		{"R1", sec.Amber, sec.Audience{}},
		{"R2", sec.Amber, sec.Audience{Orgs: []int64{w.byRole["supplierA"].Caller.OrgID}}},
		{"R3", sec.Red, sec.Audience{Users: []int64{w.byRole["ssc"].Caller.UserID}}},
	} {
		r, err := svc.Create(ctx, w.sys, risk.Input{Title: "Risk " + marker("risk", s.key), Owner: "SSC", Likelihood: 3, Impact: 4,
			ReviewDate: "2027-01-01", Classification: string(s.class)})
		if err != nil {
			w.t.Fatal(err)
		}
		for _, o := range s.aud.Orgs {
			w.exec("INSERT INTO audience_orgs (record_kind, record_id, org_id) VALUES ('risk', $1, $2)", r.ID, o)
		}
		for _, u := range s.aud.Users {
			w.exec("INSERT INTO audience_users (record_kind, record_id, user_id) VALUES ('risk', $1, $2)", r.ID, u)
		}
		w.addRecord("risk", s.key, s.class, s.aud)
		w.setID(marker("risk", s.key), r.ID)
	}
}
