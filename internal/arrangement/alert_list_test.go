package arrangement_test

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/listing/listingtest"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// Issue 15: alerts page by keyset, so alerts raised between two fetches
// neither repeat nor skip one, in every order; a Supplier sees its own.
func TestAlertListPagesStablyUnderInserts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		n := 0
		base := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
		add := func() {
			n++
			org := []string{"SUPA", "SUPB", "SSC"}[n%3]
			e.exec(`INSERT INTO arrangement_alerts (org_id, kind, title, body, classification, alert_key, created_at) VALUES ($1, $2, $3, 'b', 'AMBER', $4, $5)`,
				e.orgs[org], arrangement.AlertKinds[(n/3)%3], fmt.Sprintf("Alert %c", 'A'+rune(n%4)), fmt.Sprint("k", n), base.Add(time.Duration(n%5)*time.Hour))
		}
		for range 7 {
			add()
		}
		fetch := func(r listing.Request) (listing.Page[arrangement.Alert], error) {
			return e.svc.AlertPage(e.ctx, e.as["SSC"], r)
		}
		insert := func() {
			if n < 30 {
				add()
			}
		}
		listingtest.Stable(t, arrangement.AlertSpec, nil, 3, fetch, func(a arrangement.Alert) int64 { return a.ID }, insert)

		r, _ := arrangement.AlertSpec.Parse(url.Values{"limit": {"500"}, "from": {"2025-06-01"}, "to": {"2025-06-01"}, "kind": {"coverage.gap"}})
		p, err := e.svc.AlertPage(e.ctx, e.as["SUPA"], r)
		if err != nil {
			t.Fatal(err)
		}
		if p.Total == 0 || p.Total != int64(len(p.Items)) {
			t.Errorf("SUPA's gaps: total %d, %d rows", p.Total, len(p.Items))
		}
		for _, a := range p.Items {
			if a.Org != "SUPA" || a.Kind != "coverage.gap" {
				t.Errorf("SUPA sees %+v", a)
			}
		}
		r, _ = arrangement.AlertSpec.Parse(url.Values{"from": {"2025-06-02"}})
		if p, err := e.svc.AlertPage(e.ctx, e.as["SSC"], r); err != nil || p.Total != 0 {
			t.Errorf("from the day after: %d, %v", p.Total, err)
		}
	})
}
