package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// createToken makes a token as the viewer and returns its secret and id.
func createToken(t *testing.T, w *world, v *viewer, body string) (string, int64) {
	t.Helper()
	status, resp := w.do(v, "POST", "/api/v1/tokens", body)
	if status != 201 {
		t.Fatalf("create token %s: %d %s", body, status, resp)
	}
	var created struct {
		Token  string
		Detail struct {
			ID        int64
			ExpiresAt time.Time `json:"expires_at"`
		}
	}
	if err := json.Unmarshal([]byte(resp), &created); err != nil {
		t.Fatal(err)
	}
	return created.Token, created.Detail.ID
}

// Issue 14 (1): an administrator minted a token for another user and read
// RED records through it. Nobody may create a credential that acts as
// someone else.
func TestNoTokenForAnotherUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorldOn(t, db)
		runAPICases(t, w, []apiCase{
			{Name: "administrator for a supplier", As: "admin", Method: "POST", URL: "/api/v1/tokens",
				Body: `{"name": "x", "user": "suppliera@supa.example.org"}`, Status: 403, Contains: []string{"nobody, administrators included"}},
			{Name: "administrator for an SSC member", As: "admin", Method: "POST", URL: "/api/v1/tokens",
				Body: `{"name": "x", "user": "ssc@ssc.example.org", "scopes": ["read"]}`, Status: 403},
			{Name: "supplier for another", As: "supplierA", Method: "POST", URL: "/api/v1/tokens",
				Body: `{"name": "x", "user": "supplierb@supb.example.org"}`, Status: 403},
			{Name: "naming yourself is fine", As: "supplierA", Method: "POST", URL: "/api/v1/tokens",
				Body: `{"name": "x", "user": "SupplierA@supa.example.org"}`, Status: 201, Contains: []string{`"user": "suppliera@supa.example.org"`}, Writes: true},
		})
		var n int
		db.QueryRowContext(t.Context(), "SELECT count(*) FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE u.email <> 'suppliera@supa.example.org'").Scan(&n)
		if n != 0 {
			t.Fatalf("%d tokens exist for users who did not make them", n)
		}
		// Every token records its creator, who is its user.
		db.QueryRowContext(t.Context(), "SELECT count(*) FROM api_tokens WHERE created_by IS NULL OR created_by <> user_id").Scan(&n)
		if n != 0 {
			t.Fatalf("%d tokens were made by someone other than their user", n)
		}
		// The system (an operator at the command line) cannot either.
		if _, _, err := w.srv.Accounts.CreateToken(t.Context(), w.sys, account.NewToken{Name: "x", User: "ssc@ssc.example.org"}); err == nil ||
			!strings.Contains(err.Error(), "acts as the user who creates it") {
			t.Fatalf("system caller made a token: %v", err)
		}
	})
}

// Issue 14 (2): a token could create a broader, longer-lived token.
func TestTokenCannotExceedItsCreator(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorldOn(t, db)
		v := w.byRole["supplierA"]
		now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		manager, _ := createToken(t, w, v, `{"name": "manager", "scopes": ["read", "tokens"], "days": 10}`)
		reader, _ := createToken(t, w, v, `{"name": "reader", "scopes": ["read", "write"], "days": 10}`)
		runAPICases(t, w, []apiCase{
			{Name: "a token without the tokens scope lists none", As: "token:" + reader, Method: "GET", URL: "/api/v1/tokens", Status: 403, Contains: []string{"tokens"}},
			{Name: "a token without the tokens scope creates none", As: "token:" + reader, Method: "POST", URL: "/api/v1/tokens", Body: `{"name": "y", "scopes": ["read"], "days": 1}`, Status: 403, Contains: []string{"tokens"}},
			{Name: "a token without the tokens scope revokes none", As: "token:" + reader, Method: "DELETE", URL: "/api/v1/tokens/1", Status: 403},
			{Name: "broader scope", As: "token:" + manager, Method: "POST", URL: "/api/v1/tokens", Body: `{"name": "y", "scopes": ["read", "write"], "days": 5}`, Status: 422, Contains: []string{"scopes", "scope it lacks"}},
			{Name: "longer life", As: "token:" + manager, Method: "POST", URL: "/api/v1/tokens", Body: `{"name": "y", "scopes": ["read"], "days": 11}`, Status: 422, Contains: []string{"days", "outlives it"}},
			{Name: "the default 90 days is longer too", As: "token:" + manager, Method: "POST", URL: "/api/v1/tokens", Body: `{"name": "y", "scopes": ["read"]}`, Status: 422, Contains: []string{"outlives it"}},
			{Name: "its own expiry exactly", As: "token:" + manager, Method: "POST", URL: "/api/v1/tokens", Body: `{"name": "y", "scopes": ["read"], "days": 10}`, Status: 201, Writes: true},
			{Name: "narrower and shorter", As: "token:" + manager, Method: "POST", URL: "/api/v1/tokens", Body: `{"name": "y", "scopes": ["read"], "days": 3}`, Status: 201, Contains: []string{`"scopes": [`}, Writes: true},
			{Name: "lists its user's tokens", As: "token:" + manager, Method: "GET", URL: "/api/v1/tokens", Status: 200, Contains: []string{"manager", "reader"}},
		})
		// One second on, its own lifetime reaches a second past it.
		now = now.Add(time.Second)
		runAPICases(t, w, []apiCase{
			{Name: "a second past its expiry", As: "token:" + manager, Method: "POST", URL: "/api/v1/tokens", Body: `{"name": "y", "scopes": ["read"], "days": 10}`, Status: 422, Contains: []string{"outlives it", "at most 9 days"}},
		})
		var parent int
		db.QueryRowContext(t.Context(), "SELECT count(*) FROM api_tokens WHERE parent_token_id IS NOT NULL").Scan(&parent)
		if parent != 2 { // "its own expiry exactly" and "narrower and shorter"
			t.Fatalf("%d tokens record the token that made them, want 2", parent)
		}
	})
}

