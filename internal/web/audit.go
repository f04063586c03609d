package web

import (
	"net/http"
	"strconv"

	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
)

func (s *Server) auditRoutes() []Route {
	params := []Param{{Name: "object_type"}, {Name: "object_id"}, {Name: "before", Description: "entries before this sequence number"}}
	return []Route{
		{Method: "GET", Path: "/api/v1/audit", Name: "listAudit", Summary: "The audit trail, newest first (administrators, SSC, secretariat).",
			Tag: "audit", API: true, Params: params, Response: listOf([]audit.Entry{}), Handle: s.apiListAudit},
		{Method: "GET", Path: "/api/v1/audit/checkpoint", Name: "latestAuditCheckpoint",
			Summary: "The newest signed checkpoint of the audit trail's head, for `metersec audit verify --checkpoint` (administrators, SSC, secretariat).",
			Tag:     "audit", API: true, Response: audit.Checkpoint{}, Handle: s.apiLatestAuditCheckpoint},
		{Method: "GET", Path: "/audit", Name: "auditPage", Summary: "The audit trail.", Tag: "ui", Handle: s.auditPage},
	}
}

func auditFilter(r *http.Request) audit.Filter {
	q := r.URL.Query()
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	return audit.Filter{ObjectType: q.Get("object_type"), ObjectID: q.Get("object_id"), Before: before, Limit: 100}
}

func (s *Server) apiListAudit(w http.ResponseWriter, r *http.Request) error {
	es, err := audit.List(r.Context(), s.DB, callerOf(r), auditFilter(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, listOf(es))
}

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
