package web_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// browser is a cookie-keeping client that does not follow redirects, so
// tests see each step of a sign-in.
func browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp, b.String()
}

func post(t *testing.T, c *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp, b.String()
}

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token on the page: %.400s", page)
	}
	return m[1]
}

// code is the current TOTP code for secret at the world's clock, stepped
// so that each call yields a code not used before.
func code(t *testing.T, db *store.DB, secret string) string {
	t.Helper()
	c, err := account.CurrentCode(secret, db.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSignInWithSecondFactor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorldOn(t, db)
		clock := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return clock }
		base := w.ts.URL
		b := browser()

		// Password first: an SSC member must set up an authenticator.
		resp, _ := post(t, b, base+"/signin", url.Values{"email": {"ssc@ssc.example.org"}, "password": {"correct horse battery"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account/mfa" {
			t.Fatalf("after the password: %d → %q, want /account/mfa", resp.StatusCode, resp.Header.Get("Location"))
		}
		// Until then nothing else opens.
		if resp, _ := get(t, b, base+"/parties"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/signin/mfa" {
			t.Fatalf("pending session reached /parties: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, page := get(t, b, base+"/account/mfa")
		secret := regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`).FindStringSubmatch(page)
		if secret == nil {
			t.Fatalf("no secret on the enrolment page: %.600s", page)
		}
		csrf := csrfOf(t, page)
		if resp, page := post(t, b, base+"/account/mfa", url.Values{"csrf": {csrf}, "code": {"000000"}}); resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "not right") {
			t.Fatalf("a wrong code: %d", resp.StatusCode)
		}
		resp, _ = post(t, b, base+"/account/mfa", url.Values{"csrf": {csrf}, "code": {code(t, db, secret[1])}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("enrolment: %d", resp.StatusCode)
		}
		if resp, page := get(t, b, base+"/parties"); resp.StatusCode != http.StatusOK || !strings.Contains(page, "Directory") {
			t.Fatalf("after enrolment /parties: %d", resp.StatusCode)
		}

		// Sign out and in again: now the code is asked for.
		_, page = get(t, b, base+"/account")
		post(t, b, base+"/signout", url.Values{"csrf": {csrfOf(t, page)}})
		b = browser()
		resp, _ = post(t, b, base+"/signin", url.Values{"email": {"ssc@ssc.example.org"}, "password": {"correct horse battery"}, "next": {"/parties"}})
		if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/signin/mfa") {
			t.Fatalf("second sign-in went to %q", loc)
		}
		_, page = get(t, b, base+resp.Header.Get("Location"))
		csrf = csrfOf(t, page)
		// The code used for enrolment is spent: replaying it fails.
		if resp, page := post(t, b, base+"/signin/mfa", url.Values{"csrf": {csrf}, "code": {code(t, db, secret[1])}, "next": {"/parties"}}); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "used already") {
			t.Fatalf("replayed code: %d", resp.StatusCode)
		}
		clock = clock.Add(30 * time.Second)
		resp, _ = post(t, b, base+"/signin/mfa", url.Values{"csrf": {csrf}, "code": {code(t, db, secret[1])}, "next": {"/parties"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/parties" {
			t.Fatalf("right code: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

func TestSignInFailuresAndLimits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorldOn(t, db)
		base := w.ts.URL
		b := browser()
		resp, page := post(t, b, base+"/signin", url.Values{"email": {"suppliera@supa.example.org"}, "password": {"wrong password!"}})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "wrong email or password") {
			t.Fatalf("wrong password: %d", resp.StatusCode)
		}
		resp, page = post(t, b, base+"/signin", url.Values{"email": {"nobody@example.org"}, "password": {"wrong password!"}})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "wrong email or password") {
			t.Fatalf("unknown user must look the same as a wrong password: %d", resp.StatusCode)
		}
		for range 4 {
			post(t, b, base+"/signin", url.Values{"email": {"suppliera@supa.example.org"}, "password": {"wrong password!"}})
		}
		resp, page = post(t, b, base+"/signin", url.Values{"email": {"suppliera@supa.example.org"}, "password": {"correct horse battery"}})
		if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(page, "too many failed sign-in attempts") {
			t.Fatalf("sixth attempt: %d, want 429 even with the right password", resp.StatusCode)
		}
	})
}

func TestFormsNeedTheirCSRFToken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorldOn(t, db)
		v := w.byRole["supplierA"]
		before := auditCount(t, db)
		resp, _ := v.client.PostForm(w.ts.URL+"/parties/SUPA/contacts", url.Values{"label": {"primary"}, "name": {"New"}, "email": {"new@supa.example.org"}})
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("form without a CSRF token: %d, want 403", resp.StatusCode)
		}
		resp, _ = v.client.PostForm(w.ts.URL+"/parties/SUPA/contacts", url.Values{"csrf": {"forged"}, "label": {"primary"}, "name": {"New"}, "email": {"new@supa.example.org"}})
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("form with a wrong CSRF token: %d, want 403", resp.StatusCode)
		}
		// A cross-site browser request is refused before it reaches the form.
		req, _ := http.NewRequest("POST", w.ts.URL+"/parties/SUPA/contacts", strings.NewReader("csrf="+v.csrf+"&label=primary&name=New&email=new%40supa.example.org"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := v.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("cross-site form: %d, want 403", resp.StatusCode)
		}
		if after := auditCount(t, db); after != before {
			t.Fatalf("refused forms changed something: audit %d → %d", before, after)
		}
		resp, _ = v.client.PostForm(w.ts.URL+"/parties/SUPA/contacts", url.Values{"csrf": {v.csrf}, "label": {"primary"}, "name": {"New"}, "email": {"new@supa.example.org"}})
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("form with its token: %d, want 303", resp.StatusCode)
		}
	})
}

func auditCount(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), "SELECT count(*) FROM audit_log").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
