package report

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/store"
)

// ListSpec is what the list of stored reports accepts (issue 15): sorted by
// these columns, filtered by kind, marking, recipient, month and whether it
// was mailed, q over the reference and title, and a range of months.
var ListSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "month", Label: "Month", Expr: "r.month", Kind: listing.Text},
		{Name: "reference", Label: "Report", Expr: "r.reference", Kind: listing.Text},
		{Name: "kind", Label: "Kind", Expr: "r.kind", Kind: listing.Text},
		{Name: "recipient", Label: "For", Expr: "COALESCE(o.code, '')", Kind: listing.Text},
		{Name: "created_at", Label: "Generated", Expr: "r.created_at", Kind: listing.Time},
	},
	Default: "-month",
	ID:      "r.id",
	Facets: []listing.Facet{
		{Name: "kind", Description: "only reports of this kind: to manufacturers, to Suppliers, or the SSC's standing report", Enum: []string{string(ManufacturerKind), string(SupplierKind), string(StandingKind)}},
		{Name: "classification", Description: "only reports of this marking", Enum: []string{"AMBER", "RED"}},
		{Name: "org", Description: "only reports to this organisation (its code)"},
		{Name: "month", Description: "only reports on this month, YYYY-MM"},
		{Name: "mailed", Description: "true for reports whose notice was queued to their recipient, false for those never mailed (the standing reports, or no delivery service)", Type: "boolean"},
	},
	Search: "text in the reference or title",
	Dates:  "month reported on (the month of the day given)",
	// 30 a page: a report's row carries its files and deliveries, and 50
	// made the SSC's page 4,719 px tall at a million Devices, at the edge
	// of the 5,000 px the pages keep to.
	PageSize: 30,
}

// ParseList reads a request for the list of reports, checking the month.
func ParseList(q url.Values) (listing.Request, error) {
	req, err := ListSpec.Parse(q)
	if err != nil {
		return req, err
	}
	if m := req.Facet("month"); m != "" {
		if _, err := ParseMonth(m); err != nil {
			return req, errs.FieldError("month", "%v", err)
		}
	}
	return req, nil
}

// ListHeader is the header of the report list's CSV export.
var ListHeader = []string{"id", "reference", "kind", "month", "version", "recipient", "title", "classification", "digest", "created_at"}

// CSV is the report as a row of the export (ISO times).
func (r Report) CSV() []string {
	to := ""
	if r.Recipient != nil {
		to = r.Recipient.Code
	}
	return []string{strconv.FormatInt(r.ID, 10), r.Reference, string(r.Kind), r.Month.String(), strconv.Itoa(r.Version), to,
		r.Title, string(r.Classification), r.Digest, r.CreatedAt.UTC().Format(time.RFC3339)}
}

// ListEntry is a report as the JSON export gives it: the list's columns,
// without the files and delivery records (GET /api/v1/reports/{id} has
// them).
type ListEntry struct {
	ID             int64   `json:"id"`
	Reference      string  `json:"reference"`
	Kind           Kind    `json:"kind"`
	Month          Month   `json:"month"`
	Version        int     `json:"version"`
	Recipient      *OrgRef `json:"recipient,omitempty"`
	Title          string  `json:"title"`
	Classification string  `json:"classification"`
	Digest         string  `json:"digest"`
	CreatedAt      string  `json:"created_at"`
}

func (r Report) entry() ListEntry {
	return ListEntry{ID: r.ID, Reference: r.Reference, Kind: r.Kind, Month: r.Month, Version: r.Version, Recipient: r.Recipient,
		Title: r.Title, Classification: string(r.Classification), Digest: r.Digest, CreatedAt: r.CreatedAt.UTC().Format(time.RFC3339)}
}

func listWhere(c access.Caller, args *access.Args, req listing.Request) string {
	where := []string{visible(c, args)}
	if k := req.Facet("kind"); k != "" {
		where = append(where, "r.kind = "+args.Add(k))
	}
	if cl := req.Facet("classification"); cl != "" {
		where = append(where, "r.classification = "+args.Add(cl))
	}
	if o := req.Facet("org"); o != "" {
		where = append(where, "o.code = "+args.Add(strings.ToUpper(o)))
	}
	if m := req.Facet("month"); m != "" {
		where = append(where, "r.month = "+args.Add(m))
	}
	if b := req.Bool("mailed"); b != nil {
		not := ""
		if !*b {
			not = "NOT "
		}
		where = append(where, not+"EXISTS (SELECT 1 FROM report_deliveries d WHERE d.report_id = r.id)")
	}
	if req.Q != "" {
		like := args.Add(listing.Like(req.Q))
		where = append(where, "(lower(r.reference) LIKE "+like+" ESCAPE '\\' OR lower(r.title) LIKE "+like+" ESCAPE '\\')")
	}
	if !req.From.IsZero() {
		where = append(where, "r.month >= "+args.Add(MonthOf(req.From).String()))
	}
	if !req.To.IsZero() {
		where = append(where, "r.month <= "+args.Add(MonthOf(req.To).String()))
	}
	return strings.Join(where, " AND ")
}

func (s *Service) listQuery(c access.Caller) listing.Query[Report] {
	return listing.Query[Report]{
		What:    "list reports",
		Columns: func(*access.Args) string { return reportColumns },
		From:    " FROM reports r LEFT JOIN organisations o ON o.id = r.recipient_org_id",
		Where:   func(args *access.Args, req listing.Request) string { return listWhere(c, args, req) },
		Scan:    func(sc listing.Scanner) (Report, error) { return scanReport(sc) },
		Key: func(r Report, req listing.Request) (any, int64) {
			switch req.Sort.Name {
			case "reference":
				return r.Reference, r.ID
			case "kind":
				return string(r.Kind), r.ID
			case "recipient":
				if r.Recipient == nil {
					return "", r.ID
				}
				return r.Recipient.Code, r.ID
			case "created_at":
				return r.CreatedAt, r.ID
			}
			return r.Month.String(), r.ID
		},
	}
}

