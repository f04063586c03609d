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

// Orgs is the demo world's governance and service organisations. The market
// (Suppliers, manufacturers, MAPs and the DCC) comes from the synthetic world
// generator (see world.go).
var Orgs = []Org{
	{"OPS", "metersec Operations", []string{"operator"}, party.ContactInput{Name: "Platform Desk", Email: "desk@ops.example.org"}},
	{"SSC", "Security Sub-Committee", []string{"ssc"}, party.ContactInput{Name: "SSC Chair", Email: "chair@ssc.example.org"}},
	{"SECAS", "Code Secretariat", []string{"secretariat"}, party.ContactInput{Name: "Secretariat Security Team", Email: "security@secas.example.org", Phone: "+44 20 7946 0100"}},
	{"UCIO", "Halden Assurance LLP", []string{"user_cio"}, party.ContactInput{Name: "Assessment Lead", Email: "lead@halden.example.org"}},
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
// other's records). The market's users belong to organisations of the
// generated world (seed 1): ALDM is its largest Supplier, LRKL a small one
// (KSTM, smaller still, fails during the year and its customers pass to a
// Supplier of Last Resort), AURV a meter manufacturer, ANCM a MAP.
var Users = []User{
	{Email: "chair@ssc.example.org", Name: "Sasha Chair (SSC member)", Org: "SSC", Roles: []sec.Role{sec.RoleSSCMember}},
	{Email: "member@ssc.example.org", Name: "Morgan Member (SSC member)", Org: "SSC", Roles: []sec.Role{sec.RoleSSCMember}},
	{Email: "secretariat@secas.example.org", Name: "Robin Clerk (secretariat)", Org: "SECAS", Roles: []sec.Role{sec.RoleSecretariat}},
	{Email: "assessor@halden.example.org", Name: "Ari Assessor (User CIO)", Org: "UCIO", Roles: []sec.Role{sec.RoleUserCIO}, RedCleared: true},
	{Email: "ops@aldm.example", Name: "Alys Aldermoor (Supplier)", Org: "ALDM", Roles: []sec.Role{sec.RoleSupplier}},
	{Email: "ops@lrkl.example", Name: "Lee Larkspur (Supplier)", Org: "LRKL", Roles: []sec.Role{sec.RoleSupplier}},
	// A Supplier user cleared for RED: records that an arrangement is not
	// practicable (RED) are made and read by such users.
	{Email: "security@aldm.example", Name: "Sam Aldermoor (Supplier, cleared for RED)", Org: "ALDM", Roles: []sec.Role{sec.RoleSupplier}, RedCleared: true},
	{Email: "psirt@aurv.example", Name: "Ada Aurivolt (Manufacturer)", Org: "AURV", Roles: []sec.Role{sec.RoleManufacturer}},
	{Email: "assets@ancm.example", Name: "Max Anchorpoint (MAP)", Org: "ANCM", Roles: []sec.Role{sec.RoleMAP}},
	{Email: "soc@dcc.example", Name: "Dee Comms (DCC)", Org: "DCC", Roles: []sec.Role{sec.RoleDCC}},
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

// Options tune the demo world.
type Options struct {
	// Devices is the size of the generated estate (30,000 when zero).
	Devices int64
	// Today is the last day of the simulated year (today when zero).
	Today sec.Date
	// Log, when set, hears what the seed is doing.
	Log func(format string, args ...any)
}

// DefaultDevices is the demo estate's size: big enough for every page to have
// something to say, small enough to seed in a few seconds.
const DefaultDevices = 30_000

// Seed creates the demo world: the governance organisations, a generated GB
// market (parties, catalogue, estate and a year of churn, imported through
// the same importers an operator uses), a user for every role, arrangements
// of every kind, vulnerabilities at every stage of their lifecycle, coverage
// snapshots and the last month's reports. It refuses a database that already
// has organisations, so it never mixes with real data.
func Seed(ctx context.Context, db *store.DB, opts Options) error {
	if opts.Devices == 0 {
		opts.Devices = DefaultDevices
	}
	if opts.Today.IsZero() {
		opts.Today = sec.DateOf(db.Now())
	}
	if opts.Log == nil {
		opts.Log = func(string, ...any) {}
	}
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
	if err := seedMarket(ctx, db, sys, opts); err != nil {
		return err
	}
	callers, err := seedUsers(ctx, db, sys)
	if err != nil {
		return err
	}
	opts.Log("arrangements")
	if err := seedArrangements(ctx, db, sys, opts.Today); err != nil {
		return err
	}
	opts.Log("vulnerabilities")
	if err := seedVulnerabilities(ctx, db, callers); err != nil {
		return err
	}
	opts.Log("assessments, remediation plans and the risk register")
	if err := seedAssurance(ctx, db, callers, opts.Today); err != nil {
		return err
	}
	opts.Log("triage facilities")
	if err := seedTriage(ctx, db, callers, opts.Today); err != nil {
		return err
	}
	opts.Log("records that an arrangement is not practicable")
	if err := seedImpracticable(ctx, db, callers, opts.Today); err != nil {
		return err
	}
	opts.Log("User Systems")
	if err := seedUserSystems(ctx, db, callers, opts.Today); err != nil {
		return err
	}
	opts.Log("coverage snapshots and reports")
	if err := seedOversight(ctx, db, sys, opts.Today); err != nil {
		return err
	}
	opts.Log("SSC meetings")
	return seedMeetings(ctx, db, sys, opts.Today)
}

func seedUsers(ctx context.Context, db *store.DB, sys access.Caller) (map[string]access.Caller, error) {
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
			return nil, fmt.Errorf("demo user %s: %w", u.Email, err)
		}
		if u.TOTPSecret != "" {
			if err := accounts.SetTOTPSecret(ctx, sys, nu.ID, u.TOTPSecret); err != nil {
				return nil, err
			}
		}
		callers[u.Email] = nu.Caller("demo", nil)
	}
	return callers, nil
}
