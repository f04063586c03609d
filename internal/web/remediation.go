package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/assurance"
	"github.com/metersec/metersec/internal/listing"
)

// exportPlans streams the remediation plan list's export with the
// request's filters.
func (s *Server) exportPlans(w http.ResponseWriter, r *http.Request, req listing.Request) error {
	return writeExport(w, req, "remediation-plans", assurance.PlanCSVHeader, func(lw listing.Writer) error {
		return s.Assurance.ExportPlans(r.Context(), callerOf(r), req, lw)
	})
}
