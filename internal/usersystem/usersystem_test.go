package usersystem_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
	"github.com/metersec/metersec/internal/usersystem"
)

func init() { account.DefaultArgon2 = account.Argon2Params{Memory: 64, Time: 1, Threads: 1} }

type fixture struct {
	db                     *store.DB
	svc                    *usersystem.Service
	ssc, supA, supA2, supB access.Caller
}

var today = sec.MustParseDate("2026-06-01")

func setup(t *testing.T, db *store.DB) fixture { return setupTB(t, db, t) }

// setupTB builds the fixture for a test or a benchmark.
func setupTB(t testing.TB, db *store.DB, _ *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	sys := access.SystemCaller("test")
	for _, p := range []struct{ code, role string }{
		{"SSC", "ssc"}, {"SUPA", "large_supplier"}, {"SUPB", "small_supplier"}, {"MANA", "manufacturer"}, {"MANB", "manufacturer"}, {"MAPA", "map"},
	} {
		if _, err := (&party.Service{DB: db}).Create(ctx, sys, party.NewParty{Code: p.code, Name: "Org " + p.code, Roles: []string{p.role},
			Contacts: []party.ContactInput{{Name: "Contact", Email: strings.ToLower(p.code) + "@example.org"}}}); err != nil {
			t.Fatal(err)
		}
	}
	user := func(email, org string, role sec.Role) access.Caller {
		u, err := account.NewService(db).AddUser(ctx, sys, account.NewUser{Email: email, Name: email, Org: org, Roles: []string{string(role)},
			Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		return u.Caller("session", nil)
	}
	f := fixture{db: db, svc: &usersystem.Service{DB: db, Today: func(time.Time) sec.Date { return today }}}
	f.ssc = user("chair@ssc.example.org", "SSC", sec.RoleSSCMember)
	f.supA = user("ops@supa.example.org", "SUPA", sec.RoleSupplier)
	f.supA2 = user("other@supa.example.org", "SUPA", sec.RoleSupplier)
	f.supB = user("ops@supb.example.org", "SUPB", sec.RoleSupplier)
	arr := arrangement.NewService(db)
	for _, in := range []arrangement.Input{
		{Reference: "A-MANA", Kind: "supplier_manufacturer", Supplier: "SUPA", Manufacturer: "MANA", AllModels: true, Materiality: "CVSS 7+",
			Signed: "2024-01-01", Effective: "2024-01-01", Expires: "2026-12-31"},
		{Reference: "L-MANB", Kind: "letter_of_intent", Supplier: "SUPA", Manufacturer: "MANB", AllModels: true, Materiality: "CVSS 7+",
			Signed: "2025-01-01", Effective: "2025-01-01", Signatures: []arrangement.SignatureInput{{Party: "SUPA", Signed: "2025-01-01"}}},
		{Reference: "B-MANA", Kind: "supplier_manufacturer", Supplier: "SUPB", Manufacturer: "MANA", AllModels: true, Materiality: "CVSS 7+",
			Signed: "2024-01-01", Effective: "2024-01-01"},
		{Reference: "M-MAPA", Kind: "supplier_map", Supplier: "SUPA", MAP: "MAPA", AllModels: true, Materiality: "CVSS 7+",
			Signed: "2024-01-01", Effective: "2024-01-01"},
	} {
		if _, err := arr.Create(ctx, sys, in); err != nil {
			t.Fatalf("%s: %v", in.Reference, err)
		}
	}
	return f
}

func count(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRegisterAndNotify(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		hes := usersystem.Input{Name: "Head-end system", Description: "Talks to the DCC", InServiceFrom: "2024-02-01",
			Components: []usersystem.ComponentInput{{Manufacturer: "MANA", Supplies: "software", Arrangement: "A-MANA"}, {Manufacturer: "manb", Supplies: "hardware"}}}
		first, err := f.svc.Create(ctx, f.supA, hes)
		if err != nil {
			t.Fatal(err)
		}
		if first.Ordinal != 1 || first.User != "SUPA" || first.Classification != sec.Red || first.Notification != nil {
			t.Fatalf("first: %+v", first)
		}
		// MANA is under a contract in force; MANB has nothing linked: the
		// system is a Gap, its worst.
		if first.Components[0].Status != sec.USCovered || first.Components[1].Status != sec.USGap || first.Status != sec.USGap {
			t.Errorf("first's statuses: %+v", first.Components)
		}
		if !first.Duties[0].Applies || !first.Duties[1].Applies {
			t.Errorf("duties: %+v", first.Duties)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM user_system_notifications"); n != 0 {
			t.Errorf("the first User System made %d notifications", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM notices WHERE kind = 'user_system.notified'"); n != 0 {
			t.Errorf("the first User System sent %d notices", n)
		}

		// The second is a SECMP0057 notification: registered on 1 June
		// 2026 for use from 2 June, it is on time.
		second, err := f.svc.Create(ctx, f.supA, usersystem.Input{Name: "Customer portal", InServiceFrom: "2026-06-02",
			Components: []usersystem.ComponentInput{{Manufacturer: "MANB", Arrangement: "L-MANB"}}})
		if err != nil {
			t.Fatal(err)
		}
		n := second.Notification
		if second.Ordinal != 2 || n == nil || !n.OnTime || n.Ordinal != 2 || n.NotifiedOn != today || n.Due.String() != "2026-06-01" {
			t.Fatalf("second: %+v, notification %+v", second, n)
		}
		// Not yet in service on 1 June: no duty yet.
		if second.Status != sec.USNoDuty || second.Duties[1].Applies {
			t.Errorf("second before first use: %+v", second)
		}
		// On its first day, the Letter of Intent signed by SUPA alone is
		// reasonable steps.
		if got, err := f.svc.Get(ctx, f.ssc, second.ID, sec.MustParseDate("2026-06-02")); err != nil || got.Components[0].Status != sec.USSteps {
			t.Errorf("second in service: %+v, %v", got, err)
		}
		// The SSC's inbox holds the notice, without the RED content.
		inbox, err := (&delivery.Service{DB: db}).Inbox(ctx, f.ssc, delivery.InboxFilter{})
		if err != nil || len(inbox) != 1 || inbox[0].Kind != "user_system.notified" || inbox[0].Classification != sec.Amber ||
			strings.Contains(inbox[0].Body, "Customer portal") || inbox[0].RecordKind != usersystem.NoticeKind {
			t.Fatalf("SSC inbox: %+v, %v", inbox, err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'user_system.notify'"); n != 1 {
			t.Errorf("%d audit records of the notification", n)
		}
		ns, err := f.svc.Notifications(ctx, f.ssc)
		if err != nil || len(ns) != 1 || ns[0].SystemName != "Customer portal" || ns[0].User != "SUPA" {
			t.Fatalf("SSC's notifications: %+v, %v", ns, err)
		}

		// A third, registered after its first use, is late.
		third, err := f.svc.Create(ctx, f.ssc, usersystem.Input{User: "SUPA", Name: "Billing", InServiceFrom: "2026-05-31",
			Components: []usersystem.ComponentInput{{Manufacturer: "MANA"}}})
		if err != nil || third.Notification == nil || third.Notification.OnTime || third.Ordinal != 3 {
			t.Fatalf("third: %+v, %v", third, err)
		}

		// RED: Supplier B, and Supplier A's other (uncleared) person, see
		// none of it; the registrant and the SSC do.
		for _, c := range []access.Caller{f.supB, f.supA2} {
			if _, err := f.svc.Get(ctx, c, first.ID, sec.Date{}); !errs.Is(err, errs.NotFound) {
				t.Errorf("%s reading SUPA's system: %v", c.Name, err)
			}
			if l, err := f.svc.List(ctx, c, usersystem.Filter{}); err != nil || len(l) != 0 {
				t.Errorf("%s lists %+v, %v", c.Name, l, err)
			}
			if l, err := f.svc.Notifications(ctx, c); err != nil || len(l) != 0 {
				t.Errorf("%s lists notifications %+v, %v", c.Name, l, err)
			}
			if _, err := f.svc.Retire(ctx, c, first.ID, "2027-01-01"); !errs.Is(err, errs.NotFound) {
				t.Errorf("%s retiring SUPA's system: %v", c.Name, err)
			}
		}
		if l, err := f.svc.List(ctx, f.supA, usersystem.Filter{}); err != nil || len(l) != 2 {
			t.Errorf("the registrant lists %d (want the 2 it registered), %v", len(l), err)
		}
		if l, err := f.svc.List(ctx, f.ssc, usersystem.Filter{User: "SUPA"}); err != nil || len(l) != 3 {
			t.Errorf("the SSC lists %d, %v", len(l), err)
		}
		if _, err := f.svc.Acknowledge(ctx, f.supA, second.Notification.ID); !errs.Is(err, errs.Forbidden) {
			t.Errorf("the User acknowledging its own notification: %v", err)
		}
		if a, err := f.svc.Acknowledge(ctx, f.ssc, second.Notification.ID); err != nil || a.AcknowledgedAt == nil {
			t.Errorf("acknowledge: %+v, %v", a, err)
		}
		if _, err := f.svc.Acknowledge(ctx, f.ssc, second.Notification.ID); !errs.Is(err, errs.Conflict) {
			t.Errorf("acknowledge twice: %v", err)
		}
	})
}

func TestValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		for _, tt := range []struct {
			name   string
			c      access.Caller
			in     usersystem.Input
			fields []string
		}{
			{"empty", f.supA, usersystem.Input{}, []string{"components", "in_service_from", "name"}},
			{"dates the wrong way round", f.supA, usersystem.Input{Name: "x", InServiceFrom: "2026-01-02", InServiceTo: "2026-01-01",
				Components: []usersystem.ComponentInput{{Manufacturer: "MANA"}}}, []string{"in_service_to"}},
			{"not a manufacturer, named twice, bad supplies", f.supA, usersystem.Input{Name: "x", InServiceFrom: "2026-01-01",
				Components: []usersystem.ComponentInput{{Manufacturer: "MAPA"}, {Manufacturer: "MANA", Supplies: "wetware"}, {Manufacturer: "mana"}}},
				[]string{"components[0].manufacturer", "components[1].supplies", "components[2].manufacturer"}},
			{"another Supplier's arrangement answers as missing", f.supA, usersystem.Input{Name: "x", InServiceFrom: "2026-01-01",
				Components: []usersystem.ComponentInput{{Manufacturer: "MANA", Arrangement: "B-MANA"}}}, []string{"components[0].arrangement"}},
			{"an arrangement with a MAP does not cover a User System", f.supA, usersystem.Input{Name: "x", InServiceFrom: "2026-01-01",
				Components: []usersystem.ComponentInput{{Manufacturer: "MANA", Arrangement: "M-MAPA"}}}, []string{"components[0].arrangement"}},
			{"the arrangement is with the other manufacturer", f.supA, usersystem.Input{Name: "x", InServiceFrom: "2026-01-01",
				Components: []usersystem.ComponentInput{{Manufacturer: "MANB", Arrangement: "A-MANA"}}}, []string{"components[0].arrangement"}},
			{"registering for another Supplier", f.supB, usersystem.Input{User: "SUPA", Name: "x", InServiceFrom: "2026-01-01",
				Components: []usersystem.ComponentInput{{Manufacturer: "MANA"}}}, []string{"user"}},
			{"a manufacturer is not a User", f.ssc, usersystem.Input{User: "MANA", Name: "x", InServiceFrom: "2026-01-01",
				Components: []usersystem.ComponentInput{{Manufacturer: "MANB"}}}, []string{"user"}},
		} {
			_, err := f.svc.Create(ctx, tt.c, tt.in)
			var got []string
			if e, ok := err.(*errs.Error); ok && e.Code == errs.Invalid {
				for _, fl := range e.Fields {
					got = append(got, fl.Field)
				}
			}
			slices.Sort(got)
			if strings.Join(got, ",") != strings.Join(tt.fields, ",") {
				t.Errorf("%s: fields %v (%v), want %v", tt.name, got, err, tt.fields)
			}
		}
		if n := count(t, db, "SELECT COUNT(*) FROM user_systems"); n != 0 {
			t.Errorf("%d systems written by refused requests", n)
		}
		in := usersystem.Input{Name: "HES", InServiceFrom: "2026-01-01", Components: []usersystem.ComponentInput{{Manufacturer: "MANA"}}}
		if _, err := f.svc.Create(ctx, f.supA, in); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Create(ctx, f.supA, in); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "already has") {
			t.Errorf("the same name twice: %v", err)
		}
	})
}

