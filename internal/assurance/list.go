package assurance

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// ListSpec is what the assessment list accepts (issue 15), on the shared
// paging core: sorted by these columns, filtered by party, plan year, state
// and type. "after", the former cursor (the id of the last assessment
// shown, newest first), still works in the default order.
var ListSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "id", Label: "Assessment", Expr: "a.id", Kind: listing.Int},
		{Name: "party", Label: "Party", Expr: "o.code", Kind: listing.Text},
		{Name: "type", Label: "Type", Expr: "a.type", Kind: listing.Text},
		{Name: "year", Label: "Year", Expr: "a.year", Kind: listing.Int},
		{Name: "state", Label: "State", Expr: "a.state", Kind: listing.Text},
	},
	Default: "-id",
	ID:      "a.id",
	Facets: []listing.Facet{
		{Name: "party", Description: "only assessments of this organisation code"},
		{Name: "year", Description: "only assessments of this plan year", Type: "integer"},
		{Name: "state", Description: "only assessments in this state", Enum: listing.Enum(sec.AssessmentLifecycle.States())},
		{Name: "type", Description: "only FUSA, VUSA or SSA", Enum: listing.Enum(sec.AssessmentTypes)},
		{Name: "after", Description: "the former cursor: only assessments with an id below this (use cursor instead)", Type: "integer"},
	},
}

// CSVHeader is the header of the assessment list's CSV export.
var CSVHeader = []string{"id", "title", "party", "role", "type", "year", "year_in_cycle", "state", "outcome", "classification", "updated_at"}

// CSV is the assessment as a row of the export (ISO dates).
func (a Assessment) CSV() []string {
	outcome := ""
	if a.Outcome != nil {
		outcome = a.Outcome.Label
	}
	return []string{strconv.FormatInt(a.ID, 10), a.Title, a.Party, string(a.Role), string(a.Type), strconv.Itoa(a.Year),
		strconv.Itoa(a.YearInCycle), string(a.State), outcome, string(a.Classification), a.UpdatedAt.UTC().Format(time.RFC3339)}
}

func listWhere(c access.Caller, args *access.Args, req listing.Request) string {
	where := []string{visible(c, args)}
	if p := strings.ToUpper(req.Facet("party")); p != "" {
		where = append(where, "o.code = "+args.Add(p))
	}
	if y := req.Facet("year"); y != "" {
		n, _ := strconv.Atoi(y)
		where = append(where, "a.year = "+args.Add(n))
	}
	if st := req.Facet("state"); st != "" {
		where = append(where, "a.state = "+args.Add(st))
	}
	if t := req.Facet("type"); t != "" {
		where = append(where, "a.type = "+args.Add(t))
	}
	if a := req.Facet("after"); a != "" {
		n, _ := strconv.ParseInt(a, 10, 64)
		where = append(where, "a.id < "+args.Add(n))
	}
	return strings.Join(where, " AND ")
}

// listQuery is the assessment list's SQL as the caller sees it.
func (s *Service) listQuery(c access.Caller) listing.Query[Assessment] {
	return listing.Query[Assessment]{
		What:    "list assessments",
		Columns: func(args *access.Args) string { return assessmentCols(c, args) },
		From:    assessmentFrom,
		Where:   func(args *access.Args, req listing.Request) string { return listWhere(c, args, req) },
		Scan:    func(r listing.Scanner) (Assessment, error) { return scanAssessment(r, s) },
		Key: func(a Assessment, req listing.Request) (any, int64) {
			switch req.Sort.Name {
			case "party":
				return a.Party, a.ID
			case "type":
				return string(a.Type), a.ID
			case "year":
				return int64(a.Year), a.ID
			case "state":
				return string(a.State), a.ID
			}
			return a.ID, a.ID
		},
	}
}

// ListPage is one page of the assessments the caller may see, with the
// total the filters match.
func (s *Service) ListPage(ctx context.Context, c access.Caller, req listing.Request) (listing.Page[Assessment], error) {
	var page listing.Page[Assessment]
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		var err error
		page, err = s.listQuery(c).Page(ctx, tx, req)
		return err
	})
	return page, err
}

// Export writes every assessment the caller may see that the filters match
// to w, row by row.
func (s *Service) Export(ctx context.Context, c access.Caller, req listing.Request, w listing.Writer) error {
	return s.DB.Read(ctx, c, func(tx *store.Tx) error {
		return s.listQuery(c).Export(ctx, tx, req, w, Assessment.CSV)
	})
}
