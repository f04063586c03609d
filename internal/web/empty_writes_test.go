package web_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/store/storetest"
)

// TestEmptyWritesAreRefused: a PUT of a vulnerability's audience with null
// or {} once removed every organisation, notified recipients included, and
// a certificate withdrawal without a reason succeeded. Required fields are
// required, a null body is refused on every JSON route, and the
// organisations already told of a vulnerability stay in its audience.
func TestEmptyWritesAreRefused(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			w := newWorld(t, engine)
			ssc := w.byRole["ssc"]
			var vid int64
			if err := w.db.QueryRowContext(t.Context(), `SELECT MIN(vuln_id) FROM vuln_recipients WHERE first_notified_at IS NOT NULL`).Scan(&vid); err != nil || vid == 0 {
				t.Fatalf("no vulnerability with notified recipients: %v", err)
			}
			path := "/api/v1/audience/vuln/" + strconv.FormatInt(vid, 10)
			audienceRows := func() string {
				var n, told int
				if err := w.db.QueryRowContext(t.Context(), `SELECT COUNT(*), COUNT(r.org_id) FROM audience_orgs a
					LEFT JOIN (SELECT DISTINCT org_id FROM vuln_recipients WHERE vuln_id = $1 AND first_notified_at IS NOT NULL) r ON r.org_id = a.org_id
					WHERE a.record_kind = 'vuln' AND a.record_id = $1`, vid).Scan(&n, &told); err != nil {
					t.Fatal(err)
				}
				return strconv.Itoa(n) + " rows, " + strconv.Itoa(told) + " told"
			}
			before := audienceRows()
			for _, c := range []struct{ body, want string }{
				{`null`, "the body is null"},
				{` null `, "the body is null"},
				{`{}`, `"field":"orgs"`},
				{`{"orgs": null, "users": null}`, `"field":"users"`},
				{`{"orgs": ["SUPA"]}`, `"field":"users"`},
				{`{"orgs": [], "users": []}`, "already told"},
				{`{"orgs": ["SUPA"], "users": []}`, "already told"},
			} {
				status, _, body := w.doRaw(ssc, "PUT", path, "application/json", []byte(c.body))
				if status < 400 || status >= 500 || !strings.Contains(body, c.want) {
					t.Errorf("PUT %s %s: status %d, want 4xx with %q: %.400s", path, c.body, status, c.want, body)
				}
				if got := audienceRows(); got != before {
					t.Errorf("PUT %s: the audience went from %s to %s", c.body, before, got)
				}
			}
			// The audience may grow: every organisation it names, and one more.
			status, body := w.do(ssc, "GET", path, "")
			if status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", path, status, body)
			}
			orgs := body[strings.Index(body, `"orgs": [`)+len(`"orgs": `):]
			orgs = orgs[:strings.Index(orgs, "]")+1]
			grown := strings.Replace(orgs, "[", `["OTHA", `, 1)
			if status, body := w.do(ssc, "PUT", path, `{"orgs": `+grown+`, "users": []}`); status != http.StatusOK || !strings.Contains(body, `"OTHA"`) {
				t.Errorf("growing the audience: %d %.400s", status, body)
			}

			// A certificate withdrawal needs its reason, by the API and the form.
			var cert int64
			if err := w.db.QueryRowContext(t.Context(), `SELECT MIN(id) FROM cpa_certificates WHERE withdrawn IS NULL`).Scan(&cert); err != nil {
				t.Fatal(err)
			}
			id := strconv.FormatInt(cert, 10)
			for _, c := range []struct{ method, path, ct, body string }{
				{"POST", "/api/v1/catalogue/certificates/" + id + "/withdraw", "application/json", ``},
				{"POST", "/api/v1/catalogue/certificates/" + id + "/withdraw", "application/json", `null`},
				{"POST", "/api/v1/catalogue/certificates/" + id + "/withdraw", "application/json", `{}`},
				{"POST", "/api/v1/catalogue/certificates/" + id + "/withdraw", "application/json", `{"date": "2025-01-01", "reason": "  "}`},
				{"POST", "/catalogue/certificates/" + id + "/withdraw", "application/x-www-form-urlencoded", `date=2025-01-01`},
				{"PATCH", "/api/v1/catalogue/certificates/" + id, "application/json", `{"withdrawn": "2025-01-01"}`},
			} {
				status, _, body := w.doRaw(ssc, c.method, c.path, c.ct, []byte(c.body))
				if status < 400 || status >= 500 {
					t.Errorf("%s %s %q: status %d, want 4xx: %.300s", c.method, c.path, c.body, status, body)
				}
				var withdrawn int
				w.db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM cpa_certificates WHERE id = $1 AND withdrawn IS NOT NULL`, cert).Scan(&withdrawn)
				if withdrawn != 0 {
					t.Fatalf("%s %s %q withdrew the certificate", c.method, c.path, c.body)
				}
			}
			if status, body := w.do(ssc, "POST", "/api/v1/catalogue/certificates/"+id+"/withdraw", `{"date": "2025-01-01", "reason": "NCSC withdrew it"}`); status != http.StatusOK ||
				!strings.Contains(body, `"withdrawn_reason": "NCSC withdrew it"`) {
				t.Errorf("a withdrawal with its reason: %d %.300s", status, body)
			}
		})
	}
}
