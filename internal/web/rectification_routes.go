package web

import (
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/vuln"
)

// rectificationRoutes are every rectification plan the caller may see,
// across vulnerabilities: the lists the dashboard's plan counts link to.
func (s *Server) rectificationRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/rectification-plans", Name: "listRectificationPlans", Summary: "Rectification plans of every vulnerability the caller may see (its own organisation's, or all for the SSC), soonest declared completion first, a page at a time with the total, each with its revisions; " +
			"sortable, filtered (due=soon and due=overdue are the dashboard's counts), exported as CSV or JSON (without revisions).",
			Tag: "vulnerabilities", API: true, Params: listParams(vuln.PlanSpec), Response: listing.Page[vuln.Plan]{}, Handle: s.apiListRectificationPlans},
		{Method: "GET", Path: "/rectification-plans", Name: "rectificationPlansPage", Summary: "Rectification plans.", Tag: "ui", Handle: s.rectificationPlansPage},
	}
}
