// Package access says who is asking and builds, from that, the SQL conditions
// that decide which records the caller may see. Every query that returns
// records ANDs one of these conditions into its WHERE; nothing is fetched and
// then filtered in Go. The conditions agree with sec.CanSee, which is the
// reference the route-by-role test checks every response against.
package access

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/sec"
)

// Caller is who is making a request or running a command.
type Caller struct {
	UserID   int64
	OrgID    int64
	OrgCode  string
	Name     string // for audit: the user's email, or what the system is doing
	Roles    []sec.Role
	OrgRoles []sec.OrgRole
	// Via is how the caller authenticated: "session", "token", "cli", "system",
	// or "" for the public.
	Via string
	// Scopes limit what an API token may do; empty for sessions.
	Scopes []string
	// TokenID and TokenExpiresAt name the API token a "token" caller used:
	// a token it creates may not outlive it.
	TokenID        int64
	TokenExpiresAt time.Time
	// SecondFactorAt is when a "session" caller last passed a second factor
	// (zero if never): actions that mint credentials want it recent.
	SecondFactorAt time.Time
	// System callers are the server itself (scheduled jobs, deliveries) or an
	// operator at the command line with direct access to the database: they
	// see every record.
	System bool
}

// Public is an anonymous caller: it sees WHITE records only.
func Public() Caller { return Caller{} }

// SystemCaller is the server or an operator's command acting on its own
// account; name says what for (it is written into the audit trail).
func SystemCaller(name string) Caller {
	return Caller{Name: name, Via: "system", System: true}
}

// SignedIn reports whether the caller is a signed-in user (or the system).
func (c Caller) SignedIn() bool { return c.UserID != 0 || c.System }

// Has reports whether the caller holds the role.
func (c Caller) Has(r sec.Role) bool { return slices.Contains(c.Roles, r) }

// HasAny reports whether the caller holds any of the roles.
func (c Caller) HasAny(rs ...sec.Role) bool {
	return slices.ContainsFunc(rs, c.Has)
}

// Addressed reports whether something addressed to roles, such as an entry
// of the menu, is for the caller: it holds one of them, or none are named.
// It grants nothing: what the caller may see and do, the services decide.
func (c Caller) Addressed(roles []sec.Role) bool { return len(roles) == 0 || c.HasAny(roles...) }

// OrgHas reports whether the caller's organisation holds the role.
func (c Caller) OrgHas(r sec.OrgRole) bool { return slices.Contains(c.OrgRoles, r) }

// IsSSC reports whether the caller speaks for the SSC: a member or the
// secretariat. These see every AMBER record.
func (c Caller) IsSSC() bool { return sec.SeesAllAmber(c.Roles) }

// Viewer is the caller as the pure classification rules see it.
func (c Caller) Viewer() sec.Viewer {
	return sec.Viewer{UserID: c.UserID, OrgID: c.OrgID, Roles: c.Roles}
}

// Args collects the arguments of a SQL statement and hands out their $N
// placeholders, which both engines accept.
type Args []any

// Add appends v and returns its placeholder.
func (a *Args) Add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// Visible returns a condition, for the row of table alias (which must have
// the columns id and classification), that is true when the caller may see it.
// kind names the record type in the audience tables. orgColumns are columns of
// the row naming organisations that belong to the row's AMBER audience without
// an audience entry (for example a record's own organisation).
func (c Caller) Visible(args *Args, kind, alias string, orgColumns ...string) string {
	return c.VisibleAs(args, kind, alias+".classification", alias+".id", orgColumns...)
}

// VisibleAs is Visible for rows whose classification and id live in other
// columns or expressions.
func (c Caller) VisibleAs(args *Args, kind, classCol, idCol string, orgColumns ...string) string {
	switch {
	case c.System:
		return "TRUE"
	case !c.SignedIn():
		return classCol + " = 'WHITE'"
	}
	user := args.Add(c.UserID)
	red := "EXISTS (SELECT 1 FROM audience_users au WHERE au.record_kind = '" + kind +
		"' AND au.record_id = " + idCol + " AND au.user_id = " + user + ")"
	if c.IsSSC() {
		return "(" + classCol + " <> 'RED' OR " + red + ")"
	}
	org := args.Add(c.OrgID)
	amber := []string{"EXISTS (SELECT 1 FROM audience_orgs ao WHERE ao.record_kind = '" + kind +
		"' AND ao.record_id = " + idCol + " AND ao.org_id = " + org + ")"}
	for _, col := range orgColumns {
		amber = append(amber, col+" = "+org)
	}
	return "(" + classCol + " IN ('WHITE', 'GREEN') OR (" + classCol + " = 'AMBER' AND (" +
		strings.Join(amber, " OR ") + ")) OR (" + classCol + " = 'RED' AND " + red + "))"
}
