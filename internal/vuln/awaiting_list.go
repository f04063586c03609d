package vuln

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
)

// AwaitingSpec is what the SSC's list of acknowledgements awaited accepts
// (issue 15): every recipient told of an open vulnerability that must
// acknowledge it and has not, the longest waiting first, across every
// vulnerability; filtered by role and organisation, q over the
// vulnerability's reference or title.
var AwaitingSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "notified_at", Label: "Told", Expr: "r.first_notified_at", Kind: listing.Time},
		{Name: "ref", Label: "Vulnerability", Expr: "v.ref", Kind: listing.Text},
		{Name: "org", Label: "Organisation", Expr: "o.code", Kind: listing.Text},
		{Name: "devices", Label: "Devices", Expr: "r.devices", Kind: listing.Int},
		{Name: "reminders", Label: "Reminders", Expr: "r.reminders", Kind: listing.Int},
	},
	Default: "notified_at",
	ID:      "r.id",
	Facets: []listing.Facet{
		{Name: "role", Description: "only recipients told in this role", Enum: []string{string(RoleSupplier), string(RoleDCC), string(RoleManufacturer)}},
		{Name: "org", Description: "only this organisation (its code)"},
	},
	Search: "text in the vulnerability's reference or title",
	// It shares the SSC's overview with the overdue plans and the open
	// vulnerabilities: 50 rows took the page past 5,000 px.
	PageSize: 20,
}

const awaitingFrom = ` FROM vuln_recipients r JOIN vulnerabilities v ON v.id = r.vuln_id JOIN organisations o ON o.id = r.org_id`

// awaitingWhere is the rows Due counts as acknowledgements awaited, as the
// caller may see them, narrowed by the request.
func awaitingWhere(args *access.Args, c access.Caller, req listing.Request) string {
	where := []string{awaitsAck, openVuln, visibleVuln(args, c, "v"), visibleRecipient(args, c, "r")}
	if role := req.Facet("role"); role != "" {
		where = append(where, "r.role = "+args.Add(role))
	}
	if org := strings.ToUpper(req.Facet("org")); org != "" {
		where = append(where, "o.code = "+args.Add(org))
	}
	if req.Q != "" {
		like := args.Add(listing.Like(req.Q))
		where = append(where, "(lower(v.ref) LIKE "+like+" ESCAPE '\\' OR lower(v.title) LIKE "+like+" ESCAPE '\\')")
	}
	return strings.Join(where, " AND ")
}

func (s *Service) awaitingQuery(c access.Caller, now time.Time) listing.Query[Unacknowledged] {
	today := s.today(now)
	return listing.Query[Unacknowledged]{
		What: "acknowledgements awaited",
		Columns: func(args *access.Args) string {
			return "r.id, v.ref, v.title, o.code, " + partyName(args, c, "o") + ", r.role, r.devices, r.first_notified_at, r.reminders"
		},
		From:  awaitingFrom,
		Where: func(args *access.Args, req listing.Request) string { return awaitingWhere(args, c, req) },
		Scan: func(r listing.Scanner) (Unacknowledged, error) {
			var u Unacknowledged
			err := r.Scan(&u.RecipientID, &u.VulnRef, &u.VulnTitle, &u.Org.Code, &u.Org.Name, &u.Role, &u.Devices, &u.NotifiedAt, &u.Reminders)
			u.NotifiedAt = u.NotifiedAt.UTC()
			u.Days = today.Sub(s.today(u.NotifiedAt))
			return u, err
		},
		Key: func(u Unacknowledged, req listing.Request) (any, int64) {
			switch req.Sort.Name {
			case "ref":
				return u.VulnRef, u.RecipientID
			case "org":
				return u.Org.Code, u.RecipientID
			case "devices":
				return u.Devices, u.RecipientID
			case "reminders":
				return int64(u.Reminders), u.RecipientID
			}
			return u.NotifiedAt, u.RecipientID
		},
	}
}

var errMayNotOversee = errs.E(errs.Forbidden, "the acknowledgements awaited are for SSC members and the secretariat")

// AwaitingPage is one page of the acknowledgements awaited across every
// open vulnerability (the SSC's oversight, G3.18), with the total the
// filters match: unfiltered, the dashboard's "acknowledgements awaited".
func (s *Service) AwaitingPage(ctx context.Context, c access.Caller, req listing.Request, now time.Time) (listing.Page[Unacknowledged], error) {
	if !MayOversee(c) {
		return listing.Page[Unacknowledged]{}, errMayNotOversee
	}
	return s.awaitingQuery(c, now).Page(ctx, s.DB, req)
}

// AwaitingCSVHeader names the columns of an export of the acknowledgements
// awaited.
var AwaitingCSVHeader = []string{"vuln_ref", "vuln_title", "org", "org_name", "role", "devices", "notified_at", "days", "reminders"}

// ExportAwaiting writes every acknowledgement awaited that the filters
// match, row by row.
func (s *Service) ExportAwaiting(ctx context.Context, c access.Caller, req listing.Request, now time.Time, w listing.Writer) error {
	if !MayOversee(c) {
		return errMayNotOversee
	}
	return s.awaitingQuery(c, now).Export(ctx, s.DB, req, w, func(u Unacknowledged) []string {
		return []string{u.VulnRef, u.VulnTitle, u.Org.Code, u.Org.Name, string(u.Role), strconv.FormatInt(u.Devices, 10),
			u.NotifiedAt.UTC().Format(time.RFC3339), strconv.Itoa(u.Days), strconv.Itoa(u.Reminders)}
	})
}
