package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/assurance"
	"github.com/metersec/metersec/internal/evidence"
	"github.com/metersec/metersec/internal/listing"
)

// remediationRoutes are remediation plans and Directors' Letters.
func (s *Server) remediationRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/remediation-plans", Name: "listRemediationPlans", Summary: "Remediation plans the caller may see, newest first, a page at a time with the total and overdue flags; sortable, filtered (overdue=true is the dashboard's count), exported as CSV or JSON. " +
			"Since issue 15 the page is {items, total, next_cursor} (formerly {plans, total, next}); the former after parameter still works in the default order.",
			Tag: "assurance", API: true, Params: listParams(assurance.PlanSpec), Response: listing.Page[assurance.Plan]{}, Handle: s.apiListPlans},
		{Method: "POST", Path: "/api/v1/assessments/{id}/remediation-plans", Name: "createRemediationPlan", Summary: "Start a remediation plan for an assessment's open findings (the assessed party, or the SSC).",
			Tag: "assurance", API: true, Request: assurance.PlanInput{}, Response: assurance.Plan{}, Status: http.StatusCreated, Handle: s.apiCreatePlan},
		{Method: "GET", Path: "/api/v1/remediation-plans/{id}", Name: "getRemediationPlan", Summary: "One remediation plan with its actions, updates and Directors' Letters.",
			Tag: "assurance", API: true, Response: assurance.Plan{}, Handle: s.apiGetPlan},
		{Method: "POST", Path: "/api/v1/remediation-plans/{id}/transitions", Name: "moveRemediationPlan", Summary: "Move a plan on (sec.RemediationLifecycle): submit, agree (with next_update), update (with the progress note), close.",
			Tag: "assurance", API: true, Request: assurance.PlanMove{}, Response: assurance.Plan{}, Handle: s.apiMovePlan},
		{Method: "POST", Path: "/api/v1/remediation-plans/{id}/actions", Name: "addRemediationAction", Summary: "Add an action to a plan (the party).",
			Tag: "assurance", API: true, Request: assurance.ActionInput{}, Response: assurance.Plan{}, Status: http.StatusCreated, Handle: s.apiAddRemediationAction},
		{Method: "POST", Path: "/api/v1/remediation-plans/{id}/actions/{action}/done", Name: "completeRemediationAction", Summary: "Mark an action done (the party), on ?on=YYYY-MM-DD or today.",
			Tag: "assurance", API: true, Params: []Param{{Name: "on", Description: "the day it was done (today by default)"}}, Response: assurance.Plan{}, Handle: s.apiCompleteAction},
		{Method: "POST", Path: "/api/v1/remediation-plans/{id}/letters", Name: "submitDirectorsLetter", Summary: "Submit the plan's Directors' Letter: the body is the signed PDF (at most 10 MiB), ?name= its file name, ?director= who signed it.",
			Tag: "assurance", API: true, Upload: true, StoredAsSent: true, Params: []Param{{Name: "name", Description: "the file name (.pdf)", Required: true}, {Name: "director", Description: "the director who signed it", Required: true}},
			Response: assurance.Letter{}, Status: http.StatusCreated, Handle: s.apiSubmitLetter},
		{Method: "POST", Path: "/api/v1/directors-letters/{id}/transitions", Name: "decideDirectorsLetter", Summary: "The SSC approves or returns a Directors' Letter.",
			Tag: "assurance", API: true, Request: assurance.LetterMove{}, Response: assurance.Letter{}, Handle: s.apiMoveLetter},
		{Method: "GET", Path: "/api/v1/directors-letters/{id}/file", Name: "getDirectorsLetterFile", Summary: "Download a Directors' Letter.",
			Tag: "assurance", API: true, Handle: s.downloadLetter},
	}
}

func (s *Server) apiListPlans(w http.ResponseWriter, r *http.Request) error {
	req, err := assurance.PlanSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportPlans(w, r, req)
	}
	p, err := s.Assurance.PlanListPage(r.Context(), callerOf(r), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiCreatePlan(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "assessment")
	if err != nil {
		return err
	}
	var in assurance.PlanInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.Assurance.CreatePlan(r.Context(), callerOf(r), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, p)
}

func (s *Server) apiGetPlan(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "remediation plan")
	if err != nil {
		return err
	}
	p, err := s.Assurance.GetPlan(r.Context(), callerOf(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiMovePlan(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "remediation plan")
	if err != nil {
		return err
	}
	var m assurance.PlanMove
	if err := s.decodeJSON(w, r, &m); err != nil {
		return err
	}
	p, err := s.Assurance.MovePlan(r.Context(), callerOf(r), id, m)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiAddRemediationAction(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "remediation plan")
	if err != nil {
		return err
	}
	var in assurance.ActionInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.Assurance.AddAction(r.Context(), callerOf(r), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, p)
}

func (s *Server) apiCompleteAction(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "remediation plan")
	if err != nil {
		return err
	}
	aid, err := recordID(r, "action", "action")
	if err != nil {
		return err
	}
	on, err := queryDate(r, "on")
	if err != nil {
		return err
	}
	p, err := s.Assurance.CompleteAction(r.Context(), callerOf(r), id, aid, on)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiSubmitLetter(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "remediation plan")
	if err != nil {
		return err
	}
	body := http.MaxBytesReader(w, r.Body, evidence.MaxSize)
	defer body.Close()
	l, err := s.Assurance.SubmitLetter(r.Context(), callerOf(r), id, r.URL.Query().Get("director"), r.URL.Query().Get("name"), body)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, l)
}

func (s *Server) apiMoveLetter(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "Directors' Letter")
	if err != nil {
		return err
	}
	var m assurance.LetterMove
	if err := s.decodeJSON(w, r, &m); err != nil {
		return err
	}
	l, err := s.Assurance.MoveLetter(r.Context(), callerOf(r), id, m)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, l)
}

func (s *Server) downloadLetter(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "Directors' Letter")
	if err != nil {
		return err
	}
	l, content, err := s.Assurance.LetterFile(r.Context(), callerOf(r), id)
	if err != nil {
		return err
	}
	serveFile(w, l.Name, evidence.PDF, l.SHA256, content)
	return nil
}
