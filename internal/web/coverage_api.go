package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/coverage"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
)

func (s *Server) apiCoverage(w http.ResponseWriter, r *http.Request) error {
	d, err := queryDate(r, "date")
	if err != nil {
		return err
	}
	rep, err := s.Coverage.Compute(r.Context(), callerOf(r), coverage.Query{Supplier: r.URL.Query().Get("supplier"), Date: d})
	if err != nil {
		return err
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

func (s *Server) apiCoverageMatrix(w http.ResponseWriter, r *http.Request) error {
	d, err := queryDate(r, "date")
	if err != nil {
		return err
	}
	rep, err := s.Coverage.Compute(r.Context(), callerOf(r), coverage.Query{Date: d})
	if err != nil {
		return err
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
