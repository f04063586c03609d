package vuln

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// PlanSpec is what the lists of rectification plans accept (issue 15), all
// of them (GET /api/v1/rectification-plans, /rectification-plans) and one
// vulnerability's: sorted by these columns, filtered by state, what is due
// (the dashboard's counts: due=soon, due=overdue), the Supplier that owns
// the plan, the vulnerability, whether it is open and the marking, q over
// the vulnerability's reference and title and the steps, and a range of
// declared completion dates.
var PlanSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "declared_completion", Label: "Declared completion", Expr: "COALESCE(p.declared_completion, " + noDateSQL + ")", Kind: listing.Date},
		{Name: "next_update_due", Label: "Next update", Expr: "COALESCE(p.next_update_due, " + noDateSQL + ")", Kind: listing.Date},
		{Name: "vulnerability", Label: "Vulnerability", Expr: "v.ref", Kind: listing.Text},
		{Name: "supplier", Label: "Owner", Expr: "o.code", Kind: listing.Text},
		{Name: "state", Label: "State", Expr: "p.state", Kind: listing.Text},
		{Name: "updated_at", Label: "Updated", Expr: "p.updated_at", Kind: listing.Time},
	},
	Default: "declared_completion",
	ID:      "p.id",
	Facets: []listing.Facet{
		{Name: "state", Description: "only plans in this state", Enum: listing.Enum(sec.PlanLifecycle.States())},
		{Name: "due", Description: "soon: plans not completed nor overdue whose declared completion or next update falls within " +
			strconv.Itoa(DueSoonDays) + " days, on open vulnerabilities; overdue: plans marked overdue on open vulnerabilities (the dashboard's two counts)", Enum: []string{"soon", "overdue"}},
		{Name: "supplier", Description: "only plans of this organisation (its code): the Supplier, or the DCC, that owns the plan"},
		{Name: "vulnerability", Description: "only the plans of this vulnerability (its reference)"},
		{Name: "open", Description: "true for plans on open vulnerabilities only, false for closed ones only", Type: "boolean"},
		{Name: "classification", Description: "only plans of this marking", Enum: listing.Enum(sec.Classifications)},
	},
	Search: "text in the vulnerability's reference or title, or the plan's steps",
	Dates:  "declared completion date",
}

// noDate stands for a plan without the date when sorting on it: after
// every real date.
var noDate = sec.NewDate(9999, 12, 31)

const noDateSQL = "'9999-12-31'"

// planDueSoon is the SQL condition that plan p (of vulnerability v) is due
// within DueSoonDays of today: what the dashboard counts as plans due.
func planDueSoon(args *access.Args, today sec.Date) string {
	soon := args.Add(today.AddDays(DueSoonDays))
	return "(p.state NOT IN ('draft', 'completed', 'overdue') AND (p.declared_completion <= " + soon + " OR p.next_update_due <= " + soon + ") AND " + openVuln + ")"
}

// planOverdue is the SQL condition that plan p is overdue on an open
// vulnerability v: what the dashboard counts as overdue plans.
const planOverdue = "(p.state = 'overdue' AND " + openVuln + ")"

// PlanCSVHeader is the header of the plan lists' CSV export.
var PlanCSVHeader = []string{"id", "vulnerability", "owner", "state", "classification", "declared_completion", "next_update_due", "revision",
	"escalations", "submitted_at", "completed_at", "overdue_since", "updated_at", "steps"}

// CSV is the plan as a row of the export (ISO dates).
func (p Plan) CSV() []string {
	date := func(d sec.Date) string {
		if d.IsZero() {
			return ""
		}
		return d.String()
	}
	at := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	return []string{strconv.FormatInt(p.ID, 10), p.VulnRef, p.Owner.Code, string(p.State), string(p.Classification), date(p.DeclaredCompletion),
		date(p.NextUpdateDue), strconv.Itoa(p.Revision), strconv.Itoa(p.Escalations), at(p.SubmittedAt), at(p.CompletedAt), at(p.OverdueSince),
		p.updatedAt.UTC().Format(time.RFC3339), p.Steps}
}

