package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/report"
	"github.com/metersec/metersec/internal/uk"
)

// RunRequest asks for a month's reports to be generated.
type RunRequest struct {
	// Month is YYYY-MM; the last month that has ended when empty.
	Month string `json:"month,omitempty"`
	// Force makes a new version of a month that has been run (and, for the
	// monthly mailing, sends it again).
	Force bool `json:"force,omitempty"`
}

func (s *Server) reportRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/reports", Name: "listReports", Summary: "Stored reports the caller may see (its own monthly reports; the SSC sees every AMBER one, and the standing reports that name them), newest month first, a page at a time with the total, each with its file digests and delivery record; sortable, filtered, exported as CSV or JSON (without files and deliveries).",
			Tag: "reports", API: true, Params: listParams(report.ListSpec), Response: listing.Page[report.Report]{}, Handle: s.apiListReports},
		{Method: "GET", Path: "/api/v1/reports/{id}", Name: "getReport", Summary: "One stored report: its files' SHA-256 digests and its delivery record.",
			Tag: "reports", API: true, Response: report.Report{}, Handle: s.apiGetReport},
		{Method: "GET", Path: "/api/v1/reports/{id}/files/{format}", Name: "downloadReport", Summary: "A stored report file exactly as generated: csv, json, html or pdf (Repr-Digest carries its SHA-256).",
			Tag: "reports", API: true, Handle: s.apiDownloadReport},
		{Method: "GET", Path: "/api/v1/report-runs", Name: "listReportRuns", Summary: "Generations of the monthly mailing and the standing report, newest month first (SSC and secretariat), a page at a time with the total; sortable, filtered, exported as CSV or JSON.",
			Tag: "reports", API: true, Params: listParams(report.RunSpec), Response: listing.Page[report.Run]{}, Handle: s.apiListRuns},
		{Method: "POST", Path: "/api/v1/reports/monthly", Name: "runMonthlyReports", Summary: "Generate and send a month's mailing (SSC and secretariat). A month already run is returned as it was (200) unless force makes a new version (201).",
			Tag: "reports", API: true, Request: RunRequest{}, Response: report.Run{}, Status: http.StatusCreated, Handle: s.apiRunReports(report.Monthly)},
		{Method: "POST", Path: "/api/v1/reports/standing", Name: "runStandingReport", Summary: "Generate a month's standing report, RED to the SSC members (SSC and secretariat); as for the mailing, force makes a new version.",
			Tag: "reports", API: true, Request: RunRequest{}, Response: report.Run{}, Status: http.StatusCreated, Handle: s.apiRunReports(report.Standing)},

		{Method: "GET", Path: "/api/v1/reports/{id}/tables/{table}", Name: "downloadStandingTable", Summary: "One table of a stored standing report, whole, as CSV: the page and the PDF show the largest rows of a long table and link here. The table is a section of the report (e.g. certificate-devices, unacknowledged, churn).",
			Tag: "reports", API: true, Handle: s.apiDownloadStandingTable},

		{Method: "GET", Path: "/reports", Name: "reportsPage", Summary: "Report history with downloads.", Tag: "ui", Handle: s.reportsPage},
		{Method: "GET", Path: "/reports/{id}", Name: "reportPage", Summary: "A stored report, its files and its delivery record.", Tag: "ui", Handle: s.reportPage},
		{Method: "POST", Path: "/reports/monthly", Name: "runMonthlyForm", Summary: "Generate a month's mailing.", Tag: "ui", Handle: s.runReportsForm(report.Monthly)},
		{Method: "GET", Path: "/reports/standing", Name: "standingReportsPage", Summary: "The SSC's standing reports.", Tag: "ui", Handle: s.standingPage},
		{Method: "POST", Path: "/reports/standing", Name: "runStandingForm", Summary: "Generate a month's standing report.", Tag: "ui", Handle: s.runReportsForm(report.Standing)},
	}
}

func runMonth(s string) (report.Month, error) {
	if strings.TrimSpace(s) == "" {
		return report.MonthAt(time.Now().In(uk.London)).Add(-1), nil
	}
	m, err := report.ParseMonth(strings.TrimSpace(s))
	if err != nil {
		return m, errs.FieldError("month", "%v", err)
	}
	return m, nil
}

func (s *Server) run(r *http.Request, scope report.Scope, in RunRequest, trigger string) (report.Run, error) {
	c := callerOf(r)
	if !report.MayRun(c) {
		return report.Run{}, errs.E(errs.Forbidden, "only the SSC and its secretariat may generate reports")
	}
	m, err := runMonth(in.Month)
	if err != nil {
		return report.Run{}, err
	}
	opts := report.RunOptions{Force: in.Force, Trigger: trigger}
	if scope == report.Monthly {
		return s.Reports.RunMonthly(r.Context(), c, m, opts)
	}
	return s.Reports.RunStanding(r.Context(), c, m, opts)
}

func (s *Server) apiRunReports(scope report.Scope) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if !report.MayRun(callerOf(r)) {
			return errs.E(errs.Forbidden, "only the SSC and its secretariat may generate reports")
		}
		var in RunRequest
		if err := s.decodeJSON(w, r, &in); err != nil {
			return err
		}
		run, err := s.run(r, scope, in, "api")
		if err != nil {
			return err
		}
		status := http.StatusCreated
		if run.Repeat {
			status = http.StatusOK
		}
		return writeJSON(w, status, run)
	}
}

func (s *Server) runReportsForm(scope report.Scope) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		in := RunRequest{Month: r.PostFormValue("month"), Force: r.PostFormValue("force") == "yes"}
		run, err := s.run(r, scope, in, "ui")
		back := "/reports"
		if scope == report.Standing {
			back = "/reports/standing"
		}
		if err != nil {
			if e := errs.As(err); e.Code == errs.Invalid || e.Code == errs.Conflict {
				return s.redirect(w, r, back, "Not generated: "+e.Message)
			}
			return err
		}
		msg := "Generated version " + strconv.Itoa(run.Version) + " of the " + string(scope) + " reports for " + run.Month.Label() + ": " + strconv.Itoa(run.Reports) + " reports."
		if scope == report.Monthly && !run.Repeat {
			msg += " Each recipient has been sent a notice."
		}
		if run.Repeat {
			msg = "The " + string(scope) + " reports for " + run.Month.Label() + " had been generated already (version " + strconv.Itoa(run.Version) +
				"): nothing was generated or sent. Tick \"new version\" to make another."
		}
		return s.redirect(w, r, back+"?"+url.Values{"month": {run.Month.String()}}.Encode(), msg)
	}
}
