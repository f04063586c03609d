package web_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store/storetest"
	"github.com/metersec/metersec/internal/web"
)

// call is one request the visibility test makes.
type call struct {
	Method, Path, Body string
}

// target is the seeded record a call names, and the same call's path naming
// a record that does not exist. each and eachID note them in the world
// (world.targets, by method and path): the write-route test compares the two
// answers for every viewer that may not see the record.
type target struct {
	Marker, Missing string
}

// aim notes the record c names and the path of its missing twin.
func (w *world) aim(c call, marker, missing string) call {
	w.targets[c.Method+" "+c.Path] = target{marker, missing}
	return c
}

// visibilityCase says how to call a route so that every seeded record it
// could return is asked for.
type visibilityCase struct {
	// calls builds the requests; nil means the route is exempt, and Why must
	// say why it cannot return any record.
	calls func(w *world) []call
	Why   string
	// complete asks the test also to check that a listing shows every record
	// of Kind the viewer may see (not only that it shows nothing more).
	complete bool
	Kind     string
	// Duty, when set, says whether a duty shows the viewer a record its
	// classification alone would keep from it in this call's answer (the
	// SSC's monthly reports name RED counterparts to their recipients).
	Duty func(w *world, v *viewer, c call, marker string) bool
}

// visibilityCases covers every route, by pattern. Areas add theirs in their
// own test files (in init functions).
var visibilityCases = map[string]visibilityCase{}

func register(cases map[string]visibilityCase) {
	for k, v := range cases {
		visibilityCases[k] = v
	}
}

// one is a case with a single request.
func one(method, path, body string) func(w *world) []call {
	return func(*world) []call { return []call{{method, path, body}} }
}

// each is a case with one request per seeded record of kind; path holds
// "{}" where the record's key goes.
func each(kind, method, path, body string) func(w *world) []call {
	return func(w *world) []call {
		var out []call
		for _, k := range w.keys[kind] {
			c := call{method, strings.ReplaceAll(path, "{}", k.Key), body}
			if missing, ok := missingKeys[kind]; ok {
				c = w.aim(c, k.Marker, strings.ReplaceAll(path, "{}", missing))
			}
			out = append(out, c)
		}
		if len(out) == 0 {
			w.t.Fatalf("no seeded %s records for %s", kind, path)
		}
		return out
	}
}

// eachID is each with the record's numeric id (registered with setID)
// instead of its key.
func eachID(kind, method, path, body string) func(w *world) []call {
	return func(w *world) []call {
		var out []call
		for _, k := range w.keys[kind] {
			id, ok := w.ids[k.Marker]
			if !ok {
				w.t.Fatalf("no id registered for %s", k.Marker)
			}
			out = append(out, w.aim(call{method, strings.ReplaceAll(path, "{}", strconv.FormatInt(id, 10)), body}, k.Marker, strings.ReplaceAll(path, "{}", missingID)))
		}
		return out
	}
}

