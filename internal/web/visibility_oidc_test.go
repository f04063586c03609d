package web_test

func init() {
	register(map[string]visibilityCase{
		// The world has no provider set up, so both answer as missing; with
		// one, they carry a browser to and from the provider and show no
		// record (oidc_test.go).
		"GET /signin/oidc":          {calls: one("GET", "/signin/oidc", "")},
		"GET /signin/oidc/callback": {calls: one("GET", "/signin/oidc/callback?code=x&state=y", "")},

		"GET /api/v1/users/{email}/identities":         {calls: one("GET", "/api/v1/users/nobody@example.org/identities", "")},
		"POST /api/v1/users/{email}/identities":        {calls: one("POST", "/api/v1/users/nobody@example.org/identities", `{"issuer": "https://login.example", "subject": "s"}`)},
		"POST /api/v1/users/{email}/identities/unlink": {calls: one("POST", "/api/v1/users/nobody@example.org/identities/unlink", `{"issuer": "https://login.example", "subject": "s"}`)},
	})
}

func init() {
	writeNoRecord["POST /api/v1/users/{email}/identities"] = "administrators only; every user is visible to them"
	writeNoRecord["POST /api/v1/users/{email}/identities/unlink"] = "administrators only; every user is visible to them"
}
