package web_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/store"
)

// Issue 15: the reports and the runs are lists on the shared core: the API
// answers a page in the envelope whose cursor fetches the next, a bad
// parameter is a problem naming it, the page shows the total, sortable
// headers and the pager, and the export has every row the filters match.
func TestReportListsOnTheCore(t *testing.T) {
	w := newWorld(t, store.SQLite)
	ssc := w.byRole["ssc"]
	type page struct {
		Items []struct {
			ID        int64  `json:"id"`
			Reference string `json:"reference"`
			Kind      string `json:"kind"`
			Files     []any  `json:"files"`
		} `json:"items"`
		Total      int64  `json:"total"`
		NextCursor string `json:"next_cursor"`
		PrevCursor string `json:"prev_cursor"`
	}
	get := func(path string) page {
		t.Helper()
		status, body := w.do(ssc, "GET", path, "")
		if status != 200 {
			t.Fatalf("GET %s: %d %s", path, status, body)
		}
		var p page
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		return p
	}
	first := get("/api/v1/reports?limit=1&sort=reference")
	if len(first.Items) != 1 || first.Total < 2 || first.NextCursor == "" || len(first.Items[0].Files) == 0 {
		t.Fatalf("first page %+v", first)
	}
	second := get("/api/v1/reports?limit=1&sort=reference&cursor=" + url.QueryEscape(first.NextCursor))
	if len(second.Items) != 1 || second.Items[0].Reference <= first.Items[0].Reference || second.PrevCursor == "" {
		t.Fatalf("second page %+v after %+v", second, first)
	}
	standing := get("/api/v1/reports?kind=standing&limit=500")
	for _, r := range standing.Items {
		if r.Kind != "standing" {
			t.Errorf("kind=standing gave %s", r.Reference)
		}
	}
	if q := get("/api/v1/reports?q=" + url.QueryEscape(first.Items[0].Reference)); q.Total != 1 {
		t.Errorf("q=%s: %d reports", first.Items[0].Reference, q.Total)
	}
	for _, path := range []string{"/api/v1/reports?", "/reports?"} {
		for q, field := range map[string]string{"limit=0": "limit", "sort=colour": "sort", "kind=weekly": "kind", "month=2026-13": "month", "mailed=yes": "mailed", "from=5+Dec": "from"} {
			status, body := w.do(ssc, "GET", path+q, "")
			if status != 422 || !strings.Contains(body, field) {
				t.Errorf("%s%s: %d %.300s", path, q, status, body)
			}
		}
	}
	status, body := w.do(ssc, "GET", "/api/v1/reports?format=csv&kind=standing", "")
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if status != 200 || !strings.HasPrefix(lines[0], "id,reference,kind,month") || int64(len(lines)-1) != standing.Total {
		t.Errorf("csv: %d, %d lines for %d standing reports: %.300s", status, len(lines), standing.Total, body)
	}
	status, body = w.do(ssc, "GET", "/api/v1/reports?format=json", "")
	var all []map[string]any
	if err := json.Unmarshal([]byte(body), &all); status != 200 || err != nil || int64(len(all)) != get("/api/v1/reports").Total {
		t.Errorf("json export: %d %v, %d rows", status, err, len(all))
	}

	runs := get("/api/v1/report-runs?limit=1")
	if runs.Total == 0 || len(runs.Items) != 1 {
		t.Errorf("runs: %+v", runs)
	}
	status, body = w.do(ssc, "GET", "/api/v1/report-runs?format=csv&scope=monthly", "")
	if status != 200 || !strings.HasPrefix(body, "id,scope,month,version") {
		t.Errorf("runs csv: %d %.200s", status, body)
	}
	if status, body := w.do(ssc, "GET", "/api/v1/report-runs?scope=weekly", ""); status != 422 || !strings.Contains(body, `"field":"scope"`) {
		t.Errorf("runs scope=weekly: %d %.200s", status, body)
	}

	status, body = w.do(ssc, "GET", "/reports?limit=1&sort=reference", "")
	if status != 200 || !strings.Contains(body, `class="list-total"`) || !strings.Contains(body, `aria-sort="ascending"`) ||
		!strings.Contains(body, `rel="next"`) || !strings.Contains(body, first.Items[0].Reference) || strings.Contains(body, second.Items[0].Reference) {
		t.Errorf("/reports?limit=1: %d %.2000s", status, body)
	}
	status, body = w.do(ssc, "GET", "/reports?kind=standing&format=csv", "")
	if status != 200 || int64(strings.Count(strings.TrimSpace(body), "\n")) != standing.Total {
		t.Errorf("/reports export: %d %.300s", status, body)
	}
}
