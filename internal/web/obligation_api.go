package web

import (
	"net/http"
)

func (s *Server) apiObligations(w http.ResponseWriter, r *http.Request) error {
	d, err := queryDate(r, "date")
	if err != nil {
		return err
	}
	ex, err := s.Coverage.Explain(r.Context(), callerOf(r), r.URL.Query().Get("device"), d, r.URL.Query().Get("sec_version"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ex)
}
