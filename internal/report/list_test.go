package report

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/listing/listingtest"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// Issue 15: the lists of reports and of runs page on the shared core,
// stable in every order while new versions are generated between the
// pages; a Supplier sees only its own; the filters narrow and the export
// has the rows they match.
func TestReportListsPageStably(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEstate(t, db)
		s, _ := e.service()
		e.clock.set(ts("2026-11-02T07:00:00Z"))
		if _, err := s.RunMonthly(ctx, sys, e.october, RunOptions{Trigger: "schedule"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RunStanding(ctx, sys, e.october, RunOptions{Trigger: "schedule"}); err != nil {
			t.Fatal(err)
		}
		reruns := 0
		insert := func() {
			if reruns < 3 {
				if _, err := s.RunMonthly(ctx, sys, e.october, RunOptions{Force: true, Trigger: "cli"}); err != nil {
					t.Fatal(err)
				}
				reruns++
			}
		}
		fetch := func(r listing.Request) (listing.Page[Report], error) { return s.ListPage(ctx, sys, r) }
		listingtest.Stable(t, ListSpec, nil, 3, fetch, func(r Report) int64 { return r.ID }, insert)
		reruns = 0
		listingtest.Stable(t, RunSpec, nil, 1, func(r listing.Request) (listing.Page[Run], error) { return s.RunPage(ctx, e.secretariat, r) },
			func(r Run) int64 { return r.ID }, insert)

		parse := func(q string) listing.Request {
			t.Helper()
			v, _ := url.ParseQuery(q)
			r, err := ParseList(v)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return r
		}
		page := func(_ any, q string) listing.Page[Report] {
			t.Helper()
			p, err := s.ListPage(ctx, sys, parse(q))
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		p := page(nil, "limit=500&kind=supplier&org=s1")
		if p.Total == 0 || p.Total != int64(len(p.Items)) {
			t.Fatalf("kind=supplier&org=s1: %d of %d", len(p.Items), p.Total)
		}
		for _, r := range p.Items {
			if r.Kind != SupplierKind || r.Recipient == nil || r.Recipient.Code != "S1" || len(r.Files) != len(Formats) {
				t.Errorf("kind=supplier&org=s1 gave %s (%d files)", r.Reference, len(r.Files))
			}
		}
		if st := page(nil, "kind=standing&mailed=false"); st.Total != 1 || st.Items[0].Classification != sec.Red {
			t.Errorf("standing, not mailed: %+v", st)
		}
		if q := page(nil, "q="+url.QueryEscape(strings.ToLower(p.Items[0].Reference))); q.Total != 1 {
			t.Errorf("q=%s: %d reports", p.Items[0].Reference, q.Total)
		}
		if none := page(nil, "from=2026-11-01"); none.Total != 0 {
			t.Errorf("from November: %d reports on October", none.Total)
		}
		if oct := page(nil, "from=2026-10-31&to=2026-10-31&month=2026-10"); oct.Total != page(nil, "").Total {
			t.Errorf("October: %d of %d", oct.Total, page(nil, "").Total)
		}
		for q, field := range map[string]string{"month=2026-13": "month", "kind=weekly": "kind", "mailed=maybe": "mailed"} {
			v, _ := url.ParseQuery(q)
			if _, err := ParseList(v); err == nil || !strings.Contains(err.Error(), field) {
				t.Errorf("%s: %v", q, err)
			}
		}

		s1 := addUser(t, db, "soc@s1.example", "S1", sec.RoleSupplier)
		own, err := s.ListPage(ctx, s1, parse("limit=500"))
		if err != nil || own.Total == 0 {
			t.Fatalf("S1's own: %+v %v", own, err)
		}
		for _, r := range own.Items {
			if r.Recipient == nil || r.Recipient.Code != "S1" {
				t.Errorf("S1 sees %s", r.Reference)
			}
		}
		var buf bytes.Buffer
		w, _ := listing.NewWriter(&buf, "csv", ListHeader)
		if err := s.Export(ctx, s1, parse("format=csv"), w); err != nil {
			t.Fatal(err)
		}
		w.Close()
		if lines := strings.Count(strings.TrimSpace(buf.String()), "\n"); int64(lines) != own.Total {
			t.Errorf("S1's export has %d rows, its list %d:\n%s", lines, own.Total, buf.String())
		}
		if _, err := s.RunPage(ctx, s1, RunSpec.First()); err == nil {
			t.Errorf("a Supplier lists the runs")
		}
	})
}
