package web_test

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// listCheck walks one list endpoint as a viewer (issue 15): the first page
// of one row, the next by its cursor, the total unchanged, a filter that
// narrows it, a bad parameter answered 422 naming it, and the CSV export
// with every row the filters match.
type listCheck struct {
	as, path string // path without a query
	sort     string
	total    int64
	filter   string // a query that matches filtered rows
	filtered int64
	bad      string // a bad parameter=value, whose name the 422 names
	header   string // the CSV header's first columns
}

func (lc listCheck) run(t *testing.T, w *world) {
	t.Helper()
	v := w.byRole[lc.as]
	type page struct {
		Items      []json.RawMessage `json:"items"`
		Total      int64             `json:"total"`
		NextCursor string            `json:"next_cursor"`
		PrevCursor string            `json:"prev_cursor"`
		Sort       string            `json:"sort"`
	}
	get := func(q string) page {
		t.Helper()
		status, body := w.do(v, "GET", lc.path+"?"+q, "")
		if status != 200 {
			t.Fatalf("GET %s?%s: %d %s", lc.path, q, status, body)
		}
		var p page
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatalf("GET %s?%s: %v", lc.path, q, err)
		}
		return p
	}
	first := get("limit=1&sort=" + lc.sort)
	if len(first.Items) != 1 || first.Total != lc.total || first.NextCursor == "" || first.PrevCursor != "" || first.Sort != lc.sort {
		t.Fatalf("%s first page: %d items, total %d (want %d), next %q, sort %q", lc.path, len(first.Items), first.Total, lc.total, first.NextCursor, first.Sort)
	}
	second := get("limit=1&sort=" + lc.sort + "&cursor=" + url.QueryEscape(first.NextCursor))
	if len(second.Items) != 1 || second.Total != lc.total || second.PrevCursor == "" || string(second.Items[0]) == string(first.Items[0]) {
		t.Errorf("%s second page: %d items, total %d, prev %q", lc.path, len(second.Items), second.Total, second.PrevCursor)
	}
	var seen int
	for p, q := first, "sort="+lc.sort+"&limit=1"; ; {
		seen += len(p.Items)
		if p.NextCursor == "" || seen > int(lc.total) {
			break
		}
		p = get(q + "&cursor=" + url.QueryEscape(p.NextCursor))
	}
	if int64(seen) != lc.total {
		t.Errorf("%s: walking the pages saw %d rows of %d", lc.path, seen, lc.total)
	}
	if f := get(lc.filter); f.Total != lc.filtered || int64(len(f.Items)) != lc.filtered {
		t.Errorf("%s?%s: total %d, %d items, want %d", lc.path, lc.filter, f.Total, len(f.Items), lc.filtered)
	}
	name, _, _ := strings.Cut(lc.bad, "=")
	if status, body := w.do(v, "GET", lc.path+"?"+lc.bad, ""); status != 422 || !strings.Contains(body, `"field":"`+name+`"`) {
		t.Errorf("%s?%s: %d %.300s", lc.path, lc.bad, status, body)
	}
	status, body := w.do(v, "GET", lc.path+"?format=csv&"+lc.filter, "")
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if status != 200 || !strings.HasPrefix(lines[0], lc.header) || int64(len(lines)-1) != lc.filtered {
		t.Errorf("%s csv: %d, %d lines for %d rows: %.300s", lc.path, status, len(lines), lc.filtered, body)
	}
	status, body = w.do(v, "GET", lc.path+"?format=json&"+lc.filter, "")
	var rows []json.RawMessage
	if err := json.Unmarshal([]byte(body), &rows); status != 200 || err != nil || int64(len(rows)) != lc.filtered {
		t.Errorf("%s json: %d, %d rows (%v) for %d: %.300s", lc.path, status, len(rows), err, lc.filtered, body)
	}
}

