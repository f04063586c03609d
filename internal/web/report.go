package web

import (
	"encoding/base64"
	"encoding/hex"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/report"
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
	filter := []Param{
		{Name: "month", Description: "only this month, YYYY-MM"},
		{Name: "kind", Description: "manufacturer, supplier or standing"},
		{Name: "org", Description: "only reports to this organisation (its code)"},
	}
	return []Route{
		{Method: "GET", Path: "/api/v1/reports", Name: "listReports", Summary: "Stored reports the caller may see (its own monthly reports; the SSC sees every AMBER one, and the standing reports that name them), newest month first, with file digests and delivery records.",
			Tag: "reports", API: true, Params: filter, Response: listOf([]report.Report{}), Handle: s.apiListReports},
		{Method: "GET", Path: "/api/v1/reports/{id}", Name: "getReport", Summary: "One stored report: its files' SHA-256 digests and its delivery record.",
			Tag: "reports", API: true, Response: report.Report{}, Handle: s.apiGetReport},
		{Method: "GET", Path: "/api/v1/reports/{id}/files/{format}", Name: "downloadReport", Summary: "A stored report file exactly as generated: csv, json, html or pdf (Repr-Digest carries its SHA-256).",
			Tag: "reports", API: true, Handle: s.apiDownloadReport},
		{Method: "GET", Path: "/api/v1/report-runs", Name: "listReportRuns", Summary: "Generations of the monthly mailing and the standing report, newest first (SSC and secretariat).",
			Tag: "reports", API: true, Response: listOf([]report.Run{}), Handle: s.apiListRuns},
		{Method: "POST", Path: "/api/v1/reports/monthly", Name: "runMonthlyReports", Summary: "Generate and send a month's mailing (SSC and secretariat). A month already run is returned as it was (200) unless force makes a new version (201).",
			Tag: "reports", API: true, Request: RunRequest{}, Response: report.Run{}, Status: http.StatusCreated, Handle: s.apiRunReports(report.Monthly)},
		{Method: "POST", Path: "/api/v1/reports/standing", Name: "runStandingReport", Summary: "Generate a month's standing report, RED to the SSC members (SSC and secretariat); as for the mailing, force makes a new version.",
			Tag: "reports", API: true, Request: RunRequest{}, Response: report.Run{}, Status: http.StatusCreated, Handle: s.apiRunReports(report.Standing)},

		{Method: "GET", Path: "/reports", Name: "reportsPage", Summary: "Report history with downloads.", Tag: "ui", Handle: s.reportsPage},
		{Method: "GET", Path: "/reports/{id}", Name: "reportPage", Summary: "A stored report, its files and its delivery record.", Tag: "ui", Handle: s.reportPage},
		{Method: "POST", Path: "/reports/monthly", Name: "runMonthlyForm", Summary: "Generate a month's mailing.", Tag: "ui", Handle: s.runReportsForm(report.Monthly)},
		{Method: "GET", Path: "/reports/standing", Name: "standingReportsPage", Summary: "The SSC's standing reports.", Tag: "ui", Handle: s.standingPage},
		{Method: "POST", Path: "/reports/standing", Name: "runStandingForm", Summary: "Generate a month's standing report.", Tag: "ui", Handle: s.runReportsForm(report.Standing)},
	}
}

func reportFilter(r *http.Request) (report.Filter, error) {
	q := r.URL.Query()
	f := report.Filter{Org: q.Get("org")}
	if m := q.Get("month"); m != "" {
		month, err := report.ParseMonth(m)
		if err != nil {
			return f, errs.FieldError("month", "%v", err)
		}
		f.Month = month
	}
	switch k := report.Kind(q.Get("kind")); k {
	case "", report.ManufacturerKind, report.SupplierKind, report.StandingKind:
		f.Kind = k
	default:
		return f, errs.FieldError("kind", "must be manufacturer, supplier or standing")
	}
	return f, nil
}

func (s *Server) apiListReports(w http.ResponseWriter, r *http.Request) error {
	f, err := reportFilter(r)
	if err != nil {
		return err
	}
	rs, err := s.Reports.List(r.Context(), callerOf(r), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, listOf(rs))
}

