package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/party"
)

// exportParties streams every organisation the request's filters match,
// for the directory page and GET /api/v1/parties alike.
func (s *Server) exportParties(w http.ResponseWriter, r *http.Request, req listing.Request) error {
	return writeExport(w, req, "parties", party.ExportHeader, func(lw listing.Writer) error {
		return s.Parties.Export(r.Context(), callerOf(r), req, lw)
	})
}
