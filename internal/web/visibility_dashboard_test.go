package web_test

func init() {
	register(map[string]visibilityCase{
		"GET /api/v1/dashboard":                                {calls: one("GET", "/api/v1/dashboard", "")},
		"GET /api/v1/vulnerabilities/{ref}/recipients/summary": {calls: each("vuln", "GET", "/api/v1/vulnerabilities/{}/recipients/summary", "")},
		"GET /api/v1/vulnerabilities/{ref}/devices":            {calls: each("vuln", "GET", "/api/v1/vulnerabilities/{}/devices", "")},
		"GET /vulnerabilities/{ref}/devices.csv":               {calls: each("vuln", "GET", "/vulnerabilities/{}/devices.csv", "")},
	})
}
