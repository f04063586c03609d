package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/usersystem"
)

// seedUserSystems gives several Users their User Systems, registered by
// their own people: the large Supplier's head-end system (its first, under
// its contract with a manufacturer) and, registered today for use in two
// weeks, its customer portal (its second: the SECMP0057 notice to the SSC);
// the small Supplier's one system, with a manufacturer it has no arrangement
// with (a Gap); and the Network Party's.
func seedUserSystems(ctx context.Context, db *store.DB, users map[string]access.Caller, today sec.Date) error {
	svc := &usersystem.Service{DB: db, Today: func(time.Time) sec.Date { return today }}
	sys := access.SystemCaller("demo seed")
	ix, err := party.LoadIndex(ctx, db)
	if err != nil {
		return err
	}
	// The large Supplier's contract and Letter of Intent with a
	// manufacturer, where the demo's arrangements have them.
	var contract, letter *arrangement.Arrangement
	as, err := arrangement.NewService(db).List(ctx, sys, arrangement.Filter{Party: "ALDM", InForceOn: today})
	if err != nil {
		return err
	}
	for i, a := range as {
		switch {
		case a.Manufacturer == nil || a.Supplier == nil:
		case a.Kind == arrangement.SupplierManufacturer && contract == nil:
			contract = &as[i]
		case a.Kind == arrangement.LetterOfIntent && letter == nil:
			letter = &as[i]
		}
	}
	var mfrs []string
	for _, r := range ix.WithRole(sec.Manufacturer) {
		mfrs = append(mfrs, r.Code)
	}
	if len(mfrs) < 3 {
		return fmt.Errorf("demo User Systems: want three manufacturers, have %d", len(mfrs))
	}
	comp := func(a *arrangement.Arrangement, fallback, supplies, what string) usersystem.ComponentInput {
		if a != nil {
			return usersystem.ComponentInput{Manufacturer: a.Manufacturer.Code, Supplies: supplies, Component: what, Arrangement: a.Reference}
		}
		return usersystem.ComponentInput{Manufacturer: fallback, Supplies: supplies, Component: what}
	}
	hesMfr := comp(contract, mfrs[0], "software", "head-end application")
	portalMfr := comp(letter, mfrs[1], "software", "portal platform")
	if portalMfr.Manufacturer == hesMfr.Manufacturer {
		portalMfr = usersystem.ComponentInput{Manufacturer: mfrs[1], Supplies: "software", Component: "portal platform"}
	}
	for _, s := range []struct {
		by string
		in usersystem.Input
	}{
		{"ops@aldm.example", usersystem.Input{Name: "Smart metering head-end", Description: "Sends Service Requests to the DCC and receives alerts",
			InServiceFrom: today.AddDays(-3 * 365).String(), Components: []usersystem.ComponentInput{hesMfr,
				{Manufacturer: mfrs[2], Supplies: "hardware", Component: "hardware security modules"}}}},
		{"ops@lrkl.example", usersystem.Input{Name: "DCC adaptor", Description: "A hosted adaptor to the DCC User Interface",
			InServiceFrom: today.AddDays(-400).String(), Components: []usersystem.ComponentInput{{Manufacturer: mfrs[1], Supplies: "hardware_software"}}}},
		{"security@westmarch.example.org", usersystem.Input{Name: "Network operations gateway", InServiceFrom: today.AddDays(-700).String(),
			Components: []usersystem.ComponentInput{{Manufacturer: mfrs[0], Supplies: "software"}}}},
		// The large Supplier's second User System: a SECMP0057
		// notification, in time, two weeks before its first use.
		{"ops@aldm.example", usersystem.Input{Name: "Prepayment customer portal", Description: "Customers top up and see their balance",
			InServiceFrom: today.AddDays(14).String(), Components: []usersystem.ComponentInput{portalMfr}}},
	} {
		c, ok := users[s.by]
		if !ok {
			return fmt.Errorf("demo User Systems: no user %s", s.by)
		}
		if _, err := svc.Create(ctx, c, s.in); err != nil {
			return fmt.Errorf("demo User System %q: %w", s.in.Name, err)
		}
	}
	return nil
}
