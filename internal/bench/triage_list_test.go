package bench

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
	"github.com/metersec/metersec/internal/triage"
)

// TestTriageRecordPageSpeed times a page of a facility's record (issue 15)
// on a record of N entries (-triage-record N; 1,000,000 with -triage-full):
// the first page in each order with its total, a page deep in the record
// through its cursor, and the filters a person uses. It logs, it does not
// fail: a timing on a shared machine is not a test.
func TestTriageRecordPageSpeed(t *testing.T) {
	n := 10_000
	if *triageFull {
		n = 1_000_000
	}
	if *triageRecord > 0 {
		n = *triageRecord
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w, err := BuildTriageWorld(ctx, db, n)
		if err != nil {
			t.Fatal(err)
		}
		for from := 0; from < n; from += 100_000 {
			if _, err := w.Intake(ctx, from, min(from+100_000, n)); err != nil {
				t.Fatal(err)
			}
		}
		page := func(what string, q url.Values) listing.Page[triage.Entry] {
			t.Helper()
			req, err := triage.EntrySpec.Parse(q)
			if err != nil {
				t.Fatal(err)
			}
			start, cpu := time.Now(), cpuTime()
			p, err := w.Triage.EntriesPage(ctx, w.Operator, w.Facility, req)
			if err != nil {
				t.Fatal(err)
			}
			logTiming(t, db, what+" of a "+itoa(n)+"-entry record ("+itoa(int(p.Total))+" match)", start, cpu, time.Second)
			return p
		}
		for _, sort := range triage.EntrySpec.SortNames() {
			page("first page by "+sort, url.Values{"sort": {sort}})
		}
		p := page("first page", url.Values{"limit": {"500"}})
		for range 3 {
			p = page("next page of 500", url.Values{"limit": {"500"}, "cursor": {p.NextCursor}})
		}
		page("one Device", url.Values{"device": {TriageDevice(n / 2).String()}})
		page("step=receive", url.Values{"step": {"receive"}})
		page("q=depot", url.Values{"q": {"depot"}})
		page("from/to", url.Values{"from": {"2000-01-01"}, "to": {"2000-12-31"}})
	})
}
