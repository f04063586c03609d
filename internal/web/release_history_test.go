package web_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/release"
	"github.com/metersec/metersec/internal/store"
)

// Issue 15: the SEC release table's history grows with every import, so it
// is a paged envelope with a documented maximum page, exported as CSV.
func TestReleaseHistoryPaged(t *testing.T) {
	w := newWorld(t, store.SQLite)
	ssc := w.byRole["ssc"]
	csv := release.CSV(release.Shipped())
	for _, reason := range []string{"first", "second", "third"} {
		if status, body := w.do(ssc, "PUT", "/api/v1/sec/releases?reason="+reason, csv); status != 200 {
			t.Fatalf("import: %d %.300s", status, body)
		}
	}
	status, body := w.do(ssc, "GET", "/api/v1/sec/releases/history?limit=2", "")
	var p struct {
		Items []struct {
			Reason string `json:"reason"`
		} `json:"items"`
		Total      int64  `json:"total"`
		NextCursor string `json:"next_cursor"`
	}
	if status != 200 || json.Unmarshal([]byte(body), &p) != nil || p.Total < 3 || len(p.Items) != 2 || p.Items[0].Reason != "third" || p.NextCursor == "" {
		t.Fatalf("history: %d %.500s", status, body)
	}
	if status, body := w.do(ssc, "GET", "/api/v1/sec/releases/history?limit=101", ""); status != 422 || !strings.Contains(body, `"field":"limit"`) {
		t.Errorf("limit=101: %d %.300s", status, body)
	}
	if status, body := w.do(ssc, "GET", "/api/v1/sec/releases/history?format=csv&q=second", ""); status != 200 || !strings.HasPrefix(body, "id,changed_at,changed_by,reason") || !strings.Contains(body, "second") || strings.Contains(body, ",third,") {
		t.Errorf("csv: %d %.300s", status, body)
	}
	if status, _ := w.do(w.byRole["supplierA"], "GET", "/api/v1/sec/releases/history", ""); status != 403 {
		t.Errorf("a Supplier reads the history: %d", status)
	}
}
