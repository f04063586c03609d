package web

import (
	"github.com/metersec/metersec/internal/audit"
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
