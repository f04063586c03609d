package web

import (
	"github.com/metersec/metersec/internal/coverage"
)

func (s *Server) obligationRoutes() []Route {
	return []Route{
		// The Device ID is a query parameter, not part of the path, so that
		// a problem document (whose instance is the path) never repeats the
		// ID of a Device the caller may not see.
		{Method: "GET", Path: "/api/v1/obligations", Name: "getObligations", Summary: "For one Device on a day: who carries G3.17(b) and G3.20(b), under which SEC version, the arrangement that meets G3.20, and why.",
			Tag: "coverage", API: true, Params: []Param{{Name: "device", Description: "the Device ID (EUI-64, e.g. 00-1A-2B-3C-4D-5E-6F-70)", Required: true},
				{Name: "date", Description: "the day (YYYY-MM-DD); today by default"},
				{Name: "sec_version", Description: "answer under this SEC release instead of the one in force"}},
			Response: coverage.Explanation{}, Handle: s.apiObligations},
		// Public so that a signed-out visitor is not redirected to sign in
		// with the Device ID in the redirect; the page answers only
		// signed-in callers.
		{Method: "GET", Path: "/obligations", Name: "obligationsPage", Summary: "Explain one Device's obligations.", Tag: "ui", Access: Public, Handle: s.obligationsPage},
	}
}
