package web_test

import (
	"context"
	"strconv"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

func init() {
	register(map[string]visibilityCase{
		"GET /api/v1/webhooks":                     {calls: one("GET", "/api/v1/webhooks", "")},
		"POST /api/v1/webhooks":                    {calls: one("POST", "/api/v1/webhooks", `{"url": "ftp://nowhere"}`)},
		"POST /api/v1/webhooks/{id}/disable":       {calls: eachID("webhook", "POST", "/api/v1/webhooks/{}/disable", "")},
		"POST /api/v1/webhooks/{id}/rotate-secret": {calls: eachID("webhook", "POST", "/api/v1/webhooks/{}/rotate-secret", "")},
		"POST /api/v1/webhooks/{id}/ping":          {calls: eachID("webhook", "POST", "/api/v1/webhooks/{}/ping", "")},
		"GET /api/v1/deliveries":                   {calls: deliveriesOfSeededRecord},
		"GET /api/v1/deliveries/queue":             {calls: one("GET", "/api/v1/deliveries/queue", "")},
		"GET /api/v1/deliveries/problems":          {calls: one("GET", "/api/v1/deliveries/problems", "")},
		"POST /api/v1/deliveries/{id}/retry":       {calls: one("POST", "/api/v1/deliveries/999999/retry", "")},
		"GET /api/v1/notices":                      {calls: one("GET", "/api/v1/notices", "")},
		"GET /api/v1/notices/subjects":             {calls: one("GET", "/api/v1/notices/subjects", "")},
		"GET /webhooks":                            {calls: one("GET", "/webhooks", "")},
		"POST /webhooks":                           {calls: one("POST", "/webhooks", "url=ftp%3A%2F%2Fnowhere")},
		"POST /webhooks/{id}/disable":              {calls: eachID("webhook", "POST", "/webhooks/{}/disable", "")},
		"POST /webhooks/{id}/rotate-secret":        {calls: eachID("webhook", "POST", "/webhooks/{}/rotate-secret", "")},
		"POST /webhooks/{id}/ping":                 {calls: eachID("webhook", "POST", "/webhooks/{}/ping", "")},
		"GET /deliveries":                          {calls: one("GET", "/deliveries", "")},
		"POST /deliveries/{id}/retry":              {calls: one("POST", "/deliveries/999999/retry", "")},
	})
	seeders = append(seeders, seedDelivery)
}

// deliveriesOfSeededRecord asks for the deliveries about the record the
// seeded notices name.
func deliveriesOfSeededRecord(w *world) []call {
	return []call{{"GET", "/api/v1/deliveries?record_kind=party&record_id=" + strconv.FormatInt(w.ids[marker("party", "PGREEN")], 10), ""}}
}

// seedDelivery gives supplierA and supplierB each a webhook endpoint and a
// notice about the same record (as a vulnerability fan-out would), with
// failing email deliveries, so every delivery route has something to leak.
func seedDelivery(w *world) {
	ctx := context.Background()
	svc := &delivery.Service{DB: w.db}
	record := w.ids[marker("party", "PGREEN")]
	for _, who := range []string{"supplierA", "supplierB"} {
		v := w.byRole[who]
		e, _, err := svc.AddEndpoint(ctx, access.SystemCaller("test"), delivery.NewEndpoint{OrgID: v.Caller.OrgID,
			URL: "https://" + who + ".example.org/hook", Description: "Hook " + marker("webhook", who)})
		if err != nil {
			w.t.Fatal(err)
		}
		aud := sec.Audience{Orgs: []int64{v.Caller.OrgID}}
		w.addRecord("webhook", who, sec.Amber, aud)
		w.setID(marker("webhook", who), e.ID)
		err = w.db.Write(ctx, w.sys, func(tx *store.Tx) error {
			_, err := delivery.Notify(ctx, tx, delivery.Notice{OrgID: v.Caller.OrgID, Kind: "test.notice",
				Title: "Notice " + marker("notice", who), Body: "body", Link: "/parties/PGREEN",
				RecordKind: "party", RecordID: record, Key: "test:" + who})
			return err
		})
		if err != nil {
			w.t.Fatal(err)
		}
		w.addRecord("notice", who, sec.Amber, aud)
		// The contact address of each Supplier is known only to it and the SSC.
		w.addLiteral("contact", who, strings.ToLower(v.Caller.OrgCode)+"@example.org", sec.Amber, aud)
	}
	w.exec("UPDATE delivery_jobs SET last_error = 'connection refused', attempts = 2")
}
