package vuln_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/vuln"
	"github.com/metersec/metersec/internal/vuln/vulntest"
)

func init() { account.DefaultArgon2 = account.Argon2Params{Memory: 64, Time: 1, Threads: 1} }

// sentNotice is a notice the fake notifier saw committed.
type sentNotice struct {
	delivery.Notice
}

// notifier is the test's delivery: it keeps notices once per key and
// organisation, as delivery.Notify does, and only those whose transaction
// committed.
type notifier struct {
	mu   sync.Mutex
	seen map[string]bool
	sent []sentNotice
}

func (n *notifier) Notify(ctx context.Context, tx *store.Tx, x delivery.Notice) error {
	if x.OrgID == 0 || x.Key == "" || x.Title == "" {
		return fmt.Errorf("bad notice %+v", x)
	}
	tx.AfterCommit(func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		k := fmt.Sprint(x.Key, "|", x.OrgID)
		if n.seen[k] {
			return
		}
		n.seen[k] = true
		n.sent = append(n.sent, sentNotice{x})
	})
	return nil
}

// to lists the notices an organisation got, of a kind ("" for any).
func (n *notifier) to(org int64, kind string) []sentNotice {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []sentNotice
	for _, s := range n.sent {
		if s.OrgID == org && (kind == "" || s.Kind == kind) {
			out = append(out, s)
		}
	}
	return out
}

func (n *notifier) count() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.sent)
}

