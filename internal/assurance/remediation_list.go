package assurance

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// PlanSpec is what the remediation plan list accepts (issue 15): sorted by
// these columns, filtered by state, overdue (the dashboard's count), party,
// assessment and marking, q over the plan's and the assessment's titles,
// and a range of next update dates. "after", the former cursor (the id of
// the last plan shown, newest first), still works in the default order.
var PlanSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "id", Label: "Plan", Expr: "p.id", Kind: listing.Int},
		{Name: "title", Label: "Plan", Expr: "p.title", Kind: listing.Text},
		{Name: "party", Label: "Party", Expr: "o.code", Kind: listing.Text},
		{Name: "state", Label: "State", Expr: "p.state", Kind: listing.Text},
		{Name: "next_update", Label: "Next update", Expr: "COALESCE(p.next_update, " + noUpdateSQL + ")", Kind: listing.Date},
		{Name: "updated_at", Label: "Updated", Expr: "p.updated_at", Kind: listing.Time},
	},
	Default: "-id",
	ID:      "p.id",
	Facets: []listing.Facet{
		{Name: "state", Description: "only plans in this state", Enum: listing.Enum(sec.RemediationLifecycle.States())},
		{Name: "overdue", Description: "true for plans overdue or past their agreed next update (the dashboard's count), false for the others", Type: "boolean"},
		{Name: "party", Description: "only plans of this organisation code"},
		{Name: "assessment", Description: "only plans of this assessment (its id)", Type: "integer"},
		{Name: "classification", Description: "only plans of this marking", Enum: listing.Enum(sec.Classifications)},
		{Name: "after", Description: "the former cursor: only plans with an id below this (use cursor instead)", Type: "integer"},
	},
	Search: "text in the plan's or the assessment's title",
	Dates:  "agreed next update date",
}

// noUpdate stands for a plan with no agreed next update when sorting on
// it: after every real date.
var noUpdate = sec.NewDate(9999, 12, 31)

const noUpdateSQL = "'9999-12-31'"

// planOverdue is the SQL condition that plan p is overdue on today: the
// periodic check has marked it, or its agreed next update has passed (the
// dashboard counts the same).
func planOverdue(args *access.Args, today sec.Date) string {
	return "(p.state = '" + string(sec.RemediationOverdue) + "' OR (p.state = '" + string(sec.RemediationAgreed) + "' AND p.next_update < " + args.Add(today) + "))"
}

// PlanCSVHeader is the header of the plan list's CSV export.
var PlanCSVHeader = []string{"id", "title", "assessment_id", "assessment", "party", "state", "overdue", "next_update", "classification", "updated_at"}

// CSV is the plan as a row of the export (ISO dates).
func (p Plan) CSV() []string {
	next := ""
	if !p.NextUpdate.IsZero() {
		next = p.NextUpdate.String()
	}
	return []string{strconv.FormatInt(p.ID, 10), p.Title, strconv.FormatInt(p.AssessmentID, 10), p.Assessment, p.Party, string(p.State),
		strconv.FormatBool(p.Overdue), next, string(p.Classification), p.UpdatedAt.UTC().Format(time.RFC3339)}
}

func planWhere(c access.Caller, args *access.Args, req listing.Request, today sec.Date) string {
	where := []string{planVisible(c, args)}
	if st := req.Facet("state"); st != "" {
		where = append(where, "p.state = "+args.Add(st))
	}
	if o := req.Bool("overdue"); o != nil {
		cond := planOverdue(args, today)
		if !*o {
			cond = "NOT " + cond
		}
		where = append(where, cond)
	}
	if p := req.Facet("party"); p != "" {
		where = append(where, "o.code = "+args.Add(strings.ToUpper(p)))
	}
	if a := req.Facet("assessment"); a != "" {
		n, _ := strconv.ParseInt(a, 10, 64)
		where = append(where, "p.assessment_id = "+args.Add(n))
	}
	if cl := req.Facet("classification"); cl != "" {
		where = append(where, "p.classification = "+args.Add(cl))
	}
	if a := req.Facet("after"); a != "" {
		n, _ := strconv.ParseInt(a, 10, 64)
		where = append(where, "p.id < "+args.Add(n))
	}
	if req.Q != "" {
		like := args.Add(listing.Like(req.Q))
		where = append(where, "(lower(p.title) LIKE "+like+" ESCAPE '\\' OR lower(a.title) LIKE "+like+" ESCAPE '\\')")
	}
	if !req.From.IsZero() {
		where = append(where, "p.next_update >= "+args.Add(req.From.String()))
	}
	if !req.To.IsZero() {
		where = append(where, "p.next_update <= "+args.Add(req.To.String()))
	}
	return strings.Join(where, " AND ")
}

func planQuery(c access.Caller, today sec.Date) listing.Query[Plan] {
	return listing.Query[Plan]{
		What:    "list plans",
		Columns: func(*access.Args) string { return planCols },
		From:    planFrom,
		Where:   func(args *access.Args, req listing.Request) string { return planWhere(c, args, req, today) },
		Scan:    func(r listing.Scanner) (Plan, error) { return scanPlan(r, today) },
		Key: func(p Plan, req listing.Request) (any, int64) {
			switch req.Sort.Name {
			case "title":
				return p.Title, p.ID
			case "party":
				return p.Party, p.ID
			case "state":
				return string(p.State), p.ID
			case "next_update":
				if p.NextUpdate.IsZero() {
					return noUpdate, p.ID
				}
				return p.NextUpdate, p.ID
			case "updated_at":
				return p.UpdatedAt, p.ID
			}
			return p.ID, p.ID
		},
	}
}

// PlanListPage is one page of the remediation plans the caller may see,
// with the total the filters match.
func (s *Service) PlanListPage(ctx context.Context, c access.Caller, req listing.Request) (listing.Page[Plan], error) {
	var page listing.Page[Plan]
	today := s.today(time.Now())
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		var err error
		page, err = planQuery(c, today).Page(ctx, tx, req)
		return err
	})
	return page, err
}

// ExportPlans writes every remediation plan the caller may see that the
// filters match to w, row by row.
func (s *Service) ExportPlans(ctx context.Context, c access.Caller, req listing.Request, w listing.Writer) error {
	today := s.today(time.Now())
	return s.DB.Read(ctx, c, func(tx *store.Tx) error {
		return planQuery(c, today).Export(ctx, tx, req, w, Plan.CSV)
	})
}

// planRequest is the former filter as a request on the core.
func planRequest(f PlanFilter) (listing.Request, error) {
	q := url.Values{}
	if f.Assessment != 0 {
		q.Set("assessment", strconv.FormatInt(f.Assessment, 10))
	}
	if f.Overdue {
		q.Set("overdue", "true")
	}
	if f.After > 0 {
		q.Set("after", strconv.FormatInt(f.After, 10))
	}
	if f.Limit <= 0 || f.Limit > MaxPage {
		f.Limit = 50
	}
	q.Set("limit", strconv.Itoa(f.Limit))
	return PlanSpec.Parse(q)
}