func planWhere(c access.Caller, args *access.Args, req listing.Request, today sec.Date) string {
	where := []string{visibleVuln(args, c, "v"), visiblePlan(args, c, "p")}
	if st := req.Facet("state"); st != "" {
		where = append(where, "p.state = "+args.Add(st))
	}
	switch req.Facet("due") {
	case "soon":
		where = append(where, planDueSoon(args, today))
	case "overdue":
		where = append(where, planOverdue)
	}
	if o := req.Facet("supplier"); o != "" {
		where = append(where, "o.code = "+args.Add(strings.ToUpper(o)))
	}
	if r := req.Facet("vulnerability"); r != "" {
		where = append(where, "v.ref = "+args.Add(normRef(r)))
	}
	if open := req.Bool("open"); open != nil {
		cond := openVuln
		if !*open {
			cond = "NOT (" + openVuln + ")"
		}
		where = append(where, cond)
	}
	if cl := req.Facet("classification"); cl != "" {
		where = append(where, "p.classification = "+args.Add(cl))
	}
	if req.Q != "" {
		like := args.Add(listing.Like(req.Q))
		where = append(where, "(lower(v.ref) LIKE "+like+" ESCAPE '\\' OR lower(v.title) LIKE "+like+" ESCAPE '\\' OR lower(p.steps) LIKE "+like+" ESCAPE '\\')")
	}
	if !req.From.IsZero() {
		where = append(where, "p.declared_completion >= "+args.Add(req.From.String()))
	}
	if !req.To.IsZero() {
		where = append(where, "p.declared_completion <= "+args.Add(req.To.String()))
	}
	return strings.Join(where, " AND ")
}

func planQuery(c access.Caller, today sec.Date) listing.Query[Plan] {
	return listing.Query[Plan]{
		What:    "list plans",
		Columns: func(args *access.Args) string { return planColumns(args, c) },
		From:    planFrom,
		Where:   func(args *access.Args, req listing.Request) string { return planWhere(c, args, req, today) },
		Scan:    func(r listing.Scanner) (Plan, error) { return scanPlan(r) },
		Key: func(p Plan, req listing.Request) (any, int64) {
			orNone := func(d sec.Date) sec.Date {
				if d.IsZero() {
					return noDate
				}
				return d
			}
			switch req.Sort.Name {
			case "next_update_due":
				return orNone(p.NextUpdateDue), p.ID
			case "vulnerability":
				return p.VulnRef, p.ID
			case "supplier":
				return p.Owner.Code, p.ID
			case "state":
				return string(p.State), p.ID
			case "updated_at":
				return p.updatedAt, p.ID
			}
			return orNone(p.DeclaredCompletion), p.ID
		},
	}
}

// PlanPage is one page of the rectification plans the caller may see, each
// with its revisions and the moves the caller may make, and the total the
// filters match. With ref, only that vulnerability's plans: a
// vulnerability the caller may not see is not found.
func (s *Service) PlanPage(ctx context.Context, c access.Caller, ref string, req listing.Request) (listing.Page[Plan], error) {
	var page listing.Page[Plan]
	if !c.SignedIn() {
		return page, errs.E(errs.Unauthenticated, "sign in to see rectification plans")
	}
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		today := s.today(tx.Now)
		if ref != "" {
			v, err := findVuln(ctx, tx, c, ref, false)
			if err != nil {
				return err
			}
			req = withFacet(req, "vulnerability", v.Ref)
		}
		var err error
		if page, err = planQuery(c, today).Page(ctx, tx, req); err != nil {
			return err
		}
		return planDetails(ctx, tx, c, page.Items)
	})
	return page, err
}

// ExportPlans writes every rectification plan the caller may see that the
// filters match (with ref, of that vulnerability) to w, row by row,
// without their revisions.
func (s *Service) ExportPlans(ctx context.Context, c access.Caller, ref string, req listing.Request, w listing.Writer) error {
	if !c.SignedIn() {
		return errs.E(errs.Unauthenticated, "sign in to see rectification plans")
	}
	return s.DB.Read(ctx, c, func(tx *store.Tx) error {
		today := s.today(tx.Now)
		if ref != "" {
			v, err := findVuln(ctx, tx, c, ref, false)
			if err != nil {
				return err
			}
			req = withFacet(req, "vulnerability", v.Ref)
		}
		return planQuery(c, today).Export(ctx, tx, req, w, Plan.CSV)
	})
}

// withFacet is req with one facet set, leaving the caller's request as it
// was.
func withFacet(req listing.Request, name, value string) listing.Request {
	f := make(map[string]string, len(req.Facets)+1)
	for k, v := range req.Facets {
		f[k] = v
	}
	f[name] = value
	req.Facets = f
	return req
}