// TestUserSysListsPaged: the lists of this lane on the paging core, on both
// engines: User Systems and their notifications, records of
// impracticability, failing deliveries, a model's firmware and
// certificates.
func TestUserSysListsPaged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorldOn(t, db)
		for _, lc := range []listCheck{
			{as: "ssc", path: "/api/v1/user-systems", sort: "-name", total: 4, filter: "user=SUPA&classification=AMBER", filtered: 1,
				bad: "state=gone", header: "id,user,ordinal,name"},
			{as: "ssc", path: "/api/v1/user-systems", sort: "registered_on", total: 4, filter: "q=us4&state=in_service&from=2000-01-01", filtered: 1,
				bad: "from=yesterday", header: "id,user,ordinal,name"},
			{as: "ssc", path: "/api/v1/user-system-notifications", sort: "-id", total: 2, filter: "state=unacknowledged&user=supa&classification=RED", filtered: 1,
				bad: "on_time=perhaps", header: "id,user_system_id,user,system_name"},
			{as: "ssc", path: "/api/v1/impracticabilities", sort: "supplier", total: 3, filter: "supplier=SUPA&manufacturer=MANB", filtered: 1,
				bad: "sort=colour", header: "reference,supplier,manufacturer,state"},
			{as: "ssc", path: "/api/v1/impracticabilities", sort: "-recorded_on", total: 3, filter: "state=accepted&q=imp-0002", filtered: 1,
				bad: "state=maybe", header: "reference,supplier,manufacturer,state"},
		} {
			lc.run(t, w)
		}
		// A model's firmware and certificates, made by its manufacturer.
		mfr := w.byRole["manufacturer"]
		status, body := w.do(mfr, "POST", "/api/v1/catalogue/models", `{"code": "PG1", "name": "Paged meter", "device_type": "ESME", "generation": "SMETS2+", "hardware_version": "1", "classification": "AMBER"}`)
		var m struct {
			ID int64 `json:"id"`
		}
		if err := json.Unmarshal([]byte(body), &m); status != 201 || err != nil {
			t.Fatalf("model: %d %s", status, body)
		}
		base := "/api/v1/catalogue/models/" + strconv.FormatInt(m.ID, 10)
		for _, v := range []string{"1.10", "1.2", "2.0", "1.9"} {
			if status, body := w.do(mfr, "POST", base+"/firmware", `{"version": "`+v+`"}`); status != 201 {
				t.Fatalf("firmware %s: %d %s", v, status, body)
			}
		}
		for _, c := range []string{`{"reference": "CPA/2020/7", "issued": "2020-01-01", "kind": "expiring", "expiry": "2023-01-01", "firmware": ["1.2", "1.9"]}`,
			`{"reference": "CPA/2024/1", "issued": "2024-01-01", "kind": "lifetime", "renewal": "2035-01-01", "firmware": ["2.0"]}`} {
			if status, body := w.do(mfr, "POST", base+"/certificates", c); status != 201 {
				t.Fatalf("certificate: %d %s", status, body)
			}
		}
		for _, lc := range []listCheck{
			{as: "manufacturer", path: base + "/firmware", sort: "version", total: 4, filter: "status=expired&date=2024-06-01", filtered: 2,
				bad: "status=fine", header: "id,model_id,version"},
			{as: "manufacturer", path: base + "/firmware", sort: "-status", total: 4, filter: "q=1.&certificate=cpa/2020/7", filtered: 2,
				bad: "date=soon", header: "id,model_id,version"},
			{as: "manufacturer", path: base + "/certificates", sort: "issued", total: 2, filter: "kind=lifetime&firmware=2.0", filtered: 1,
				bad: "kind=forever", header: "id,model_id,reference"},
		} {
			lc.run(t, w)
		}
		status, body = w.do(mfr, "GET", base+"/firmware?sort=-version&limit=3", "")
		var fws struct {
			Items []struct {
				Version string `json:"version"`
			} `json:"items"`
		}
		json.Unmarshal([]byte(body), &fws)
		var got []string
		for _, f := range fws.Items {
			got = append(got, f.Version)
		}
		if strings.Join(got, " ") != "2.0 1.10 1.9" {
			t.Errorf("firmware newest version first: %v (%d %.300s)", got, status, body)
		}
		if status, _ := w.do(w.byRole["supplierA"], "GET", base+"/firmware", ""); status != 404 {
			t.Errorf("a Supplier lists an AMBER model's firmware: %d", status)
		}

		// A Supplier sees its own records only.
		if status, body := w.do(w.byRole["supplierRed"], "GET", "/api/v1/impracticabilities", ""); status != 200 || !strings.Contains(body, `"total": 2`) {
			t.Errorf("the Supplier's records: %d %.300s", status, body)
		}
		// Failing deliveries: an envelope, filters checked, for operators only.
		if status, body := w.do(w.byRole["ssc"], "GET", "/api/v1/deliveries/problems?dead=true&limit=5", ""); status != 200 || !strings.Contains(body, `"total": `) {
			t.Errorf("problems: %d %.300s", status, body)
		}
		if status, body := w.do(w.byRole["ssc"], "GET", "/api/v1/deliveries/problems?dead=perhaps", ""); status != 422 || !strings.Contains(body, `"field":"dead"`) {
			t.Errorf("problems?dead=perhaps: %d %.300s", status, body)
		}
		if status, _ := w.do(w.byRole["supplierA"], "GET", "/api/v1/deliveries/problems", ""); status != 403 {
			t.Errorf("a Supplier reading the problems: %d", status)
		}
		// The pages: the total before the table, sortable headers, the
		// filters kept, the pager, a bad parameter a 422.
		for _, p := range []struct{ path, want string }{
			{"/user-systems?limit=2&sort=name", "4 User Systems"},
			{"/user-systems?user=SUPB", "1 User System"},
			{"/user-systems/notifications?limit=1", "2 notifications"},
			{"/impracticabilities?limit=1&sort=-recorded_on", "3 records"},
			{"/impracticabilities?state=accepted", "1 record"},
		} {
			status, body := w.do(w.byRole["ssc"], "GET", p.path, "")
			if status != 200 || !strings.Contains(body, `class="list-total"`) || !strings.Contains(body, p.want) || !strings.Contains(body, "aria-sort=") {
				t.Errorf("%s: %d, want %q in %.2000s", p.path, status, p.want, body)
			}
			if strings.Contains(p.path, "limit=") && !strings.Contains(body, `rel="next"`) {
				t.Errorf("%s: no next page link", p.path)
			}
		}
		for _, p := range []string{"/user-systems?sort=colour", "/user-systems/notifications?state=lost", "/impracticabilities?from=soon"} {
			if status, _ := w.do(w.byRole["ssc"], "GET", p, ""); status != 422 {
				t.Errorf("%s: %d, want 422", p, status)
			}
		}
		status, body = w.do(w.byRole["ssc"], "GET", "/user-systems?format=csv&user=SUPA", "")
		if lines := strings.Split(strings.TrimSpace(body), "\n"); status != 200 || len(lines) != 4 {
			t.Errorf("the register's page export: %d, %d lines: %.300s", status, len(lines), body)
		}
	})
}
