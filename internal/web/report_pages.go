package web

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/report"
	"github.com/metersec/metersec/internal/uk"
)

type reportsData struct {
	Items []report.Report
	List  listView
	Req   listing.Request
	Marks []string
	// SeesEvery: every organisation's reports, with the recipient filter
	// and the standing reports (report.SeesEveryOrganisation,
	// MayBrowseStanding).
	SeesEvery, MayBrowseStanding bool
	MayRun                       bool
	LastMonth                    string
	Runs                         listing.Page[report.Run]
}

// reportsPageRuns is how many of the newest runs the reports page shows;
// the rest are the run list's (GET /api/v1/report-runs) and its exports.
const reportsPageRuns = 12

func (s *Server) reportsPage(w http.ResponseWriter, r *http.Request) error {
	req, err := report.ParseList(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportReports(w, r, req)
	}
	c := callerOf(r)
	p, err := s.Reports.ListPage(r.Context(), c, req)
	if err != nil {
		return err
	}
	d := reportsData{Items: p.Items, Req: req, List: newListView(r, "/reports", report.ListSpec, req, p, "report", "reports"),
		Marks: facetEnum(report.ListSpec, "classification"), MayRun: report.MayRun(c),
		SeesEvery: report.SeesEveryOrganisation(c), MayBrowseStanding: report.MayBrowseStanding(c),
		LastMonth: report.MonthAt(time.Now().In(uk.London)).Add(-1).String()}
	if d.MayRun {
		runs := report.RunSpec.First()
		runs.Limit = reportsPageRuns
		if d.Runs, err = s.Reports.RunPage(r.Context(), c, runs); err != nil {
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

// standingPageRows is how many rows of each table the standing report page
// shows: the largest, with the whole table a CSV download. The page then
// stays a few screens long at any size of estate (issue 15: under 5,000 px
// and 500 KB on a million Devices).
const standingPageRows = 5

type standingSection struct {
	report.Section
	SVG   template.HTML
	Shown [][]string // the first standingPageRows rows
	Total int        // rows in the whole table
	// RefCols marks the columns holding references and codes, which never
	// wrap.
	RefCols []bool
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
	if !report.MayBrowseStanding(c) {
		return errs.E(errs.Forbidden, "the standing reports are for the SSC")
	}
	f := report.Filter{Kind: report.StandingKind, Limit: 12}
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
	d := standingData{All: all, MayRun: report.MayRun(c), LastMonth: report.MonthAt(time.Now().In(uk.London)).Add(-1).String()}
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
			if t := sec.Table; t != nil {
				ss.Total = len(t.Rows)
				ss.Shown = t.Rows[:min(len(t.Rows), standingPageRows)]
				for _, c := range t.Columns {
					ss.RefCols = append(ss.RefCols, c.Name == "Reference" || strings.HasSuffix(c.Name, " code") || c.Name == "Firmware" || c.Name == "Model")
				}
			}
			d.Sections = append(d.Sections, ss)
		}
	}
	return s.render(w, r, http.StatusOK, "report_standing", s.newPage(r, "Standing reports", d))
}
