package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/vuln"
)

type rectificationPlansData struct {
	Items  []vuln.Plan
	List   listView
	Req    listing.Request
	States []string
	Marks  []string
	// SoonDays is how far ahead due=soon looks.
	SoonDays int
	// Oversees: every organisation's plans are listed (vuln.MayOversee).
	Oversees bool
}

func (s *Server) rectificationPlansPage(w http.ResponseWriter, r *http.Request) error {
	req, err := vuln.PlanSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportVulnPlans(w, r, "", req)
	}
	p, err := s.Vulns.PlanPage(r.Context(), callerOf(r), "", req)
	if err != nil {
		return err
	}
	d := rectificationPlansData{Items: p.Items, Req: req, List: newListView(r, "/rectification-plans", vuln.PlanSpec, req, p, "plan", "plans"),
		States: facetEnum(vuln.PlanSpec, "state"), Marks: facetEnum(vuln.PlanSpec, "classification"), SoonDays: vuln.DueSoonDays,
		Oversees: vuln.MayOversee(callerOf(r))}
	return s.render(w, r, http.StatusOK, "rectification_plans", s.newPage(r, "Rectification plans", d))
}
