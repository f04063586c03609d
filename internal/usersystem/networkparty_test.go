package usersystem_test

import (
	"context"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
	"github.com/metersec/metersec/internal/usersystem"
)

// TestNetworkPartyArrangement: G3.20(a) binds every User, a Network Party
// too, for its User Systems. A Network Party records its own arrangement
// with a manufacturer, links it to its User System, and the manufacturer is
// Covered (a contract) or under Reasonable steps (a Letter of Intent only it
// has signed). It cannot lean on a Supplier's arrangement, and an
// organisation with no User role still stands on the user side of none.
func TestNetworkPartyArrangement(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		sys := access.SystemCaller("test")
		if _, err := (&party.Service{DB: db}).Create(ctx, sys, party.NewParty{Code: "DNOA", Name: "Org DNOA", Roles: []string{"network_party"},
			Contacts: []party.ContactInput{{Name: "Contact", Email: "dnoa@example.org"}}}); err != nil {
			t.Fatal(err)
		}
		u, err := account.NewService(db).AddUser(ctx, sys, account.NewUser{Email: "ops@dnoa.example.org", Name: "DNO ops", Org: "DNOA",
			Roles: []string{string(sec.RoleNetworkParty)}, Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		dno := u.Caller("session", nil)

		// The Network Party records its own arrangements, as a party to them.
		arr := arrangement.NewService(db)
		for _, in := range []arrangement.Input{
			{Reference: "N-MANA", Kind: "supplier_manufacturer", Supplier: "DNOA", Manufacturer: "MANA", AllModels: true, Materiality: "CVSS 7+",
				Signed: "2025-01-01", Effective: "2025-01-01", Expires: "2026-12-31"},
			{Reference: "NL-MANB", Kind: "letter_of_intent", Supplier: "DNOA", Manufacturer: "MANB", AllModels: true, Materiality: "CVSS 7+",
				Signed: "2025-01-01", Effective: "2025-01-01", Signatures: []arrangement.SignatureInput{{Party: "DNOA", Signed: "2025-01-01"}}},
		} {
			if _, err := arr.Create(ctx, dno, in); err != nil {
				t.Fatalf("%s: %v", in.Reference, err)
			}
		}

		s, err := f.svc.Create(ctx, dno, usersystem.Input{Name: "Network SCADA gateway", InServiceFrom: "2025-03-01",
			Components: []usersystem.ComponentInput{{Manufacturer: "MANA", Supplies: "hardware", Arrangement: "N-MANA"}, {Manufacturer: "MANB", Supplies: "firmware"}}})
		if err != nil {
			t.Fatal(err)
		}
		if s.User != "DNOA" || !s.Duties[1].Applies || s.Components[0].Status != sec.USCovered || s.Components[1].Status != sec.USGap {
			t.Fatalf("registered: user %s, duties %+v, components %+v", s.User, s.Duties, s.Components)
		}
		// A Supplier's arrangement with the same manufacturer is not the
		// Network Party's (and not one it may see).
		if _, err := f.svc.LinkArrangement(ctx, dno, s.ID, "MANB", "L-MANB"); !errs.Is(err, errs.Invalid) {
			t.Errorf("linking a Supplier's Letter: %v", err)
		}
		if _, err := f.svc.LinkArrangement(ctx, f.ssc, s.ID, "MANB", "L-MANB"); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "not between DNOA and MANB") {
			t.Errorf("the SSC linking a Supplier's Letter: %v", err)
		}
		if s, err = f.svc.LinkArrangement(ctx, dno, s.ID, "MANB", "NL-MANB"); err != nil {
			t.Fatal(err)
		}
		if s.Components[0].Status != sec.USCovered || s.Components[1].Status != sec.USSteps || s.Status != sec.USSteps {
			t.Errorf("linked: %s, components %+v", s.Status, s.Components)
		}
		// The contract's last day, and the day after.
		for day, want := range map[string]sec.UserSystemStatus{"2026-12-31": sec.USCovered, "2027-01-01": sec.USGap} {
			got, err := f.svc.Get(ctx, dno, s.ID, sec.MustParseDate(day))
			if err != nil || got.Components[0].Status != want {
				t.Errorf("%s: %+v, want %s (%v)", day, got.Components, want, err)
			}
		}

		// An organisation with no User role stands on the user side of no
		// arrangement, so it has none to link.
		_, err = arr.Create(ctx, sys, arrangement.Input{Reference: "X-MAPA", Kind: "supplier_manufacturer", Supplier: "MAPA", Manufacturer: "MANA",
			AllModels: true, Materiality: "CVSS 7+", Signed: "2025-01-01", Effective: "2025-01-01"})
		if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "MAPA must be a User") {
			t.Errorf("a MAP on the user side: %v", err)
		}
	})
}