// Coverage by the arrangement's days: covered on the contract's last day,
// a gap the day after; a system retired is under no duty the day after its
// last day in service.
func TestCoverageBoundaries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		s, err := f.svc.Create(ctx, f.supA, usersystem.Input{Name: "HES", InServiceFrom: "2024-02-01",
			Components: []usersystem.ComponentInput{{Manufacturer: "MANA"}}})
		if err != nil {
			t.Fatal(err)
		}
		if s.Status != sec.USGap {
			t.Errorf("unlinked: %s", s.Status)
		}
		if _, err := f.svc.LinkArrangement(ctx, f.supA, s.ID, "MANA", "L-MANB"); !errs.Is(err, errs.Invalid) {
			t.Errorf("linking the other manufacturer's Letter: %v", err)
		}
		if s, err = f.svc.LinkArrangement(ctx, f.supA, s.ID, "MANA", "A-MANA"); err != nil || s.Status != sec.USCovered {
			t.Fatalf("linked: %+v, %v", s, err)
		}
		for _, tt := range []struct {
			day  string
			want sec.UserSystemStatus
		}{
			{"2024-01-31", sec.USNoDuty},  // the day before its first use
			{"2024-02-01", sec.USCovered}, // its first day
			{"2026-12-31", sec.USCovered}, // the contract's last day
			{"2027-01-01", sec.USGap},     // the contract expired
		} {
			got, err := f.svc.Get(ctx, f.ssc, s.ID, sec.MustParseDate(tt.day))
			if err != nil || got.Status != tt.want {
				t.Errorf("%s: %s, want %s (%v)", tt.day, got.Status, tt.want, err)
			}
		}
		if s, err = f.svc.Retire(ctx, f.supA, s.ID, "2026-06-30"); err != nil || s.InServiceTo != sec.MustParseDate("2026-06-30") {
			t.Fatalf("retire: %+v, %v", s, err)
		}
		for day, n := range map[string]int{"2026-06-30": 1, "2026-07-01": 0} {
			got, err := usersystem.ForCoverage(ctx, db, f.ssc, []int64{f.supA.OrgID}, sec.MustParseDate(day))
			if err != nil || len(got[f.supA.OrgID]) != n {
				t.Errorf("%s after retiring: %d systems, want %d (%v)", day, len(got[f.supA.OrgID]), n, err)
			}
		}
	})
}
