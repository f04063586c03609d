package bench

// The mixed load test (issue 14, point 14): virtual users of every role sign
// in over HTTP the way people and systems do, then a generator sends them a
// mix of reads and writes on a fixed schedule. load_test.go drives it against
// the real `metersec serve`; this file holds the parts a `metersec bench load`
// command can reuse: the world, the accounts, sign-in, the mix and the
// measurement.

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/demo"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/vuln"
)

// LoadWorld seeds the demo world with devices Devices into db unless it is
// seeded already: the generator's market loaded through the same importers an
// operator uses, a user per role, arrangements, vulnerabilities at every
// stage, reports and meetings (demo.Seed).
func LoadWorld(ctx context.Context, db *store.DB, devices int64, logf func(string, ...any)) error {
	seeded, err := demo.Seeded(ctx, db)
	if err != nil || seeded {
		return err
	}
	return demo.Seed(ctx, db, demo.Options{Devices: devices, Log: logf})
}

// Profile is a kind of virtual user: a role in one organisation, with the
// weighted operations it performs.
type Profile struct {
	Name string   // "supplier-large"
	Org  string   // the organisation's code in the demo world
	Role sec.Role // its one role
	// Token: the virtual user works through an API token it makes for itself
	// after signing in, as an integrating system would; otherwise through its
	// session cookie and CSRF token, as a browser does.
	Token bool
	// VUs is how many virtual users of this profile sign in.
	VUs int
	Ops []Op
}

// LoadUser is one account a virtual user signs in with.
type LoadUser struct {
	Profile  *Profile
	N        int
	Email    string
	Password string
	TOTP     string // empty when the role signs in without a second factor
}

