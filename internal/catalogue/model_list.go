package catalogue

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
)

// ModelSpec is what the catalogue's list of models accepts (issue 15):
// sorted by its columns, filtered by manufacturer, device type, generation
// and marking, searched by code or name.
var ModelSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "manufacturer", Label: "Manufacturer", Expr: "o.code", Kind: listing.Text},
		{Name: "code", Label: "Model", Expr: "m.code", Kind: listing.Text},
		{Name: "name", Label: "Name", Expr: "m.name", Kind: listing.Text},
		{Name: "type", Label: "Type", Expr: "m.device_type", Kind: listing.Text},
		{Name: "generation", Label: "Generation", Expr: "m.generation", Kind: listing.Text},
		{Name: "hardware", Label: "Hardware", Expr: "m.hardware_version", Kind: listing.Text},
		{Name: "updated_at", Label: "Updated", Expr: "m.updated_at", Kind: listing.Time},
	},
	Default: "manufacturer",
	ID:      "m.id",
	Facets: []listing.Facet{
		{Name: "manufacturer", Description: "only this manufacturer's models (its organisation code)"},
		{Name: "type", Description: "only models of this device type", Enum: listing.Enum(sec.DeviceTypes)},
		{Name: "generation", Description: "only models of this generation", Enum: listing.Enum(sec.Generations)},
		{Name: "classification", Description: "only models with this marking", Enum: listing.Enum(sec.Classifications)},
	},
	Search: "text in the model's code or name",
}

func modelListWhere(c access.Caller, args *access.Args, req listing.Request) string {
	where := []string{modelWhere(c, args, Filter{Manufacturer: req.Facet("manufacturer"), DeviceType: sec.DeviceType(req.Facet("type")),
		Generation: sec.Generation(req.Facet("generation"))})}
	if v := req.Facet("classification"); v != "" {
		where = append(where, "m.classification = "+args.Add(v))
	}
	if req.Q != "" {
		like := args.Add(listing.Like(req.Q))
		where = append(where, "(lower(m.code) LIKE "+like+" ESCAPE '\\' OR lower(m.name) LIKE "+like+" ESCAPE '\\')")
	}
	return strings.Join(where, " AND ")
}

// modelListQuery is the model list's SQL as the caller sees it.
func modelListQuery(c access.Caller) listing.Query[Model] {
	return listing.Query[Model]{
		What:    "list models",
		Columns: func(*access.Args) string { return modelColumns },
		From:    modelFrom,
		Where:   func(args *access.Args, req listing.Request) string { return modelListWhere(c, args, req) },
		Scan:    func(r listing.Scanner) (Model, error) { return scanModel(r) },
		Key: func(m Model, req listing.Request) (any, int64) {
			switch req.Sort.Name {
			case "code":
				return m.Code, m.ID
			case "name":
				return m.Name, m.ID
			case "type":
				return string(m.DeviceType), m.ID
			case "generation":
				return string(m.Generation), m.ID
			case "hardware":
				return m.Hardware, m.ID
			case "updated_at":
				return m.UpdatedAt, m.ID
			}
			return m.Manufacturer, m.ID
		},
	}
}

// ModelPage is one page of the models the caller may see, with the total
// the same filters match.
func (s *Service) ModelPage(ctx context.Context, c access.Caller, req listing.Request) (listing.Page[Model], error) {
	return modelListQuery(c).Page(ctx, s.DB, req)
}

// ModelExport writes every model the request's filters match, in its
// order, row by row.
func (s *Service) ModelExport(ctx context.Context, c access.Caller, req listing.Request, w listing.Writer) error {
	return modelListQuery(c).Export(ctx, s.DB, req, w, Model.CSV)
}

// ModelCSVHeader names the columns of Model.CSV.
var ModelCSVHeader = []string{"id", "manufacturer", "code", "name", "device_type", "generation", "hardware_version", "classification", "firmware_count", "updated_at"}

// CSV is the model as a row of the list's export (the catalogue's own CSV
// format, which imports back, is Export).
func (m Model) CSV() []string {
	return []string{strconv.FormatInt(m.ID, 10), m.Manufacturer, m.Code, m.Name, string(m.DeviceType), string(m.Generation), m.Hardware,
		string(m.Classification), strconv.Itoa(m.FirmwareCount), m.UpdatedAt.UTC().Format(time.RFC3339)}
}
