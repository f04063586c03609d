// Package demo seeds the demonstration world that `metersec demo` serves: a
// deterministic synthetic GB regime with fictional organisations in every
// role and a user for each role. Everything here is invented; no name refers
// to a real company.
package demo

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"fmt"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Org is a demo organisation.
type Org struct {
	Code, Name string
	Roles      []string
	Contact    party.ContactInput
}

// Orgs is the demo world's organisations.
var Orgs = []Org{
	{"OPS", "metersec Operations", []string{"operator"}, party.ContactInput{Name: "Platform Desk", Email: "desk@ops.example.org"}},
	{"SSC", "Security Sub-Committee", []string{"ssc"}, party.ContactInput{Name: "SSC Chair", Email: "chair@ssc.example.org"}},
	{"SECAS", "Code Secretariat", []string{"secretariat"}, party.ContactInput{Name: "Secretariat Security Team", Email: "security@secas.example.org", Phone: "+44 20 7946 0100"}},
	{"UCIO", "Halden Assurance LLP", []string{"user_cio"}, party.ContactInput{Name: "Assessment Lead", Email: "lead@halden.example.org"}},
	{"DCC", "Data Communications Company", []string{"dcc"}, party.ContactInput{Name: "DCC Security Operations", Email: "soc@dcc.example.org", Phone: "+44 20 7946 0200"}},
	{"BWE", "Brightwater Energy", []string{"large_supplier"}, party.ContactInput{Name: "Priya Natarajan", Email: "psirt@brightwater.example.org", Phone: "+44 161 496 0300"}},
	{"NGP", "Northgate Power", []string{"large_supplier"}, party.ContactInput{Name: "Tom Ashdown", Email: "security@northgate.example.org"}},
	{"KHE", "Kestrel Home Energy", []string{"small_supplier"}, party.ContactInput{Name: "Ola Brennan", Email: "security@kestrel.example.org"}},
	{"LGP", "Lumen Gas & Power", []string{"small_supplier"}, party.ContactInput{Name: "Sam Idowu", Email: "infosec@lumen.example.org"}},
	{"ARDM", "Ardent Metering", []string{"manufacturer"}, party.ContactInput{Name: "Ardent PSIRT", Email: "psirt@ardent.example.org", Phone: "+44 118 496 0400"}},
	{"CRVD", "Corvid Devices", []string{"manufacturer"}, party.ContactInput{Name: "Corvid Product Security", Email: "security@corvid.example.org"}},
	{"HLBD", "Halberd Communications", []string{"manufacturer"}, party.ContactInput{Name: "Halberd Security Response", Email: "response@halberd.example.org"}},
	{"MMA", "Meridian Meter Assets", []string{"map"}, party.ContactInput{Name: "Asset Security Desk", Email: "assets@meridian.example.org"}},
	{"OAF", "Oakline Asset Finance", []string{"map"}, party.ContactInput{Name: "Oakline Risk", Email: "risk@oakline.example.org"}},
	{"RTL", "Renew Triage Ltd", []string{"triage_facility_provider"}, party.ContactInput{Name: "Facility Manager", Email: "facility@renew.example.org"}},
	{"WMN", "Westmarch Networks", []string{"network_party"}, party.ContactInput{Name: "Network Security", Email: "security@westmarch.example.org"}},
}

// User is a demo sign-in.
type User struct {
	Email, Name, Org string
	Roles            []sec.Role
	RedCleared       bool
	Password         string
	// TOTPSecret is set for users who sign in with a second factor.
	TOTPSecret string
}