// ListPage is one page of the reports the caller may see, with the total
// the filters match; each report carries its files' digests and its
// delivery record.
func (s *Service) ListPage(ctx context.Context, c access.Caller, req listing.Request) (listing.Page[Report], error) {
	if !c.SignedIn() {
		return listing.Page[Report]{}, errs.E(errs.Unauthenticated, "sign in to see reports")
	}
	var page listing.Page[Report]
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		var err error
		if page, err = s.listQuery(c).Page(ctx, tx, req); err != nil {
			return err
		}
		return attach(ctx, tx, page.Items)
	})
	return page, err
}

// Export writes every report the caller may see that the filters match to
// w, row by row (without files and deliveries: see ListEntry).
func (s *Service) Export(ctx context.Context, c access.Caller, req listing.Request, w listing.Writer) error {
	if !c.SignedIn() {
		return errs.E(errs.Unauthenticated, "sign in to see reports")
	}
	return s.DB.Read(ctx, c, func(tx *store.Tx) error {
		return s.listQuery(c).Each(ctx, tx, req.Export(), func(r Report) error { return w.Row(r.CSV(), r.entry()) })
	})
}

// RunSpec is what the list of report runs accepts: sorted by these
// columns, filtered by scope, what started the run and whether it was a
// forced new version, and a range of months.
var RunSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "month", Label: "Month", Expr: "month", Kind: listing.Text},
		{Name: "scope", Label: "Scope", Expr: "scope", Kind: listing.Text},
		{Name: "version", Label: "Version", Expr: "version", Kind: listing.Int},
		{Name: "reports", Label: "Reports", Expr: "reports", Kind: listing.Int},
		{Name: "created_at", Label: "When", Expr: "created_at", Kind: listing.Time},
	},
	Default: "-month",
	ID:      "id",
	Facets: []listing.Facet{
		{Name: "scope", Description: "only runs of the monthly mailing or of the standing report", Enum: []string{string(Monthly), string(Standing)}},
		{Name: "trigger", Description: "only runs started so", Enum: triggers},
		{Name: "forced", Description: "true for forced new versions only, false for first versions only", Type: "boolean"},
	},
	Dates: "month generated for (the month of the day given)",
}

// RunHeader is the header of the run list's CSV export.
var RunHeader = []string{"id", "scope", "month", "version", "trigger", "forced", "reports", "snapshot_taken_at", "snapshot_late", "digest", "created_at", "created_by"}

// CSV is the run as a row of the export (ISO times).
func (r Run) CSV() []string {
	taken, late := "", ""
	if r.Snapshot != nil {
		taken, late = r.Snapshot.TakenAt.UTC().Format(time.RFC3339), strconv.FormatBool(r.Snapshot.Late)
	}
	return []string{strconv.FormatInt(r.ID, 10), string(r.Scope), r.Month.String(), strconv.Itoa(r.Version), string(r.Trigger),
		strconv.FormatBool(r.Forced), strconv.Itoa(r.Reports), taken, late, r.Digest, r.CreatedAt.UTC().Format(time.RFC3339), r.CreatedBy}
}

func runWhere(args *access.Args, req listing.Request) string {
	where := []string{"TRUE"}
	if v := req.Facet("scope"); v != "" {
		where = append(where, "scope = "+args.Add(v))
	}
	if v := req.Facet("trigger"); v != "" {
		where = append(where, "trigger_by = "+args.Add(v))
	}
	if b := req.Bool("forced"); b != nil {
		where = append(where, "forced = "+args.Add(*b))
	}
	if !req.From.IsZero() {
		where = append(where, "month >= "+args.Add(MonthOf(req.From).String()))
	}
	if !req.To.IsZero() {
		where = append(where, "month <= "+args.Add(MonthOf(req.To).String()))
	}
	return strings.Join(where, " AND ")
}

var runQuery = listing.Query[Run]{
	What:    "list runs",
	Columns: func(*access.Args) string { return runColumns },
	From:    " FROM report_runs",
	Where:   runWhere,
	Scan:    func(sc listing.Scanner) (Run, error) { return scanRun(sc) },
	Key: func(r Run, req listing.Request) (any, int64) {
		switch req.Sort.Name {
		case "scope":
			return string(r.Scope), r.ID
		case "version":
			return int64(r.Version), r.ID
		case "reports":
			return int64(r.Reports), r.ID
		case "created_at":
			return r.CreatedAt, r.ID
		}
		return r.Month.String(), r.ID
	},
}

// RunPage is one page of the report runs, for the SSC and the secretariat.
func (s *Service) RunPage(ctx context.Context, c access.Caller, req listing.Request) (listing.Page[Run], error) {
	if !MayRun(c) {
		return listing.Page[Run]{}, errs.E(errs.Forbidden, "only the SSC and its secretariat see the list of report runs")
	}
	var page listing.Page[Run]
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		var err error
		page, err = runQuery.Page(ctx, tx, req)
		return err
	})
	return page, err
}

// ExportRuns writes every run the filters match to w, row by row.
func (s *Service) ExportRuns(ctx context.Context, c access.Caller, req listing.Request, w listing.Writer) error {
	if !MayRun(c) {
		return errs.E(errs.Forbidden, "only the SSC and its secretariat see the list of report runs")
	}
	return s.DB.Read(ctx, c, func(tx *store.Tx) error {
		return runQuery.Export(ctx, tx, req, w, Run.CSV)
	})
}
