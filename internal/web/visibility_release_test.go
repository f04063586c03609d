package web_test

func init() {
	register(map[string]visibilityCase{
		"GET /api/v1/sec/releases":                    {calls: one("GET", "/api/v1/sec/releases", "")},
		"PUT /api/v1/sec/releases":                    {calls: one("PUT", "/api/v1/sec/releases?reason=test", "version,effective\n")},
		"GET /api/v1/sec/releases/history":            {calls: one("GET", "/api/v1/sec/releases/history", "")},
		"POST /api/v1/sec/modifications/{ref}/events": {calls: one("POST", "/api/v1/sec/modifications/NOPE/events", `{"event": "raise"}`)},
	})
}
