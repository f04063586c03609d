package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/metersec/metersec/internal/coverage"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
)

func (s *Server) apiCoverage(w http.ResponseWriter, r *http.Request) error {
	d, err := queryDate(r, "date")
	if err != nil {
		return err
	}
	asCSV, err := wantCSV(r)
	if err != nil {
		return err
	}
	qv := r.URL.Query()
	rep, err := s.Coverage.Compute(r.Context(), callerOf(r), coverage.Query{Supplier: qv.Get("supplier"), Manufacturer: qv.Get("manufacturer"), Date: d})
	if err != nil {
		return err
	}
	if asCSV {
		return coverageCSV(w, rep)
	}
	if rep.Suppliers == nil {
		return writeJSON(w, http.StatusOK, rep)
	}
	// Every Supplier's is 31 MB of JSON at a million Devices: written a
	// Supplier at a time (writeJSON).
	head := rep
	head.Suppliers = []coverage.SupplierCoverage{}
	return writeJSON(w, http.StatusOK, spliced[coverage.SupplierCoverage]{head: head, field: "suppliers", items: rep.Suppliers})
}

// coverageCSV writes a coverage report a row per share of a model's
// Devices with one status, in the order of the page: Supplier, then status
// (worst first), then manufacturer and model.
func coverageCSV(w http.ResponseWriter, rep coverage.Report) error {
	cw := csvExport(w, "coverage-"+rep.Date.String()+".csv", "date", "supplier", "manufacturer", "model", "model_name", "device_type", "generation",
		"status", "route", "devices", "map", "arrangements", "until", "reason")
	order := []coverage.Status{coverage.Gap, coverage.Impracticable, coverage.Steps, coverage.Covered, coverage.DCC, coverage.DP087Gap, coverage.Exempt}
	for _, sc := range rep.Suppliers {
		by := sc.ByStatus()
		for _, st := range order {
			for _, mc := range by[st] {
				for _, p := range mc.Parts {
					mp := ""
					if p.MAP != nil {
						mp = p.MAP.Code
					}
					var arr []string
					for _, a := range p.Arrangements {
						if a.Visible {
							arr = append(arr, a.Reference)
						} else {
							arr = append(arr, a.KindLabel+" ("+strings.Join(a.Parties, "–")+")")
						}
					}
					until := ""
					if !p.Until.IsZero() {
						until = p.Until.String()
					}
					cw.Write([]string{rep.Date.String(), csvSafe(sc.Supplier.Code), csvSafe(mc.Manufacturer.Code), csvSafe(mc.Model.Code), csvSafe(mc.Model.Name),
						string(mc.Model.Type), string(mc.Model.Generation), string(p.Status), string(p.Route), i64(p.Devices), csvSafe(mp),
						csvSafe(strings.Join(arr, "; ")), until, csvSafe(p.Reason)})
				}
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// matrixCSV writes the heat map a row per Supplier × manufacturer with
// Devices, with its band.
func matrixCSV(w http.ResponseWriter, m coverage.Matrix) error {
	cw := csvExport(w, "coverage-matrix-"+m.Date.String()+".csv", "date", "supplier", "manufacturer", "band", "covered_percent", "devices",
		"covered", "steps", "gap", "impracticable", "dcc", "dp087_gap", "exempt")
	for i, sp := range m.Suppliers {
		for j, mf := range m.Manufacturers {
			c := m.Cells[i][j]
			if c.Devices == 0 {
				continue
			}
			pct := ""
			if c.Obligated() > 0 {
				pct = i64(c.CoveredPercent())
			}
			cw.Write([]string{m.Date.String(), csvSafe(sp.Code), csvSafe(mf.Code), heatBandOf(c).Name, pct, i64(c.Devices),
				i64(c.Covered), i64(c.Steps), i64(c.Gap), i64(c.Impracticable), i64(c.DCC), i64(c.DP087), i64(c.Exempt)})
		}
	}
	cw.Flush()
	return cw.Error()
}

func (s *Server) apiCoverageMatrix(w http.ResponseWriter, r *http.Request) error {
	d, err := queryDate(r, "date")
	if err != nil {
		return err
	}
	asCSV, err := wantCSV(r)
	if err != nil {
		return err
	}
	rep, err := s.Coverage.Compute(r.Context(), callerOf(r), coverage.Query{Date: d})
	if err != nil {
		return err
	}
	if asCSV {
		return matrixCSV(w, coverage.MatrixOf(rep))
	}
	return writeJSON(w, http.StatusOK, coverage.MatrixOf(rep))
}

func (s *Server) apiCoverageHistory(w http.ResponseWriter, r *http.Request) error {
	org, months, err := s.Coverage.History(r.Context(), callerOf(r), r.PathValue("supplier"))
	if err != nil {
		return err
	}
	if months == nil {
		months = []coverage.MonthCoverage{}
	}
	return writeJSON(w, http.StatusOK, historyOut{Supplier: org, Months: months})
}

func (s *Server) apiRunAlerts(w http.ResponseWriter, r *http.Request) error {
	var in alertsIn
	if r.ContentLength != 0 {
		if err := s.decodeJSON(w, r, &in); err != nil {
			return err
		}
	}
	as := coverage.DefaultAlertSettings()
	if in.ExpiryDays != 0 {
		as.ExpiryDays = in.ExpiryDays
	}
	if in.ChurnNoticeDays != 0 {
		as.ChurnNoticeDays = in.ChurnNoticeDays
	}
	var d sec.Date
	if in.Date != "" {
		var err error
		if d, err = sec.ParseDate(in.Date); err != nil {
			return errs.FieldError("date", "%v", err)
		}
	}
	res, err := s.Coverage.RunAlerts(r.Context(), callerOf(r), d, as)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

// coverageRowsPage is a page of the coverage list: the day it is of, and
// the rows.
type coverageRowsPage struct {
	Date sec.Date `json:"date"`
	listing.Page[coverage.Row]
}

// apiCoverageRows pages the coverage report a row per Supplier × model.
// The report is computed whole from the aggregates (and cached), so its
// rows are filtered, sorted and paged in memory, by keyset all the same.
func (s *Server) apiCoverageRows(w http.ResponseWriter, r *http.Request) error {
	req, cursor, err := parseMemList(coverage.RowSpec, r.URL.Query())
	if err != nil {
		return err
	}
	d, err := queryDate(r, "date")
	if err != nil {
		return err
	}
	rep, err := s.Coverage.Compute(r.Context(), callerOf(r), coverage.Query{Date: d})
	if err != nil {
		return err
	}
	var rows []coverage.Row
	for _, row := range rep.Rows() {
		if row.Keep(req) {
			rows = append(rows, row)
		}
	}
	if req.Exporting() {
		slices.SortFunc(rows, coverage.CompareRows(req.SortName()))
		return writeExport(w, req, "coverage-rows-"+rep.Date.String(), append([]string{"date"}, coverage.RowCSVHeader...), func(lw listing.Writer) error {
			for _, row := range rows {
				if err := lw.Row(append([]string{rep.Date.String()}, row.CSV()...), row); err != nil {
					return err
				}
			}
			return nil
		})
	}
	page, err := pageMemList(req, cursor, rows, coverage.CompareRows(req.SortName()))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, coverageRowsPage{Date: rep.Date, Page: page})
}
