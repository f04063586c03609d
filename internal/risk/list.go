package risk

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

// ListSpec is what the risk register's list accepts (issue 15): sorted by
// these columns, filtered by band, likelihood, impact, owner, marking and
// whether the review is due, q over the title, description and owner, and
// a range of review dates.
var ListSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "score", Label: "Score", Expr: "(r.likelihood * r.impact)", Kind: listing.Int},
		{Name: "title", Label: "Risk", Expr: "r.title", Kind: listing.Text},
		{Name: "owner", Label: "Owner", Expr: "r.owner", Kind: listing.Text},
		{Name: "likelihood", Label: "Likelihood", Expr: "r.likelihood", Kind: listing.Int},
		{Name: "impact", Label: "Impact", Expr: "r.impact", Kind: listing.Int},
		{Name: "review_date", Label: "Review by", Expr: "r.review_date", Kind: listing.Date},
		{Name: "updated_at", Label: "Updated", Expr: "r.updated_at", Kind: listing.Time},
	},
	Default: "-score",
	ID:      "r.id",
	Facets: []listing.Facet{
		{Name: "band", Description: "only risks whose score falls in this scoring band (its name, as GET /api/v1/risks lists the bands)"},
		{Name: "likelihood", Description: "only risks of this likelihood level (1 to 5)", Enum: levels()},
		{Name: "impact", Description: "only risks of this impact (1 to 5)", Enum: levels()},
		{Name: "owner", Description: "only risks with this owner"},
		{Name: "classification", Description: "only risks of this marking", Enum: listing.Enum(sec.Classifications)},
		{Name: "review_due", Description: "true for risks whose review date has come (today or earlier), false for the others", Type: "boolean"},
	},
	Search: "text in the title, description or owner",
	Dates:  "review date",
}

func levels() []string { return []string{"1", "2", "3", "4", "5"} }

// Page is one page of the register with the total the filters match, the
// scales to read it and, for the heat map, how many of the matching risks
// (on every page) sit in each cell.
type Page struct {
	listing.Page[Risk]
	Likelihoods []Likelihood `json:"likelihoods"`
	Bands       []Band       `json:"bands"`
	// Cells count the matching risks by likelihood and impact.
	Cells []Cell `json:"cells"`
}

// Cell is one likelihood × impact cell of the heat map with its risks.
type Cell struct {
	Likelihood int `json:"likelihood"`
	Impact     int `json:"impact"`
	Risks      int `json:"risks"`
}

// CSVHeader is the header of the register's CSV export.
var CSVHeader = []string{"id", "title", "description", "owner", "likelihood", "impact", "score", "band", "treatment", "review_date", "classification", "updated_at"}

// CSV is the risk as a row of the export (ISO dates).
func (k Risk) CSV() []string {
	return []string{strconv.FormatInt(k.ID, 10), k.Title, k.Description, k.Owner, strconv.Itoa(k.Likelihood), strconv.Itoa(k.Impact),
		strconv.Itoa(k.Score), k.Band, k.Treatment, k.ReviewDate.String(), string(k.Classification), k.UpdatedAt.UTC().Format(time.RFC3339)}
}

func listWhere(c access.Caller, args *access.Args, req listing.Request, bands []Band, today sec.Date) string {
	where := []string{c.Visible(args, Kind, "r")}
	if b := req.Facet("band"); b != "" {
		cond := "FALSE"
		for _, band := range bands {
			if strings.EqualFold(band.Name, b) {
				cond = "(r.likelihood * r.impact) BETWEEN " + args.Add(band.MinScore) + " AND " + args.Add(band.MaxScore)
			}
		}
		where = append(where, cond)
	}
	for _, f := range []string{"likelihood", "impact"} {
		if v := req.Facet(f); v != "" {
			n, _ := strconv.Atoi(v)
			where = append(where, "r."+f+" = "+args.Add(n))
		}
	}
	if o := req.Facet("owner"); o != "" {
		where = append(where, "lower(r.owner) = "+args.Add(strings.ToLower(o)))
	}
	if cl := req.Facet("classification"); cl != "" {
		where = append(where, "r.classification = "+args.Add(cl))
	}
	if due := req.Bool("review_due"); due != nil {
		op := " <= "
		if !*due {
			op = " > "
		}
		where = append(where, "r.review_date"+op+args.Add(today.String()))
	}
	if req.Q != "" {
		like := args.Add(listing.Like(req.Q))
		where = append(where, "(lower(r.title) LIKE "+like+" ESCAPE '\\' OR lower(r.description) LIKE "+like+" ESCAPE '\\' OR lower(r.owner) LIKE "+like+" ESCAPE '\\')")
	}
	if !req.From.IsZero() {
		where = append(where, "r.review_date >= "+args.Add(req.From.String()))
	}
	if !req.To.IsZero() {
		where = append(where, "r.review_date <= "+args.Add(req.To.String()))
	}
	return strings.Join(where, " AND ")
}

