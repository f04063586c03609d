package web_test

import (
	"testing"

	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// TestAuditTrailFiltersLinksAndExports: issue 15 point 7. The trail is
// filtered by who and what, pages with the shared envelope, links each
// entry to its object's page, and exports the same rows as CSV and JSON.
func TestAuditTrailFiltersLinksAndExports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorldOn(t, db)
		for _, p := range []string{"disable", "enable"} {
			if st, body := w.do(w.byRole["admin"], "POST", "/api/v1/users/suppliera@supa.example.org/"+p, ""); st != 204 {
				t.Fatalf("%s: %d %s", p, st, body)
			}
		}
		runAPICases(t, w, []apiCase{
			{Name: "by who and what", As: "ssc", Method: "GET", URL: "/api/v1/audit?actor=admin@ops.example.org&action=user.&limit=1", Status: 200,
				Contains: []string{`"action": "user.enable"`, `"total": 3`, `"next_cursor"`}},
			{Name: "old parameters", As: "ssc", Method: "GET", URL: "/api/v1/audit?object_type=user&object_id=suppliera@supa.example.org&before=999999", Status: 200,
				Contains: []string{`"user.disable"`}},
			{Name: "bad limit", As: "ssc", Method: "GET", URL: "/api/v1/audit?limit=0", Status: 422, Contains: []string{"limit"}},
			{Name: "bad day", As: "ssc", Method: "GET", URL: "/api/v1/audit?from=yesterday", Status: 422, Contains: []string{"from"}},
			{Name: "csv", As: "admin", Method: "GET", URL: "/api/v1/audit?action=user.disable&format=csv", Status: 200,
				Contains: []string{"seq,at,actor,action,object_type,object_id", "session:admin@ops.example.org,user.disable,user,suppliera@supa.example.org"}},
			{Name: "json", As: "admin", Method: "GET", URL: "/audit?action=user.disable&format=json", Status: 200, Contains: []string{`"object_id":"suppliera@supa.example.org"`}},
			{Name: "supplier refused export", As: "supplierB", Method: "GET", URL: "/api/v1/audit?format=csv", Status: 403},
			{Name: "page links the object", As: "admin", Method: "GET", URL: "/audit?actor=admin@ops.example.org", Status: 200,
				Contains: []string{`<a href="/users/suppliera@supa.example.org">user suppliera@supa.example.org</a>`, "3 entries", "match the filters"}},
		})
	})
}
