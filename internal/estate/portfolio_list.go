package estate

import (
	"context"
	"strconv"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
)

// portfolioID is a portfolio row's unique integer id, the keyset's
// tie-breaker: the table's key is (Supplier, firmware, MAP) (a firmware
// version names its model), packed as firmware_id·2³² + supplier_id·2¹⁶ +
// map_id. Organisation ids stay far below 2¹⁶ (the registry holds hundreds
// of organisations) and firmware ids below 2³¹ (thousands of versions), so
// the packing is one-to-one and never overflows a BIGINT; a surrogate
// column would have to be written by every import, churn and COPY load.
const portfolioID = "(p.firmware_id * 4294967296 + p.supplier_id * 65536 + p.map_id)"

// PortfolioSpec is what the portfolio list accepts (issue 15): sorted by
// any of its columns, filtered by Supplier, manufacturer, model, device
// type, generation and MAP, and searched by the model's code or name.
var PortfolioSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "supplier", Label: "Supplier", Expr: "so.code", Kind: listing.Text},
		{Name: "manufacturer", Label: "Manufacturer", Expr: "mo.code", Kind: listing.Text},
		{Name: "model", Label: "Model", Expr: "m.code", Kind: listing.Text},
		{Name: "firmware", Label: "Firmware", Expr: "f.version", Kind: listing.Text},
		{Name: "generation", Label: "Generation", Expr: "p.generation", Kind: listing.Text},
		{Name: "type", Label: "Type", Expr: "p.device_type", Kind: listing.Text},
		{Name: "map", Label: "MAP", Expr: "COALESCE(mp.code, '')", Kind: listing.Text},
		{Name: "devices", Label: "Devices", Expr: "p.devices", Kind: listing.Int},
	},
	Default: "supplier",
	ID:      portfolioID,
	Facets: []listing.Facet{
		{Name: "supplier", Description: "only this Responsible Supplier's Devices (its organisation code)"},
		{Name: "manufacturer", Description: "only this manufacturer's models (its organisation code)"},
		{Name: "model", Description: "only this model (its code)"},
		{Name: "type", Description: "only Devices of this type", Enum: deviceTypeNames()},
		{Name: "generation", Description: "only Devices of this generation", Enum: listing.Enum(sec.Generations)},
		{Name: "map", Description: "only Devices this MAP owns (its organisation code)"},
	},
	Search: "text in the model's code or name",
}

func deviceTypeNames() []string {
	var out []string
	for _, t := range sec.DeviceTypes {
		out = append(out, string(t))
	}
	return out
}

// portfolioListWhere is what the caller may see, narrowed by the request.
func portfolioListWhere(c access.Caller, req listing.Request, args *access.Args) string {
	where := []string{"p.devices <> 0", portfolioVisible(c, args)}
	for _, f := range []struct{ facet, col string }{
		{"supplier", "so.code"}, {"manufacturer", "mo.code"}, {"model", "m.code"}, {"map", "mp.code"},
	} {
		if v := strings.ToUpper(strings.TrimSpace(req.Facet(f.facet))); v != "" {
			where = append(where, f.col+" = "+args.Add(v))
		}
	}
	if v := req.Facet("type"); v != "" {
		where = append(where, "p.device_type = "+args.Add(v))
	}
	if v := req.Facet("generation"); v != "" {
		where = append(where, "p.generation = "+args.Add(v))
	}
	if req.Q != "" {
		like := args.Add(listing.Like(req.Q))
		where = append(where, "(lower(m.code) LIKE "+like+" ESCAPE '\\' OR lower(m.name) LIKE "+like+" ESCAPE '\\')")
	}
	return strings.Join(where, " AND ")
}

// PortfolioSums are the totals of a portfolio list's filters: its rows and
// their Devices, summed from the aggregates in SQL.
type PortfolioSums struct {
	Rows    int64 `json:"rows"`
	Devices int64 `json:"devices"`
}

// portfolioQuery is the portfolio list's SQL as the caller sees it.
func portfolioQuery(c access.Caller) listing.Query[PortfolioRow] {
	return listing.Query[PortfolioRow]{
		What: "read portfolio",
		Columns: func(*access.Args) string {
			return "so.code, mo.code, m.code, f.version, p.generation, p.device_type, COALESCE(mp.code, ''), p.devices, " + portfolioID
		},
		From:  portfolioFrom,
		Where: func(args *access.Args, req listing.Request) string { return portfolioListWhere(c, req, args) },
		Scan: func(sc listing.Scanner) (PortfolioRow, error) {
			var r PortfolioRow
			err := sc.Scan(&r.Supplier, &r.Manufacturer, &r.Model, &r.Firmware, &r.Generation, &r.DeviceType, &r.MAP, &r.Devices, &r.id)
			return r, err
		},
		Key: portfolioRowKey,
	}
}

// PortfolioPage is one page of the portfolio rows the caller may see, with
// the number of rows the same filters match; sums adds their Devices.
func (s *Service) PortfolioPage(ctx context.Context, c access.Caller, req listing.Request) (listing.Page[PortfolioRow], PortfolioSums, error) {
	q := portfolioQuery(c)
	var items []PortfolioRow
	if err := q.Each(ctx, s.DB, req, func(r PortfolioRow) error { items = append(items, r); return nil }); err != nil {
		return listing.Page[PortfolioRow]{}, PortfolioSums{}, err
	}
	var sums PortfolioSums
	if err := q.Aggregate(ctx, s.DB, req, "count(*), COALESCE(SUM(p.devices), 0)", &sums.Rows, &sums.Devices); err != nil {
		return listing.Page[PortfolioRow]{}, sums, err
	}
	return q.Finish(req, items, sums.Rows), sums, nil
}

// PortfolioExport writes every portfolio row the request's filters match,
// in its order, row by row.
func (s *Service) PortfolioExport(ctx context.Context, c access.Caller, req listing.Request, w listing.Writer) error {
	return portfolioQuery(c).Export(ctx, s.DB, req, w, PortfolioRow.CSV)
}

// PortfolioCSVHeader names the columns of PortfolioRow.CSV.
var PortfolioCSVHeader = []string{"supplier", "manufacturer", "model", "firmware", "generation", "device_type", "map", "devices"}

// CSV is the row as CSV cells.
func (r PortfolioRow) CSV() []string {
	return []string{r.Supplier, r.Manufacturer, r.Model, r.Firmware, string(r.Generation), string(r.DeviceType), r.MAP, strconv.FormatInt(r.Devices, 10)}
}

func portfolioRowKey(r PortfolioRow, req listing.Request) (any, int64) {
	switch req.Sort.Name {
	case "manufacturer":
		return r.Manufacturer, r.id
	case "model":
		return r.Model, r.id
	case "firmware":
		return r.Firmware, r.id
	case "generation":
		return string(r.Generation), r.id
	case "type":
		return string(r.DeviceType), r.id
	case "map":
		return r.MAP, r.id
	case "devices":
		return r.Devices, r.id
	}
	return r.Supplier, r.id
}

// RowID is the row's id in the list (the keyset's tie-breaker).
func (r PortfolioRow) RowID() int64 { return r.id }