const listFrom = " FROM ssc_risks r"

func listQuery(c access.Caller, bands []Band, today sec.Date) listing.Query[Risk] {
	return listing.Query[Risk]{
		What: "list risks",
		Columns: func(*access.Args) string {
			return "r.id, r.title, r.description, r.owner, r.likelihood, r.impact, r.treatment, r.review_date, r.classification, r.meeting_item_id, r.updated_at"
		},
		From:  listFrom,
		Where: func(args *access.Args, req listing.Request) string { return listWhere(c, args, req, bands, today) },
		Scan:  func(sc listing.Scanner) (Risk, error) { return scanRisk(sc, bands) },
		Key: func(k Risk, req listing.Request) (any, int64) {
			switch req.Sort.Name {
			case "title":
				return k.Title, k.ID
			case "owner":
				return k.Owner, k.ID
			case "likelihood":
				return int64(k.Likelihood), k.ID
			case "impact":
				return int64(k.Impact), k.ID
			case "review_date":
				return k.ReviewDate, k.ID
			case "updated_at":
				return k.UpdatedAt, k.ID
			}
			return int64(k.Score), k.ID
		},
	}
}

// ListPage is one page of the register as the caller may see it, with the
// scales and the heat map's counts of every risk the filters match.
func (s *Service) ListPage(ctx context.Context, c access.Caller, req listing.Request) (Page, error) {
	var out Page
	if !c.SignedIn() {
		return out, errs.E(errs.Unauthenticated, "sign in to see the risk register")
	}
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		var err error
		if out.Likelihoods, out.Bands, err = scales(ctx, tx); err != nil {
			return err
		}
		today := sec.DateOf(tx.Now)
		if out.Page, err = listQuery(c, out.Bands, today).Page(ctx, tx, req); err != nil {
			return err
		}
		var args access.Args
		rows, err := tx.QueryContext(ctx, "SELECT r.likelihood, r.impact, count(*)"+listFrom+" WHERE "+listWhere(c, &args, req, out.Bands, today)+
			" GROUP BY r.likelihood, r.impact ORDER BY r.likelihood DESC, r.impact", args...)
		if err != nil {
			return errs.Wrap(err, "risk heat map")
		}
		defer rows.Close()
		out.Cells = []Cell{}
		for rows.Next() {
			var cell Cell
			if err := rows.Scan(&cell.Likelihood, &cell.Impact, &cell.Risks); err != nil {
				return errs.Wrap(err, "risk heat map")
			}
			out.Cells = append(out.Cells, cell)
		}
		return errs.Wrap(rows.Err(), "risk heat map")
	})
	return out, err
}

// Export writes every risk the caller may see that the filters match to w,
// row by row.
func (s *Service) Export(ctx context.Context, c access.Caller, req listing.Request, w listing.Writer) error {
	if !c.SignedIn() {
		return errs.E(errs.Unauthenticated, "sign in to see the risk register")
	}
	return s.DB.Read(ctx, c, func(tx *store.Tx) error {
		_, bands, err := scales(ctx, tx)
		if err != nil {
			return err
		}
		return listQuery(c, bands, sec.DateOf(tx.Now)).Export(ctx, tx, req, w, Risk.CSV)
	})
}
