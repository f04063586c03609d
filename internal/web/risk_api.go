package web

import (
	"net/http"
	"strconv"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/risk"
)

// riskRoutes are the SSC's risk register.
func (s *Server) riskRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/risks", Name: "listRisks", Summary: "The SSC's risk register as the caller may see it (AMBER to the SSC), highest score first, a page at a time with the total, the scales and the heat map's counts of every matching risk; sortable, filtered, exported as CSV or JSON. " +
			"Since issue 15 the risks are items in the paging envelope (formerly risks).",
			Tag: "risk", API: true, Params: listParams(risk.ListSpec), Response: risk.Page{}, Handle: s.apiListRisks},
		{Method: "POST", Path: "/api/v1/risks", Name: "createRisk", Summary: "Add a risk (SSC and secretariat).",
			Tag: "risk", API: true, Request: risk.Input{}, Response: risk.Risk{}, Status: http.StatusCreated, Handle: s.apiCreateRisk},
		{Method: "PUT", Path: "/api/v1/risks/{id}", Name: "updateRisk", Summary: "Change a risk; every changed field goes into the history.",
			Tag: "risk", API: true, Request: risk.Input{}, Response: risk.Risk{}, Handle: s.apiUpdateRisk},
		{Method: "GET", Path: "/api/v1/risk-definitions", Name: "riskDefinitions", Summary: "Likelihood Definitions, scoring bands and their history (SSC and secretariat).",
			Tag: "risk", API: true, Response: risk.Definitions{}, Handle: s.apiRiskDefinitions},
		{Method: "PUT", Path: "/api/v1/risk-definitions/likelihoods/{level}", Name: "setLikelihood", Summary: "Change a Likelihood Definition; its probability band may not overlap another's.",
			Tag: "risk", API: true, Request: risk.Likelihood{}, Response: risk.Definitions{}, Handle: s.apiSetLikelihood},
		{Method: "PUT", Path: "/api/v1/risk-definitions/bands/{name}", Name: "setRiskBand", Summary: "Change a scoring band's range; bands may not overlap.",
			Tag: "risk", API: true, Request: risk.Band{}, Response: risk.Definitions{}, Handle: s.apiSetBand},
	}
}

func (s *Server) apiListRisks(w http.ResponseWriter, r *http.Request) error {
	req, err := risk.ListSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportRisks(w, r, req)
	}
	p, err := s.Risks.ListPage(r.Context(), callerOf(r), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiCreateRisk(w http.ResponseWriter, r *http.Request) error {
	var in risk.Input
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	k, err := s.Risks.Create(r.Context(), callerOf(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, k)
}

func (s *Server) apiUpdateRisk(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "risk")
	if err != nil {
		return err
	}
	var in risk.Input
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	k, err := s.Risks.Update(r.Context(), callerOf(r), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, k)
}

func (s *Server) apiRiskDefinitions(w http.ResponseWriter, r *http.Request) error {
	d, err := s.Risks.Definitions(r.Context(), callerOf(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (s *Server) apiSetLikelihood(w http.ResponseWriter, r *http.Request) error {
	level, err := strconv.Atoi(r.PathValue("level"))
	if err != nil {
		return errs.NotFoundf("likelihood level", r.PathValue("level"))
	}
	var in risk.Likelihood
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	in.Level = level
	d, err := s.Risks.SetLikelihood(r.Context(), callerOf(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (s *Server) apiSetBand(w http.ResponseWriter, r *http.Request) error {
	var in risk.Band
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	in.Name = r.PathValue("name")
	d, err := s.Risks.SetBand(r.Context(), callerOf(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}
