package web

import (
	"net/http"
	"time"
)

func (s *Server) apiDashboard(w http.ResponseWriter, r *http.Request) error {
	d, err := s.dashboard(r.Context(), callerOf(r), time.Now())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}
