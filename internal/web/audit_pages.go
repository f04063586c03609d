package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
)

type auditData struct {
	Entries []auditRow
	List    listView
	Facets  map[string]string
	From    string
	To      string
	// Checkpoint is the newest signed checkpoint, nil before the first.
	Checkpoint *audit.Checkpoint
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) error {
	c := callerOf(r)
	q, err := s.auditQuery(r)
	if err != nil {
		return err
	}
	if q.Req.Exporting() && audit.MayRead(c) {
		return s.writeAuditExport(w, r, q)
	}
	p, err := audit.Page(r.Context(), s.DB, c, q)
	if err != nil {
		return err
	}
	d := auditData{Entries: auditRows(p.Items), Facets: q.Req.Facets,
		List: newListView(r, "/audit", audit.ListSpec, q.Req, p, "entry", "entries")}
	if !q.Req.From.IsZero() {
		d.From = q.Req.From.String()
	}
	if !q.Req.To.IsZero() {
		d.To = q.Req.To.String()
	}
	switch cp, err := audit.LatestCheckpoint(r.Context(), s.DB, c); {
	case err == nil:
		d.Checkpoint = &cp
	case errs.CodeOf(err) != errs.NotFound:
		return err
	}
	return s.render(w, r, http.StatusOK, "audit", s.newPage(r, "Audit trail", d))
}
