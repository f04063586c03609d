package web_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc/oidctest"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
	"github.com/metersec/metersec/internal/web"
)

// testIdP is a small OpenID Connect provider run in the test process:
// discovery and JWKS (oidctest.Server, with an RSA key generated here), an
// authorization endpoint that signs in whoever the test says, and a token
// endpoint that checks the client, the redirect URI and the PKCE verifier
// and answers with an RS256 ID token.
type testIdP struct {
	t        *testing.T
	srv      *httptest.Server
	key      *rsa.PrivateKey
	clientID string
	secret   string
	now      func() time.Time

	mu sync.Mutex
	// as is who the next authorization signs in, and how the token is
	// made: edit may change its claims (to spoil them).
	as    idpUser
	codes map[string]idpGrant
}

type idpUser struct {
	sub  string
	amr  []string
	edit func(claims map[string]any)
}

type idpGrant struct {
	user                          idpUser
	nonce, challenge, redirectURI string
}

func newTestIdP(t *testing.T, now func() time.Time) *testIdP {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &testIdP{t: t, key: key, clientID: "metersec-test", secret: "s3cret-of-the-client", now: now, codes: map[string]idpGrant{}}
	disc := &oidctest.Server{PublicKeys: []oidctest.PublicKey{{PublicKey: key.Public(), KeyID: "k1", Algorithm: "RS256"}}}
	mux := http.NewServeMux()
	mux.Handle("GET /.well-known/openid-configuration", disc)
	mux.Handle("GET /keys", disc)
	mux.HandleFunc("GET /auth", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	disc.SetIssuer(p.srv.URL)
	return p
}

func (p *testIdP) signInAs(u idpUser) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.as = u
}

func (p *testIdP) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != p.clientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" ||
		q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" || !strings.Contains(q.Get("scope"), "openid") {
		p.t.Errorf("authorization request lacks what the flow needs: %s", r.URL.RawQuery)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	code := rand.Text()
	p.mu.Lock()
	p.codes[code] = idpGrant{user: p.as, nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirectURI: q.Get("redirect_uri")}
	p.mu.Unlock()
	back, _ := url.Parse(q.Get("redirect_uri"))
	v := url.Values{"code": {code}, "state": {q.Get("state")}}
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (p *testIdP) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
	}
	if id != p.clientID || secret != p.secret {
		http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
		return
	}
	p.mu.Lock()
	g, found := p.codes[r.PostFormValue("code")]
	delete(p.codes, r.PostFormValue("code"))
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
	if !found || r.PostFormValue("grant_type") != "authorization_code" || r.PostFormValue("redirect_uri") != g.redirectURI ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error":"invalid_grant"}`))
		return
	}
	now := p.now()
	claims := map[string]any{"iss": p.srv.URL, "sub": g.user.sub, "aud": p.clientID, "iat": now.Unix(),
		"exp": now.Add(5 * time.Minute).Unix(), "nonce": g.nonce}
	if g.user.amr != nil {
		claims["amr"] = g.user.amr
	}
	if g.user.edit != nil {
		g.user.edit(claims)
	}
	b, _ := json.Marshal(claims)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"access_token": "at-" + r.PostFormValue("code"), "token_type": "Bearer", "expires_in": 300,
		"id_token": oidctest.SignIDToken(p.key, "k1", "RS256", string(b))})
}

// oidcApp is a metersec server with single sign-on through a testIdP.
type oidcApp struct {
	db  *store.DB
	idp *testIdP
	url string
	acc *account.Service
}

func newOIDCApp(t *testing.T, db *store.DB) *oidcApp {
	ctx := context.Background()
	clock := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return clock }
	idp := newTestIdP(t, func() time.Time { return db.Now() })
	ts := httptest.NewServer(nil)
	t.Cleanup(ts.Close)
	srv, err := web.New(web.Config{DB: db, Log: testLogger(t), Version: "test", OIDC: &web.OIDCConfig{
		Name: "Test IdP", Issuer: idp.srv.URL, ClientID: idp.clientID, ClientSecret: idp.secret,
		RedirectURL: ts.URL + "/signin/oidc/callback"}})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = srv
	sys := access.SystemCaller("test")
	parties := &party.Service{DB: db}
	for _, o := range []struct{ code, role string }{{"SUPA", "large_supplier"}, {"SSC", "ssc"}} {
		if _, err := parties.Create(ctx, sys, party.NewParty{Code: o.code, Name: "Org " + o.code, Roles: []string{o.role},
			Contacts: []party.ContactInput{{Name: "Contact", Email: strings.ToLower(o.code) + "@example.org"}}}); err != nil {
			t.Fatal(err)
		}
	}
	return &oidcApp{db: db, idp: idp, url: ts.URL, acc: account.NewService(db)}
}

