package arrangement_test

import (
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// addOrg adds an organisation with one role and a user of it.
func (e *env) addOrg(code, role string, user sec.Role) {
	e.t.Helper()
	now := time.Now().UTC()
	var id, uid int64
	if err := e.db.Writer().QueryRow(`INSERT INTO organisations (code, name, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id`,
		code, "Org "+code, now).Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	e.exec("INSERT INTO organisation_roles (org_id, role) VALUES ($1, $2)", id, role)
	if err := e.db.Writer().QueryRow(`INSERT INTO users (org_id, email, name, password_hash, created_at, password_changed_at)
		VALUES ($1, $2, 'U', 'x', $3, $3) RETURNING id`, id, strings.ToLower(code)+"@example.org", now).Scan(&uid); err != nil {
		e.t.Fatal(err)
	}
	e.orgs[code] = id
	e.as[code] = access.Caller{UserID: uid, OrgID: id, OrgCode: code, Name: code, Roles: []sec.Role{user}, Via: "session"}
}

// TestUserSide: G3.20(a) binds every User (Suppliers, Network Parties and
// Other Users) for its User Systems, so any User may stand on the supplier
// side of an arrangement with a manufacturer. An arrangement with a MAP is
// about Devices, which only Energy Suppliers operate; an organisation with
// no User role stands on that side of none.
func TestUserSide(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.addOrg("NETA", "network_party", sec.RoleNetworkParty)
		e.addOrg("OTHA", "other_user", sec.RoleOtherUser)
		contract := func(ref, kind, user, mapOrg, mfr string) arrangement.Input {
			in := arrangement.Input{Reference: ref, Kind: kind, Supplier: user, MAP: mapOrg, Manufacturer: mfr, AllModels: true,
				Materiality: "CVSS 7.0 or above", Signed: "2025-01-01", Effective: "2025-01-01"}
			if mfr == "" {
				in.AllModels, in.Models = false, []string{"MFA/E1"}
			}
			return in
		}
		for _, ok := range []struct {
			as string
			in arrangement.Input
		}{
			{"NETA", contract("N-1", "supplier_manufacturer", "NETA", "", "MFA")},
			{"OTHA", contract("O-1", "supplier_manufacturer", "otha", "", "MFA")},
			{"NETA", contract("N-L", "loi", "NETA", "", "MFB")},
		} {
			a, err := e.svc.Create(e.ctx, e.as[ok.as], ok.in)
			if err != nil {
				t.Fatalf("%s: %v", ok.in.Reference, err)
			}
			if a.Supplier == nil || a.Supplier.ID != e.orgs[ok.as] {
				t.Errorf("%s: user side %+v, want %s", ok.in.Reference, a.Supplier, ok.as)
			}
			// The User's arrangement is visible to it and links by reference.
			l, err := arrangement.LinkByReference(e.ctx, db, e.as[ok.as], ok.in.Reference)
			if err != nil || l.Supplier != e.orgs[ok.as] {
				t.Errorf("%s: link %+v, %v", ok.in.Reference, l, err)
			}
		}
		before := e.count("arrangements")
		for _, bad := range []struct {
			name string
			in   arrangement.Input
			says string
		}{
			{"no User role (a MAP)", contract("X-1", "supplier_manufacturer", "MAPA", "", "MFA"), "must be a User (an Energy Supplier, Network Party or Other User)"},
			{"no User role (the DCC)", contract("X-2", "supplier_manufacturer", "DCC", "", "MFA"), "DCC must be a User"},
			{"no User role (a manufacturer)", contract("X-3", "loi", "MFB", "", "MFA"), "MFB must be a User"},
			{"Network Party with a MAP", contract("X-4", "supplier_map", "NETA", "MAPA", ""), "NETA must be an Energy Supplier for an arrangement with a Meter Asset Provider"},
			{"Other User churn", contract("X-5", "churn", "OTHA", "MAPA", ""), "OTHA must be an Energy Supplier"},
			{"Network Party Letter with a MAP", contract("X-6", "loi", "NETA", "MAPA", ""), "NETA must be an Energy Supplier"},
		} {
			_, err := e.svc.Create(e.ctx, e.sys, bad.in)
			if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), bad.says) {
				t.Errorf("%s: %v, want Invalid saying %q", bad.name, err, bad.says)
				continue
			}
			named := false
			for _, f := range errs.As(err).Fields {
				named = named || f.Field == "supplier"
			}
			if !named {
				t.Errorf("%s: no problem names the supplier field: %v", bad.name, err)
			}
		}
		if n := e.count("arrangements"); n != before {
			t.Errorf("refused arrangements were stored: %d, want %d", n, before)
		}
		// A Supplier still contracts with a MAP.
		if _, err := e.svc.Create(e.ctx, e.as["SUPA"], contract("S-M", "supplier_map", "SUPA", "MAPA", "")); err != nil {
			t.Errorf("Supplier–MAP contract: %v", err)
		}
	})
}
