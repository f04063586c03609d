package catalogue

import (
	"cmp"
	"strconv"
	"strings"

	"github.com/metersec/metersec/internal/listing"
)

// CertReportSpec is what the certificate report's rows accept as a list
// (issue 15): sorted by any column, filtered by Supplier, manufacturer,
// model and status, searched by model. The report is one query over the
// portfolio aggregates, computed whole (4,206 rows on the demo), so its rows
// are sorted, filtered and paged in memory (CompareReportRows, Keep); the
// Expr of each column documents the order, not SQL.
var CertReportSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "supplier", Label: "Supplier", Expr: "supplier", Kind: listing.Text},
		{Name: "manufacturer", Label: "Manufacturer", Expr: "manufacturer", Kind: listing.Text},
		{Name: "model", Label: "Model", Expr: "model", Kind: listing.Text},
		{Name: "firmware", Label: "Firmware", Expr: "firmware", Kind: listing.Text},
		{Name: "status", Label: "Status", Expr: "status", Kind: listing.Text},
		{Name: "devices", Label: "Devices", Expr: "devices", Kind: listing.Int},
	},
	Default: "supplier",
	ID:      "firmware_id",
	Facets: []listing.Facet{
		{Name: "supplier", Description: "only this Supplier's Devices (its organisation code; none for Devices with no Responsible Supplier)"},
		{Name: "manufacturer", Description: "only this manufacturer's models (its organisation code)"},
		{Name: "status", Description: "only firmware whose best certificate is in this state", Enum: badStates()},
	},
	Search: "text in the model's code or the firmware version",
}

func badStates() []string {
	var out []string
	for _, s := range States {
		if s != Valid && s != NotIssued {
			out = append(out, string(s))
		}
	}
	return out
}

// Keep reports whether a row matches the request's filters.
func (r ReportRow) Keep(req listing.Request) bool {
	if v := req.Facet("supplier"); v != "" && !strings.EqualFold(v, r.Supplier) && !(v == "none" && r.Supplier == "") {
		return false
	}
	if v := req.Facet("manufacturer"); v != "" && !strings.EqualFold(v, r.Manufacturer) {
		return false
	}
	if v := req.Facet("status"); v != "" && v != string(r.Status.State) {
		return false
	}
	if q := strings.ToLower(req.Q); q != "" && !strings.Contains(strings.ToLower(r.Model), q) && !strings.Contains(strings.ToLower(r.Firmware.String()), q) {
		return false
	}
	return true
}

// CompareReportRows is the order of the rows for a sort as ?sort= spells
// it: the column, then the report's own order (Supplier, manufacturer,
// model, firmware in version order), which a row's Supplier and firmware
// make total.
func CompareReportRows(sort string) func(a, b ReportRow) int {
	name, desc := strings.CutPrefix(sort, "-")
	return func(a, b ReportRow) int {
		var c int
		switch name {
		case "manufacturer":
			c = strings.Compare(a.Manufacturer, b.Manufacturer)
		case "model":
			c = strings.Compare(a.Model, b.Model)
		case "firmware":
			c = Compare(a.Firmware, b.Firmware)
		case "status":
			c = strings.Compare(string(a.Status.State), string(b.Status.State))
		case "devices":
			c = cmp.Compare(a.Devices, b.Devices)
		}
		c = cmp.Or(c, strings.Compare(a.Supplier, b.Supplier), strings.Compare(a.Manufacturer, b.Manufacturer),
			strings.Compare(a.Model, b.Model), cmp.Compare(a.ModelID, b.ModelID), Compare(a.Firmware, b.Firmware), cmp.Compare(a.FirmwareID, b.FirmwareID))
		if desc {
			return -c
		}
		return c
	}
}

// CertReportCSVHeader names the columns of ReportRow.CSV.
var CertReportCSVHeader = []string{"supplier", "manufacturer", "model", "firmware", "status", "conditions_overdue", "devices"}

// CSV is the row as CSV cells.
func (r ReportRow) CSV() []string {
	overdue := "false"
	if r.Status.ConditionsOverdue {
		overdue = "true"
	}
	return []string{r.Supplier, r.Manufacturer, r.Model, r.Firmware.String(), string(r.Status.State), overdue, strconv.FormatInt(r.Devices, 10)}
}