func init() {
	register(map[string]visibilityCase{
		"GET /healthz":             {Why: "answers status only"},
		"GET /readyz":              {Why: "answers status only"},
		"GET /metrics":             {Why: "counters by route pattern only"},
		"GET /api/v1/openapi.json": {Why: "describes the API, holds no records"},
		"GET /{$}":                 {calls: one("GET", "/", "")},
		"GET /signin":              {calls: one("GET", "/signin", "")},
		"POST /signin":             {Why: "answers a sign-in form only; tested in signin_test.go"},
		"GET /signin/mfa":          {calls: one("GET", "/signin/mfa", "")},
		"POST /signin/mfa":         {Why: "answers a code form only; tested in signin_test.go"},
		"GET /account/mfa":         {Why: "shows the caller's own new secret; tested in signin_test.go"},
		"POST /account/mfa":        {Why: "answers a code form only; tested in signin_test.go"},
		"POST /signout":            {Why: "ends the caller's session; it would sign the viewers out"},

		"GET /api/v1/me":                     {calls: one("GET", "/api/v1/me", "")},
		"GET /api/v1/users":                  {calls: one("GET", "/api/v1/users", "")},
		"POST /api/v1/users":                 {calls: one("POST", "/api/v1/users", `{}`)},
		"POST /api/v1/users/{email}/disable": {calls: one("POST", "/api/v1/users/nobody@example.org/disable", "")},
		"GET /api/v1/tokens":                 {calls: one("GET", "/api/v1/tokens", "")},
		"POST /api/v1/tokens":                {calls: one("POST", "/api/v1/tokens", `{"name": ""}`)},
		"DELETE /api/v1/tokens/{id}":         {calls: one("DELETE", "/api/v1/tokens/999999", "")},
		"GET /account":                       {calls: one("GET", "/account", "")},
		"POST /account/password":             {calls: one("POST", "/account/password", "current_password=wrong&new_password=short")},
		"POST /account/tokens":               {calls: one("POST", "/account/tokens", "name=")},
		"POST /account/tokens/{id}/revoke":   {calls: one("POST", "/account/tokens/999999/revoke", "")},
		"GET /users":                         {calls: one("GET", "/users", "")},
		"POST /users":                        {calls: one("POST", "/users", "email=bad")},
		"POST /users/{email}/disable":        {calls: one("POST", "/users/nobody@example.org/disable", "")},

		"GET /api/v1/parties":                            {calls: one("GET", "/api/v1/parties", ""), complete: true, Kind: "party"},
		"POST /api/v1/parties":                           {calls: one("POST", "/api/v1/parties", `{}`)},
		"POST /api/v1/parties/import":                    {calls: one("POST", "/api/v1/parties/import", "code,name\n")},
		"GET /api/v1/parties/{code}":                     {calls: each("party", "GET", "/api/v1/parties/{}", "")},
		"PATCH /api/v1/parties/{code}":                   {calls: each("party", "PATCH", "/api/v1/parties/{}", `{}`)},
		"GET /api/v1/parties/{code}/contacts":            {calls: each("party", "GET", "/api/v1/parties/{}/contacts?history=true", "")},
		"PUT /api/v1/parties/{code}/contacts/{label}":    {calls: each("party", "PUT", "/api/v1/parties/{}/contacts/primary", `{"name": "", "email": "bad"}`)},
		"DELETE /api/v1/parties/{code}/contacts/{label}": {calls: each("party", "DELETE", "/api/v1/parties/{}/contacts/nolabel", "")},
		"GET /parties":                                   {calls: one("GET", "/parties", ""), complete: true, Kind: "party"},
		"GET /parties/new":                               {calls: one("GET", "/parties/new", "")},
		"POST /parties":                                  {calls: one("POST", "/parties", "code=")},
		"GET /parties/{code}":                            {calls: each("party", "GET", "/parties/{}", "")},
		"POST /parties/{code}":                           {calls: each("party", "POST", "/parties/{}", "name=")},
		"POST /parties/{code}/contacts":                  {calls: each("party", "POST", "/parties/{}/contacts", "email=bad")},
		"POST /parties/{code}/contacts/{label}/remove":   {calls: each("party", "POST", "/parties/{}/contacts/nolabel/remove", "")},

		"GET /api/v1/audit":                {calls: one("GET", "/api/v1/audit", "")},
		"GET /api/v1/audit/checkpoint":     {calls: one("GET", "/api/v1/audit/checkpoint", "")},
		"GET /api/v1/audience/{kind}/{id}": {calls: eachID("party", "GET", "/api/v1/audience/party/{}", "")},
		"PUT /api/v1/audience/{kind}/{id}": {calls: eachID("party", "PUT", "/api/v1/audience/party/{}", `{"orgs": ["NOPE"]}`)},
		"GET /audit":                       {calls: one("GET", "/audit", "")},
	})
}

// TestEveryRouteWithEveryRole calls every route as the public and as a user
// of every role, against records of every classification, and fails on any
// record shown to someone its classification excludes, and on any route the
// test does not know.
func TestEveryRouteWithEveryRole(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			w := newWorld(t, engine)
			var missing []string
			for _, rt := range w.srv.Routes() {
				if _, ok := visibilityCases[rt.Pattern()]; !ok {
					missing = append(missing, rt.Pattern())
				}
			}
			if len(missing) > 0 {
				t.Fatalf("routes missing from the visibility test (add them to visibilityCases):\n  %s", strings.Join(missing, "\n  "))
			}
			for pattern := range visibilityCases {
				if !slices.ContainsFunc(w.srv.Routes(), func(r web.Route) bool { return r.Pattern() == pattern }) {
					t.Errorf("visibility case %q names no route", pattern)
				}
			}
			checked := 0
			for _, rt := range w.srv.Routes() {
				vc := visibilityCases[rt.Pattern()]
				if vc.calls == nil {
					if vc.Why == "" {
						t.Errorf("%s is exempt without a reason", rt.Pattern())
					}
					continue
				}
				for _, c := range vc.calls(w) {
					for _, v := range w.viewers {
						status, body := w.do(v, c.Method, c.Path, c.Body)
						if status >= 500 {
							t.Errorf("%s %s as %s: status %d: %.300s", c.Method, c.Path, v.Name, status, body)
						}
						seen := map[string]bool{}
						for _, m := range w.markersIn(body) {
							seen[m] = true
							rec, ok := w.records[m]
							if !ok {
								t.Errorf("%s %s as %s: unknown marker %s", c.Method, c.Path, v.Name, m)
								continue
							}
							if !sec.CanSee(v.Caller.Viewer(), rec.Class, rec.Aud) && (vc.Duty == nil || !vc.Duty(w, v, c, m)) {
								t.Errorf("LEAK: %s %s as %s shows %s (%s)", c.Method, c.Path, v.Name, m, rec)
							}
						}
						if vc.complete && status == http.StatusOK {
							for _, k := range w.keys[vc.Kind] {
								rec := w.records[k.Marker]
								if sec.CanSee(v.Caller.Viewer(), rec.Class, rec.Aud) && !seen[k.Marker] {
									t.Errorf("%s %s as %s omits %s (%s), which they may see", c.Method, c.Path, v.Name, k.Marker, rec)
								}
							}
						}
						checked++
					}
				}
			}
			t.Logf("%d requests checked against %d seeded records", checked, len(w.records))
		})
	}
}
