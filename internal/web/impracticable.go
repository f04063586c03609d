package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/impracticable"
	"github.com/metersec/metersec/internal/listing"
)

// exportImpracticable streams the records of impracticability the request's
// filters match, for the page's and the API's ?format=.
func (s *Server) exportImpracticable(w http.ResponseWriter, r *http.Request, req listing.Request) error {
	return writeExport(w, req, "impracticabilities", impracticable.CSVHeader, func(lw listing.Writer) error {
		return s.impracticable().Export(r.Context(), callerOf(r), req, lw)
	})
}
