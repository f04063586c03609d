package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/listing"
)

// auditQuery parses a request of the trail's list. An actor given as an
// email of a known user is matched by the user's id, so entries they made
// through a session, a token or single sign-on are all found.
func (s *Server) auditQuery(r *http.Request) (audit.ListQuery, error) {
	req, err := audit.ListSpec.Parse(r.URL.Query())
	if err != nil {
		return audit.ListQuery{}, err
	}
	q := audit.ListQuery{Req: req}
	if a := req.Facet("actor"); strings.Contains(a, "@") && !strings.Contains(a, ":") {
		if u, err := account.FindUser(r.Context(), s.DB, a); err == nil {
			q.ActorUserID = u.ID
		}
	}
	return q, nil
}

// auditObjectPaths are the pages of the objects the trail names, by object
// type, for the types whose object id is the page's key.
var auditObjectPaths = map[string]string{
	"user":             "/users/",
	"party":            "/parties/",
	"arrangement":      "/arrangements/",
	"assessment":       "/assessments/",
	"remediation_plan": "/remediation-plans/",
	"impracticability": "/impracticabilities/",
	"device":           "/devices/",
	"user_system":      "/user-systems/",
	"notice":           "/inbox/",
}

// auditObjectLink is the page of an entry's object, "" when it has none.
func auditObjectLink(objectType, id string) string {
	p, ok := auditObjectPaths[objectType]
	if !ok || id == "" || strings.ContainsAny(id, " /") {
		return ""
	}
	return p + url.PathEscape(id)
}

// auditRow is an entry with the link to its object, for the page.
type auditRow struct {
	audit.Entry
	Link string
}

func auditRows(es []audit.Entry) []auditRow {
	out := make([]auditRow, len(es))
	for i, e := range es {
		out[i] = auditRow{Entry: e, Link: auditObjectLink(e.ObjectType, e.ObjectID)}
	}
	return out
}

func (s *Server) writeAuditExport(w http.ResponseWriter, r *http.Request, q audit.ListQuery) error {
	return writeExport(w, q.Req, "audit", audit.CSVHeader, func(lw listing.Writer) error {
		return audit.Export(r.Context(), s.DB, callerOf(r), q, lw)
	})
}
