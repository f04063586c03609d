package web_test

// The administration of one account (users_routes.go): administrators only,
// or the account itself for its sessions; another's answers as a missing
// account does (account/admin_test.go checks that).
func init() {
	register(map[string]visibilityCase{
		"POST /api/v1/users/{email}/enable":       {calls: one("POST", "/api/v1/users/nobody@example.org/enable", "")},
		"PUT /api/v1/users/{email}/roles":         {calls: one("PUT", "/api/v1/users/nobody@example.org/roles", `{"roles": []}`)},
		"POST /api/v1/users/{email}/reset":        {calls: one("POST", "/api/v1/users/nobody@example.org/reset", "")},
		"GET /api/v1/users/{email}/sessions":      {calls: one("GET", "/api/v1/users/nobody@example.org/sessions", "")},
		"POST /api/v1/users/{email}/sessions/end": {calls: one("POST", "/api/v1/users/nobody@example.org/sessions/end", "")},
		"GET /users/{email}":                      {calls: one("GET", "/users/nobody@example.org", "")},
		"GET /users/{email}/disable":              {calls: one("GET", "/users/nobody@example.org/disable", "")},
		"POST /users/{email}/enable":              {calls: one("POST", "/users/nobody@example.org/enable", "")},
		"POST /users/{email}/roles":               {calls: one("POST", "/users/nobody@example.org/roles", "")},
		"GET /users/{email}/reset":                {calls: one("GET", "/users/nobody@example.org/reset", "")},
		"POST /users/{email}/reset":               {calls: one("POST", "/users/nobody@example.org/reset", "")},
		"POST /users/{email}/sessions/end":        {calls: one("POST", "/users/nobody@example.org/sessions/end", "")},
		"POST /users/{email}/identities":          {calls: one("POST", "/users/nobody@example.org/identities", "issuer=")},
		"POST /users/{email}/identities/unlink":   {calls: one("POST", "/users/nobody@example.org/identities/unlink", "issuer=")},
		"GET /signin/reset":                       {calls: one("GET", "/signin/reset?code=nothing", "")},
		"POST /signin/reset":                      {Why: "answers a reset form only; tested in users_test.go"},
	})
	for route, why := range map[string]string{
		"POST /api/v1/users/{email}/enable":       "administrators only; every user is visible to them",
		"PUT /api/v1/users/{email}/roles":         "administrators only; every user is visible to them",
		"POST /api/v1/users/{email}/reset":        "administrators only; every user is visible to them",
		"POST /api/v1/users/{email}/sessions/end": "the caller's own sessions, or administrators'; another's answers as a missing account (account/admin_test.go)",
		"POST /users/{email}/enable":              "administrators only; every user is visible to them",
		"POST /users/{email}/roles":               "administrators only; every user is visible to them",
		"POST /users/{email}/reset":               "administrators only; every user is visible to them",
		"POST /users/{email}/sessions/end":        "the caller's own sessions, or administrators'; another's answers as a missing account (account/admin_test.go)",
		"POST /users/{email}/identities":          "administrators only; every user is visible to them",
		"POST /users/{email}/identities/unlink":   "administrators only; every user is visible to them",
	} {
		writeNoRecord[route] = why
	}
}
