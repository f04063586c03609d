package web_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/coverage"
	"github.com/metersec/metersec/internal/store/storetest"
)

// TestCoverageSaysWhereItCounted (issue 13 point 5): the API and the page
// answer a past day from the supply periods and today from the aggregates,
// say which, and agree with each other.
func TestCoverageSaysWhereItCounted(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			w := newWorld(t, engine)
			ssc := w.byRole["ssc"]
			for _, c := range []struct{ url, source, basis string }{
				{"/api/v1/coverage", coverage.SourcePortfolio, "from the portfolio aggregates"},
				{"/api/v1/coverage?date=2024-06-01", coverage.SourceSupplyPeriods, "computed from supply periods as at 2024-06-01"},
			} {
				status, body := w.do(ssc, "GET", c.url, "")
				var rep coverage.Report
				if status != 200 || json.Unmarshal([]byte(body), &rep) != nil {
					t.Fatalf("%s: %d %.300s", c.url, status, body)
				}
				if rep.Source != c.source || !strings.Contains(rep.Basis, c.basis) {
					t.Errorf("%s: source %q basis %q", c.url, rep.Source, rep.Basis)
				}
				page := strings.Replace(c.url, "/api/v1", "", 1)
				status, html := w.do(ssc, "GET", page, "")
				if status != 200 || !strings.Contains(html, `data-source="`+c.source+`"`) || !strings.Contains(html, c.basis) {
					t.Errorf("%s: %d, the page does not say it counted %s", page, status, c.basis)
				}
			}
		})
	}
}
