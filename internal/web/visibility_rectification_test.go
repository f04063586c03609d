package web_test

func init() {
	register(map[string]visibilityCase{
		"GET /api/v1/rectification-plans": {calls: one("GET", "/api/v1/rectification-plans?limit=200", ""), complete: true, Kind: "vuln_plan"},
		// The page lists the plans without their steps, where the markers
		// are: it is checked for what it must not show, the API for all.
		"GET /rectification-plans": {calls: one("GET", "/rectification-plans?limit=200", "")},
	})
}
