package web_test

import (
	"net/http"
	"testing"

	"github.com/metersec/metersec/internal/store/storetest"
)

// emptyBodyOK lists the JSON write routes for which {} is a whole request,
// and why.
var emptyBodyOK = map[string]string{
	"PATCH /api/v1/parties/{code}":              "a partial update: {} changes nothing, and writes nothing",
	"PATCH /api/v1/arrangements/{ref}":          "a partial update: {} changes nothing, and writes nothing",
	"PATCH /api/v1/catalogue/models/{id}":       "a partial update: {} changes nothing, and writes nothing",
	"PATCH /api/v1/catalogue/firmware/{id}":     "a partial update: {} changes nothing, and writes nothing",
	"PATCH /api/v1/catalogue/certificates/{id}": "a partial update: {} changes nothing, and writes nothing",
	"POST /api/v1/arrangements/{ref}/end":       "ends the arrangement today; the date is optional",
	"POST /api/v1/coverage/alerts":              "runs today's alert job; the date is optional",
	"POST /api/v1/reports/monthly":              "runs last month's reports; the month is optional",
	"POST /api/v1/reports/standing":             "runs last month's standing report; the month is optional",
	"POST /api/v1/meetings/{number}/publish":    "publishes a held meeting's headlines; the date of the next meeting is optional",
}

// emptyChangesNothing are the routes of emptyBodyOK whose {} must write
// nothing.
func emptyChangesNothing(pattern string) bool { return pattern[0] == 'P' && pattern[1] == 'A' }

// TestEmptyBodiesOnEveryJSONWrite sends null and {} to every JSON write
// route in the route table, as every viewer, on the records its visibility
// case names: null is never accepted, and {} only where emptyBodyOK says why
// (a PUT of a vulnerability's audience with null or {} once emptied it).
// Nothing refused may write.
func TestEmptyBodiesOnEveryJSONWrite(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			w := newWorld(t, engine)
			audits := func() int {
				var n int
				if err := w.db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM audit_log").Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			tried := 0
			for _, rt := range w.srv.Routes() {
				if rt.Method == http.MethodGet || !rt.API || rt.Upload || rt.Request == nil {
					continue
				}
				vc := visibilityCases[rt.Pattern()]
				if vc.calls == nil {
					continue
				}
				calls := vc.calls(w)
				if len(calls) > 3 {
					calls = calls[:3]
				}
				for _, c := range calls {
					for _, v := range w.viewers {
						for _, body := range []string{"null", "{}"} {
							before := audits()
							status, _, got := w.doRaw(v, c.Method, c.Path, "application/json", []byte(body))
							tried++
							ok := status < 300
							if ok && (body == "null" || emptyBodyOK[rt.Pattern()] == "") {
								t.Errorf("%s %s %s as %s: status %d: an empty request was accepted: %.300s", c.Method, c.Path, body, v.Name, status, got)
							}
							if (!ok || emptyChangesNothing(rt.Pattern())) && audits() != before {
								t.Errorf("%s %s %s as %s: status %d, and it audited a change", c.Method, c.Path, body, v.Name, status)
							}
						}
					}
				}
			}
			t.Logf("%d empty requests", tried)
		})
	}
}
