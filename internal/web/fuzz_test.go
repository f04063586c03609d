package web

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/party"
)

// FuzzDecodeJSON sends arbitrary bodies through the JSON decoder every API
// handler uses: it must never panic, and every failure must be a client
// error with a message, never an internal one.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"code": "X1", "name": "X", "roles": ["dcc"]}`,
		`{"code": 7}`, `{"colour": "red"}`, `{} {}`, `{"code": "X1",`, `[]`, `null`, `"x"`,
		`{"contacts": [{"name": "A", "email": "a@b.org", "extra": 1}]}`,
	} {
		f.Add(s)
	}
	s := &Server{MaxBody: 1 << 10}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/api/v1/parties", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var in party.NewParty
		err := s.decodeJSON(httptest.NewRecorder(), r, &in)
		if err == nil {
			return
		}
		e := errs.As(err)
		if e.Code == errs.Internal || e.Message == "" {
			t.Fatalf("decoding %q gave %v (%s)", body, err, e.Code)
		}
	})
}
