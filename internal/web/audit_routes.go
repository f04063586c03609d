package web

import (
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/listing"
)

func (s *Server) auditRoutes() []Route {
	params := listParams(audit.ListSpec)
	return []Route{
		{Method: "GET", Path: "/api/v1/audit", Name: "listAudit", Summary: "The audit trail, newest first, paged; filtered by who, what, when and object, and exported as CSV or JSON with the same filters (administrators, SSC, secretariat).",
			Tag: "audit", API: true, Params: params, Response: listing.Page[audit.Entry]{}, Handle: s.apiListAudit},
		{Method: "GET", Path: "/api/v1/audit/checkpoint", Name: "latestAuditCheckpoint",
			Summary: "The newest signed checkpoint of the audit trail's head, for `metersec audit verify --checkpoint` (administrators, SSC, secretariat).",
			Tag:     "audit", API: true, Response: audit.Checkpoint{}, Handle: s.apiLatestAuditCheckpoint},
		{Method: "GET", Path: "/audit", Name: "auditPage", Summary: "The audit trail.", Tag: "ui", Handle: s.auditPage},
	}
}
