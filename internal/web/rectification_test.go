package web_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/store"
)

// Issue 15: the rectification plans, of all vulnerabilities and of one, are
// lists on the shared core: a page in the envelope whose cursor fetches
// the next, sorted and filtered, a bad parameter a problem naming it, a
// page with the total and the pager, and the export with every row the
// filters match; a vulnerability the caller may not see is not found.
func TestRectificationPlanLists(t *testing.T) {
	w := newWorld(t, store.SQLite)
	ssc, supA := w.byRole["ssc"], w.byRole["supplierA"]
	type page struct {
		Items []struct {
			ID      int64  `json:"id"`
			VulnRef string `json:"vuln_ref"`
			Owner   struct {
				Code string `json:"code"`
			} `json:"owner"`
			Revisions []any `json:"revisions"`
		} `json:"items"`
		Total      int64  `json:"total"`
		NextCursor string `json:"next_cursor"`
		PrevCursor string `json:"prev_cursor"`
	}
	get := func(v *viewer, path string) page {
		t.Helper()
		status, body := w.do(v, "GET", path, "")
		if status != 200 {
			t.Fatalf("GET %s: %d %s", path, status, body)
		}
		var p page
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		return p
	}
	all := get(ssc, "/api/v1/rectification-plans?limit=200&sort=vulnerability")
	if all.Total < 3 || int64(len(all.Items)) != all.Total || len(all.Items[0].Revisions) == 0 {
		t.Fatalf("all plans: %+v", all)
	}
	for i := 1; i < len(all.Items); i++ {
		if all.Items[i].VulnRef < all.Items[i-1].VulnRef {
			t.Fatalf("sort=vulnerability: %s after %s", all.Items[i].VulnRef, all.Items[i-1].VulnRef)
		}
	}
	first := get(ssc, "/api/v1/rectification-plans?limit=1")
	second := get(ssc, "/api/v1/rectification-plans?limit=1&cursor="+url.QueryEscape(first.NextCursor))
	if len(first.Items) != 1 || first.NextCursor == "" || len(second.Items) != 1 || second.Items[0].ID == first.Items[0].ID || second.PrevCursor == "" {
		t.Fatalf("pages %+v then %+v", first, second)
	}
	own := get(supA, "/api/v1/rectification-plans?limit=200")
	if own.Total == 0 || own.Total >= all.Total {
		t.Errorf("supplierA sees %d of %d plans", own.Total, all.Total)
	}
	for _, p := range own.Items {
		if p.Owner.Code != "SUPA" {
			t.Errorf("supplierA sees %s's plan", p.Owner.Code)
		}
	}
	if p := get(ssc, "/api/v1/rectification-plans?supplier=supb&limit=200"); p.Total == 0 || p.Total+own.Total > all.Total {
		t.Errorf("supplier=supb: %d", p.Total)
	}
	ref := all.Items[0].VulnRef
	one := get(ssc, "/api/v1/vulnerabilities/"+ref+"/plans")
	if one.Total == 0 || one.Total != get(ssc, "/api/v1/rectification-plans?vulnerability="+strings.ToLower(ref)).Total {
		t.Errorf("%s's plans: %d", ref, one.Total)
	}
	for _, p := range one.Items {
		if p.VulnRef != ref {
			t.Errorf("%s's plans include one of %s", ref, p.VulnRef)
		}
	}
	if p := get(ssc, "/api/v1/rectification-plans?q="+url.QueryEscape(ref)); p.Total != one.Total {
		t.Errorf("q=%s: %d plans, want %d", ref, p.Total, one.Total)
	}
	if status, _ := w.do(supA, "GET", "/api/v1/vulnerabilities/MSV-1999-9999/plans", ""); status != 404 {
		t.Errorf("a vulnerability that does not exist: %d", status)
	}
	for _, path := range []string{"/api/v1/rectification-plans?", "/rectification-plans?", "/api/v1/vulnerabilities/" + ref + "/plans?"} {
		for q, field := range map[string]string{"limit=501": "limit", "sort=steps": "sort", "due=later": "due", "state=lost": "state", "open=maybe": "open", "to=tomorrow": "to"} {
			status, body := w.do(ssc, "GET", path+q, "")
			if status != 422 || !strings.Contains(body, field) {
				t.Errorf("%s%s: %d %.300s", path, q, status, body)
			}
		}
	}
	status, body := w.do(ssc, "GET", "/api/v1/rectification-plans?format=csv&sort=-vulnerability", "")
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if status != 200 || !strings.HasPrefix(lines[0], "id,vulnerability,owner,state") || int64(len(lines)-1) != all.Total {
		t.Errorf("csv: %d, %d lines for %d plans: %.300s", status, len(lines), all.Total, body)
	}
	status, body = w.do(ssc, "GET", "/rectification-plans?limit=1&sort=-supplier", "")
	if status != 200 || !strings.Contains(body, `class="list-total"`) || !strings.Contains(body, `aria-sort="descending"`) || !strings.Contains(body, `rel="next"`) ||
		strings.Count(body, `href="/vulnerabilities/MSV-`) != 1 {
		t.Errorf("/rectification-plans?limit=1: %d %.3000s", status, body)
	}
	status, body = w.do(supA, "GET", "/rectification-plans?format=json", "")
	var rows []map[string]any
	if status != 200 || json.Unmarshal([]byte(body), &rows) != nil || int64(len(rows)) != own.Total {
		t.Errorf("supplierA's JSON export: %d, %d rows for %d: %.300s", status, len(rows), own.Total, body)
	}
}
