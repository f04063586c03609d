package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
	"github.com/metersec/metersec/internal/web"
)

func init() { account.DefaultArgon2 = account.Argon2Params{Memory: 64, Time: 1, Threads: 1} }

// world is a running server on a fresh database with an organisation and a
// signed-in user for every role, and records of every classification marked
// so that a test can find them in any response.
type world struct {
	t       *testing.T
	db      *store.DB
	srv     *web.Server
	ts      *httptest.Server
	sys     access.Caller
	viewers []*viewer
	byRole  map[string]*viewer
	// records maps each marker to what decides who may see its record.
	records map[string]record
	// keys lists, per record kind, the path keys of its seeded records.
	keys map[string][]recordKey
	// literals are the records registered by addLiteral.
	literals []string
	// ids are the numeric ids of seeded records, by marker, for routes that
	// name records by id.
	ids map[string]int64
	// targets are the records calls name, by method and path (see aim).
	targets map[string]target
}

// setID records the numeric id of the record registered under marker.
func (w *world) setID(marker string, id int64) { w.ids[marker] = id }

// record is what the classification rules need to know about a seeded
// record.
type record struct {
	Kind  string
	Class sec.Classification
	Aud   sec.Audience
}

// recordKey is how a route names a seeded record, and its marker.
type recordKey struct {
	Key    string
	Marker string
}

// viewer is someone calling the server: the public, or a signed-in user.
type viewer struct {
	Name   string
	Caller access.Caller
	client *http.Client
	csrf   string
}

// markerPrefix starts every marker; markers end with "~".
const markerPrefix = "VM~"

func marker(kind, id string) string { return markerPrefix + kind + "~" + id + "~" }

// seeders add each area's records to a world. Areas append theirs in their
// own test files.
var seeders []func(w *world)

func newWorld(t *testing.T, engine store.Dialect) *world {
	t.Helper()
	return newWorldOn(t, storetest.Open(t, engine))
}

func newWorldOn(t *testing.T, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	srv, err := web.New(web.Config{DB: db, Log: testLogger(t), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, db: db, srv: srv, sys: access.SystemCaller("test"), byRole: map[string]*viewer{},
		records: map[string]record{}, keys: map[string][]recordKey{}, ids: map[string]int64{}, targets: map[string]target{}}
	w.ts = httptest.NewServer(srv)
	t.Cleanup(w.ts.Close)

	// An organisation and a user for every role; two of each for Suppliers
	// (so one cannot see the other's) and SSC members (so RED naming one
	// excludes the other).
	type seat struct {
		name, org string
		orgRoles  []string
		role      sec.Role
	}
	seats := []seat{
		{"ssc", "SSC", []string{"ssc"}, sec.RoleSSCMember},
		{"ssc2", "SSC", []string{"ssc"}, sec.RoleSSCMember},
		{"secretariat", "SECAS", []string{"secretariat"}, sec.RoleSecretariat},
		{"cio", "UCIO", []string{"user_cio"}, sec.RoleUserCIO},
		{"supplierA", "SUPA", []string{"large_supplier"}, sec.RoleSupplier},
		{"supplierB", "SUPB", []string{"small_supplier"}, sec.RoleSupplier},
		{"manufacturer", "MANA", []string{"manufacturer"}, sec.RoleManufacturer},
		{"manufacturerB", "MANB", []string{"manufacturer"}, sec.RoleManufacturer},
		{"map", "MAPA", []string{"map"}, sec.RoleMAP},
		{"dcc", "DCC", []string{"dcc"}, sec.RoleDCC},
		{"triage", "TRIA", []string{"triage_facility_provider"}, sec.RoleTriage},
		{"network", "NETA", []string{"network_party"}, sec.RoleNetworkParty},
		{"other", "OTHA", []string{"other_user"}, sec.RoleOtherUser},
		{"admin", "OPS", []string{"operator"}, sec.RoleAdmin},
	}
	parties := &party.Service{DB: db}
	accounts := account.NewService(db)
	for _, s := range seats {
		if _, err := parties.Get(ctx, w.sys, s.org); err != nil {
			p, err := parties.Create(ctx, w.sys, party.NewParty{Code: s.org, Name: "Org " + marker("party", s.org), Roles: s.orgRoles,
				Contacts: []party.ContactInput{{Name: "Contact " + s.org, Email: strings.ToLower(s.org) + "@example.org"}}})
			if err != nil {
				t.Fatal(err)
			}
			w.addRecord("party", p.Code, p.Classification, sec.Audience{Orgs: []int64{p.ID}})
			w.setID(marker("party", p.Code), p.ID)
		}
	}
	w.viewers = append(w.viewers, &viewer{Name: "public", Caller: access.Public(), client: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}})
	for _, s := range seats {
		email := strings.ToLower(s.name + "@" + s.org + ".example.org")
		u, err := accounts.AddUser(ctx, w.sys, account.NewUser{Email: email, Name: s.name, Org: s.org,
			Roles: []string{string(s.role)}, Password: "correct horse battery", RedCleared: s.role == sec.RoleUserCIO})
		if err != nil {
			t.Fatal(err)
		}
		v := w.signIn(email, "correct horse battery")
		v.Name = s.name
		v.Caller = access.Caller{UserID: u.ID, OrgID: u.OrgID, OrgCode: u.OrgCode, Name: email, Roles: u.Roles, Via: "session"}
		w.viewers = append(w.viewers, v)
		w.byRole[s.name] = v
	}
	seedParties(w)
	for _, seed := range seeders {
		seed(w)
	}
	return w
}