// Issue 14 (2): creating a token from a session needs a recent second factor
// where the account has one: within Service.RecentMFA (15 minutes), or a
// fresh code with the request.
func TestTokenNeedsRecentSecondFactor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorldOn(t, db)
		v := w.byRole["ssc"]
		const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
		if err := w.srv.Accounts.SetTOTPSecret(t.Context(), w.sys, v.Caller.UserID, secret); err != nil {
			t.Fatal(err)
		}
		base := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
		now := base
		db.Now = func() time.Time { return now }
		// The world passed the second factor without recording when.
		runAPICases(t, w, []apiCase{
			{Name: "no recent second factor", As: "ssc", Method: "POST", URL: "/api/v1/tokens", Body: `{"name": "x"}`, Status: 422, Contains: []string{"code", "15 minutes"}},
			{Name: "wrong code", As: "ssc", Method: "POST", URL: "/api/v1/tokens", Body: `{"name": "x", "code": "000000"}`, Status: 422, Contains: []string{"code"}},
		})
		code, _ := account.CurrentCode(secret, now)
		if code == "000000" {
			t.Skip("the clock landed on the wrong code")
		}
		createToken(t, w, v, `{"name": "x", "code": "`+code+`"}`)
		runAPICases(t, w, []apiCase{
			{Name: "a code counts once", As: "ssc", Method: "POST", URL: "/api/v1/tokens", Body: `{"name": "x", "code": "` + code + `"}`, Status: 401, Contains: []string{"used already"}},
		})
		// A session that passed its second factor at base needs no code
		// until 15 minutes have passed, and one after.
		w.exec("UPDATE sessions SET mfa_at = $1 WHERE user_id = $2", base, v.Caller.UserID)
		now = base.Add(15 * time.Minute)
		createToken(t, w, v, `{"name": "at 15 minutes"}`)
		now = base.Add(15*time.Minute + time.Second)
		runAPICases(t, w, []apiCase{
			{Name: "15 minutes and a second", As: "ssc", Method: "POST", URL: "/api/v1/tokens", Body: `{"name": "x"}`, Status: 422, Contains: []string{"code"}},
		})
		// The form asks for the code, and takes it.
		if status, page := w.do(v, "GET", "/account", ""); status != 200 || !strings.Contains(page, `name="code"`) {
			t.Fatalf("the account page has no code field: %d", status)
		}
		if status, page := w.do(v, "POST", "/account/tokens", url.Values{"csrf": {v.csrf}, "name": {"form"}}.Encode()); status != 422 || !strings.Contains(page, "authenticator") {
			t.Errorf("form without a code: %d", status)
		}
		now = now.Add(30 * time.Second)
		code, _ = account.CurrentCode(secret, now)
		if status, page := w.do(v, "POST", "/account/tokens", url.Values{"csrf": {v.csrf}, "name": {"form"}, "code": {code}}.Encode()); status != 201 || !strings.Contains(page, "mst_") {
			t.Errorf("form with a code: %d", status)
		}
		// The setting moves the boundary.
		w.srv.Accounts.RecentMFA = time.Hour
		createToken(t, w, v, `{"name": "within the hour"}`)
	})
}