// Users is a user for every role (two Suppliers, so one can fail to see the
// other's records).
var Users = []User{
	{Email: "chair@ssc.example.org", Name: "Sasha Chair (SSC member)", Org: "SSC", Roles: []sec.Role{sec.RoleSSCMember}},
	{Email: "member@ssc.example.org", Name: "Morgan Member (SSC member)", Org: "SSC", Roles: []sec.Role{sec.RoleSSCMember}},
	{Email: "secretariat@secas.example.org", Name: "Robin Clerk (secretariat)", Org: "SECAS", Roles: []sec.Role{sec.RoleSecretariat}},
	{Email: "assessor@halden.example.org", Name: "Ari Assessor (User CIO)", Org: "UCIO", Roles: []sec.Role{sec.RoleUserCIO}, RedCleared: true},
	{Email: "ops@brightwater.example.org", Name: "Bea Brightwater (Supplier)", Org: "BWE", Roles: []sec.Role{sec.RoleSupplier}},
	{Email: "ops@kestrel.example.org", Name: "Kit Kestrel (Supplier)", Org: "KHE", Roles: []sec.Role{sec.RoleSupplier}},
	{Email: "psirt@ardent.example.org", Name: "Ada Ardent (Manufacturer)", Org: "ARDM", Roles: []sec.Role{sec.RoleManufacturer}},
	{Email: "assets@meridian.example.org", Name: "Max Meridian (MAP)", Org: "MMA", Roles: []sec.Role{sec.RoleMAP}},
	{Email: "soc@dcc.example.org", Name: "Dee Comms (DCC)", Org: "DCC", Roles: []sec.Role{sec.RoleDCC}},
	{Email: "facility@renew.example.org", Name: "Tay Triage (Triage Facility)", Org: "RTL", Roles: []sec.Role{sec.RoleTriage}},
	{Email: "security@westmarch.example.org", Name: "Nia Network (Network Party)", Org: "WMN", Roles: []sec.Role{sec.RoleNetworkParty}},
	{Email: "admin@ops.example.org", Name: "Pat Platform (administrator)", Org: "OPS", Roles: []sec.Role{sec.RoleAdmin}},
}

func init() {
	for i := range Users {
		u := &Users[i]
		u.Password = "demo-" + string(u.Roles[0]) + "-" + u.Org[:min(3, len(u.Org))] + "-pass"
		if sec.RequiresMFA(u.Roles, u.RedCleared) {
			u.TOTPSecret = demoSecret(u.Email)
		}
	}
}

// demoSecret is a fixed TOTP secret per demo user, so the demo prints the
// same sign-ins every run. Never use fixed secrets outside the demo.
func demoSecret(email string) string {
	sum := sha256.Sum256([]byte("metersec demo totp " + email))
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:20])
}

// Seeded reports whether db already holds the demo world.
func Seeded(ctx context.Context, db *store.DB) (bool, error) {
	var n int
	err := db.QueryRowContext(ctx, "SELECT count(*) FROM organisations WHERE code = 'OPS'").Scan(&n)
	return n > 0, errs.Wrap(err, "check demo world")
}

// Seed creates the demo organisations and users. It refuses a database that
// already has organisations, so it never mixes with real data.
func Seed(ctx context.Context, db *store.DB) error {
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM organisations").Scan(&n); err != nil {
		return errs.Wrap(err, "check database")
	}
	if n > 0 {
		return errs.E(errs.Conflict, "the database already holds %d organisations: the demo seeds only an empty database", n)
	}
	sys := access.SystemCaller("demo seed")
	parties := &party.Service{DB: db}
	for _, o := range Orgs {
		if _, err := parties.Create(ctx, sys, party.NewParty{Code: o.Code, Name: o.Name, Roles: o.Roles,
			Contacts: []party.ContactInput{o.Contact}}); err != nil {
			return fmt.Errorf("demo organisation %s: %w", o.Code, err)
		}
	}
	accounts := account.NewService(db)
	callers := map[string]access.Caller{}
	for _, u := range Users {
		roles := make([]string, len(u.Roles))
		for i, r := range u.Roles {
			roles[i] = string(r)
		}
		nu, err := accounts.AddUser(ctx, sys, account.NewUser{Email: u.Email, Name: u.Name, Org: u.Org, Roles: roles,
			Password: u.Password, RedCleared: u.RedCleared})
		if err != nil {
			return fmt.Errorf("demo user %s: %w", u.Email, err)
		}
		if u.TOTPSecret != "" {
			if err := accounts.SetTOTPSecret(ctx, sys, nu.ID, u.TOTPSecret); err != nil {
				return err
			}
		}
		callers[u.Email] = nu.Caller("demo", nil)
	}
	return seedVulnerabilities(ctx, db, callers)
}