// user adds an account and links the subject to it.
func (a *oidcApp) user(t *testing.T, email, org, role, sub string) account.User {
	ctx := context.Background()
	sys := access.SystemCaller("test")
	u, err := a.acc.AddUser(ctx, sys, account.NewUser{Email: email, Name: "Person " + sub, Org: org, Roles: []string{role}, Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.acc.LinkOIDC(ctx, sys, email, a.idp.srv.URL, sub); err != nil {
		t.Fatal(err)
	}
	return u
}

// start begins a sign-in at metersec and follows it to the provider;
// it returns the callback URL the provider sends the browser back to.
func (a *oidcApp) start(t *testing.T, b *http.Client, next string) string {
	t.Helper()
	resp, _ := get(t, b, a.url+"/signin/oidc?next="+url.QueryEscape(next))
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, a.idp.srv.URL+"/auth?") {
		t.Fatalf("/signin/oidc: %d → %q, want a redirect to the provider", resp.StatusCode, loc)
	}
	resp, _ = get(t, b, loc)
	back := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(back, a.url+"/signin/oidc/callback?") {
		t.Fatalf("provider: %d → %q", resp.StatusCode, back)
	}
	return back
}

// signins counts the audited sign-ins of the account.
func (a *oidcApp) signins(t *testing.T, email string) int {
	var n int
	if err := a.db.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM audit_log WHERE action = 'user.signin' AND object_id = $1", email).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (a *oidcApp) sessions(t *testing.T, email string) int {
	var n int
	if err := a.db.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = $1", email).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// me is who /api/v1/me says the browser is (empty when not signed in).
func (a *oidcApp) me(t *testing.T, b *http.Client) string {
	t.Helper()
	resp, body := get(t, b, a.url+"/api/v1/me")
	if resp.StatusCode != http.StatusOK {
		return ""
	}
	var u account.User
	if err := json.Unmarshal([]byte(body), &u); err != nil {
		t.Fatal(err)
	}
	return u.Email
}

func TestOIDCSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newOIDCApp(t, db)
		a.user(t, "sam@supa.example.org", "SUPA", "supplier", "sub-sam")
		a.user(t, "cleo@ssc.example.org", "SSC", "ssc_member", "sub-cleo")
		enrolled := a.user(t, "eve@ssc.example.org", "SSC", "ssc_member", "sub-eve")
		const seed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
		if err := a.acc.SetTOTPSecret(context.Background(), access.SystemCaller("test"), enrolled.ID, seed); err != nil {
			t.Fatalf("%#v", err)
		}
		a.user(t, "dan@supa.example.org", "SUPA", "supplier", "sub-dan")
		if err := a.acc.Disable(context.Background(), access.SystemCaller("test"), "dan@supa.example.org"); err != nil {
			t.Fatal(err)
		}

		// The sign-in page offers the provider by name.
		if _, page := get(t, browser(), a.url+"/signin"); !strings.Contains(page, "Sign in with Test IdP") || !strings.Contains(page, `href="/signin/oidc?next=`) {
			t.Fatalf("the sign-in page does not offer single sign-on: %.800s", page)
		}

		// refused runs a sign-in whose callback must be refused with status and
		// a message containing want, leaving no session.
		refused := func(t *testing.T, b *http.Client, callback string, status int, want string) {
			t.Helper()
			resp, page := get(t, b, callback)
			if resp.StatusCode != status || !strings.Contains(page, want) {
				t.Fatalf("callback: %d, want %d with %q: %.1200s", resp.StatusCode, status, want, page)
			}
			if c := resp.Header.Get("Set-Cookie"); strings.Contains(c, "metersec_session=") && !strings.Contains(c, "Max-Age=0") {
				t.Fatalf("a refused sign-in set a session cookie: %s", c)
			}
			if who := a.me(t, b); who != "" {
				t.Fatalf("a refused sign-in left the browser signed in as %s", who)
			}
		}

		t.Run("success", func(t *testing.T) {
			before := a.signins(t, "sam@supa.example.org")
			a.idp.signInAs(idpUser{sub: "sub-sam", amr: []string{"pwd"}})
			b := browser()
			resp, _ := get(t, b, a.start(t, b, "/parties"))
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/parties" {
				t.Fatalf("callback: %d → %q, want /parties", resp.StatusCode, resp.Header.Get("Location"))
			}
			if who := a.me(t, b); who != "sam@supa.example.org" {
				t.Fatalf("signed in as %q", who)
			}
			if got := a.signins(t, "sam@supa.example.org"); got != before+1 {
				t.Fatalf("audited sign-ins: %d, want %d", got, before+1)
			}
			// The session is an ordinary one: the account page opens and
			// signing out ends it.
			resp, page := get(t, b, a.url+"/account")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("/account: %d", resp.StatusCode)
			}
			if resp, _ := post(t, b, a.url+"/signout", url.Values{"csrf": {csrfOf(t, page)}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign out: %d", resp.StatusCode)
			}
			if who := a.me(t, b); who != "" {
				t.Fatalf("still signed in as %s after signing out", who)
			}
		})

		t.Run("bad state", func(t *testing.T) {
			a.idp.signInAs(idpUser{sub: "sub-sam"})
			b := browser()
			cb, _ := url.Parse(a.start(t, b, "/"))
			q := cb.Query()
			q.Set("state", "forged")
			cb.RawQuery = q.Encode()
			refused(t, b, cb.String(), http.StatusBadRequest, "state does not match")
			// A callback in a browser that never started a sign-in.
			a.idp.signInAs(idpUser{sub: "sub-sam"})
			refused(t, browser(), a.start(t, browser(), "/"), http.StatusBadRequest, "was not started here")
		})

		t.Run("bad nonce", func(t *testing.T) {
			a.idp.signInAs(idpUser{sub: "sub-sam", edit: func(c map[string]any) { c["nonce"] = "replayed" }})
			b := browser()
			refused(t, b, a.start(t, b, "/"), http.StatusUnauthorized, "nonce does not match")
		})

		t.Run("wrong audience", func(t *testing.T) {
			a.idp.signInAs(idpUser{sub: "sub-sam", edit: func(c map[string]any) { c["aud"] = "another-client" }})
			b := browser()
			refused(t, b, a.start(t, b, "/"), http.StatusUnauthorized, "could not be verified")
		})

		t.Run("expired token", func(t *testing.T) {
			a.idp.signInAs(idpUser{sub: "sub-sam", edit: func(c map[string]any) {
				c["iat"] = a.db.Now().Add(-time.Hour).Unix()
				c["exp"] = a.db.Now().Add(-30 * time.Minute).Unix()
			}})
			b := browser()
			refused(t, b, a.start(t, b, "/"), http.StatusUnauthorized, "has expired")
		})

		t.Run("forged signature", func(t *testing.T) {
			other, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				t.Fatal(err)
			}
			good := a.idp.key
			a.idp.key = other
			defer func() { a.idp.key = good }()
			a.idp.signInAs(idpUser{sub: "sub-sam"})
			b := browser()
			refused(t, b, a.start(t, b, "/"), http.StatusUnauthorized, "could not be verified")
		})

		t.Run("unknown subject", func(t *testing.T) {
			var users int
			db.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM users").Scan(&users)
			a.idp.signInAs(idpUser{sub: "sub-stranger", amr: []string{"mfa"}})
			b := browser()
			refused(t, b, a.start(t, b, "/"), http.StatusUnauthorized, "not linked to a metersec account")
			var after int
			db.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM users").Scan(&after)
			if after != users {
				t.Fatalf("an unknown subject created an account: %d users, was %d", after, users)
			}
			// The same subject at another issuer is another identity.
			if _, err := a.acc.LinkOIDC(context.Background(), access.SystemCaller("test"), "sam@supa.example.org", "https://other.example", "sub-stranger"); err != nil {
				t.Fatal(err)
			}
			a.idp.signInAs(idpUser{sub: "sub-stranger"})
			b = browser()
			refused(t, b, a.start(t, b, "/"), http.StatusUnauthorized, "not linked to a metersec account")
		})

		t.Run("disabled user", func(t *testing.T) {
			before := a.sessions(t, "dan@supa.example.org")
			a.idp.signInAs(idpUser{sub: "sub-dan", amr: []string{"mfa"}})
			b := browser()
			refused(t, b, a.start(t, b, "/"), http.StatusUnauthorized, "disabled")
			if got := a.sessions(t, "dan@supa.example.org"); got != before {
				t.Fatalf("a disabled account got a session")
			}
		})

		t.Run("MFA via amr", func(t *testing.T) {
			// An SSC member needs a second factor; the provider's "otp" is one.
			a.idp.signInAs(idpUser{sub: "sub-cleo", amr: []string{"pwd", "otp"}})
			b := browser()
			resp, _ := get(t, b, a.start(t, b, "/vulnerabilities"))
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/vulnerabilities" {
				t.Fatalf("callback: %d → %q, want /vulnerabilities", resp.StatusCode, resp.Header.Get("Location"))
			}
			if who := a.me(t, b); who != "cleo@ssc.example.org" {
				t.Fatalf("signed in as %q", who)
			}
			var mfaAt *time.Time
			if err := db.QueryRowContext(context.Background(), "SELECT s.mfa_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = $1",
				"cleo@ssc.example.org").Scan(&mfaAt); err != nil || mfaAt == nil {
				t.Fatalf("the session does not record the second factor: %v %v", mfaAt, err)
			}
		})

		t.Run("MFA fallback to TOTP", func(t *testing.T) {
			// A password alone at the provider: the authenticator code is asked
			// for, and nothing opens until it is given.
			a.idp.signInAs(idpUser{sub: "sub-eve", amr: []string{"pwd"}})
			b := browser()
			resp, _ := get(t, b, a.start(t, b, "/parties"))
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/signin/mfa?next=%2Fparties" {
				t.Fatalf("callback: %d → %q, want the code form", resp.StatusCode, resp.Header.Get("Location"))
			}
			if who := a.me(t, b); who != "" {
				t.Fatalf("a pending session reached the API as %s", who)
			}
			_, page := get(t, b, a.url+"/signin/mfa?next=/parties")
			resp, _ = post(t, b, a.url+"/signin/mfa", url.Values{"csrf": {csrfOf(t, page)}, "code": {code(t, db, seed)}, "next": {"/parties"}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/parties" {
				t.Fatalf("code: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if who := a.me(t, b); who != "eve@ssc.example.org" {
				t.Fatalf("after the code: signed in as %q", who)
			}

			// An account that must set up an authenticator and has none is sent
			// to enrolment when the provider gives no strong method (no "amr").
			a.idp.signInAs(idpUser{sub: "sub-cleo"})
			b = browser()
			resp, _ = get(t, b, a.start(t, b, "/"))
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account/mfa" {
				t.Fatalf("callback: %d → %q, want enrolment", resp.StatusCode, resp.Header.Get("Location"))
			}
		})
	})
}

