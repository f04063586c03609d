package web_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
	"github.com/metersec/metersec/internal/web"
)

// listPage is the envelope of a list endpoint, with the fields the lists
// of this file share.
type listPage struct {
	Items []struct {
		Code      string `json:"code"`
		Reference string `json:"reference"`
		Expires   string `json:"expires"`
		Status    string `json:"status"`
	} `json:"items"`
	Total      int64  `json:"total"`
	NextCursor string `json:"next_cursor"`
	PrevCursor string `json:"prev_cursor"`
	Sort       string `json:"sort"`
}

func getPage(t *testing.T, w *world, role, path string) listPage {
	t.Helper()
	status, body := w.do(w.byRole[role], "GET", path, "")
	if status != 200 {
		t.Fatalf("GET %s as %s: %d %.300s", path, role, status, body)
	}
	var p listPage
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return p
}

// Issue 15, lane orgs: the directory and the arrangements are paged,
// sorted, filtered and exported, on the page and the API alike; a bad
// parameter is a problem naming it; the old parameters still work; and the
// dashboard's count of expiring arrangements links to exactly the rows it
// counts.
func TestDirectoryAndArrangementLists(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorldOn(t, db)

		// The directory: pages by code, forwards and back.
		first := getPage(t, w, "ssc", "/api/v1/parties?limit=3&sort=code")
		if len(first.Items) != 3 || first.Total <= 3 || first.NextCursor == "" || first.PrevCursor != "" || first.Sort != "code" {
			t.Fatalf("first page of parties %+v", first)
		}
		second := getPage(t, w, "ssc", "/api/v1/parties?limit=3&sort=code&cursor="+url.QueryEscape(first.NextCursor))
		if len(second.Items) == 0 || second.Items[0].Code <= first.Items[2].Code || second.PrevCursor == "" {
			t.Fatalf("second page %+v after %+v", second, first)
		}
		// role by label, as before issue 15, and by code.
		byLabel := getPage(t, w, "ssc", "/api/v1/parties?role=Manufacturer")
		byCode := getPage(t, w, "ssc", "/api/v1/parties?role=manufacturer")
		if byLabel.Total == 0 || byLabel.Total != byCode.Total {
			t.Errorf("role by label %d, by code %d", byLabel.Total, byCode.Total)
		}
		status, body := w.do(w.byRole["ssc"], "GET", "/parties?q=org&role=manufacturer&sort=-code&limit=1", "")
		for _, want := range []string{"organisations</strong> match the filters", `aria-sort="descending"`, `rel="next"`, `href="/parties?format=csv&amp;q=org&amp;role=manufacturer&amp;sort=-code"`, `<option value="manufacturer" selected>`} {
			if status != 200 || !strings.Contains(body, want) {
				t.Errorf("directory page lacks %q: %d", want, status)
			}
		}
		status, body = w.do(w.byRole["ssc"], "GET", "/parties?format=csv&role=manufacturer", "")
		lines := strings.Split(strings.TrimSpace(body), "\n")
		if status != 200 || lines[0] != "code,name,roles,classification,created_at,updated_at" || int64(len(lines)-1) != byCode.Total {
			t.Errorf("directory csv: %d, %d lines for %d: %.300s", status, len(lines), byCode.Total, body)
		}
		// Another Supplier's AMBER entry is in neither a Supplier's page nor
		// its export.
		status, body = w.do(w.byRole["supplierA"], "GET", "/api/v1/parties?format=json", "")
		if status != 200 || strings.Contains(body, `"SUPB"`) || !strings.Contains(body, `"SUPA"`) {
			t.Errorf("supplierA's export: %d %.300s", status, body)
		}

		// Arrangements: paged and sorted, the old parameters read.
		all := getPage(t, w, "ssc", "/api/v1/arrangements?limit=500")
		if all.Total < 3 || int64(len(all.Items)) != all.Total {
			t.Fatalf("arrangements: %+v", all)
		}
		p := getPage(t, w, "ssc", "/api/v1/arrangements?limit=2&sort=reference")
		if len(p.Items) != 2 || p.NextCursor == "" || p.Items[0].Reference > p.Items[1].Reference {
			t.Errorf("arrangements by reference %+v", p)
		}
		today := sec.UKDay(time.Now()).String()
		if a, b := getPage(t, w, "ssc", "/api/v1/arrangements?in_force_on="+today), getPage(t, w, "ssc", "/api/v1/arrangements?state=in_force"); a.Total != b.Total {
			t.Errorf("in_force_on today %d, state=in_force %d", a.Total, b.Total)
		}
		if a, b := getPage(t, w, "ssc", "/api/v1/arrangements?kind=loi"), getPage(t, w, "ssc", "/api/v1/arrangements?kind=letter_of_intent"); a.Total != b.Total {
			t.Errorf("kind=loi %d, kind=letter_of_intent %d", a.Total, b.Total)
		}
		status, body = w.do(w.byRole["ssc"], "GET", "/arrangements?limit=1&sort=expires&state=in_force", "")
		for _, want := range []string{"match the filters", `aria-sort="ascending"`, "Download all", `<option value="in_force" selected>in force</option>`} {
			if status != 200 || !strings.Contains(body, want) {
				t.Errorf("arrangements page lacks %q: %d", want, status)
			}
		}
		status, body = w.do(w.byRole["ssc"], "GET", "/api/v1/arrangements?format=csv&sort=reference", "")
		lines = strings.Split(strings.TrimSpace(body), "\n")
		if status != 200 || !strings.HasPrefix(lines[0], "reference,kind,title,supplier,map,manufacturer") || int64(len(lines)-1) != all.Total {
			t.Errorf("arrangements csv: %d, %d lines for %d", status, len(lines), all.Total)
		}
		for _, c := range []struct{ path, field string }{
			{"/api/v1/arrangements?state=lost", "state"}, {"/api/v1/arrangements?in_force_on=tomorrow", "in_force_on"},
			{"/arrangements?expiring_within=99999", "expiring_within"}, {"/api/v1/arrangements?limit=0", "limit"},
			{"/api/v1/parties?role=wizard", "role"}, {"/parties?sort=size", "sort"}, {"/api/v1/parties?cursor=x", "cursor"},
		} {
			status, body := w.do(w.byRole["ssc"], "GET", c.path, "")
			if status != 422 || !strings.Contains(body, c.field) {
				t.Errorf("%s: %d %.200s", c.path, status, body)
			}
		}

		// One arrangement that expires in a month: the dashboard counts it
		// and its link lists it, for each side and for the SSC.
		day := sec.UKDay(time.Now())
		w.exec(`INSERT INTO arrangements (reference, kind, title, supplier_id, manufacturer_id, all_models, materiality, signed, effective,
			expires, status, classification, created_at, updated_at) VALUES ('EXP-1', 'supplier_manufacturer', 'Expiring', $1, $2, TRUE, 'm', $3, $3, $4, 'active', 'AMBER', $5, $5)`,
			w.byRole["supplierA"].Caller.OrgID, w.byRole["manufacturerB"].Caller.OrgID, day.AddDays(-100), day.AddDays(30), time.Now().UTC())
		for _, role := range []string{"ssc", "supplierA", "manufacturerB", "supplierB"} {
			it := dashboardOf(t, w, role)[web.KeyArrangementsExpiring]
			if !strings.HasPrefix(it.Link, "/arrangements?") {
				t.Fatalf("%s: the expiring count links to %q", role, it.Link)
			}
			p := getPage(t, w, role, "/api/v1/"+strings.TrimPrefix(it.Link, "/"))
			if p.Total != it.Count {
				t.Errorf("%s: the dashboard counts %d expiring, its link lists %d", role, it.Count, p.Total)
			}
			found := false
			for _, a := range p.Items {
				found = found || a.Reference == "EXP-1"
			}
			if want := role != "supplierB"; found != want || (want && it.Count < 1) {
				t.Errorf("%s: EXP-1 listed %v (count %d)", role, found, it.Count)
			}
			status, body := w.do(w.byRole[role], "GET", it.Link, "")
			if status != 200 || (role != "supplierB" && !strings.Contains(body, "EXP-1")) {
				t.Errorf("%s: the page behind the count: %d", role, status)
			}
		}
	})
}
