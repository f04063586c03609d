package web_test

func init() {
	register(map[string]visibilityCase{
		"GET /api/v1/rectification-plans": {calls: one("GET", "/api/v1/rectification-plans?limit=200", ""), complete: true, Kind: "vuln_plan"},
		"GET /rectification-plans":        {calls: one("GET", "/rectification-plans?limit=200", ""), complete: true, Kind: "vuln_plan"},
	})
}
