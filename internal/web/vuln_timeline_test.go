package web_test

import (
	"encoding/csv"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/store"
)

// Issue 15: a vulnerability's timeline is a paged envelope, newest first,
// filtered by kind of entry, exported with the same filters; a bad
// parameter is a problem naming it and an unknown vulnerability not found.
func TestVulnTimelinePaged(t *testing.T) {
	w := newWorld(t, store.SQLite)
	ssc := w.byRole["ssc"]
	ref := vulnRef(t, w, "AMBER")
	type page struct {
		Items []struct {
			ID   int64  `json:"id"`
			At   string `json:"at"`
			Kind string `json:"kind"`
		} `json:"items"`
		Total      int64  `json:"total"`
		NextCursor string `json:"next_cursor"`
		Sort       string `json:"sort"`
	}
	get := func(path string) page {
		t.Helper()
		status, body := w.do(ssc, "GET", path, "")
		var p page
		if status != 200 || json.Unmarshal([]byte(body), &p) != nil {
			t.Fatalf("GET %s: %d %.300s", path, status, body)
		}
		return p
	}
	base := "/api/v1/vulnerabilities/" + ref + "/timeline"
	all := get(base + "?limit=500")
	if all.Total < 2 || int64(len(all.Items)) != all.Total || all.Sort != "-at" {
		t.Fatalf("timeline: %+v", all)
	}
	for i := 1; i < len(all.Items); i++ {
		if all.Items[i].At > all.Items[i-1].At {
			t.Fatalf("not newest first: %s after %s", all.Items[i].At, all.Items[i-1].At)
		}
	}
	first := get(base + "?limit=1")
	second := get(base + "?limit=1&cursor=" + url.QueryEscape(first.NextCursor))
	if first.Items[0].ID != all.Items[0].ID || second.Items[0].ID != all.Items[1].ID {
		t.Errorf("pages %+v, %+v of %+v", first, second, all.Items[:2])
	}
	kind := all.Items[0].Kind
	only := get(base + "?limit=500&kind=" + kind)
	if only.Total == 0 || only.Total > all.Total {
		t.Errorf("kind=%s: %d of %d", kind, only.Total, all.Total)
	}
	for _, e := range only.Items {
		if e.Kind != kind {
			t.Errorf("kind=%s gave %s", kind, e.Kind)
		}
	}
	for q, field := range map[string]string{"kind=gossip": "kind", "limit=0": "limit", "sort=note": "sort", "from=yesterday": "from"} {
		if status, body := w.do(ssc, "GET", base+"?"+q, ""); status != 422 || !strings.Contains(body, field) {
			t.Errorf("?%s: %d %.300s", q, status, body)
		}
	}
	status, body := w.do(ssc, "GET", base+"?format=csv&kind="+kind, "")
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if status != 200 || err != nil || len(rows) == 0 || strings.Join(rows[0][:3], ",") != "id,at,kind" || int64(len(rows)-1) != only.Total {
		t.Errorf("csv: %d %v, %d rows for %d: %.300s", status, err, len(rows), only.Total, body)
	}
	if status, _ := w.do(ssc, "GET", "/api/v1/vulnerabilities/MSV-1999-9999/timeline", ""); status != 404 {
		t.Errorf("an unknown vulnerability's timeline: %d", status)
	}
}
