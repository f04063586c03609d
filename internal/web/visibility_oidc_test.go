package web_test

func init() {
	register(map[string]visibilityCase{
		// The world has no provider set up, so both answer as missing; with
		// one, they carry a browser to and from the provider and show no
		// record (oidc_test.go).
		"GET /signin/oidc":          {calls: one("GET", "/signin/oidc", "")},
		"GET /signin/oidc/callback": {calls: one("GET", "/signin/oidc/callback?code=x&state=y", "")},
	})
}
