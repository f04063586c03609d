package release

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/listing/listingtest"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// Issue 15: the history of the release table pages on the shared core,
// newest first, stable while the table is imported again between pages;
// q narrows it and the export has the rows it matches.
func TestHistoryPagesStably(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sys := access.SystemCaller("test")
		n := 0
		imp := func() {
			rows := Shipped()
			if n%2 == 0 {
				rows = append(rows, Row{Version: sec.MustParseVersion("6.9"), Effective: sec.MustParseDate("2023-06-29"), Public: true, Source: "SECAS"})
			}
			if _, err := Import(ctx, db, sys, strings.NewReader(CSV(rows)), fmt.Sprintf("change %02d by %s", n, []string{"ops", "secas"}[n%2])); err != nil {
				t.Fatal(err)
			}
			n++
		}
		for range 5 {
			imp()
		}
		insert := func() {
			if n < 15 {
				imp()
			}
		}
		fetch := func(r listing.Request) (listing.Page[Change], error) { return HistoryPage(ctx, db, sys, r) }
		listingtest.Stable(t, HistorySpec, nil, 2, fetch, func(ch Change) int64 { return ch.ID }, insert)

		p, err := HistoryPage(ctx, db, sys, HistorySpec.First())
		if err != nil || p.Total != int64(n) || p.Items[0].Reason != fmt.Sprintf("change %02d by %s", n-1, []string{"ops", "secas"}[(n-1)%2]) {
			t.Fatalf("newest first: %d of %d, %v", p.Total, n, err)
		}
		r, err := HistorySpec.Parse(url.Values{"q": {"SECAS"}, "format": {"csv"}})
		if err != nil {
			t.Fatal(err)
		}
		q, err := HistoryPage(ctx, db, sys, r)
		if err != nil || q.Total != int64(n/2) {
			t.Errorf("q=SECAS: %d of %d, %v", q.Total, n, err)
		}
		var buf bytes.Buffer
		w, _ := listing.NewWriter(&buf, "csv", HistoryHeader)
		if err := ExportHistory(ctx, db, sys, r, w); err != nil {
			t.Fatal(err)
		}
		w.Close()
		if !strings.HasPrefix(buf.String(), "id,changed_at,changed_by,reason,previous_csv,current_csv") || !strings.Contains(buf.String(), "change 01 by secas") {
			t.Errorf("export: %.300s", buf.String())
		}
		if _, err := HistorySpec.Parse(url.Values{"limit": {"101"}}); err == nil {
			t.Error("a page of 101 changes")
		}
	})
}
