package coverage

import (
	"cmp"
	"strconv"
	"strings"

	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
)

// Row is one Supplier's Devices of one model in the coverage list: the
// report flattened a row per Supplier × model, so a client pages through
// every Supplier's coverage (the whole report is 31 MB of JSON at a million
// Devices) and a spreadsheet gets one line per model.
type Row struct {
	Supplier     Org            `json:"supplier"`
	Manufacturer Org            `json:"manufacturer"`
	Model        string         `json:"model"`
	ModelName    string         `json:"model_name,omitempty"`
	ModelID      int64          `json:"model_id"`
	DeviceType   sec.DeviceType `json:"device_type"`
	Generation   sec.Generation `json:"generation"`
	// Status is the worst status of the model's Devices; Counts splits
	// them by status.
	Status Status `json:"status"`
	Counts Counts `json:"counts"`
}

// RowSpec is what the coverage list accepts (issue 15): sorted by Supplier,
// manufacturer, model or a count, filtered by Supplier, manufacturer,
// status (rows with any Device in it), generation and Device type, searched
// by model. The report is computed whole from the portfolio aggregates, so
// the rows are sorted, filtered and paged in memory (CompareRows, Keep);
// each column's Expr documents the order, not SQL.
var RowSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "supplier", Label: "Supplier", Expr: "supplier", Kind: listing.Text},
		{Name: "manufacturer", Label: "Manufacturer", Expr: "manufacturer", Kind: listing.Text},
		{Name: "model", Label: "Model", Expr: "model", Kind: listing.Text},
		{Name: "status", Label: "Status", Expr: "status", Kind: listing.Text},
		{Name: "devices", Label: "Devices", Expr: "devices", Kind: listing.Int},
		{Name: "gap", Label: "In a gap", Expr: "gap", Kind: listing.Int},
		{Name: "covered", Label: "Covered", Expr: "covered", Kind: listing.Int},
	},
	Default: "supplier",
	ID:      "model_id",
	Facets: []listing.Facet{
		{Name: "supplier", Description: "only this Supplier's rows (its organisation code)"},
		{Name: "manufacturer", Description: "only this manufacturer's models (its organisation code)"},
		{Name: "status", Description: "only models with Devices in this status", Enum: statusNames()},
		{Name: "generation", Description: "only models of this generation", Enum: listing.Enum(sec.Generations)},
		{Name: "device_type", Description: "only models of this Device type", Enum: listing.Enum(sec.DeviceTypes)},
	},
	Search: "text in the model's code or name",
}

func statusNames() []string {
	return []string{string(Covered), string(Steps), string(Gap), string(Impracticable), string(DCC), string(DP087Gap), string(Exempt)}
}

// Rows flattens the report a row per Supplier × model.
func (r Report) Rows() []Row {
	var out []Row
	for _, sc := range r.Suppliers {
		for _, list := range sc.Lists() {
			for _, mc := range list {
				out = append(out, Row{Supplier: sc.Supplier, Manufacturer: mc.Manufacturer, Model: mc.Model.Code, ModelName: mc.Model.Name,
					ModelID: mc.modelID, DeviceType: mc.Model.Type, Generation: mc.Model.Generation, Status: mc.Status, Counts: mc.Counts})
			}
		}
	}
	return out
}

// In is the number of the row's Devices in status st.
func (c Counts) In(st Status) int64 {
	switch st {
	case Covered:
		return c.Covered
	case Steps:
		return c.Steps
	case Gap:
		return c.Gap
	case DCC:
		return c.DCC
	case Exempt:
		return c.Exempt
	case DP087Gap:
		return c.DP087
	case Impracticable:
		return c.Impracticable
	}
	return 0
}

// Keep reports whether a row matches the request's filters.
func (r Row) Keep(req listing.Request) bool {
	if v := req.Facet("supplier"); v != "" && !strings.EqualFold(v, r.Supplier.Code) {
		return false
	}
	if v := req.Facet("manufacturer"); v != "" && !strings.EqualFold(v, r.Manufacturer.Code) {
		return false
	}
	if v := req.Facet("status"); v != "" && r.Counts.In(Status(v)) == 0 {
		return false
	}
	if v := req.Facet("generation"); v != "" && v != string(r.Generation) {
		return false
	}
	if v := req.Facet("device_type"); v != "" && v != string(r.DeviceType) {
		return false
	}
	if q := strings.ToLower(req.Q); q != "" && !strings.Contains(strings.ToLower(r.Model), q) && !strings.Contains(strings.ToLower(r.ModelName), q) {
		return false
	}
	return true
}

// CompareRows is the order of the rows for a sort as ?sort= spells it: the
// column, then Supplier, manufacturer, model and model id, which make it
// total (a model appears once per Supplier).
func CompareRows(sort string) func(a, b Row) int {
	name, desc := strings.CutPrefix(sort, "-")
	return func(a, b Row) int {
		var c int
		switch name {
		case "manufacturer":
			c = strings.Compare(a.Manufacturer.Code, b.Manufacturer.Code)
		case "model":
			c = strings.Compare(a.Model, b.Model)
		case "status":
			c = strings.Compare(string(a.Status), string(b.Status))
		case "devices":
			c = cmp.Compare(a.Counts.Devices, b.Counts.Devices)
		case "gap":
			c = cmp.Compare(a.Counts.Gap, b.Counts.Gap)
		case "covered":
			c = cmp.Compare(a.Counts.Covered, b.Counts.Covered)
		}
		c = cmp.Or(c, strings.Compare(a.Supplier.Code, b.Supplier.Code), strings.Compare(a.Manufacturer.Code, b.Manufacturer.Code),
			strings.Compare(a.Model, b.Model), cmp.Compare(a.ModelID, b.ModelID))
		if desc {
			return -c
		}
		return c
	}
}

// RowCSVHeader names the columns of Row.CSV.
var RowCSVHeader = []string{"supplier", "manufacturer", "model", "model_name", "device_type", "generation", "status", "devices",
	"covered", "steps", "gap", "impracticable", "dcc", "dp087_gap", "exempt"}

// CSV is the row as CSV cells.
func (r Row) CSV() []string {
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	c := r.Counts
	return []string{r.Supplier.Code, r.Manufacturer.Code, r.Model, r.ModelName, string(r.DeviceType), string(r.Generation), string(r.Status),
		n(c.Devices), n(c.Covered), n(c.Steps), n(c.Gap), n(c.Impracticable), n(c.DCC), n(c.DP087), n(c.Exempt)}
}