// Issue 14 (8): a token lifetime of −5 days became 90. Out-of-range numbers
// are refused with the field named, on the API and the form.
func TestTokenLifetimeOutOfRange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorldOn(t, db)
		runAPICases(t, w, []apiCase{
			{Name: "negative", As: "supplierA", Method: "POST", URL: "/api/v1/tokens", Body: `{"name": "x", "days": -5}`, Status: 422, Contains: []string{`"days"`, "from 1 to 366", "not -5"}},
			{Name: "zero", As: "supplierA", Method: "POST", URL: "/api/v1/tokens", Body: `{"name": "x", "days": 0}`, Status: 422, Contains: []string{`"days"`}},
			{Name: "one past the maximum", As: "supplierA", Method: "POST", URL: "/api/v1/tokens", Body: `{"name": "x", "days": 367}`, Status: 422, Contains: []string{`"days"`}},
			{Name: "overflowing", As: "supplierA", Method: "POST", URL: "/api/v1/tokens", Body: `{"name": "x", "days": 9223372036854775807}`, Status: 422, Contains: []string{`"days"`}},
			{Name: "fractional", As: "supplierA", Method: "POST", URL: "/api/v1/tokens", Body: `{"name": "x", "days": 1.5}`, Status: 422, Contains: []string{"days"}},
			{Name: "one day", As: "supplierA", Method: "POST", URL: "/api/v1/tokens", Body: `{"name": "x", "days": 1}`, Status: 201, Writes: true},
			{Name: "the maximum", As: "supplierA", Method: "POST", URL: "/api/v1/tokens", Body: `{"name": "x", "days": 366}`, Status: 201, Writes: true},
		})
		v := w.byRole["supplierA"]
		for _, days := range []string{"-5", "0", "367", "abc", "1e3"} {
			status, page := w.do(v, "POST", "/account/tokens", url.Values{"csrf": {v.csrf}, "name": {"x"}, "days": {days}}.Encode())
			if status != 422 || !strings.Contains(page, "days") {
				t.Errorf("form with days %q: %d", days, status)
			}
		}
		before := auditCount(t, db)
		if status, _ := w.do(v, "POST", "/account/tokens", url.Values{"csrf": {v.csrf}, "name": {"x"}, "days": {"30"}}.Encode()); status != 201 {
			t.Errorf("form with 30 days: %d", status)
		}
		if auditCount(t, db) != before+1 {
			t.Error("the form made no token")
		}
		// Absent, the lifetime is 90 days.
		_, id := createToken(t, w, v, `{"name": "default"}`)
		var created, expires time.Time
		db.QueryRowContext(t.Context(), "SELECT created_at, expires_at FROM api_tokens WHERE id = $1", id).Scan(&created, &expires)
		if d := expires.Sub(created); d != 90*24*time.Hour {
			t.Errorf("default lifetime %v, want 90 days", d)
		}
	})
}

// Issue 14 (9): "aaaaaaaaaaaa" and "Password1234" were accepted as passwords.
// Since issue 15 an administrator sends no password when adding a user (a
// body with one is refused, naming it): the user chooses it through the
// emailed link, and weak ones are refused there.
func TestWeakPasswordsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorldOn(t, db)
		const add = `{"email": "new@supa.example.org", "name": "New", "org": "SUPA", "roles": ["supplier"]`
		runAPICases(t, w, []apiCase{
			{Name: "a password is not the administrator's to send", As: "admin", Method: "POST", URL: "/api/v1/users", Body: add + `, "password": "quiet heron copper kettle"}`, Status: 422, Contains: []string{`"password"`}},
			{Name: "added", As: "admin", Method: "POST", URL: "/api/v1/users", Body: add + `}`, Status: 201, Writes: true},
		})
		var link string
		if err := db.QueryRowContext(t.Context(), "SELECT link FROM delivery_jobs WHERE kind = 'user.invite' AND email = $1", "new@supa.example.org").Scan(&link); err != nil {
			t.Fatal(err)
		}
		code := strings.TrimPrefix(link, "/signin/reset?code=")
		for pw, want := range map[string]string{"aaaaaaaaaaaa": "too easy to guess", "Password1234": "common and breached", "new@supa.example.org": "too easy to guess"} {
			resp, err := http.PostForm(w.ts.URL+"/signin/reset", url.Values{"code": {code}, "new_password": {pw}})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 422 || !strings.Contains(string(b), want) {
				t.Errorf("choosing %q through the link: %d, want 422 saying %q", pw, resp.StatusCode, want)
			}
		}
		v := w.byRole["supplierA"]
		status, page := w.do(v, "POST", "/account/password", url.Values{"csrf": {v.csrf}, "current_password": {"correct horse battery"}, "new_password": {"aaaaaaaaaaaa"}}.Encode())
		if status != 422 || !strings.Contains(page, "too easy to guess") {
			t.Errorf("change to a weak password: %d", status)
		}
	})
}