// LoadUsers makes p.VUs accounts for each profile p (or finds the ones an
// earlier run made): deterministic emails, passwords and TOTP secrets, so a
// rerun signs in without anything printed or stored.
func LoadUsers(ctx context.Context, db *store.DB, profiles []*Profile) ([]LoadUser, error) {
	accounts := account.NewService(db)
	sys := access.SystemCaller("load test accounts")
	var out []LoadUser
	made := map[string]bool{}
	for _, p := range profiles {
		have, err := accounts.ListUsers(ctx, sys, p.Org)
		if err != nil {
			return nil, err
		}
		for _, u := range have {
			made[u.Email] = true
		}
	}
	for _, p := range profiles {
		for n := range p.VUs {
			email := fmt.Sprintf("load-%s-%d@%s.load.example", p.Name, n, strings.ToLower(p.Org))
			sum := sha256.Sum256([]byte("metersec load test " + email))
			u := LoadUser{Profile: p, N: n, Email: email,
				// Long and random-looking, so the strength rule accepts it.
				Password: "Lt-" + hex.EncodeToString(sum[:12]) + "-soak"}
			if sec.RequiresMFA([]sec.Role{p.Role}, false) {
				u.TOTP = base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[12:32])
			}
			out = append(out, u)
			if made[email] {
				continue // by an earlier run, with the same password and secret
			}
			nu, err := accounts.AddUser(ctx, sys, account.NewUser{Email: email, Name: fmt.Sprintf("Load %s %d", p.Name, n),
				Org: p.Org, Roles: []string{string(p.Role)}, Password: u.Password})
			switch {
			case err != nil:
				return nil, fmt.Errorf("load user %s: %w", email, err)
			case u.TOTP != "":
				if err := accounts.SetTOTPSecret(ctx, sys, nu.ID, u.TOTP); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// HeldDevice is a Device a Supplier's virtual user records firmware for,
// with two firmware versions of its model to move between.
type HeldDevice struct {
	ID       string
	Firmware [2]string
}

// HeldDevices lists up to n installed Devices of the Supplier org whose model
// has at least two firmware versions, each with its current version first. A
// Supplier knows its own Devices from its own systems; the test reads them
// from the database the way the demo seed does, since no API lists a
// Supplier's Devices one by one.
func HeldDevices(ctx context.Context, db *store.DB, org string, n int) ([]HeldDevice, error) {
	rows, err := db.QueryContext(ctx, `SELECT d.id, f.version, (SELECT MIN(g.version) FROM firmware_versions g WHERE g.model_id = d.model_id AND g.id <> d.firmware_id)
		FROM devices d JOIN organisations o ON o.id = d.supplier_id JOIN firmware_versions f ON f.id = d.firmware_id
		WHERE o.code = $1 AND d.status = 'installed'
		  AND EXISTS (SELECT 1 FROM firmware_versions g WHERE g.model_id = d.model_id AND g.id <> d.firmware_id)
		ORDER BY d.id LIMIT $2`, org, n)
	if err != nil {
		return nil, errs.Wrap(err, "load test devices")
	}
	defer rows.Close()
	var out []HeldDevice
	for rows.Next() {
		var id int64
		var h HeldDevice
		if err := rows.Scan(&id, &h.Firmware[0], &h.Firmware[1]); err != nil {
			return nil, errs.Wrap(err, "load test devices")
		}
		h.ID = estate.DeviceIDFromInt64(id).String()
		out = append(out, h)
	}
	return out, errs.Wrap(rows.Err(), "load test devices")
}

// VU is a signed-in virtual user with what it learnt on signing in: the
// records it works on.
type VU struct {
	User   LoadUser
	base   string
	client *http.Client
	csrf   string
	token  string

	Vulns        []string // references of vulnerabilities it may see
	Inbox        []string // vulnerabilities its organisation was told of
	Arrangements []string // arrangements it may change
	Reports      []int64
	Devices      []HeldDevice // Suppliers: Devices it records firmware for
	Drafts       []string     // manufacturers: its own reported (unjudged) vulnerabilities
	draftModel   string       // manufacturers: a model of its own to report on
	SupplierCode string       // Suppliers: its own code, for its coverage page

	mu      sync.Mutex
	devNext int
	devFW   map[string]int // which of the two versions a Device runs
	next    atomic.Uint64
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// SignIn signs u in at base as a person does: the password form, then the
// authenticator code when the role needs one; then reads its CSRF token from
// the account page and, for a token profile, makes itself an API token.
func SignIn(ctx context.Context, base string, tr http.RoundTripper, u LoadUser) (*VU, error) {
	jar, _ := cookiejar.New(nil)
	vu := &VU{User: u, base: base, devFW: map[string]int{},
		client: &http.Client{Transport: tr, Jar: jar, Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	form := url.Values{"email": {u.Email}, "password": {u.Password}, "next": {"/"}}
	resp, err := vu.client.PostForm(base+"/signin", form)
	if err != nil {
		return nil, err
	}
	drain(resp)
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("sign-in of %s: status %d", u.Email, resp.StatusCode)
	}
	if strings.HasPrefix(resp.Header.Get("Location"), "/signin/mfa") {
		if err := vu.passMFA(ctx); err != nil {
			return nil, err
		}
	}
	page, err := vu.get("/account")
	if err != nil {
		return nil, err
	}
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		return nil, fmt.Errorf("sign-in of %s: no CSRF token on the account page", u.Email)
	}
	vu.csrf = m[1]
	if u.Profile.Token {
		var out struct {
			Token string `json:"token"`
		}
		days := 1
		if err := vu.call("POST", "/api/v1/tokens", account.NewToken{Name: "load test", Scopes: []string{"read", "write"}, Days: &days}, &out, http.StatusCreated, http.StatusOK); err != nil {
			return nil, fmt.Errorf("token for %s: %w", u.Email, err)
		}
		vu.token = out.Token
	}
	return vu, nil
}

// passMFA enters the authenticator code. A code is accepted once, so a rerun
// within the same 30 seconds uses the next step's (one step of drift is
// allowed).
func (vu *VU) passMFA(ctx context.Context) error {
	page, err := vu.get("/signin/mfa")
	if err != nil {
		return err
	}
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		return fmt.Errorf("second factor of %s: no CSRF token on the form", vu.User.Email)
	}
	for _, at := range []time.Time{time.Now(), time.Now().Add(30 * time.Second)} {
		code, err := account.CurrentCode(vu.User.TOTP, at)
		if err != nil {
			return err
		}
		resp, err := vu.client.PostForm(vu.base+"/signin/mfa", url.Values{"code": {code}, "csrf": {m[1]}, "next": {"/"}})
		if err != nil {
			return err
		}
		drain(resp)
		if resp.StatusCode == http.StatusSeeOther {
			return nil
		}
	}
	return fmt.Errorf("second factor of %s refused", vu.User.Email)
}

func (vu *VU) get(path string) (string, error) {
	resp, err := vu.client.Get(vu.base + path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s as %s: status %d", path, vu.User.Email, resp.StatusCode)
	}
	return string(b), err
}

// call sends a JSON request and decodes a JSON answer into out (if not nil).
func (vu *VU) call(method, path string, body, out any, ok ...int) error {
	req, err := vu.request(method, path, body)
	if err != nil {
		return err
	}
	resp, err := vu.do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if !slices.Contains(ok, resp.StatusCode) {
		return fmt.Errorf("%s %s as %s: status %d: %.300s", method, path, vu.User.Email, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// request builds a request authenticated as the virtual user.
func (vu *VU) request(method, path string, body any) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, vu.base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if vu.token != "" {
		req.Header.Set("Authorization", "Bearer "+vu.token)
		// The cookie jar would add the session too; a token call carries
		// the token alone.
		return req, nil
	}
	if method != http.MethodGet {
		req.Header.Set("X-CSRF-Token", vu.csrf)
	}
	return req, nil
}

// do sends a request without following redirects and without the jar when
// the user works by token.
func (vu *VU) do(req *http.Request) (*http.Response, error) {
	if vu.token != "" {
		return vu.client.Transport.RoundTrip(req)
	}
	return vu.client.Do(req)
}

// Discover reads, through the API, the records the virtual user will work
// on, as a client would on starting.
func (vu *VU) Discover(ctx context.Context, db *store.DB, devices int) error {
	type vulnItem struct {
		Ref   string        `json:"ref"`
		State sec.VulnState `json:"state"`
	}
	vulns, err := items[vulnItem](vu, "/api/v1/vulnerabilities")
	if err != nil {
		return err
	}
	for _, v := range vulns {
		vu.Vulns = append(vu.Vulns, v.Ref)
	}
	inbox, err := items[vulnItem](vu, "/api/v1/vulnerabilities/inbox")
	if err != nil {
		return err
	}
	for _, v := range inbox {
		// A closed vulnerability has nothing left to acknowledge.
		if v.State != sec.VulnStateClosed && v.State != sec.VulnStateClosedNotMaterial {
			vu.Inbox = append(vu.Inbox, v.Ref)
		}
	}
	arrs, err := items[struct {
		Reference string `json:"reference"`
	}](vu, "/api/v1/arrangements")
	if err != nil {
		return err
	}
	for _, a := range arrs {
		vu.Arrangements = append(vu.Arrangements, a.Reference)
	}
	reps, err := items[struct {
		ID int64 `json:"id"`
	}](vu, "/api/v1/reports")
	if err != nil {
		return err
	}
	for _, r := range reps {
		vu.Reports = append(vu.Reports, r.ID)
	}
	if vu.User.Profile.Role == sec.RoleSupplier {
		vu.SupplierCode = vu.User.Profile.Org
		// Each virtual user of a Supplier takes its own slice of the
		// Supplier's Devices, so two never change the same one.
		all, err := HeldDevices(ctx, db, vu.User.Profile.Org, devices*(vu.User.N+1))
		if err != nil {
			return err
		}
		vu.Devices = all[min(len(all), devices*vu.User.N):]
	}
	if vu.User.Profile.Role == sec.RoleManufacturer {
		return vu.discoverDrafts()
	}
	return nil
}

// items reads a listing ({"items": [...]}) from path.
func items[T any](vu *VU, path string) ([]T, error) {
	var out struct {
		Items []T `json:"items"`
	}
	err := vu.call("GET", path, nil, &out, http.StatusOK)
	return out.Items, err
}

// Op is one kind of request in the mix.
type Op struct {
	Name string // the route, e.g. "GET /api/v1/vulnerabilities/{ref}"
	// Weight is how often the profile sends it, relative to the profile's
	// other operations (10: an ordinary page).
	Weight int
	Write  bool
	// Make builds the request and the statuses that count as success; nil
	// when the virtual user has nothing to do it on.
	Make func(vu *VU, n uint64) (*http.Request, []int, error)
	// Done, when set, learns from a successful answer.
	Done func(vu *VU, body []byte)
}

func pick[T any](s []T, n uint64) (T, bool) {
	var zero T
	if len(s) == 0 {
		return zero, false
	}
	return s[n%uint64(len(s))], true
}

var ok200 = []int{http.StatusOK}

func getOp(name string, weight int, path func(vu *VU, n uint64) (string, bool)) Op {
	return Op{Name: "GET " + name, Weight: weight, Make: func(vu *VU, n uint64) (*http.Request, []int, error) {
		p, ok := path(vu, n)
		if !ok {
			return nil, nil, nil
		}
		req, err := vu.request("GET", p, nil)
		return req, ok200, err
	}}
}

func fixed(p string) func(*VU, uint64) (string, bool) {
	return func(*VU, uint64) (string, bool) { return p, true }
}

// The reads.
var (
	opHome         = getOp("/", 40, fixed("/"))
	opPortfolio    = getOp("/portfolio", 30, fixed("/portfolio"))
	opPortfolioAPI = getOp("/api/v1/portfolio", 30, fixed("/api/v1/portfolio"))
	opCoverageAPI  = getOp("/api/v1/coverage", 20, func(vu *VU, _ uint64) (string, bool) {
		if vu.SupplierCode != "" {
			return "/api/v1/coverage?supplier=" + vu.SupplierCode, true
		}
		return "/api/v1/coverage", true
	})
	opCoveragePage = getOp("/coverage/{supplier}", 20, func(vu *VU, _ uint64) (string, bool) {
		if vu.SupplierCode != "" {
			return "/coverage/" + vu.SupplierCode, true
		}
		return "/coverage", true
	})
	opVulnList    = getOp("/vulnerabilities", 40, fixed("/vulnerabilities"))
	opVulnListAPI = getOp("/api/v1/vulnerabilities", 30, fixed("/api/v1/vulnerabilities?open=true"))
	opVulnPage    = getOp("/vulnerabilities/{ref}", 40, func(vu *VU, n uint64) (string, bool) {
		r, ok := pick(vu.Vulns, n)
		return "/vulnerabilities/" + r, ok
	})
	opVulnAPI = getOp("/api/v1/vulnerabilities/{ref}", 40, func(vu *VU, n uint64) (string, bool) {
		r, ok := pick(vu.Vulns, n)
		return "/api/v1/vulnerabilities/" + r, ok
	})
	opTimeline = getOp("/api/v1/vulnerabilities/{ref}/timeline", 10, func(vu *VU, n uint64) (string, bool) {
		r, ok := pick(vu.Vulns, n)
		return "/api/v1/vulnerabilities/" + r + "/timeline", ok
	})
	opOverview   = getOp("/vulnerabilities/overview", 20, fixed("/vulnerabilities/overview"))
	opInbox      = getOp("/inbox", 30, fixed("/inbox"))
	opInboxAPI   = getOp("/api/v1/vulnerabilities/inbox", 30, fixed("/api/v1/vulnerabilities/inbox"))
	opReports    = getOp("/reports", 20, fixed("/reports"))
	opReportsAPI = getOp("/api/v1/reports", 10, fixed("/api/v1/reports"))
	opReportOne  = getOp("/reports/{id}", 10, func(vu *VU, n uint64) (string, bool) {
		id, ok := pick(vu.Reports, n)
		return fmt.Sprintf("/reports/%d", id), ok
	})
	opArrangements    = getOp("/arrangements", 20, fixed("/arrangements"))
	opArrangementsAPI = getOp("/api/v1/arrangements", 10, fixed("/api/v1/arrangements"))
	opArrangement     = getOp("/arrangements/{ref}", 10, func(vu *VU, n uint64) (string, bool) {
		r, ok := pick(vu.Arrangements, n)
		return "/arrangements/" + r, ok
	})
	opDevice = getOp("/api/v1/devices/{id}", 30, func(vu *VU, n uint64) (string, bool) {
		d, ok := pick(vu.Devices, n*7919)
		return "/api/v1/devices/" + d.ID, ok
	})
	opObligations = getOp("/api/v1/obligations", 20, func(vu *VU, n uint64) (string, bool) {
		d, ok := pick(vu.Devices, n*104729)
		return "/api/v1/obligations?device=" + d.ID, ok
	})
	opUsers      = getOp("/users", 20, fixed("/users"))
	opUsersAPI   = getOp("/api/v1/users", 10, fixed("/api/v1/users"))
	opDeliveries = getOp("/deliveries", 20, fixed("/deliveries"))
	opQueue      = getOp("/api/v1/deliveries/queue", 10, fixed("/api/v1/deliveries/queue"))
	opMe         = getOp("/api/v1/me", 10, fixed("/api/v1/me"))
)

// The writes.
var (
	// A Supplier (or MAP) acknowledges a notice, saying whether it is
	// affected; a later acknowledgement changes the statement.
	opAck = Op{Name: "POST /api/v1/vulnerabilities/{ref}/acknowledgement", Weight: 20, Write: true,
		Make: func(vu *VU, n uint64) (*http.Request, []int, error) {
			ref, ok := pick(vu.Inbox, n)
			if !ok {
				return nil, nil, nil
			}
			in := map[string]string{"statement": "affected"}
			switch n % 3 {
			case 1:
				in = map[string]string{"statement": "not_affected", "justification": "the affected firmware is not deployed in our estate (load test)"}
			case 2:
				in = map[string]string{"statement": "under_investigation"}
			}
			req, err := vu.request("POST", "/api/v1/vulnerabilities/"+ref+"/acknowledgement", in)
			return req, ok200, err
		}}
	// A party changes an arrangement's title.
	opArrangementEdit = Op{Name: "PATCH /api/v1/arrangements/{ref}", Weight: 10, Write: true,
		Make: func(vu *VU, n uint64) (*http.Request, []int, error) {
			ref, ok := pick(vu.Arrangements, n)
			if !ok {
				return nil, nil, nil
			}
			title := fmt.Sprintf("Notification arrangement %s (reviewed, pass %d)", ref, n%2)
			req, err := vu.request("PATCH", "/api/v1/arrangements/"+ref, map[string]string{"title": title})
			return req, ok200, err
		}}
	// A Supplier records a Device's firmware, moving between two catalogue
	// versions of its model.
	opFirmware = Op{Name: "POST /api/v1/devices/{id}/firmware", Weight: 20, Write: true,
		Make: func(vu *VU, n uint64) (*http.Request, []int, error) {
			if len(vu.Devices) == 0 {
				return nil, nil, nil
			}
			vu.mu.Lock()
			d := vu.Devices[vu.devNext%len(vu.Devices)]
			vu.devNext++
			next := 1 - vu.devFW[d.ID]
			vu.devFW[d.ID] = next
			vu.mu.Unlock()
			req, err := vu.request("POST", "/api/v1/devices/"+d.ID+"/firmware", map[string]string{"firmware": d.Firmware[next]})
			return req, ok200, err
		}}
	// A manufacturer edits one of its reported, not yet judged,
	// vulnerabilities.
	opDraftEdit = Op{Name: "PATCH /api/v1/vulnerabilities/{ref}", Weight: 10, Write: true,
		Make: func(vu *VU, n uint64) (*http.Request, []int, error) {
			vu.mu.Lock()
			ref, ok := pick(vu.Drafts, n)
			vu.mu.Unlock()
			if !ok {
				return nil, nil, nil
			}
			desc := fmt.Sprintf("A crafted message to the HAN interface can stall the Device (analysis pass %d).", n%5)
			req, err := vu.request("PATCH", "/api/v1/vulnerabilities/"+ref, map[string]string{"description": desc, "reason": "more analysis"})
			return req, ok200, err
		}}
	// A manufacturer reports a new vulnerability, not yet judged. Real
	// reports come a few a month; each virtual user makes at most
	// maxDrafts, so a long run does not grow every Supplier's inbox without
	// end.
	opNewVuln = Op{Name: "POST /api/v1/vulnerabilities", Weight: 10, Write: true,
		Make: func(vu *VU, n uint64) (*http.Request, []int, error) {
			vu.mu.Lock()
			full := len(vu.Drafts) >= maxDrafts
			vu.mu.Unlock()
			if vu.draftModel == "" || full {
				return nil, nil, nil
			}
			in := map[string]any{"title": fmt.Sprintf("Load test report %d by %s", n, vu.User.Email),
				"description": "A crafted message to the HAN interface can stall the Device.",
				"affected":    []map[string]string{{"model": vu.draftModel}}}
			req, err := vu.request("POST", "/api/v1/vulnerabilities", in)
			return req, []int{http.StatusCreated}, err
		},
		Done: func(vu *VU, body []byte) {
			var v struct {
				Ref string `json:"ref"`
			}
			if json.Unmarshal(body, &v) == nil && v.Ref != "" {
				vu.mu.Lock()
				vu.Drafts = append(vu.Drafts, v.Ref)
				vu.mu.Unlock()
			}
		}}
)

// discoverDrafts gives a manufacturer's virtual user a model of its own and
// reported, not yet judged, vulnerabilities to edit: those of earlier runs,
// or one it reports.
func (vu *VU) discoverDrafts() error {
	models, err := items[struct {
		Manufacturer string `json:"manufacturer"`
		Code         string `json:"code"`
	}](vu, "/api/v1/catalogue/models")
	if err != nil {
		return err
	}
	for _, m := range models {
		if m.Manufacturer == vu.User.Profile.Org {
			vu.draftModel = m.Code
			break
		}
	}
	if vu.draftModel == "" {
		return fmt.Errorf("manufacturer %s has no model in the catalogue", vu.User.Profile.Org)
	}
	// Reported, unjudged vulnerabilities on its own models, from earlier
	// runs: the manufacturer may edit them, and reusing them keeps the
	// world from growing run after run.
	reported, err := items[struct {
		Ref          string      `json:"ref"`
		Manufacturer vuln.OrgRef `json:"manufacturer"`
	}](vu, "/api/v1/vulnerabilities?state=reported")
	if err != nil {
		return err
	}
	for _, v := range reported {
		if v.Manufacturer.Code == vu.User.Profile.Org && len(vu.Drafts) < maxDrafts {
			vu.Drafts = append(vu.Drafts, v.Ref)
		}
	}
	if len(vu.Drafts) > 0 {
		return nil
	}
	req, want, err := opNewVuln.Make(vu, uint64(time.Now().UnixNano()))
	if err != nil {
		return err
	}
	resp, err := vu.do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if !slices.Contains(want, resp.StatusCode) {
		return fmt.Errorf("a draft vulnerability by %s: status %d: %.300s", vu.User.Email, resp.StatusCode, b)
	}
	opNewVuln.Done(vu, b)
	return nil
}

// maxDrafts bounds the vulnerabilities one manufacturer's virtual user
// reports in a run.
const maxDrafts = 5

// rare is op sent weight tenths as often as an ordinary page: the SSC's
// national coverage (the matrix page, the whole report by API) is looked at
// a few times a day, not with every click, and costs 0.5–1 s of CPU at a
// million Devices.
func rare(op Op, weight int, name string) Op {
	op.Weight, op.Name = weight, name
	return op
}

// The national coverage, named apart from a Supplier's own in the figures.
const (
	nationalPage = "GET /coverage (the SSC's national matrix)"
	nationalAPI  = "GET /api/v1/coverage (every Supplier)"
)

// Profiles is the mix: who does what, and how often. Requests go to the
// virtual users in turn, so a profile's share of all requests is its share
// of the virtual users (Suppliers the most); within a profile, an operation's
// share is its weight.
func Profiles() []*Profile {
	supplierOps := []Op{opHome, opPortfolio, opPortfolioAPI, opCoverageAPI, opCoveragePage, opVulnList, opVulnListAPI,
		opVulnPage, opVulnAPI, opTimeline, opInbox, opInboxAPI, opReports, opReportOne, opArrangements,
		opArrangement, opDevice, opObligations, opMe, opAck, opFirmware, opArrangementEdit}
	return []*Profile{
		{Name: "supplier-large", Org: "ALDM", Role: sec.RoleSupplier, VUs: 4, Ops: supplierOps},
		{Name: "supplier-small", Org: "LRKL", Role: sec.RoleSupplier, Token: true, VUs: 3, Ops: supplierOps},
		{Name: "manufacturer", Org: "AURV", Role: sec.RoleManufacturer, VUs: 3, Ops: []Op{opHome, opPortfolio, opPortfolioAPI,
			opVulnList, opVulnListAPI, opVulnPage, opVulnAPI, opTimeline, opReports, opReportOne, opArrangements, opArrangement,
			opMe, opDraftEdit, opNewVuln, opArrangementEdit}},
		{Name: "map", Org: "ANCM", Role: sec.RoleMAP, VUs: 2, Ops: []Op{opHome, opPortfolio, opVulnList, opVulnPage, opVulnAPI,
			opInbox, opInboxAPI, opReports, opArrangements, opArrangement, opMe, opAck}},
		{Name: "ssc", Org: "SSC", Role: sec.RoleSSCMember, VUs: 2, Ops: []Op{opHome, opOverview, rare(opCoveragePage, 2, nationalPage), rare(opCoverageAPI, 1, nationalAPI),
			opPortfolio, opVulnList, opVulnListAPI, opVulnPage, opVulnAPI, opTimeline, opReports, opReportOne, opArrangements,
			opArrangement, opArrangementEdit}},
		{Name: "secretariat", Org: "SECAS", Role: sec.RoleSecretariat, VUs: 2, Ops: []Op{opHome, opOverview, rare(opCoveragePage, 2, nationalPage),
			opVulnList, opVulnPage, opReports, opReportsAPI, opArrangements, opArrangementsAPI, opArrangement, opArrangementEdit}},
		{Name: "admin", Org: "OPS", Role: sec.RoleAdmin, VUs: 2, Ops: []Op{opHome, opUsers, opUsersAPI, opDeliveries, opQueue, opMe}},
	}
}

// Sample is one finished request.
type Sample struct {
	Op      string
	At      time.Duration // when it was due, from the start of the run
	Latency time.Duration // from when it was due to the end of the answer
	Status  int           // 0 when no answer came
	OK      bool
	Err     string // what went wrong, for the first few failures
}

// RunOptions sets a run: Rate requests a second for Duration.
type RunOptions struct {
	Rate     float64
	Duration time.Duration
	Seed     uint64
	// MaxInFlight bounds the requests outstanding; one due beyond it is not
	// sent and counts as a failure (the server has fallen behind).
	MaxInFlight int
	// Window, when set, is called with the samples of each Window-long
	// slice of the run as it ends (the soak prints its series from it).
	Window   time.Duration
	OnWindow func(from time.Duration, samples []Sample)
}

// Run sends the mix from vus at a fixed rate: an open model, where each
// request is started when it is due whether or not earlier ones have
// finished, and its latency counts from when it was due, so a server that
// falls behind shows as latency (no coordinated omission). Requests go to the
// virtual users in turn; each picks an operation by its profile's weights.
func Run(ctx context.Context, vus []*VU, o RunOptions) []Sample {
	if o.MaxInFlight == 0 {
		o.MaxInFlight = 4096
	}
	rng := rand.New(rand.NewPCG(o.Seed, 14))
	interval := time.Duration(float64(time.Second) / o.Rate)
	total := int(o.Duration / interval)
	var (
		mu       sync.Mutex
		samples  = make([]Sample, 0, total)
		windows  = map[int][]Sample{} // by the window each was due in
		wg       sync.WaitGroup
		inFlight atomic.Int64
	)
	record := func(s Sample) {
		mu.Lock()
		samples = append(samples, s)
		if o.Window > 0 {
			k := int(s.At / o.Window)
			windows[k] = append(windows[k], s)
		}
		mu.Unlock()
	}
	flush := func(k int) {
		mu.Lock()
		win := windows[k]
		delete(windows, k)
		mu.Unlock()
		if o.OnWindow != nil {
			o.OnWindow(time.Duration(k)*o.Window, win)
		}
	}
	start := time.Now()
	flushed := 0
	for i := range total {
		due := time.Duration(i) * interval
		if o.Window > 0 && due >= time.Duration(flushed+1)*o.Window+5*time.Second {
			// Five seconds' grace lets the window's requests finish.
			flush(flushed)
			flushed++
		}
		if d := time.Until(start.Add(due)); d > 0 {
			select {
			case <-ctx.Done():
				total = i
			case <-time.After(d):
			}
		}
		if ctx.Err() != nil {
			break
		}
		vu := vus[i%len(vus)]
		op, req, want, err := vu.choose(rng)
		if err != nil || req == nil {
			record(Sample{Op: "(no request)", At: due, Err: fmt.Sprint(err)})
			continue
		}
		if inFlight.Load() >= int64(o.MaxInFlight) {
			record(Sample{Op: op.Name, At: due, Err: "not sent: too many requests outstanding"})
			continue
		}
		inFlight.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer inFlight.Add(-1)
			s := Sample{Op: op.Name, At: due}
			resp, err := vu.do(req.WithContext(ctx))
			if err == nil {
				var body []byte
				body, err = io.ReadAll(resp.Body)
				resp.Body.Close()
				s.Status = resp.StatusCode
				s.OK = err == nil && slices.Contains(want, resp.StatusCode)
				if s.OK && op.Done != nil {
					op.Done(vu, body)
				}
				if !s.OK {
					s.Err = fmt.Sprintf("%s %s: %.200s", req.Method, req.URL.RequestURI(), body)
				}
			}
			if err != nil {
				s.Err = err.Error()
			}
			s.Latency = time.Since(start.Add(due))
			record(s)
		}()
	}
	wg.Wait()
	for o.Window > 0 && time.Duration(flushed)*o.Window < time.Duration(total)*interval {
		flush(flushed)
		flushed++
	}
	return samples
}

// choose picks an operation the virtual user has something to do on.
func (vu *VU) choose(rng *rand.Rand) (Op, *http.Request, []int, error) {
	ops := vu.User.Profile.Ops
	sum := 0
	for _, op := range ops {
		sum += op.Weight
	}
	for range 20 {
		r := rng.IntN(sum)
		for _, op := range ops {
			if r -= op.Weight; r < 0 {
				req, want, err := op.Make(vu, vu.next.Add(1))
				if req != nil || err != nil {
					return op, req, want, err
				}
				break
			}
		}
	}
	return Op{}, nil, nil, fmt.Errorf("%s found nothing to do", vu.User.Email)
}

// Stats summarises samples.
type Stats struct {
	Name               string
	Count, Failed      int
	P50, P95, P99, Max time.Duration
	PerSecond          float64
}

// Summarise gives the overall figures and each operation's, over a run of
// the given length, operations in name order.
func Summarise(samples []Sample, over time.Duration) (Stats, []Stats) {
	by := map[string][]Sample{}
	for _, s := range samples {
		by[s.Op] = append(by[s.Op], s)
	}
	names := make([]string, 0, len(by))
	for n := range by {
		names = append(names, n)
	}
	slices.Sort(names)
	var per []Stats
	for _, n := range names {
		per = append(per, stats(n, by[n], over))
	}
	return stats("all", samples, over), per
}

func stats(name string, samples []Sample, over time.Duration) Stats {
	st := Stats{Name: name, Count: len(samples)}
	lat := make([]time.Duration, 0, len(samples))
	for _, s := range samples {
		if !s.OK {
			st.Failed++
		}
		lat = append(lat, s.Latency)
	}
	if len(lat) == 0 {
		return st
	}
	slices.Sort(lat)
	q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(float64(len(lat))*p))] }
	st.P50, st.P95, st.P99, st.Max = q(0.50), q(0.95), q(0.99), lat[len(lat)-1]
	if over > 0 {
		st.PerSecond = float64(len(samples)) / over.Seconds()
	}
	return st
}

// Table writes stats as a Markdown table, latencies in milliseconds.
func Table(w io.Writer, all Stats, per []Stats) {
	fmt.Fprintln(w, "| request | count | per s | p50 ms | p95 ms | p99 ms | max ms | failed |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	row := func(s Stats) {
		ms := func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }
		fmt.Fprintf(w, "| %s | %d | %.1f | %s | %s | %s | %s | %d |\n", s.Name, s.Count, s.PerSecond, ms(s.P50), ms(s.P95), ms(s.P99), ms(s.Max), s.Failed)
	}
	for _, s := range per {
		row(s)
	}
	row(all)
}

func drain(resp *http.Response) {
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}
