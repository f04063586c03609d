package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// TestUserAdministrationAPI: issue 15 point 7 through the API. Only
// administrators enable, edit roles and reset; a user sees and ends their
// own sessions, an administrator anyone's; the reset's answer carries no
// secret, and the emailed link lets the user, and only the link's holder,
// choose a new password.
func TestUserAdministrationAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorldOn(t, db)
		const sup = "suppliera@supa.example.org"
		runAPICases(t, w, []apiCase{
			{Name: "supplier may not enable", As: "supplierB", Method: "POST", URL: "/api/v1/users/" + sup + "/enable", Status: 403},
			{Name: "supplier may not reset", As: "supplierB", Method: "POST", URL: "/api/v1/users/" + sup + "/reset", Status: 403},
			{Name: "supplier may not edit roles", As: "supplierB", Method: "PUT", URL: "/api/v1/users/" + sup + "/roles", Body: `{"roles": ["supplier"]}`, Status: 403},
			{Name: "another's sessions as a missing account", As: "supplierB", Method: "GET", URL: "/api/v1/users/" + sup + "/sessions", Status: 404},
			{Name: "own sessions", As: "supplierA", Method: "GET", URL: "/api/v1/users/" + sup + "/sessions", Status: 200, Contains: []string{`"current": true`}},
			{Name: "admin sees sessions", As: "admin", Method: "GET", URL: "/api/v1/users/" + sup + "/sessions", Status: 200, Contains: []string{`"addr"`, `"current": false`}},
			{Name: "roles outside the organisation", As: "admin", Method: "PUT", URL: "/api/v1/users/" + sup + "/roles", Body: `{"roles": ["manufacturer"]}`, Status: 422, Contains: []string{"roles"}},
			{Name: "unknown role", As: "admin", Method: "PUT", URL: "/api/v1/users/" + sup + "/roles", Body: `{"roles": ["king"]}`, Status: 422},
			{Name: "roles", As: "admin", Method: "PUT", URL: "/api/v1/users/" + sup + "/roles", Body: `{"roles": ["supplier"], "red_cleared": true}`, Status: 200, Contains: []string{`"red_cleared": true`}, Writes: true},
			{Name: "disable", As: "admin", Method: "POST", URL: "/api/v1/users/suppliera@supa.example.org/disable", Status: 204, Writes: true},
			{Name: "enable", As: "admin", Method: "POST", URL: "/api/v1/users/suppliera@supa.example.org/enable", Status: 204, Writes: true},
			{Name: "admin signs another out", As: "admin", Method: "POST", URL: "/api/v1/users/supplierb@supb.example.org/sessions/end", Status: 200, Contains: []string{`"ended": 1`}, Writes: true},
		})
		status, body := w.do(w.byRole["admin"], "POST", "/api/v1/users/"+sup+"/reset", "")
		if status != 200 || !strings.Contains(body, `"expires_at"`) || strings.Contains(body, "code") {
			t.Fatalf("reset: %d %s", status, body)
		}
		var link string
		if err := db.QueryRowContext(t.Context(), "SELECT link FROM delivery_jobs WHERE kind = 'user.reset' AND email = $1", sup).Scan(&link); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(body, strings.TrimPrefix(link, "/signin/reset?code=")) {
			t.Fatal("the administrator was given the link")
		}
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		get := func(path string) (int, string) {
			resp, err := c.Get(w.ts.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		if st, page := get("/signin/reset?code=wrong"); st != 401 || !strings.Contains(page, "not valid or has expired") {
			t.Fatalf("bad link: %d", st)
		}
		if st, page := get(link); st != 200 || !strings.Contains(page, sup) {
			t.Fatalf("the link's page: %d %s", st, page)
		}
		code := strings.TrimPrefix(link, "/signin/reset?code=")
		resp, err := c.PostForm(w.ts.URL+"/signin/reset", url.Values{"code": {code}, "new_password": {"a fresh long passphrase"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		// supplierA is now RED-cleared, so the second factor is set up next.
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account/mfa" {
			t.Fatalf("completing the reset: %d → %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, err = http.PostForm(w.ts.URL+"/signin/reset", url.Values{"code": {code}, "new_password": {"another long passphrase"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("the link worked twice: %d", resp.StatusCode)
		}
	})
}

// TestBrowserDisableConfirmAndUndo: the administrator disables an account
// from the list; a page says what it will do and asks to confirm; after
// confirming, the account's page says it is disabled and offers to enable
// it again, which undoes it.
func TestBrowserDisableConfirmAndUndo(t *testing.T) {
	ctx := newBrowser(t)
	db := storetest.Open(t, store.SQLite)
	w := newWorldOn(t, db)
	secret := "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	if err := account.NewService(db).SetTOTPSecret(context.Background(), w.sys, w.byRole["admin"].Caller.UserID, secret); err != nil {
		t.Fatal(err)
	}
	code, _ := account.CurrentCode(secret, time.Now())
	const sup = "suppliera@supa.example.org"
	for i, step := range []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(w.ts.URL + "/users"),
		chromedp.WaitVisible(chromedp.CSS("#f-email")),
		chromedp.SendKeys(chromedp.CSS("#f-email"), "admin@ops.example.org"),
		chromedp.SendKeys(chromedp.CSS("#f-password"), "correct horse battery\n"),
		chromedp.WaitVisible(chromedp.CSS("#f-code")),
		chromedp.SendKeys(chromedp.CSS("#f-code"), code+"\n"),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/users/` + sup + `/disable"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/users/` + sup + `/disable"]`)),
		chromedp.WaitVisible(chromedp.CSS("#confirm")),
	} {
		if err := chromedp.Do(ctx, step); err != nil {
			u, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("step %d at %s: %v\n%s", i, u, err, text(t, ctx, "main"))
		}
	}
	if s := text(t, ctx, "main"); !strings.Contains(s, "Disable "+sup+"?") || !strings.Contains(s, "1 open session will end now") ||
		!strings.Contains(s, "enable the account again") {
		t.Fatalf("confirmation page:\n%s", s)
	}
	if u, _ := account.FindUser(t.Context(), db, sup); u.Disabled {
		t.Fatal("disabled before confirming")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#confirm")), chromedp.WaitVisible(chromedp.CSS("#enable"))); err != nil {
		t.Fatal(err)
	}
	if s := text(t, ctx, "#user-state"); !strings.Contains(s, "Disabled") {
		t.Fatalf("state after disabling: %q", s)
	}
	if s := text(t, ctx, ".flash"); !strings.Contains(s, "Disabled "+sup) {
		t.Fatalf("flash %q", s)
	}
	if u, _ := account.FindUser(t.Context(), db, sup); !u.Disabled {
		t.Fatal("not disabled after confirming")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#enable")), chromedp.WaitVisible(chromedp.CSS("#disable"))); err != nil {
		t.Fatal(err)
	}
	if s := text(t, ctx, "#user-state"); s != "Active" {
		t.Fatalf("state after undoing: %q", s)
	}
	if u, _ := account.FindUser(t.Context(), db, sup); u.Disabled {
		t.Fatal("still disabled after enabling")
	}
}

// TestUsersList: issue 15 points 1 and 2 on the web. The accounts page and
// API page, sort and filter on the shared core; a bad parameter is a 422
// naming it; the export streams CSV and JSON with the same filters. Adding
// an account asks for no password: the page says the link was sent, and
// the user chooses their password through it and is signed in.
func TestUsersList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorldOn(t, db)
		admin := w.byRole["admin"]
		runAPICases(t, w, []apiCase{
			{Name: "page", As: "admin", Method: "GET", URL: "/api/v1/users?limit=2", Status: 200, Contains: []string{`"items"`, `"total": `, `"next_cursor"`, `"limit": 2`}},
			{Name: "own organisation only", As: "supplierA", Method: "GET", URL: "/api/v1/users", Status: 200, Contains: []string{"suppliera@supa.example.org"}},
			{Name: "by role", As: "admin", Method: "GET", URL: "/api/v1/users?role=supplier&sort=-email", Status: 200, Contains: []string{"suppliera@supa.example.org", `"sort": "-email"`}},
			{Name: "by organisation and q", As: "admin", Method: "GET", URL: "/api/v1/users?org=ssc&q=SSC2", Status: 200, Contains: []string{`"total": 1`, "ssc2@ssc.example.org"}},
			{Name: "second factor", As: "admin", Method: "GET", URL: "/api/v1/users?second_factor=true", Status: 200, Contains: []string{`"total": 0`}},
			{Name: "bad role", As: "admin", Method: "GET", URL: "/api/v1/users?role=king", Status: 422, Contains: []string{`"role"`}},
			{Name: "bad sort", As: "admin", Method: "GET", URL: "/api/v1/users?sort=password", Status: 422, Contains: []string{`"sort"`}},
			{Name: "bad boolean", As: "admin", Method: "GET", URL: "/api/v1/users?disabled=maybe", Status: 422, Contains: []string{`"disabled"`}},
			{Name: "csv", As: "admin", Method: "GET", URL: "/api/v1/users?role=supplier&format=csv", Status: 200, Contains: []string{strings.Join(account.UserCSVHeader, ","), "suppliera@supa.example.org,supplierA,SUPA,supplier,"}},
			{Name: "json", As: "admin", Method: "GET", URL: "/api/v1/users?org=OPS&format=json", Status: 200, Contains: []string{`"admin@ops.example.org"`}},
		})
		for path, lacks := range map[string]string{"/api/v1/users": "admin@ops.example.org", "/api/v1/users?role=supplier": "admin@ops.example.org"} {
			if _, body := w.do(w.byRole["supplierA"], "GET", path, ""); strings.Contains(body, lacks) || strings.Contains(body, "supplierb@") {
				t.Errorf("%s as supplierA shows another organisation's accounts: %s", path, body)
			}
		}
		status, page := w.do(admin, "GET", "/users?role=supplier&sort=-email", "")
		if status != 200 || !strings.Contains(page, " accounts</strong> match the filters") || strings.Index(page, "supplierb@") > strings.Index(page, "suppliera@") ||
			!strings.Contains(page, `aria-sort="descending"`) || !strings.Contains(page, "format=csv") {
			t.Fatalf("accounts page: %d\n%s", status, page)
		}
		if status, page := w.do(admin, "GET", "/users?second_factor=perhaps", ""); status != 422 || !strings.Contains(page, "second_factor") {
			t.Fatalf("bad filter on the page: %d", status)
		}
		if status, _ := w.do(w.byRole["supplierA"], "GET", "/users", ""); status != 403 {
			t.Fatalf("a supplier on the accounts page: %d", status)
		}
		if strings.Contains(page, `name="password"`) {
			t.Fatal("the add form asks for a password")
		}

		const email = "newcomer@supa.example.org"
		status, _ = w.do(admin, "POST", "/users", url.Values{"csrf": {admin.csrf}, "email": {email}, "name": {"New Comer"}, "org": {"SUPA"}, "roles": {"supplier"}}.Encode())
		if status != http.StatusSeeOther {
			t.Fatalf("add: %d", status)
		}
		status, page = w.do(admin, "GET", "/users/"+email, "")
		if status != 200 || !strings.Contains(page, "Added "+email) || !strings.Contains(page, "no email server is set") {
			t.Fatalf("after adding: %d\n%s", status, page)
		}
		var link string
		if err := db.QueryRowContext(t.Context(), "SELECT link FROM delivery_jobs WHERE kind = 'user.invite' AND email = $1", email).Scan(&link); err != nil {
			t.Fatal(err)
		}
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.PostForm(w.ts.URL+"/signin/reset", url.Values{"code": {strings.TrimPrefix(link, "/signin/reset?code=")}, "new_password": {"a phrase the newcomer chose"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
			t.Fatalf("choosing the password: %d → %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, err = c.Get(w.ts.URL + "/api/v1/me")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), email) {
			t.Fatalf("signed in after choosing: %d %s", resp.StatusCode, b)
		}
	})
}