func (s *Server) apiGetReport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rep, err := s.Reports.Get(r.Context(), callerOf(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

// apiDownloadReport serves the stored bytes. The HTML file is a
// self-contained page with its style inline, so it gets a policy of its own
// allowing that style and nothing else; the other formats are attachments.
func (s *Server) apiDownloadReport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	format, err := report.ParseFormat(r.PathValue("format"))
	if err != nil {
		return errs.FieldError("format", "%v", err)
	}
	dl, err := s.Reports.File(r.Context(), callerOf(r), id, format)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", dl.MediaType)
	h.Set("Cache-Control", "no-store")
	if sum, err := hex.DecodeString(dl.SHA256); err == nil {
		h.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum)+":")
	}
	disposition := "attachment"
	if format == report.HTML {
		disposition = "inline"
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	}
	h.Set("Content-Disposition", disposition+`; filename="`+dl.Filename()+`"`)
	h.Set("Content-Length", strconv.Itoa(len(dl.Bytes)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(dl.Bytes)
	return err
}

func (s *Server) apiListRuns(w http.ResponseWriter, r *http.Request) error {
	runs, err := s.Reports.Runs(r.Context(), callerOf(r), 100)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, listOf(runs))
}

func runMonth(s string) (report.Month, error) {
	if strings.TrimSpace(s) == "" {
		return report.MonthAt(time.Now().In(report.London)).Add(-1), nil
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

type reportsData struct {
	Reports    []report.Report
	Filter     report.Filter
	FilterKind string
	MayRun     bool
	LastMonth  string
	Runs       []report.Run
}

func (s *Server) reportsPage(w http.ResponseWriter, r *http.Request) error {
	f, err := reportFilter(r)
	if err != nil {
		return err
	}
	c := callerOf(r)
	rs, err := s.Reports.List(r.Context(), c, f)
	if err != nil {
		return err
	}
	d := reportsData{Reports: rs, Filter: f, FilterKind: string(f.Kind), MayRun: report.MayRun(c),
		LastMonth: report.MonthAt(time.Now().In(report.London)).Add(-1).String()}
	if d.MayRun {
		if d.Runs, err = s.Reports.Runs(r.Context(), c, 24); err != nil {
			return err
		}
	}
	return s.render(w, r, http.StatusOK, "reports", s.newPage(r, "Reports", d))
}

func (s *Server) reportPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rep, err := s.Reports.Get(r.Context(), callerOf(r), id)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "report", s.newPage(r, rep.Reference, rep))
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

type standingSection struct {
	report.Section
	SVG template.HTML
}

type standingData struct {
	Report    *report.Report
	Notes     []string
	Sections  []standingSection
	All       []report.Report
	LastMonth string
	MayRun    bool
}

// standingPage shows a stored standing report (the newest the caller may
// see, or ?id=), laid out again from its own JSON file, with its charts.
func (s *Server) standingPage(w http.ResponseWriter, r *http.Request) error {
	c := callerOf(r)
	if !c.IsSSC() && !c.System {
		return errs.E(errs.Forbidden, "the standing reports are for the SSC")
	}
	f := report.Filter{Kind: report.StandingKind}
	if m := r.URL.Query().Get("month"); m != "" {
		month, err := report.ParseMonth(m)
		if err != nil {
			return errs.FieldError("month", "%v", err)
		}
		f.Month = month
	}
	all, err := s.Reports.List(r.Context(), c, f)
	if err != nil {
		return err
	}
	d := standingData{All: all, MayRun: report.MayRun(c), LastMonth: report.MonthAt(time.Now().In(report.London)).Add(-1).String()}
	var id int64
	if v := r.URL.Query().Get("id"); v != "" {
		if id, err = strconv.ParseInt(v, 10, 64); err != nil || id <= 0 {
			return errs.FieldError("id", "must be a positive whole number")
		}
	} else if len(all) > 0 {
		id = all[0].ID
	}
	if id != 0 {
		v, err := s.Reports.StandingReport(r.Context(), c, id)
		if err != nil {
			return err
		}
		d.Report, d.Notes = &v.Report, v.Notes
		for _, sec := range v.Sections {
			ss := standingSection{Section: sec}
			if sec.Chart != nil {
				ss.SVG = template.HTML(report.SVG(sec.Chart))
			}
			d.Sections = append(d.Sections, ss)
		}
	}
	return s.render(w, r, http.StatusOK, "report_standing", s.newPage(r, "Standing reports", d))
}
