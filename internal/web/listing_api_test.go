package web_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/store"
)

// Issue 15: a list endpoint answers one page in the envelope, its cursor
// fetches the next, a bad paging parameter is a problem naming it, and
// format=csv streams every row with the same filters.
func TestListEndpointsPage(t *testing.T) {
	w := newWorld(t, store.SQLite)
	ssc := w.byRole["ssc"]
	type page struct {
		Items []struct {
			Ref string `json:"ref"`
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
	first := get("/api/v1/vulnerabilities?limit=1&sort=ref")
	if len(first.Items) != 1 || first.Total < 2 || first.NextCursor == "" || first.PrevCursor != "" {
		t.Fatalf("first page %+v", first)
	}
	second := get("/api/v1/vulnerabilities?limit=1&sort=ref&cursor=" + url.QueryEscape(first.NextCursor))
	if len(second.Items) != 1 || second.Items[0].Ref <= first.Items[0].Ref || second.PrevCursor == "" {
		t.Fatalf("second page %+v after %+v", second, first)
	}
	for q, field := range map[string]string{"limit=501": "limit", "sort=colour": "sort", "cursor=nonsense": "cursor", "state=lost": "state"} {
		status, body := w.do(ssc, "GET", "/api/v1/vulnerabilities?"+q, "")
		if status != 422 || !strings.Contains(body, `"field":"`+field+`"`) {
			t.Errorf("?%s: %d %s", q, status, body)
		}
	}
	status, body := w.do(ssc, "GET", "/api/v1/vulnerabilities?format=csv&sort=ref", "")
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if status != 200 || !strings.HasPrefix(lines[0], "ref,title,manufacturer,state") || int64(len(lines)-1) != first.Total {
		t.Errorf("csv: %d, %d lines for %d vulnerabilities: %.300s", status, len(lines), first.Total, body)
	}
	// Every notice of the caller's organisation, paged the same way.
	status, body = w.do(w.byRole["supplierA"], "GET", "/api/v1/notices?limit=1&notice_kind=test.notice", "")
	if status != 200 || !strings.Contains(body, `"total": `) || !strings.Contains(body, marker("notice", "supplierA")) ||
		strings.Contains(body, marker("notice", "supplierB")) {
		t.Errorf("notices: %d %s", status, body)
	}
}
