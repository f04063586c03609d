package impracticable

import (
	"context"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
)

// ListSpec is what the list of records of impracticability accepts (issue
// 15): newest first, sorted by its columns, filtered by state, Supplier,
// manufacturer, marking and the day recorded, searched in the reference and
// the reason. The records name no Device model (a record is per Supplier and
// manufacturer), so there is no model filter.
var ListSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "reference", Label: "Reference", Expr: "i.id", Kind: listing.Int},
		{Name: "supplier", Label: "Supplier", Expr: "s.code", Kind: listing.Text},
		{Name: "manufacturer", Label: "Manufacturer", Expr: "m.code", Kind: listing.Text},
		{Name: "state", Label: "State", Expr: "i.state", Kind: listing.Text},
		{Name: "recorded_on", Label: "Recorded", Expr: "i.recorded_on", Kind: listing.Date},
	},
	Default: "-reference",
	ID:      "i.id",
	Facets: []listing.Facet{
		{Name: "state", Description: "only records in this state", Enum: states()},
		{Name: "supplier", Description: "only this Supplier's records (its organisation code)"},
		{Name: "manufacturer", Description: "only records about this manufacturer (its organisation code)"},
		{Name: "classification", Description: "only records with this marking", Enum: classifications()},
	},
	Search: "text in the reference or the reason",
	Dates:  "the day it was recorded",
}

func states() []string {
	out := make([]string, len(sec.ImpracticableStates))
	for i, st := range sec.ImpracticableStates {
		out[i] = string(st)
	}
	return out
}

func classifications() []string {
	out := make([]string, len(sec.Classifications))
	for i, c := range sec.Classifications {
		out[i] = string(c)
	}
	return out
}

func listWhere(c access.Caller, args *access.Args, req listing.Request) string {
	where := []string{c.Visible(args, RecordKind, "i", "i.supplier_id")}
	if v := req.Facet("state"); v != "" {
		where = append(where, "i.state = "+args.Add(v))
	}
	if v := req.Facet("supplier"); v != "" {
		where = append(where, "s.code = "+args.Add(strings.ToUpper(v)))
	}
	if v := req.Facet("manufacturer"); v != "" {
		where = append(where, "m.code = "+args.Add(strings.ToUpper(v)))
	}
	if v := req.Facet("classification"); v != "" {
		where = append(where, "i.classification = "+args.Add(v))
	}
	if req.Q != "" {
		like := args.Add(listing.Like(req.Q))
		where = append(where, "(lower(i.reference) LIKE "+like+" ESCAPE '\\' OR lower(i.reason) LIKE "+like+" ESCAPE '\\')")
	}
	if !req.From.IsZero() {
		where = append(where, "i.recorded_on >= "+args.Add(req.From))
	}
	if !req.To.IsZero() {
		where = append(where, "i.recorded_on <= "+args.Add(req.To))
	}
	return strings.Join(where, " AND ")
}

// listQuery is the list's SQL as the caller sees it; each row carries the
// moves the caller may make on it.
func listQuery(c access.Caller) listing.Query[Record] {
	return listing.Query[Record]{
		What:    "list records of impracticability",
		Columns: func(args *access.Args) string { return selectColumns(c, args) },
		From:    from,
		Where:   func(args *access.Args, req listing.Request) string { return listWhere(c, args, req) },
		Scan: func(row listing.Scanner) (Record, error) {
			r, err := scanRecord(row)
			r.Events = sec.ImpracticableLifecycle.Events(r.State, actors(c, r)...)
			return r, err
		},
		Key: func(r Record, req listing.Request) (any, int64) {
			switch req.Sort.Name {
			case "supplier":
				return r.Supplier.Code, r.ID
			case "manufacturer":
				return r.Manufacturer.Code, r.ID
			case "state":
				return string(r.State), r.ID
			case "recorded_on":
				return r.RecordedOn, r.ID
			}
			return r.ID, r.ID
		},
	}
}

// ListPage is one page of the records the caller may see, with the total
// the filters match.
func (s *Service) ListPage(ctx context.Context, c access.Caller, req listing.Request) (listing.Page[Record], error) {
	if !c.SignedIn() {
		return listing.Page[Record]{}, errs.E(errs.Unauthenticated, "sign in to see records of impracticability")
	}
	return listQuery(c).Page(ctx, s.DB, req)
}

// Export writes every record the caller may see that the filters match.
func (s *Service) Export(ctx context.Context, c access.Caller, req listing.Request, w listing.Writer) error {
	if !c.SignedIn() {
		return errs.E(errs.Unauthenticated, "sign in to see records of impracticability")
	}
	return listQuery(c).Export(ctx, s.DB, req, w, Record.CSV)
}

// CSVHeader names the columns of Record.CSV.
var CSVHeader = []string{"reference", "supplier", "manufacturer", "state", "classification", "recorded_on", "decided_on", "decided_by",
	"withdrawn_on", "reason", "decision_note", "updated_at"}

// CSV is the record as a row of the list's export (ISO dates).
func (r Record) CSV() []string {
	return []string{r.Reference, r.Supplier.Code, r.Manufacturer.Code, string(r.State), string(r.Classification), r.RecordedOn.String(),
		r.DecidedOn.String(), r.DecidedBy, r.WithdrawnOn.String(), r.Reason, r.DecisionNote, r.UpdatedAt.UTC().Format(time.RFC3339)}
}
