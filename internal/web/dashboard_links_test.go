package web_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
	"github.com/metersec/metersec/internal/web"
)

// Issue 15 point 2: the dashboard's plan counts link to filtered lists that
// show exactly the rows counted, for every role: the list's total (through
// the API, and on the page) equals the count.
func TestDashboardPlanLinksListWhatTheyCount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorldOn(t, db)
		// Of the seeded plans (submitted, due in 30 days), one now falls
		// due within the fortnight and another is overdue.
		plans := vulnPlansOf[w]
		if len(plans) < 3 {
			t.Fatalf("%d seeded plans", len(plans))
		}
		w.exec("UPDATE vuln_plans SET declared_completion = $1 WHERE id = $2", sec.DateOf(db.Now()).AddDays(3).String(), plans[0].id)
		w.exec("UPDATE vuln_plans SET state = 'overdue' WHERE id = $1", plans[1].id)

		keys := []web.DashboardKey{web.KeyPlansDueSoon, web.KeyPlansOverdue, web.KeyRemediationOverdue}
		nonZero := map[web.DashboardKey]bool{}
		for _, role := range []string{"ssc", "secretariat", "cio", "supplierA", "supplierB", "manufacturer", "map", "dcc", "network", "other"} {
			d := dashboardOf(t, w, role)
			for _, key := range keys {
				it, ok := d[key]
				if !ok {
					continue
				}
				if it.Count > 0 {
					nonZero[key] = true
				}
				status, body := w.do(w.byRole[role], "GET", "/api/v1"+it.Link, "")
				var page struct {
					Total int64 `json:"total"`
				}
				if status != 200 || json.Unmarshal([]byte(body), &page) != nil || page.Total != it.Count {
					t.Errorf("%s: %s counts %d; /api/v1%s lists %d (%d %.200s)", role, key, it.Count, it.Link, page.Total, status, body)
				}
				status, body = w.do(w.byRole[role], "GET", it.Link, "")
				if status != 200 || !strings.Contains(body, `class="list-total"`) || !strings.Contains(body, "<strong>"+thousandsOf(it.Count)+" plan") {
					t.Errorf("%s: %s page %s (%d) does not show the total %d", role, key, it.Link, status, it.Count)
				}
			}
		}
		for _, key := range keys {
			if !nonZero[key] {
				t.Errorf("%s is zero for everyone: the test proves nothing", key)
			}
		}
	})
}

// thousandsOf is n as the pages write it ("1,234").
func thousandsOf(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