// addRecord registers a seeded record whose text carries marker(kind, key).
func (w *world) addRecord(kind, key string, class sec.Classification, aud sec.Audience) {
	m := marker(kind, key)
	w.records[m] = record{Kind: kind, Class: class, Aud: aud}
	w.keys[kind] = append(w.keys[kind], recordKey{Key: key, Marker: m})
}

// addLiteral registers a seeded record that cannot carry a marker (a Device,
// say, shown only by its id): literal is text that appears in a response
// only when the record is in it, such as the Device ID.
func (w *world) addLiteral(kind, key, literal string, class sec.Classification, aud sec.Audience) {
	if _, dup := w.records[literal]; dup {
		w.t.Fatalf("literal %q registered twice", literal)
	}
	w.records[literal] = record{Kind: kind, Class: class, Aud: aud}
	w.literals = append(w.literals, literal)
	w.keys[kind] = append(w.keys[kind], recordKey{Key: key, Marker: literal})
}

// signIn opens a session for a user, passing the second factor directly in
// the database (the second factor itself is tested on its own).
func (w *world) signIn(email, password string) *viewer {
	w.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(w.ts.URL+"/signin", url.Values{"email": {email}, "password": {password}})
	if err != nil {
		w.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		w.t.Fatalf("sign in %s: status %d", email, resp.StatusCode)
	}
	if _, err := w.db.Writer().Exec("UPDATE sessions SET mfa_passed = TRUE WHERE user_id = (SELECT id FROM users WHERE email = $1)", email); err != nil {
		w.t.Fatal(err)
	}
	v := &viewer{client: c}
	var csrf string
	if err := w.db.QueryRowContext(context.Background(), "SELECT csrf FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = $1", email).Scan(&csrf); err != nil {
		w.t.Fatalf("session of %s: %v", email, err)
	}
	v.csrf = csrf
	return v
}

// do sends a request as the viewer and returns the status and body.
func (w *world) do(v *viewer, method, path, body string) (int, string) {
	w.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, w.ts.URL+path, r)
	if err != nil {
		w.t.Fatal(err)
	}
	if body != "" {
		if strings.HasPrefix(strings.TrimSpace(body), "{") {
			req.Header.Set("Content-Type", "application/json")
		} else {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if v.csrf != "" {
		req.Header.Set("X-CSRF-Token", v.csrf)
	}
	resp, err := v.client.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// seedParties adds directory entries of every classification, with AMBER and
// RED audiences naming one Supplier and one SSC member.
func seedParties(w *world) {
	ctx := context.Background()
	parties := &party.Service{DB: w.db}
	supA := w.byRole["supplierA"].Caller.OrgID
	ssc := w.byRole["ssc"].Caller.UserID
	for _, class := range sec.Classifications {
		code := "P" + string(class)
		p, err := parties.Create(ctx, w.sys, party.NewParty{Code: code, Name: "Party " + marker("party", code),
			Roles: []string{"manufacturer"}, Classification: string(class),
			Contacts: []party.ContactInput{{Name: "Contact " + code, Email: strings.ToLower(code) + "@example.org"}}})
		if err != nil {
			w.t.Fatal(err)
		}
		aud := sec.Audience{Orgs: []int64{p.ID}}
		switch class {
		case sec.Amber:
			w.exec("INSERT INTO audience_orgs (record_kind, record_id, org_id) VALUES ('party', $1, $2)", p.ID, supA)
			aud.Orgs = append(aud.Orgs, supA)
		case sec.Red:
			w.exec("INSERT INTO audience_users (record_kind, record_id, user_id) VALUES ('party', $1, $2)", p.ID, ssc)
			aud.Users = []int64{ssc}
		}
		w.addRecord("party", code, class, aud)
		w.setID(marker("party", code), p.ID)
	}
}

func (w *world) exec(q string, args ...any) {
	w.t.Helper()
	if _, err := w.db.Writer().Exec(q, args...); err != nil {
		w.t.Fatal(err)
	}
}

// markersIn lists the markers and literals in a response body.
func (w *world) markersIn(body string) []string {
	out := markersIn(body)
	for _, l := range w.literals {
		if containsLiteral(body, l) {
			out = append(out, l)
		}
	}
	return out
}

// containsLiteral reports whether body holds the literal marker l. A
// number ("1234567", "1,234,567") counts only standing as a number, not
// inside a longer run of letters and digits: a random request id or token
// in hex holds seven given digits once in some ten million responses, and
// the walk of every route makes twenty thousand (a CI run failed so).
func containsLiteral(body, l string) bool {
	if strings.Trim(l, "0123456789,") != "" {
		return strings.Contains(body, l)
	}
	alnum := func(b byte) bool { return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }
	for from := 0; ; {
		i := strings.Index(body[from:], l)
		if i < 0 {
			return false
		}
		i += from
		end := i + len(l)
		if (i == 0 || !alnum(body[i-1])) && (end == len(body) || !alnum(body[end])) {
			return true
		}
		from = i + 1
	}
}

func markersIn(body string) []string {
	var out []string
	for {
		i := strings.Index(body, markerPrefix)
		if i < 0 {
			return out
		}
		body = body[i+len(markerPrefix):]
		// kind~id~
		j := strings.Index(body, "~")
		if j < 0 {
			return out
		}
		k := strings.Index(body[j+1:], "~")
		if k < 0 {
			return out
		}
		out = append(out, markerPrefix+body[:j+1+k+1])
		body = body[j+1+k+1:]
	}
}

func (r record) String() string { return fmt.Sprintf("%s %s audience %v", r.Kind, r.Class, r.Aud) }

// testLogger sends the server's errors to the test log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelError}))
}

type testWriter struct{ t *testing.T }

func (tw testWriter) Write(b []byte) (int, error) {
	tw.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}
