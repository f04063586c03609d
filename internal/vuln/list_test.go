package vuln_test

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/listing/listingtest"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
	"github.com/metersec/metersec/internal/vuln"
)

// Issue 15: the list pages by keyset, so reports filed between two page
// fetches neither repeat a vulnerability nor skip one, in every order.
func TestListPagesStablyUnderInserts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		n := 0
		file := func() {
			n++
			in := e1Report(yes())
			in.Title = fmt.Sprintf("Finding %c", 'A'+rune(n%5)) // ties on title
			f.clock = f.clock.Add(time.Duration(n%3) * 24 * time.Hour)
			f.report("MANA", in)
		}
		for range 7 {
			file()
		}
		fetch := func(r listing.Request) (listing.Page[vuln.Summary], error) { return f.svc.Page(f.ctx, f.as["MANA"], r) }
		insert := func() {
			if n < 30 { // enough to land before, inside and after the pages of every order
				file()
			}
		}
		listingtest.Stable(t, vuln.ListSpec, nil, 3, fetch, func(x vuln.Summary) int64 { return x.ID }, insert)

		// A vulnerability's recipients and a Supplier's inbox page the same way.
		ref := func() string {
			p, _ := f.svc.Page(f.ctx, f.as["SSC"], vuln.ListSpec.First())
			return p.Items[0].Ref
		}()
		listingtest.Stable(t, vuln.RecipientSpec, nil, 2, func(r listing.Request) (listing.Page[vuln.Recipient], error) {
			return f.svc.RecipientsPage(f.ctx, f.as["SSC"], ref, r)
		}, func(x vuln.Recipient) int64 { return x.ID }, nil)
		listingtest.Stable(t, vuln.InboxSpec, nil, 4, func(r listing.Request) (listing.Page[vuln.InboxItem], error) {
			p, err := f.svc.Inbox(f.ctx, f.as["SUPA"], r)
			return p.Page, err
		}, func(x vuln.InboxItem) int64 { return x.Recipient.ID }, nil)
		// The SSC's acknowledgements awaited, across every vulnerability.
		listingtest.Stable(t, vuln.AwaitingSpec, nil, 3, func(r listing.Request) (listing.Page[vuln.Unacknowledged], error) {
			return f.svc.AwaitingPage(f.ctx, f.as["SSC"], r, f.clock)
		}, func(x vuln.Unacknowledged) int64 { return x.RecipientID }, nil)
		if _, err := f.svc.AwaitingPage(f.ctx, f.as["SUPA"], vuln.AwaitingSpec.First(), f.clock); err == nil {
			t.Error("a Supplier lists the acknowledgements awaited of everyone")
		}
		if o, err := f.svc.Overview(f.ctx, f.as["SSC"], f.clock); err != nil {
			t.Fatal(err)
		} else if p, err := f.svc.AwaitingPage(f.ctx, f.as["SSC"], vuln.AwaitingSpec.First(), f.clock); err != nil || p.Total != int64(len(o.Unacknowledged)) || p.Total == 0 {
			t.Errorf("awaited: %d listed, the overview has %d, %v", p.Total, len(o.Unacknowledged), err)
		}
		r, _ := vuln.InboxSpec.Parse(url.Values{"acknowledged": {"true"}})
		if p, err := f.svc.Inbox(f.ctx, f.as["SUPA"], r); err != nil || p.Total != 0 || p.Unacknowledged == 0 {
			t.Errorf("SUPA's acknowledged: %d of which %d unacknowledged overall, %v", p.Total, p.Unacknowledged, err)
		}
		if _, err := f.svc.RecipientsPage(f.ctx, f.as["SUPC"], ref, vuln.RecipientSpec.First()); err == nil {
			t.Error("SUPC may not see the vulnerability, yet lists its recipients")
		}

		// Filters count what they show; a Supplier told of none sees none.
		r, _ = vuln.ListSpec.Parse(url.Values{"q": {"finding a"}, "severity": {"High"}, "model": {"e1"}, "manufacturer": {"mana"}, "limit": {"500"}})
		p, err := f.svc.Page(f.ctx, f.as["SSC"], r)
		if err != nil {
			t.Fatal(err)
		}
		if p.Total == 0 || p.Total != int64(len(p.Items)) {
			t.Errorf("filtered: total %d, %d rows", p.Total, len(p.Items))
		}
		for _, x := range p.Items {
			if x.Title != "Finding A" {
				t.Errorf("q=finding a gave %q", x.Title)
			}
		}
		if p, err := f.svc.Page(f.ctx, f.as["SUPC"], vuln.ListSpec.First()); err != nil || p.Total != 0 || len(p.Items) != 0 {
			t.Errorf("SUPC sees %d (total %d), %v", len(p.Items), p.Total, err)
		}
		r, _ = vuln.ListSpec.Parse(url.Values{"model": {"B1"}})
		if p, err := f.svc.Page(f.ctx, f.as["SSC"], r); err != nil || p.Total != 0 {
			t.Errorf("model=B1: total %d, %v", p.Total, err)
		}
	})
}
