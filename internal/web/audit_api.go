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
	es, err := audit.List(r.Context(), s.DB, callerOf(r), auditFilter(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, listOf(es))
}
