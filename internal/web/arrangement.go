package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/listing"
)

// endInput is the body of an end request.
type endInput struct {
	Date string `json:"date,omitempty"` // the first day it no longer counts; today when empty
}

// exportArrangements streams every arrangement the request's filters
// match, for the page and GET /api/v1/arrangements alike.
func (s *Server) exportArrangements(w http.ResponseWriter, r *http.Request, req listing.Request) error {
	return writeExport(w, req, "arrangements", arrangement.ExportHeader, func(lw listing.Writer) error {
		return s.Arrangements.Export(r.Context(), callerOf(r), req, lw)
	})
}
