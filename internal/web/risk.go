package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/risk"
)

// exportRisks streams the risk register's export with the request's
// filters.
func (s *Server) exportRisks(w http.ResponseWriter, r *http.Request, req listing.Request) error {
	return writeExport(w, req, "risks", risk.CSVHeader, func(lw listing.Writer) error {
		return s.Risks.Export(r.Context(), callerOf(r), req, lw)
	})
}
