package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/vuln"
)

func (s *Server) apiListRectificationPlans(w http.ResponseWriter, r *http.Request) error {
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
	return writeJSON(w, http.StatusOK, p)
}
