package arrangement

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
)

// AlertKinds are the kinds of alert the alert job raises.
var AlertKinds = []string{"arrangement.expiring", "coverage.churn_window", "coverage.gap"}

// AlertSpec is what the alert list accepts (issue 15): newest first unless
// sorted otherwise, filtered by kind, organisation and marking, searched by
// title and text, and by the day raised.
var AlertSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "created_at", Label: "When", Expr: "al.created_at", Kind: listing.Time},
		{Name: "org", Label: "To", Expr: "o.code", Kind: listing.Text},
		{Name: "kind", Label: "Kind", Expr: "al.kind", Kind: listing.Text},
		{Name: "title", Label: "Alert", Expr: "al.title", Kind: listing.Text},
	},
	Default: "-created_at",
	ID:      "al.id",
	Facets: []listing.Facet{
		{Name: "kind", Description: "only alerts of this kind", Enum: AlertKinds},
		{Name: "org", Description: "only alerts to this organisation (its code)"},
		{Name: "classification", Description: "only alerts with this marking", Enum: []string{string(sec.White), string(sec.Green), string(sec.Amber), string(sec.Red)}},
	},
	Search: "text in the alert's title or text",
	Dates:  "the day the alert was raised",
}

func alertWhere(c access.Caller, args *access.Args, req listing.Request) string {
	where := []string{c.Visible(args, AlertKind, "al", "al.org_id")}
	if v := req.Facet("kind"); v != "" {
		where = append(where, "al.kind = "+args.Add(v))
	}
	if v := strings.ToUpper(strings.TrimSpace(req.Facet("org"))); v != "" {
		where = append(where, "o.code = "+args.Add(v))
	}
	if v := req.Facet("classification"); v != "" {
		where = append(where, "al.classification = "+args.Add(v))
	}
	if req.Q != "" {
		like := args.Add(listing.Like(req.Q))
		where = append(where, "(lower(al.title) LIKE "+like+" ESCAPE '\\' OR lower(al.body) LIKE "+like+" ESCAPE '\\')")
	}
	// Raised from the start of From to the end of To (UTC days).
	if !req.From.IsZero() {
		where = append(where, "al.created_at >= "+args.Add(req.From.Time().UTC()))
	}
	if !req.To.IsZero() {
		where = append(where, "al.created_at < "+args.Add(req.To.AddDays(1).Time().UTC()))
	}
	return strings.Join(where, " AND ")
}

const alertFrom = " FROM arrangement_alerts al JOIN organisations o ON o.id = al.org_id"

// AlertPage is one page of the alerts the caller may see, with the total the
// same filters match.
func (s *Service) AlertPage(ctx context.Context, c access.Caller, req listing.Request) (listing.Page[Alert], error) {
	return alertQuery(c).Page(ctx, s.DB, req)
}

// alertQuery is the alert list's SQL as the caller sees it.
func alertQuery(c access.Caller) listing.Query[Alert] {
	return listing.Query[Alert]{
		What: "list alerts",
		Columns: func(*access.Args) string {
			return "al.id, o.code, al.kind, al.title, al.body, al.link, al.classification, al.created_at"
		},
		From:  alertFrom,
		Where: func(args *access.Args, req listing.Request) string { return alertWhere(c, args, req) },
		Scan: func(r listing.Scanner) (Alert, error) {
			var a Alert
			err := r.Scan(&a.ID, &a.Org, &a.Kind, &a.Title, &a.Body, &a.Link, &a.Classification, &a.CreatedAt)
			a.CreatedAt = a.CreatedAt.UTC()
			return a, err
		},
		Key: func(a Alert, req listing.Request) (any, int64) {
			switch req.Sort.Name {
			case "org":
				return a.Org, a.ID
			case "kind":
				return a.Kind, a.ID
			case "title":
				return a.Title, a.ID
			}
			return a.CreatedAt, a.ID
		},
	}
}

// AlertExport writes every alert the request's filters match, row by row.
func (s *Service) AlertExport(ctx context.Context, c access.Caller, req listing.Request, w listing.Writer) error {
	return alertQuery(c).Export(ctx, s.DB, req, w, Alert.CSV)
}

// AlertCSVHeader names the columns of Alert.CSV.
var AlertCSVHeader = []string{"id", "created_at", "org", "kind", "title", "body", "link", "classification"}

// CSV is the alert as CSV cells, the time in ISO 8601.
func (a Alert) CSV() []string {
	return []string{strconv.FormatInt(a.ID, 10), a.CreatedAt.UTC().Format(time.RFC3339), a.Org, a.Kind, a.Title, a.Body, a.Link, string(a.Classification)}
}
