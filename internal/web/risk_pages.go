package web

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/risk"
)

func (s *Server) riskPageRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/risks", Name: "risksPage", Summary: "The SSC's risk register.", Tag: "ui", Handle: s.risksPage},
		{Method: "POST", Path: "/risks", Name: "createRiskForm", Summary: "Add a risk.", Tag: "ui", Handle: s.createRiskForm},
		{Method: "POST", Path: "/risks/{id}", Name: "updateRiskForm", Summary: "Change a risk.", Tag: "ui", Handle: s.updateRiskForm},
		{Method: "POST", Path: "/risks/likelihoods/{level}", Name: "setLikelihoodForm", Summary: "Change a Likelihood Definition.", Tag: "ui", Handle: s.setLikelihoodForm},
	}
}

type risksData struct {
	Items   []risk.Risk
	List    listView
	Req     listing.Request
	Bands   []risk.Band
	Levels  []string
	Marks   []string
	HeatMap template.HTML
	Defs    *risk.Definitions
	MayEdit bool
}

func (s *Server) risksPage(w http.ResponseWriter, r *http.Request) error {
	return s.showRisks(w, r, http.StatusOK, nil)
}

func (s *Server) showRisks(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	req, err := risk.ListSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportRisks(w, r, req)
	}
	c := callerOf(r)
	p, err := s.Risks.ListPage(r.Context(), c, req)
	if err != nil {
		return err
	}
	// The SVG is built from numbers and escaped labels (risk.HeatMapCells):
	// it counts every risk the filters match, on every page.
	d := risksData{Items: p.Items, Req: req, List: newListView(r, "/risks", risk.ListSpec, req, p.Page, "risk", "risks"),
		Bands: p.Bands, Levels: facetEnum(risk.ListSpec, "likelihood"), Marks: facetEnum(risk.ListSpec, "classification"),
		HeatMap: template.HTML(risk.HeatMapCells(p.Cells, p.Bands, p.Likelihoods)), MayEdit: risk.MayEdit(c)}
	if risk.MayEdit(c) {
		defs, err := s.Risks.Definitions(r.Context(), c)
		if err != nil {
			return err
		}
		d.Defs = &defs
	}
	pg := s.newPage(r, "Risk register", d)
	if formErr != nil {
		pg.formErrors(formErr)
	}
	return s.render(w, r, status, "risks", pg)
}

func riskForm(r *http.Request) risk.Input {
	r.ParseForm()
	l, _ := strconv.Atoi(r.PostFormValue("likelihood"))
	i, _ := strconv.Atoi(r.PostFormValue("impact"))
	return risk.Input{Title: r.PostFormValue("title"), Description: r.PostFormValue("description"), Owner: r.PostFormValue("owner"),
		Likelihood: l, Impact: i, Treatment: r.PostFormValue("treatment"), ReviewDate: r.PostFormValue("review_date")}
}

func (s *Server) riskFormFailed(w http.ResponseWriter, r *http.Request, err error) error {
	switch errs.CodeOf(err) {
	case errs.Invalid, errs.Forbidden:
		return s.showRisks(w, r, s.problemFor(r, err).Status, err)
	}
	return err
}

func (s *Server) createRiskForm(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.Risks.Create(r.Context(), callerOf(r), riskForm(r)); err != nil {
		return s.riskFormFailed(w, r, err)
	}
	return s.redirect(w, r, "/risks", "Risk added.")
}

func (s *Server) updateRiskForm(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "risk")
	if err != nil {
		return err
	}
	k, err := s.Risks.Update(r.Context(), callerOf(r), id, riskForm(r))
	if err != nil {
		return s.riskFormFailed(w, r, err)
	}
	return s.redirect(w, r, fmt.Sprintf("/risks#risk-%d", k.ID), "Risk updated.")
}

func (s *Server) setLikelihoodForm(w http.ResponseWriter, r *http.Request) error {
	level, err := strconv.Atoi(r.PathValue("level"))
	if err != nil {
		return errs.NotFoundf("likelihood level", r.PathValue("level"))
	}
	r.ParseForm()
	lo, err1 := strconv.ParseFloat(r.PostFormValue("min_pct"), 64)
	hi, err2 := strconv.ParseFloat(r.PostFormValue("max_pct"), 64)
	if err1 != nil || err2 != nil {
		return s.showRisks(w, r, http.StatusBadRequest, errs.FieldError("min_pct", "give the band as two numbers"))
	}
	if _, err := s.Risks.SetLikelihood(r.Context(), callerOf(r), risk.Likelihood{Level: level, Label: r.PostFormValue("label"),
		Description: r.PostFormValue("description"), MinPct: lo, MaxPct: hi}); err != nil {
		return s.riskFormFailed(w, r, err)
	}
	return s.redirect(w, r, "/risks#likelihoods", "Likelihood Definition changed.")
}
