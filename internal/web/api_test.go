package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// apiCase is one API scenario: who calls what with which body, and what must
// come back. Bad input must give a clear 4xx problem and write nothing.
type apiCase struct {
	Name        string
	As          string // a viewer of the world, or "token:<token>"
	Method, URL string
	Body        string
	ContentType string // application/json unless set
	Status      int
	Contains    []string // in the body
	Writes      bool     // whether the audit trail may grow
}

func runAPICases(t *testing.T, w *world, cases []apiCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			var body io.Reader
			if tc.Body != "" {
				body = strings.NewReader(tc.Body)
			}
			req, err := http.NewRequest(tc.Method, w.ts.URL+tc.URL, body)
			if err != nil {
				t.Fatal(err)
			}
			ct := tc.ContentType
			if ct == "" && tc.Body != "" {
				ct = "application/json"
			}
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			client := http.DefaultClient
			if token, ok := strings.CutPrefix(tc.As, "token:"); ok {
				req.Header.Set("Authorization", "Bearer "+token)
			} else if tc.As != "" {
				v := w.byRole[tc.As]
				client = v.client
				req.Header.Set("X-CSRF-Token", v.csrf)
			}
			before := auditCount(t, w.db)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.Status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.Status, b)
			}
			if tc.Status >= 400 {
				if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
					t.Errorf("error content type %q, want application/problem+json", ct)
				}
				var p map[string]any
				if err := json.Unmarshal(b, &p); err != nil || p["detail"] == "" || p["status"] != float64(tc.Status) {
					t.Errorf("not a problem document: %s", b)
				}
			}
			for _, s := range tc.Contains {
				if !strings.Contains(string(b), s) {
					t.Errorf("body lacks %q: %s", s, b)
				}
			}
			if after := auditCount(t, w.db); !tc.Writes && after != before {
				t.Errorf("a refused request changed something: audit %d → %d", before, after)
			}
		})
	}
}

func TestAPIBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorldOn(t, db)
		big := `{"code": "BIG", "name": "` + strings.Repeat("x", 2<<20) + `", "roles": ["manufacturer"]}`
		runAPICases(t, w, []apiCase{
			{Name: "no credentials", Method: "GET", URL: "/api/v1/parties", Status: 401, Contains: []string{"sign in, or send an API token"}},
			{Name: "bad bearer token", As: "token:mst_nonsense", Method: "GET", URL: "/api/v1/parties", Status: 401, Contains: []string{"unknown API token"}},
			{Name: "not a metersec token", As: "token:abc", Method: "GET", URL: "/api/v1/parties", Status: 401, Contains: []string{"not a metersec API token"}},
			{Name: "malformed JSON", As: "ssc", Method: "POST", URL: "/api/v1/parties", Body: `{"code": "X1",`, Status: 400, Contains: []string{"ends in the middle"}},
			{Name: "syntax error", As: "ssc", Method: "POST", URL: "/api/v1/parties", Body: `{"code" "X1"}`, Status: 400, Contains: []string{"not valid JSON"}},
			{Name: "unknown field", As: "ssc", Method: "POST", URL: "/api/v1/parties", Body: `{"code": "X1", "name": "X", "roles": ["dcc"], "colour": "red"}`, Status: 422, Contains: []string{"colour", "not a field"}},
			{Name: "wrong type", As: "ssc", Method: "POST", URL: "/api/v1/parties", Body: `{"code": 7}`, Status: 422, Contains: []string{"code", "must be a string"}},
			{Name: "two values", As: "ssc", Method: "POST", URL: "/api/v1/parties", Body: `{} {}`, Status: 400, Contains: []string{"one JSON value"}},
			{Name: "wrong media type", As: "ssc", Method: "POST", URL: "/api/v1/parties", Body: `code=X`, ContentType: "application/x-www-form-urlencoded", Status: 415},
			{Name: "oversized body", As: "ssc", Method: "POST", URL: "/api/v1/parties", Body: big, Status: 413, Contains: []string{"larger than"}},
			{Name: "duplicate code", As: "ssc", Method: "POST", URL: "/api/v1/parties", Body: `{"code": "SUPA", "name": "Again", "roles": ["small_supplier"]}`, Status: 422, Contains: []string{"SUPA already exists"}},
			{Name: "invalid email", As: "ssc", Method: "POST", URL: "/api/v1/parties", Body: `{"code": "NEW1", "name": "New", "roles": ["manufacturer"], "contacts": [{"name": "A", "email": "not-an-email"}]}`, Status: 422, Contains: []string{"contacts[0].email", "not a valid email"}},
			{Name: "unknown role", As: "ssc", Method: "POST", URL: "/api/v1/parties", Body: `{"code": "NEW1", "name": "New", "roles": ["wizard"]}`, Status: 422, Contains: []string{"unknown organisation role"}},
			{Name: "not allowed to create", As: "supplierA", Method: "POST", URL: "/api/v1/parties", Body: `{"code": "NEW1", "name": "New", "roles": ["manufacturer"]}`, Status: 403},
			{Name: "another supplier is invisible", As: "supplierA", Method: "GET", URL: "/api/v1/parties/SUPB", Status: 404},
			{Name: "contact of another org", As: "supplierA", Method: "PUT", URL: "/api/v1/parties/MANA/contacts/primary", Body: `{"name": "X", "email": "x@example.org"}`, Status: 403},
			{Name: "unknown route", As: "ssc", Method: "GET", URL: "/api/v1/nothing", Status: 404},
			{Name: "wrong method", As: "ssc", Method: "DELETE", URL: "/api/v1/parties", Status: 405},
			{Name: "created", As: "ssc", Method: "POST", URL: "/api/v1/parties", Body: `{"code": "NEW1", "name": "New Maker", "roles": ["manufacturer"], "contacts": [{"name": "A", "email": "a@new.example.org"}]}`, Status: 201, Contains: []string{`"code": "NEW1"`, `"classification": "GREEN"`}, Writes: true},
			{Name: "supplier default is AMBER", As: "ssc", Method: "POST", URL: "/api/v1/parties", Body: `{"code": "NEW2", "name": "New Supplier", "roles": ["small_supplier"]}`, Status: 201, Contains: []string{`"classification": "AMBER"`}, Writes: true},
			{Name: "own contact", As: "supplierA", Method: "PUT", URL: "/api/v1/parties/SUPA/contacts/deputy", Body: `{"name": "Deputy", "email": "deputy@supa.example.org"}`, Status: 200, Writes: true},
		})
	})
}

func TestTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorldOn(t, db)
		v := w.byRole["supplierA"]
		status, body := w.do(v, "POST", "/api/v1/tokens", `{"name": "estate feed", "scopes": ["read"], "days": 30}`)
		if status != 201 {
			t.Fatalf("create token: %d %s", status, body)
		}
		var created struct {
			Token  string
			Detail struct{ ID int64 }
		}
		json.Unmarshal([]byte(body), &created)
		if !strings.HasPrefix(created.Token, "mst_") {
			t.Fatalf("token %q", created.Token)
		}
		var stored int
		db.QueryRowContext(t.Context(), "SELECT count(*) FROM api_tokens WHERE hash = $1", []byte(created.Token)).Scan(&stored)
		if stored != 0 {
			t.Fatal("the token is stored in the clear")
		}
		tok := "token:" + created.Token
		runAPICases(t, w, []apiCase{
			{Name: "read with token", As: tok, Method: "GET", URL: "/api/v1/parties/SUPA", Status: 200, Contains: []string{`"code": "SUPA"`}},
			{Name: "token acts as its user", As: tok, Method: "GET", URL: "/api/v1/parties/SUPB", Status: 404},
			{Name: "write needs the write scope", As: tok, Method: "PUT", URL: "/api/v1/parties/SUPA/contacts/x", Body: `{"name": "X", "email": "x@supa.example.org"}`, Status: 403, Contains: []string{"lacks the", "write", "scope"}},
			{Name: "bad scope", As: "supplierA", Method: "POST", URL: "/api/v1/tokens", Body: `{"name": "x", "scopes": ["admin"]}`, Status: 422, Contains: []string{"unknown scope"}},
			{Name: "too long", As: "supplierA", Method: "POST", URL: "/api/v1/tokens", Body: `{"name": "x", "days": 999}`, Status: 422},
			{Name: "not for someone else", As: "supplierA", Method: "POST", URL: "/api/v1/tokens", Body: `{"name": "x", "user": "supplierb@supb.example.org"}`, Status: 403},
		})
		// Expired: move the clock past its expiry.
		now := db.Now
		db.Now = func() time.Time { return now().Add(31 * 24 * time.Hour) }
		runAPICases(t, w, []apiCase{{Name: "expired", As: tok, Method: "GET", URL: "/api/v1/parties", Status: 401, Contains: []string{"expired"}}})
		db.Now = now
		if status, body := w.do(v, "DELETE", "/api/v1/tokens/"+itoa(created.Detail.ID), ""); status != 204 {
			t.Fatalf("revoke: %d %s", status, body)
		}
		runAPICases(t, w, []apiCase{{Name: "revoked", As: tok, Method: "GET", URL: "/api/v1/parties", Status: 401, Contains: []string{"revoked"}}})
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
