package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/vuln"
)

// exportVulnPlans streams a list of rectification plans (with ref, one
// vulnerability's) with the request's filters.
func (s *Server) exportVulnPlans(w http.ResponseWriter, r *http.Request, ref string, req listing.Request) error {
	name := "rectification-plans"
	if ref != "" {
		name = ref + "-plans"
	}
	return writeExport(w, req, name, vuln.PlanCSVHeader, func(lw listing.Writer) error {
		return s.Vulns.ExportPlans(r.Context(), callerOf(r), ref, req, lw)
	})
}
