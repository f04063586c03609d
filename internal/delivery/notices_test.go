package delivery

import (
	"context"
	"fmt"
	"net/url"
	"testing"

	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/listing/listingtest"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// Issue 15 point 3: the inbox pages by keyset, filters by read, and groups
// by subject; notices arriving between page fetches neither repeat nor skip.
func TestNoticesPageStablyAndGroupBySubject(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := addOrg(t, db, "SUPA", "large_supplier")
		b := addOrg(t, db, "SUPB", "large_supplier")
		alice := addUser(t, db, "SUPA", "alice@supa.example", "supplier")
		svc := &Service{DB: db}
		n := 0
		add := func() {
			n++
			x := notice(a, fmt.Sprint("k", n))
			x.RecordID = int64(n % 4) // four subjects
			x.Title = fmt.Sprintf("Notice %c", 'A'+rune(n%3))
			if n%5 == 0 {
				x.RecordKind, x.RecordID = "", 0 // a subject of its own
			}
			notify(t, db, x)
		}
		for range 9 {
			add()
		}
		notify(t, db, notice(b, "other"))
		insert := func() {
			if n < 25 {
				add()
			}
		}
		id := func(x InboxNotice) int64 { return x.ID }
		listingtest.Stable(t, NoticeSpec, nil, 4, func(r listing.Request) (listing.Page[InboxNotice], error) { return svc.Notices(ctx, alice, r) }, id, insert)
		listingtest.Stable(t, NoticeGroupSpec, nil, 2, func(r listing.Request) (listing.Page[NoticeGroup], error) { return svc.NoticeGroups(ctx, alice, r) },
			func(g NoticeGroup) int64 { return g.LatestNotice.ID }, insert)

		all, err := svc.Notices(ctx, alice, mustParse(t, NoticeSpec, url.Values{"limit": {"500"}}))
		if err != nil || all.Total != int64(n) {
			t.Fatalf("alice's notices: %d, %v; want %d (not SUPB's)", all.Total, err, n)
		}
		if _, err := svc.MarkRead(ctx, alice, all.Items[0].ID, all.Items[1].ID); err != nil {
			t.Fatal(err)
		}
		unread, _ := svc.Notices(ctx, alice, mustParse(t, NoticeSpec, url.Values{"read": {"false"}}))
		read, _ := svc.Notices(ctx, alice, mustParse(t, NoticeSpec, url.Values{"read": {"true"}}))
		if unread.Total != int64(n-2) || read.Total != 2 {
			t.Errorf("unread %d, read %d; want %d and 2", unread.Total, read.Total, n-2)
		}
		groups, err := svc.NoticeGroups(ctx, alice, mustParse(t, NoticeGroupSpec, url.Values{"limit": {"500"}}))
		if err != nil {
			t.Fatal(err)
		}
		sum, unreadSum := 0, 0
		for _, g := range groups.Items {
			sum += g.Notices
			unreadSum += g.Unread
			if g.LatestNotice.Title == "" {
				t.Errorf("group %s has no latest notice", g.Subject)
			}
			sub, _ := svc.Notices(ctx, alice, mustParse(t, NoticeSpec, url.Values{"subject": {g.Subject}}))
			if sub.Total != int64(g.Notices) || sub.Items[0].ID != g.LatestNotice.ID {
				t.Errorf("subject %s: %d notices, latest %d; the group says %d, latest %d", g.Subject, sub.Total, sub.Items[0].ID, g.Notices, g.LatestNotice.ID)
			}
		}
		if sum != n || unreadSum != n-2 {
			t.Errorf("groups hold %d notices (%d unread), want %d (%d)", sum, unreadSum, n, n-2)
		}
	})
}

func mustParse(t *testing.T, spec *listing.Spec, q url.Values) listing.Request {
	t.Helper()
	r, err := spec.Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
