package web

import (
	"net/http"
	"slices"
	"strings"
)

// Access says who may reach a route before any service rule applies.
type Access int

const (
	// SignedIn routes need a signed-in user or an API token.
	SignedIn Access = iota
	// Public routes answer anyone; the service still shows the public only
	// WHITE records.
	Public
	// Pending routes are also open to a session that has passed the password
	// but not yet the second factor: the second-factor pages and sign-out.
	Pending
)

// Param documents a query parameter.
type Param struct {
	Name, Description string
	Required          bool
	// Type is the OpenAPI type: string, integer, boolean, date or
	// date-time; Enum the values of a closed set. Without either the
	// OpenAPI document types the parameter by its name (openapi_doc.go).
	Type string
	Enum []string
	// Schema, when set, is the parameter's whole schema (a list's limit
	// with its maximum).
	Schema map[string]any
}

// Route is one endpoint. The table of routes is the single source for the
// mux, the OpenAPI document and the route-by-role visibility test.
type Route struct {
	Method  string
	Path    string // a net/http pattern path: /api/v1/parties/{code}
	Name    string // unique operation name
	Summary string
	Tag     string
	Access  Access
	// Scope is the API-token scope the route needs; by default "read" for
	// GET and "write" for anything else.
	Scope string
	// API routes speak JSON and answer errors with problem documents; the
	// others are HTML pages and forms.
	API bool
	// Upload routes take a file body; their handlers set their own size limit
	// and stream the body.
	Upload bool
	// StoredAsSent marks an upload kept byte for byte in one of its accepted
	// types (evidence, meeting papers, Directors' Letters as PDF): it is
	// neither decompressed nor decoded as text, so it does not pass through
	// uploadBody, and a file that is not of an accepted type is refused as
	// such.
	StoredAsSent bool
	// Request and Response are values of the JSON body types, for the
	// OpenAPI document. Status is the success status (200 by default).
	Request, Response any
	Params            []Param
	Status            int

	Handle func(w http.ResponseWriter, r *http.Request) error
}

// Pattern is the net/http mux pattern.
func (rt Route) Pattern() string { return rt.Method + " " + rt.Path }

func (rt Route) scope() string {
	switch {
	case rt.Scope != "":
		return rt.Scope
	case rt.Method == http.MethodGet || rt.Method == http.MethodHead:
		return "read"
	}
	return "write"
}

// allRoutes gathers every area's routes. Each area of the domain adds its
// function here and its handlers in files named after it.
func (s *Server) allRoutes() []Route {
	var all []Route
	for _, group := range [][]Route{
		s.opsRoutes(),
		s.signinRoutes(),
		s.accountRoutes(),
		s.partyRoutes(),
		s.auditRoutes(),
		s.catalogueRoutes(),
		s.audienceRoutes(),
		s.vulnRoutes(),
		s.rectificationRoutes(),
		s.reportRoutes(),
		s.deliveryRoutes(),
		s.arrangementRoutes(),
		s.coverageRoutes(),
		s.estateRoutes(),
		s.obligationRoutes(),
		s.meetingRoutes(),
		s.meetingPageRoutes(),
		s.releaseRoutes(),
		s.standingRoutes(),
		s.assessmentRoutes(),
		s.assessmentPageRoutes(),
		s.remediationRoutes(),
		s.remediationPageRoutes(),
		s.riskRoutes(),
		s.riskPageRoutes(),
		s.triageRoutes(),
		s.impracticableRoutes(),
		s.userSystemRoutes(),
		s.usersRoutes(),
		s.userSystemPageRoutes(),
		s.oidcRoutes(),
		s.dashboardRoutes(),
	} {
		all = append(all, group...)
	}
	slices.SortStableFunc(all, func(a, b Route) int { return strings.Compare(a.Path, b.Path) })
	return all
}
