package usersystem_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"

	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/listing/listingtest"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
	"github.com/metersec/metersec/internal/usersystem"
)

// TestListsStableUnderInserts: the register and the SECMP0057 notifications
// (issue 15) walked by every sort, five at a time, while Users register more
// systems, never skip nor repeat a row; filters narrow the total.
func TestListsStableUnderInserts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		register := registrar(t, f)
		for range 14 {
			register()
		}
		listingtest.Stable(t, usersystem.NoticeSpec, nil, 5, func(r listing.Request) (listing.Page[usersystem.Notification], error) {
			return f.svc.NoticePage(ctx, f.ssc, r)
		}, func(n usersystem.Notification) int64 { return n.ID }, register)
	})
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		register := registrar(t, f)
		for range 14 {
			register()
		}
		listingtest.Stable(t, usersystem.ListSpec, nil, 5, func(r listing.Request) (listing.Page[usersystem.System], error) {
			return f.svc.Page(ctx, f.ssc, r, today)
		}, func(s usersystem.System) int64 { return s.ID }, register)

		for _, q := range []string{"user=SUPB", "state=planned&user=supb", "classification=AMBER&user=SUPA", "q=number 1"} {
			v, _ := url.ParseQuery(q)
			r, err := usersystem.ListSpec.Parse(v)
			if err != nil {
				t.Fatal(err)
			}
			p, err := f.svc.Page(ctx, f.ssc, r, today)
			if err != nil || p.Total == 0 || int64(len(p.Items)) != min(p.Total, 50) {
				t.Errorf("%s: %d of %d, %v", q, len(p.Items), p.Total, err)
			}
			all, _ := f.svc.Page(ctx, f.ssc, usersystem.ListSpec.First(), today)
			if p.Total >= all.Total {
				t.Errorf("%s: %d, not fewer than all %d", q, p.Total, all.Total)
			}
		}
		// On the day, Supplier B's systems are all planned (from 2027).
		v, _ := url.ParseQuery("user=SUPB&state=in_service")
		r, _ := usersystem.ListSpec.Parse(v)
		if p, err := f.svc.Page(ctx, f.ssc, r, today); err != nil || p.Total != 0 {
			t.Errorf("Supplier B in service on %s: %d, %v", today, p.Total, err)
		}
		// Another Supplier's user sees none of Supplier A's.
		v, _ = url.ParseQuery("user=SUPA")
		r, _ = usersystem.ListSpec.Parse(v)
		if p, err := f.svc.Page(ctx, f.supB, r, today); err != nil || p.Total != 0 {
			t.Errorf("Supplier B reads Supplier A's register: %d, %v", p.Total, err)
		}
	})
}

// registrar registers a User System at each call: Supplier A's in service
// on the day, every third one Supplier B's, planned; RED and AMBER in turn.
func registrar(t *testing.T, f fixture) func() {
	n := 0
	return func() {
		n++
		as, from := f.supA, "2026-01-01"
		if n%3 == 0 {
			as, from = f.supB, "2027-01-01"
		}
		class := "RED"
		if n%2 == 0 {
			class = "AMBER"
		}
		if _, err := f.svc.Create(context.Background(), as, usersystem.Input{Name: fmt.Sprintf("System %03d", n*37%1000), InServiceFrom: from, Classification: class,
			Description: fmt.Sprintf("number %d", n), Components: []usersystem.ComponentInput{{Manufacturer: "MANA"}}}); err != nil {
			t.Fatal(err)
		}
	}
}
