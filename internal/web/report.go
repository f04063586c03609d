package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/report"
)

// exportReports streams the report list's export with the request's
// filters.
func (s *Server) exportReports(w http.ResponseWriter, r *http.Request, req listing.Request) error {
	return writeExport(w, req, "reports", report.ListHeader, func(lw listing.Writer) error {
		return s.Reports.Export(r.Context(), callerOf(r), req, lw)
	})
}

// exportRuns streams the run list's export with the request's filters.
func (s *Server) exportRuns(w http.ResponseWriter, r *http.Request, req listing.Request) error {
	return writeExport(w, req, "report-runs", report.RunHeader, func(lw listing.Writer) error {
		return s.Reports.ExportRuns(r.Context(), callerOf(r), req, lw)
	})
}