// Without a provider configured the sign-in page offers none and the routes
// answer as missing.
func TestOIDCNotConfigured(t *testing.T) {
	db := storetest.Open(t, storetest.Engines()[0])
	srv, err := web.New(web.Config{DB: db, Log: testLogger(t), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	if _, page := get(t, browser(), ts.URL+"/signin"); strings.Contains(page, "Sign in with") {
		t.Fatal("the sign-in page offers single sign-on that is not set up")
	}
	for _, p := range []string{"/signin/oidc", "/signin/oidc/callback?code=x&state=y"} {
		if resp, page := get(t, browser(), ts.URL+p); resp.StatusCode != http.StatusNotFound || !strings.Contains(page, "not set up") {
			t.Fatalf("%s: %d", p, resp.StatusCode)
		}
	}
}

func TestLinkOIDC(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newOIDCApp(t, db)
		ctx := context.Background()
		sys := access.SystemCaller("test")
		sam := a.user(t, "sam@supa.example.org", "SUPA", "supplier", "sub-sam")
		a.user(t, "sue@supa.example.org", "SUPA", "supplier", "sub-sue")
		// Linking again to the same account changes nothing; to another is a conflict.
		if _, err := a.acc.LinkOIDC(ctx, sys, "sam@supa.example.org", a.idp.srv.URL, "sub-sam"); err != nil {
			t.Fatalf("relink: %v", err)
		}
		if _, err := a.acc.LinkOIDC(ctx, sys, "sue@supa.example.org", a.idp.srv.URL, "sub-sam"); err == nil || !strings.Contains(err.Error(), "another account") {
			t.Fatalf("linking one identity to two accounts: %v", err)
		}
		// Only administrators link.
		c := sam.Caller("session", nil)
		if _, err := a.acc.LinkOIDC(ctx, c, "sam@supa.example.org", a.idp.srv.URL, "sub-x"); err == nil || !strings.Contains(err.Error(), "administrators") {
			t.Fatalf("a supplier linked an identity: %v", err)
		}
		for _, tc := range []struct{ issuer, subject, field string }{
			{"", "x", "issuer"}, {"ftp://idp.example", "x", "issuer"}, {"https://idp.example", "", "subject"},
			{"https://idp.example", strings.Repeat("s", 256), "subject"},
		} {
			_, err := a.acc.LinkOIDC(ctx, sys, "sam@supa.example.org", tc.issuer, tc.subject)
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("link %q %q: %v, want a problem with %s", tc.issuer, tc.subject, err, tc.field)
			}
		}
		ids, err := a.acc.ListOIDC(ctx, c, "")
		if err != nil || len(ids) != 1 || ids[0].Subject != "sub-sam" {
			t.Fatalf("a user's own identities: %v %v", ids, err)
		}
		if err := a.acc.UnlinkOIDC(ctx, sys, "sam@supa.example.org", a.idp.srv.URL, "sub-sam"); err != nil {
			t.Fatal(err)
		}
		a.idp.signInAs(idpUser{sub: "sub-sam"})
		b := browser()
		if resp, page := get(t, b, a.start(t, b, "/")); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "not linked") {
			t.Fatalf("an unlinked identity signed in: %d", resp.StatusCode)
		}
	})
}
