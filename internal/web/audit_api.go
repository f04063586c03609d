package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/audit"
)

// apiLatestAuditCheckpoint publishes the newest signed checkpoint, exactly
// as `audit verify --checkpoint FILE` reads it.
func (s *Server) apiLatestAuditCheckpoint(w http.ResponseWriter, r *http.Request) error {
	cp, err := audit.LatestCheckpoint(r.Context(), s.DB, callerOf(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, cp)
}

func (s *Server) apiListAudit(w http.ResponseWriter, r *http.Request) error {
	q, err := s.auditQuery(r)
	if err != nil {
		return err
	}
	if q.Req.Exporting() {
		if !audit.MayRead(callerOf(r)) {
			_, err := audit.Page(r.Context(), s.DB, callerOf(r), q)
			return err
		}
		return s.writeAuditExport(w, r, q)
	}
	p, err := audit.Page(r.Context(), s.DB, callerOf(r), q)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}
