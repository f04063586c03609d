package web_test

import (
	"encoding/json"
	"html"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/store/storetest"
)

// TestEstateSummaryLinksToWhatItCounts (issue 15 point 1): the estate page
// sums installed Devices a row per Supplier, a column per generation and
// Device type (not a row per Supplier × generation × type, 350 rows at
// national scale), and every count links to the portfolio filtered to
// exactly the Devices it counts.
func TestEstateSummaryLinksToWhatItCounts(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			w := newWorld(t, engine)
			for _, who := range []string{"ssc", "supplierA"} {
				as := w.byRole[who]
				status, page := w.do(as, "GET", "/estate", "")
				if status != 200 || !strings.Contains(page, `class="estate-totals"`) {
					t.Fatalf("%s: /estate: %d %.300s", who, status, page)
				}
				cell := regexp.MustCompile(`<a href="/portfolio\?([^"]+)">([0-9,]+)</a>`)
				cells := cell.FindAllStringSubmatch(page, -1)
				if len(cells) < 2 {
					t.Fatalf("%s: /estate has %d linked counts", who, len(cells))
				}
				for _, m := range cells {
					q, err := url.ParseQuery(html.UnescapeString(m[1]))
					if err != nil || q.Get("supplier") == "" || (q.Get("generation") == "" && q.Get("type") == "") {
						t.Errorf("%s: a count links to /portfolio?%s", who, m[1])
						continue
					}
					want, _ := strconv.ParseInt(strings.ReplaceAll(m[2], ",", ""), 10, 64)
					status, body := w.do(as, "GET", "/api/v1/portfolio?limit=500&"+q.Encode(), "")
					var p struct {
						Items []struct {
							Devices int64 `json:"devices"`
						} `json:"items"`
						NextCursor string `json:"next_cursor"`
					}
					if status != 200 || json.Unmarshal([]byte(body), &p) != nil || p.NextCursor != "" {
						t.Fatalf("%s: portfolio %s: %d %.300s", who, q.Encode(), status, body)
					}
					var got int64
					for _, it := range p.Items {
						got += it.Devices
					}
					if got != want {
						t.Errorf("%s: /estate shows %d for %s, the portfolio it links to holds %d", who, want, q.Encode(), got)
					}
				}
				if who == "supplierA" && strings.Contains(page, ">SUPB<") {
					t.Errorf("a Supplier's estate page names another Supplier")
				}
			}
		})
	}
}
