package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
)

type auditData struct {
	Entries []audit.Entry
	Filter  audit.Filter
	Older   int64
	// Checkpoint is the newest signed checkpoint, nil before the first.
	Checkpoint *audit.Checkpoint
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) error {
	f := auditFilter(r)
	es, err := audit.List(r.Context(), s.DB, callerOf(r), f)
	if err != nil {
		return err
	}
	d := auditData{Entries: es, Filter: f}
	switch cp, err := audit.LatestCheckpoint(r.Context(), s.DB, callerOf(r)); {
	case err == nil:
		d.Checkpoint = &cp
	case errs.CodeOf(err) != errs.NotFound:
		return err
	}
	if len(es) == f.Limit {
		d.Older = es[len(es)-1].Seq
	}
	return s.render(w, r, http.StatusOK, "audit", s.newPage(r, "Audit trail", d))
}