// fixture is a small regime: the SSC and its secretariat, two manufacturers,
// three Suppliers, a MAP and the DCC, a person in each, and MANA's models.
type fixture struct {
	t     *testing.T
	ctx   context.Context
	db    *store.DB
	svc   *vuln.Service
	note  *notifier
	clock time.Time
	org   map[string]int64
	as    map[string]access.Caller
	model map[string]int64
	fw    map[string]int64 // "MODEL@version"
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, ctx: ctx, db: db, note: &notifier{seen: map[string]bool{}},
		clock: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC),
		org:   map[string]int64{}, as: map[string]access.Caller{}, model: map[string]int64{}, fw: map[string]int64{}}
	db.Now = func() time.Time { return f.clock }
	f.svc = vuln.NewService(db, f.note)
	sys := access.SystemCaller("test")
	parties := &party.Service{DB: db}
	accounts := account.NewService(db)
	for _, o := range []struct {
		code, role string
		user       sec.Role
	}{
		{"SSC", "ssc", sec.RoleSSCMember}, {"SECAS", "secretariat", sec.RoleSecretariat},
		{"MANA", "manufacturer", sec.RoleManufacturer}, {"MANB", "manufacturer", sec.RoleManufacturer},
		{"SUPA", "large_supplier", sec.RoleSupplier}, {"SUPB", "small_supplier", sec.RoleSupplier}, {"SUPC", "small_supplier", sec.RoleSupplier},
		{"MAPA", "map", sec.RoleMAP}, {"DCC", "dcc", sec.RoleDCC}, {"UCIO", "user_cio", sec.RoleUserCIO},
	} {
		p, err := parties.Create(ctx, sys, party.NewParty{Code: o.code, Name: "Org " + o.code, Roles: []string{o.role},
			Contacts: []party.ContactInput{{Name: "Contact", Email: strings.ToLower(o.code) + "@example.org"}}})
		if err != nil {
			t.Fatal(err)
		}
		f.org[o.code] = p.ID
		u, err := accounts.AddUser(ctx, sys, account.NewUser{Email: "u@" + strings.ToLower(o.code) + ".example.org", Name: "User " + o.code,
			Org: o.code, Roles: []string{string(o.user)}, Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		f.as[o.code] = u.Caller("session", nil)
	}
	f.addModel("MANA", "E1", sec.ESME, sec.SMETS2, "1.0", "1.1", "1.2", "2.0")
	f.addModel("MANA", "CH", sec.CHF, sec.SMETS2, "0x0100", "0x0200")
	f.addModel("MANA", "S1", sec.ESME, sec.SMETS1, "3.0", "3.1")
	f.addModel("MANA", "IHD", sec.IHD, sec.SMETS2, "1.0")
	f.addModel("MANB", "B1", sec.GSME, sec.SMETS2, "1.0")
	f.portfolio("SUPA", "E1@1.1", "MAPA", 1000)
	f.portfolio("SUPA", "E1@2.0", "", 500)
	f.portfolio("SUPB", "E1@1.2", "", 300)
	f.portfolio("SUPB", "CH@0x0100", "", 700)
	f.portfolio("SUPC", "IHD@1.0", "", 50)
	f.portfolio("SUPC", "B1@1.0", "", 40)
	return f
}

func (f *fixture) addModel(mfr, code string, typ sec.DeviceType, gen sec.Generation, versions ...string) {
	f.t.Helper()
	id, fws, err := vulntest.Model(f.ctx, f.db, f.org[mfr], code, typ, gen, versions...)
	if err != nil {
		f.t.Fatal(err)
	}
	f.model[code] = id
	for v, fid := range fws {
		f.fw[code+"@"+v] = fid
	}
}

// portfolio sets a Supplier's Devices on a model@firmware.
func (f *fixture) portfolio(supplier, modelAt, mapCode string, devices int64) {
	f.t.Helper()
	model, _, _ := strings.Cut(modelAt, "@")
	if err := vulntest.Portfolio(f.ctx, f.db, f.org[supplier], f.model[model], f.fw[modelAt], f.org[mapCode], devices); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) tick() vuln.TickResult {
	f.t.Helper()
	r, err := f.svc.TickReport(f.ctx, f.clock)
	if err != nil {
		f.t.Fatal(err, errs.As(err).Err)
	}
	f.checkListCounts()
	return r
}

// checkListCounts compares, for every caller, the counts of the listing
// (one grouped pass per page) with the naive correlated counts, after every
// tick of every test: fan-out, churn, acknowledgements, plans, reminders.
func (f *fixture) checkListCounts() {
	f.t.Helper()
	for who, c := range f.as {
		got, err := f.svc.List(f.ctx, c, vuln.Filter{})
		if err != nil {
			f.t.Fatal(err)
		}
		want, err := f.svc.ListNaive(f.ctx, c, vuln.Filter{})
		if err != nil {
			f.t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			f.t.Fatalf("%s's listing:\n got %+v\nwant %+v", who, got, want)
		}
	}
}

// report files a standard report by who.
func (f *fixture) report(who string, in vuln.NewVulnerability) vuln.Vulnerability {
	f.t.Helper()
	v, err := f.svc.Report(f.ctx, f.as[who], in)
	if err != nil {
		f.t.Fatalf("report as %s: %v %v", who, err, errs.As(err).Err)
	}
	return v
}

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

// wantCode fails unless err carries code.
func wantCode(t *testing.T, err error, code errs.Code, contains ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", code)
	}
	if errs.CodeOf(err) != code {
		t.Fatalf("error %q (%s), want %s", err, errs.CodeOf(err), code)
	}
	for _, c := range contains {
		if !strings.Contains(err.Error(), c) {
			t.Errorf("error %q lacks %q", err, c)
		}
	}
}

// recipients indexes the recipients a caller sees by "CODE/role".
func (f *fixture) recipients(who, ref string) map[string]vuln.Recipient {
	f.t.Helper()
	rs, err := f.svc.Recipients(f.ctx, f.as[who], ref)
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]vuln.Recipient{}
	for _, r := range rs {
		out[r.Org.Code+"/"+string(r.Role)] = r
	}
	return out
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return sortStrings(out)
}

func sortStrings(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

func (f *fixture) auditCount() int {
	var n int
	if err := f.db.QueryRowContext(f.ctx, "SELECT count(*) FROM audit_log").Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}
