package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/store/storetest"
)

// TestTextValuesRefused: a NUL byte or bytes that are not UTF-8 in any query
// value, form value or field name answer 400, a problem document naming the
// field, on API routes and pages alike, signed in or not, before any handler
// reads them (PostgreSQL refuses NUL in text: it answered 500).
func TestTextValuesRefused(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			w := newWorld(t, engine)
			v := w.byRole["supplierA"]
			for _, tc := range []struct {
				method, path, body, field string
			}{
				{"GET", "/api/v1/vulnerabilities?q=a%00b", "", "q"},
				{"GET", "/api/v1/vulnerabilities?q=caf%FF", "", "q"},
				{"GET", "/api/v1/vulnerabilities?state=notified&q=%C3%28", "", "q"},
				{"GET", "/api/v1/vulnerabilities?a%00=1", "", "a\uFFFD"},
				{"GET", "/api/v1/portfolio?supplier=%00", "", "supplier"},
				{"GET", "/vulnerabilities?q=%00", "", ""},
				{"POST", "/signin", "email=a%00%40example.org&password=x", ""},
				{"POST", "/signin", "email=%FF%40example.org&password=x", ""},
			} {
				status, body := w.do(v, tc.method, tc.path, tc.body)
				if tc.method == "POST" {
					// Not signed in: the sign-in form.
					status, body = w.do(&viewer{client: browser()}, tc.method, tc.path, tc.body)
				}
				if status != http.StatusBadRequest {
					t.Errorf("%s %s %q: %d, want 400\n%.300s", tc.method, tc.path, tc.body, status, body)
					continue
				}
				if tc.field == "" {
					continue
				}
				var p struct {
					Status int `json:"status"`
					Errors []struct {
						Field string `json:"field"`
					} `json:"errors"`
				}
				if err := json.Unmarshal([]byte(body), &p); err != nil || p.Status != 400 || len(p.Errors) != 1 || p.Errors[0].Field != tc.field {
					t.Errorf("%s %s: problem %s (%v), want one error on %q", tc.method, tc.path, body, err, tc.field)
				}
			}
			// Valid text passes: accents, and an empty value.
			for _, path := range []string{"/api/v1/vulnerabilities?q=caf%C3%A9", "/api/v1/vulnerabilities?q="} {
				if status, body := w.do(v, "GET", path, ""); status != http.StatusOK {
					t.Errorf("GET %s: %d\n%.300s", path, status, body)
				}
			}
			if status, body := w.do(&viewer{client: browser()}, "POST", "/signin", "email=nobody%40example.org&password=caf%C3%A9"); status == http.StatusBadRequest && strings.Contains(body, "UTF-8") {
				t.Errorf("a valid sign-in form was refused as text: %.300s", body)
			}
		})
	}
}
