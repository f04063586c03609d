package vuln

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
)

// InboxSpec is what the list of vulnerabilities the caller's organisation
// was told of accepts (issue 15 point 3): the latest notice first by
// default, filtered by acknowledged, seen and awaiting acknowledgement.
var InboxSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "notified_at", Label: "Told", Expr: "COALESCE(r.last_notified_at, r.first_notified_at)", Kind: listing.Time},
		{Name: "ref", Label: "Reference", Expr: "v.ref", Kind: listing.Text},
		{Name: "state", Label: "State", Expr: "v.state", Kind: listing.Text},
		{Name: "devices", Label: "Your Devices", Expr: "r.devices", Kind: listing.Int},
	},
	Default: "-notified_at",
	ID:      "r.id",
	Facets: []listing.Facet{
		{Name: "acknowledged", Description: "true for vulnerabilities your organisation has acknowledged, false for those it has not", Type: "boolean"},
		{Name: "awaiting", Description: "true for those still awaiting your organisation's acknowledgement", Type: "boolean"},
		{Name: "seen", Description: "true for those someone in your organisation has opened, false for those nobody has", Type: "boolean"},
		{Name: "state", Description: "only vulnerabilities in this state", Enum: listing.Enum(sec.VulnLifecycle.States())},
	},
	Search: "text in the reference or title",
	Dates:  "the day your organisation was last told (UTC)",
}

// InboxPage is one page of the vulnerabilities the caller's organisation was
// told of, with what it still owes over all of them (not only this page).
type InboxPage struct {
	listing.Page[InboxItem]
	Unacknowledged int `json:"unacknowledged"`
	Unseen         int `json:"unseen"`
}

// awaitsAckSQL is Recipient.AwaitsAck as SQL over r and v.
const awaitsAckSQL = "(r.role IN ('supplier', 'dcc', 'manufacturer') AND r.active AND r.acknowledged_at IS NULL AND v.state NOT IN ('closed', 'closed_not_material'))"

func inboxWhere(args *access.Args, c access.Caller, req listing.Request) string {
	where := []string{"r.org_id = " + args.Add(c.OrgID), "r.first_notified_at IS NOT NULL", visibleVuln(args, c, "v"), visibleRecipient(args, c, "r")}
	if b := req.Bool("acknowledged"); b != nil {
		where = append(where, map[bool]string{true: "r.acknowledged_at IS NOT NULL", false: "r.acknowledged_at IS NULL"}[*b])
	}
	if b := req.Bool("seen"); b != nil {
		where = append(where, map[bool]string{true: "r.seen_at IS NOT NULL", false: "r.seen_at IS NULL"}[*b])
	}
	if b := req.Bool("awaiting"); b != nil {
		where = append(where, map[bool]string{true: awaitsAckSQL, false: "NOT " + awaitsAckSQL}[*b])
	}
	if st := req.Facet("state"); st != "" {
		where = append(where, "v.state = "+args.Add(st))
	}
	if req.Q != "" {
		like := args.Add(listing.Like(req.Q))
		where = append(where, "(lower(v.ref) LIKE "+like+" ESCAPE '\\' OR lower(v.title) LIKE "+like+" ESCAPE '\\')")
	}
	told := "COALESCE(r.last_notified_at, r.first_notified_at)"
	if !req.From.IsZero() {
		where = append(where, told+" >= "+args.Add(req.From.Time().UTC()))
	}
	if !req.To.IsZero() {
		where = append(where, told+" < "+args.Add(req.To.Time().UTC().AddDate(0, 0, 1)))
	}
	return strings.Join(where, " AND ")
}

const inboxFrom = ` FROM vuln_recipients r JOIN vulnerabilities v ON v.id = r.vuln_id JOIN organisations o ON o.id = r.org_id
	LEFT JOIN users u ON u.id = r.acknowledged_by`

// Inbox is one page of the vulnerabilities the caller's organisation was told
// of, with its own recipient rows.
func (s *Service) Inbox(ctx context.Context, c access.Caller, req listing.Request) (InboxPage, error) {
	out := InboxPage{Page: listing.Finish[InboxItem](req, nil, 0, nil)}
	if c.OrgID == 0 {
		return out, nil
	}
	q := inboxQuery(c)
	var items []InboxItem
	if err := q.Each(ctx, s.DB, req, func(it InboxItem) error { items = append(items, it); return nil }); err != nil {
		return out, err
	}
	total, err := q.Count(ctx, s.DB, req)
	if err != nil {
		return out, err
	}
	out.Page = q.Finish(req, items, total)
	var unacked, unseen sql.NullInt64
	err = q.Aggregate(ctx, s.DB, InboxSpec.First(), "SUM(CASE WHEN "+awaitsAckSQL+" THEN 1 ELSE 0 END), SUM(CASE WHEN r.seen_at IS NULL THEN 1 ELSE 0 END)",
		&unacked, &unseen)
	out.Unacknowledged, out.Unseen = int(unacked.Int64), int(unseen.Int64)
	return out, err
}

// ExportInbox writes every row the request's filters match, row by row.
func (s *Service) ExportInbox(ctx context.Context, c access.Caller, req listing.Request, w listing.Writer) error {
	if c.OrgID == 0 {
		return nil
	}
	iso := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	return inboxQuery(c).Export(ctx, s.DB, req, w, func(it InboxItem) []string {
		r := it.Recipient
		return []string{it.Ref, it.Title, string(it.State), string(r.Role), itoa64(r.Devices), iso(r.NotifiedAt), iso(r.LastNotifiedAt),
			iso(r.SeenAt), iso(r.AcknowledgedAt), string(r.Statement), boolText(r.AwaitsAck), string(it.Classification)}
	})
}

// InboxCSVHeader names the columns of an inbox export.
var InboxCSVHeader = []string{"ref", "title", "state", "role", "devices", "notified_at", "last_notified_at", "seen_at",
	"acknowledged_at", "statement", "awaits_acknowledgement", "classification"}

// inboxQuery is the SQL of the inbox of the caller's organisation.
func inboxQuery(c access.Caller) listing.Query[InboxItem] {
	return listing.Query[InboxItem]{
		What: "inbox",
		Columns: func(args *access.Args) string {
			return "v.ref, v.title, v.state, v.classification, " + recipientColumns(args, c)
		},
		From:  inboxFrom,
		Where: func(args *access.Args, req listing.Request) string { return inboxWhere(args, c, req) },
		Scan: func(row listing.Scanner) (InboxItem, error) {
			var it InboxItem
			var err error
			it.Recipient, err = scanRecipient(prefixed{row, []any{&it.Ref, &it.Title, &it.State, &it.Classification}})
			r := &it.Recipient
			r.AwaitsAck = r.Role.acks() && r.Active && r.AcknowledgedAt == nil && !it.State.IsClosed()
			return it, err
		},
		Key: func(it InboxItem, req listing.Request) (any, int64) {
			r := it.Recipient
			switch req.Sort.Name {
			case "ref":
				return it.Ref, r.ID
			case "state":
				return string(it.State), r.ID
			case "devices":
				return r.Devices, r.ID
			}
			if r.LastNotifiedAt != nil {
				return *r.LastNotifiedAt, r.ID
			}
			return *r.NotifiedAt, r.ID
		},
	}
}

// prefixed scans its columns into pre, then the rest into a Scan's dest: a
// row that leads with more columns than a shared scan function reads.
type prefixed struct {
	listing.Scanner
	pre []any
}

func (p prefixed) Scan(dest ...any) error {
	return p.Scanner.Scan(append(append([]any{}, p.pre...), dest...)...)
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
