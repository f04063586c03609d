package vuln

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/listing"
)

// RecipientSpec is what the list of a vulnerability's recipients accepts
// (issue 15): by default the manufacturer, Suppliers, the DCC, MAPs, the SSC,
// each by code; filtered by role, acknowledged, active and awaiting
// acknowledgement; q over the organisation's code (the name is not searched:
// it is not shown to everyone who sees the row).
var RecipientSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "role", Label: "As", Expr: roleOrder, Kind: listing.Int},
		{Name: "org", Label: "Organisation", Expr: "o.code", Kind: listing.Text},
		{Name: "devices", Label: "Devices", Expr: "r.devices", Kind: listing.Int},
	},
	Default: "role",
	ID:      "r.id",
	Facets: []listing.Facet{
		{Name: "role", Description: "only recipients told in this role", Enum: []string{"manufacturer", "supplier", "dcc", "map", "ssc"}},
		{Name: "acknowledged", Description: "true for recipients that have acknowledged, false for those that have not", Type: "boolean"},
		{Name: "active", Description: "false for recipients no longer affected", Type: "boolean"},
		{Name: "awaiting", Description: "true for recipients whose acknowledgement is awaited", Type: "boolean"},
	},
	Search: "text in the organisation's code",
}

var roleRank = map[Role]int64{RoleManufacturer: 1, RoleSupplier: 2, RoleDCC: 3, RoleMAP: 4, RoleSSC: 5}

func recipientWhere(args *access.Args, c access.Caller, ref string, req listing.Request) string {
	where := []string{"v.ref = " + args.Add(normRef(ref)), visibleVuln(args, c, "v"), visibleRecipient(args, c, "r")}
	if role := req.Facet("role"); role != "" {
		where = append(where, "r.role = "+args.Add(role))
	}
	if b := req.Bool("acknowledged"); b != nil {
		where = append(where, map[bool]string{true: "r.acknowledged_at IS NOT NULL", false: "r.acknowledged_at IS NULL"}[*b])
	}
	if b := req.Bool("active"); b != nil {
		where = append(where, map[bool]string{true: "r.active", false: "NOT r.active"}[*b])
	}
	if b := req.Bool("awaiting"); b != nil {
		await := "(r.first_notified_at IS NOT NULL AND " + awaitsAckSQL + ")"
		where = append(where, map[bool]string{true: await, false: "NOT " + await}[*b])
	}
	if req.Q != "" {
		where = append(where, "lower(o.code) LIKE "+args.Add(listing.Like(req.Q))+" ESCAPE '\\'")
	}
	return strings.Join(where, " AND ")
}

const recipientFrom = ` FROM vuln_recipients r JOIN vulnerabilities v ON v.id = r.vuln_id
	JOIN organisations o ON o.id = r.org_id LEFT JOIN users u ON u.id = r.acknowledged_by`

// RecipientsPage is one page of the recipients of a vulnerability that the
// caller may see, with the total the filters match. A vulnerability the
// caller may not see is not found, as one that does not exist.
func (s *Service) RecipientsPage(ctx context.Context, c access.Caller, ref string, req listing.Request) (listing.Page[Recipient], error) {
	var zero listing.Page[Recipient]
	if _, err := s.Get(ctx, c, ref); err != nil {
		return zero, err
	}
	return recipientQuery(c, ref).Page(ctx, s.DB, req)
}

// recipientQuery is the SQL of the list of ref's recipients as the caller
// sees them.
func recipientQuery(c access.Caller, ref string) listing.Query[Recipient] {
	return listing.Query[Recipient]{
		What:    "recipients",
		Columns: func(args *access.Args) string { return recipientColumns(args, c) },
		From:    recipientFrom,
		Where:   func(args *access.Args, req listing.Request) string { return recipientWhere(args, c, ref, req) },
		Scan:    func(r listing.Scanner) (Recipient, error) { return scanRecipient(r) },
		Key: func(r Recipient, req listing.Request) (any, int64) {
			switch req.Sort.Name {
			case "org":
				return r.Org.Code, r.ID
			case "devices":
				return r.Devices, r.ID
			}
			return roleRank[r.Role], r.ID
		},
	}
}

// ExportRecipients writes every recipient the request's filters match.
func (s *Service) ExportRecipients(ctx context.Context, c access.Caller, ref string, req listing.Request, w listing.Writer) error {
	if _, err := s.Get(ctx, c, ref); err != nil {
		return err
	}
	iso := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	return recipientQuery(c, ref).Export(ctx, s.DB, req, w, func(r Recipient) []string {
		return []string{r.Org.Code, r.Org.Name, string(r.Role), strconv.FormatInt(r.Devices, 10), strconv.FormatBool(r.Active),
			iso(r.NotifiedAt), iso(r.SeenAt), iso(r.AcknowledgedAt), string(r.Statement), strconv.FormatBool(r.AwaitsAck)}
	})
}

// RecipientCSVHeader names the columns of a recipients export.
var RecipientCSVHeader = []string{"org", "name", "role", "devices", "active", "notified_at", "seen_at", "acknowledged_at", "statement", "awaits_acknowledgement"}
