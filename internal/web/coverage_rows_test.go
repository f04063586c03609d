package web_test

import (
	"encoding/csv"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/coverage"
	"github.com/metersec/metersec/internal/store/storetest"
)

// TestCoverageRowsPage (issue 15 point 1): the coverage report a row per
// Supplier × model, paged by cursor, sorted, filtered and exported; the
// pages together hold exactly the report's models, and a Supplier's
// exactly its own.
func TestCoverageRowsPage(t *testing.T) {
	type rowsPage struct {
		Items      []coverage.Row `json:"items"`
		Total      int64          `json:"total"`
		NextCursor string         `json:"next_cursor"`
		Date       string         `json:"date"`
	}
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			w := newWorld(t, engine)
			for _, who := range []string{"ssc", "supplierA"} {
				as := w.byRole[who]
				status, body := w.do(as, "GET", "/api/v1/coverage", "")
				var rep coverage.Report
				if status != 200 || json.Unmarshal([]byte(body), &rep) != nil {
					t.Fatalf("%s: coverage: %d %.300s", who, status, body)
				}
				want := map[string]coverage.Status{}
				gaps := 0
				for _, sc := range rep.Suppliers {
					for _, list := range sc.Lists() {
						for _, mc := range list {
							want[sc.Supplier.Code+"/"+mc.Manufacturer.Code+"/"+mc.Model.Code] = mc.Status
							if mc.Counts.Gap > 0 {
								gaps++
							}
						}
					}
				}
				if len(want) < 2 {
					t.Fatalf("%s sees %d coverage rows: too few to page", who, len(want))
				}

				// Two rows a page, following next_cursor to the end.
				got := map[string]coverage.Status{}
				q := url.Values{"limit": {"2"}, "sort": {"-devices"}}
				var last int64 = -1
				for pages := 0; ; pages++ {
					if pages > len(want) {
						t.Fatalf("%s: more pages than rows", who)
					}
					status, body := w.do(as, "GET", "/api/v1/coverage/rows?"+q.Encode(), "")
					var p rowsPage
					if status != 200 || json.Unmarshal([]byte(body), &p) != nil {
						t.Fatalf("%s: rows: %d %.300s", who, status, body)
					}
					if p.Total != int64(len(want)) || p.Date != rep.Date.String() {
						t.Fatalf("%s: total %d date %s, want %d rows of %s", who, p.Total, p.Date, len(want), rep.Date)
					}
					for _, r := range p.Items {
						key := r.Supplier.Code + "/" + r.Manufacturer.Code + "/" + r.Model
						if _, dup := got[key]; dup {
							t.Errorf("%s: %s on two pages", who, key)
						}
						if last >= 0 && r.Counts.Devices > last {
							t.Errorf("%s: %s has %d Devices after a row of %d: not sorted by -devices", who, key, r.Counts.Devices, last)
						}
						last = r.Counts.Devices
						got[key] = r.Status
					}
					if p.NextCursor == "" {
						break
					}
					q.Set("cursor", p.NextCursor)
				}
				if len(got) != len(want) {
					t.Errorf("%s: the pages hold %d rows, the report %d", who, len(got), len(want))
				}
				for k, st := range want {
					if got[k] != st {
						t.Errorf("%s: %s is %q in the pages, %q in the report", who, k, got[k], st)
					}
				}
				if who == "supplierA" {
					for k := range got {
						if !strings.HasPrefix(k, rep.Suppliers[0].Supplier.Code+"/") || len(rep.Suppliers) != 1 {
							t.Errorf("a Supplier sees another's row %s", k)
						}
					}
				}

				// status=gap keeps the models with Devices in a gap.
				status, body = w.do(as, "GET", "/api/v1/coverage/rows?status=gap&limit=500", "")
				var gp rowsPage
				if status != 200 || json.Unmarshal([]byte(body), &gp) != nil || gp.Total != int64(gaps) {
					t.Errorf("%s: status=gap: %d, total %d, want %d: %.200s", who, status, gp.Total, gaps, body)
				}
				for _, r := range gp.Items {
					if r.Counts.Gap == 0 {
						t.Errorf("%s: status=gap shows %s with no Device in a gap", who, r.Model)
					}
				}

				// The export: every row, a header first.
				status, body = w.do(as, "GET", "/api/v1/coverage/rows?format=csv", "")
				recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
				if status != 200 || err != nil || len(recs) != len(want)+1 || recs[0][0] != "date" || recs[0][1] != "supplier" {
					t.Errorf("%s: csv export: %d, %d records (want %d), %v: %.200s", who, status, len(recs), len(want)+1, err, body)
				}
			}

			// Bad parameters name themselves.
			for _, c := range []struct{ query, field string }{
				{"sort=colour", "sort"}, {"status=purple", "status"}, {"limit=501", "limit"}, {"cursor=zzz", "cursor"}, {"date=2026-13-01", "date"},
			} {
				status, body := w.do(w.byRole["ssc"], "GET", "/api/v1/coverage/rows?"+c.query, "")
				if status != 422 || !strings.Contains(body, c.field) {
					t.Errorf("%s: %d %.200s, want 422 naming %s", c.query, status, body, c.field)
				}
			}
			// Roles without a view of coverage answer as getCoverage does.
			s1, b1 := w.do(w.byRole["map"], "GET", "/api/v1/coverage", "")
			s2, b2 := w.do(w.byRole["map"], "GET", "/api/v1/coverage/rows", "")
			if s1 != s2 || (s1 != 200 && !strings.Contains(b2, "title")) {
				t.Errorf("a MAP: coverage %d %.100s, rows %d %.100s", s1, b1, s2, b2)
			}
		})
	}
}
