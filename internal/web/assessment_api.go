package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/assurance"
	"github.com/metersec/metersec/internal/evidence"
	"github.com/metersec/metersec/internal/listing"
)

// assessmentRoutes are the security assurance area's routes: User Security
// Assessments, the forward plan, remediation plans and Directors' Letters.
func (s *Server) assessmentRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/assessments", Name: "listAssessments", Summary: "User Security Assessments the caller may see, newest first, a page at a time, with the total; sortable, filtered, exported as CSV or JSON. " +
			"Since issue 15 the page is {items, total, next_cursor} (formerly {assessments, total, next}); the former after parameter still works in the default order.",
			Tag: "assurance", API: true, Params: listParams(assurance.ListSpec), Response: listing.Page[assurance.Assessment]{}, Handle: s.apiListAssessments},
		{Method: "POST", Path: "/api/v1/assessments", Name: "createAssessment", Summary: "Plan an assessment of a party in a role (SSC and secretariat). RED by default.",
			Tag: "assurance", API: true, Request: assurance.Input{}, Response: assurance.Assessment{}, Status: http.StatusCreated, Handle: s.apiCreateAssessment},
		{Method: "GET", Path: "/api/v1/assessments/{id}", Name: "getAssessment", Summary: "One assessment with its findings, evidence, outcome and timeline.",
			Tag: "assurance", API: true, Response: assurance.Assessment{}, Handle: s.apiGetAssessment},
		{Method: "POST", Path: "/api/v1/assessments/{id}/transitions", Name: "moveAssessment", Summary: "Move an assessment on (sec.AssessmentLifecycle): book, start_fieldwork, issue_report, set_response_due, receive_response, consider, decide, cancel.",
			Tag: "assurance", API: true, Request: assurance.Move{}, Response: assurance.Assessment{}, Handle: s.apiMoveAssessment},
		{Method: "POST", Path: "/api/v1/assessments/{id}/findings", Name: "addFinding", Summary: "Raise a finding in the CIO's report (the User CIO).",
			Tag: "assurance", API: true, Request: assurance.FindingInput{}, Response: assurance.Finding{}, Status: http.StatusCreated, Handle: s.apiAddFinding},
		{Method: "POST", Path: "/api/v1/assessments/{id}/findings/{finding}", Name: "respondToFinding", Summary: "The party's management response to a finding, or the SSC closing it.",
			Tag: "assurance", API: true, Request: assurance.ResponseInput{}, Response: assurance.Finding{}, Handle: s.apiRespondToFinding},
		{Method: "POST", Path: "/api/v1/assessments/{id}/evidence", Name: "addAssessmentEvidence", Summary: "Attach an evidence file (" + evidence.AcceptedTypes + "); the body is the file, ?name= its name.",
			Tag: "assurance", API: true, Upload: true, StoredAsSent: true, Params: []Param{{Name: "name", Description: "the file name, with an extension matching its content", Required: true}},
			Response: assurance.Evidence{}, Status: http.StatusCreated, Handle: s.apiAddAssessmentEvidence},
		{Method: "GET", Path: "/api/v1/assessment-plan", Name: "forwardPlan", Summary: "The forward plan: for every party and role the caller may plan for (its own, or all for the SSC and the CIO), which assessment is due in the year and why.",
			Tag: "assurance", API: true, Params: []Param{{Name: "year", Description: "the plan year (this year by default)"}}, Response: assurance.ForwardPlan{}, Handle: s.apiForwardPlan},
		{Method: "POST", Path: "/api/v1/assessment-plan/overrides", Name: "overrideForwardPlan", Summary: "The SSC's override of the plan for a party, role and year, and/or the party's non-domestic share of Smart Metering Systems.",
			Tag: "assurance", API: true, Request: assurance.OverrideInput{}, Status: http.StatusNoContent, Handle: s.apiOverrideForwardPlan},
		{Method: "GET", Path: "/api/v1/questionnaire-templates", Name: "listQuestionnaireTemplates", Summary: "The versions of the self-assessment questionnaire (without their questions), newest first, a page at a time, with the total; exported as CSV or JSON.",
			Tag: "assurance", API: true, Params: listParams(assurance.TemplateSpec), Response: listing.Page[assurance.Template]{}, Handle: s.apiListTemplates},
		{Method: "POST", Path: "/api/v1/questionnaire-templates", Name: "createQuestionnaireTemplate", Summary: "Publish a new version of the questionnaire (SSC and secretariat); answers already given keep their version.",
			Tag: "assurance", API: true, Request: assurance.TemplateInput{}, Response: assurance.Template{}, Status: http.StatusCreated, Handle: s.apiCreateTemplate},
		{Method: "GET", Path: "/api/v1/questionnaire-templates/{version}", Name: "getQuestionnaireTemplate", Summary: "One version of the questionnaire with its questions.",
			Tag: "assurance", API: true, Response: assurance.Template{}, Handle: s.apiGetTemplate},
		{Method: "GET", Path: "/api/v1/assessments/{id}/questionnaire", Name: "getQuestionnaire", Summary: "A self-assessment's questionnaire with the party's answers.",
			Tag: "assurance", API: true, Response: assurance.Questionnaire{}, Handle: s.apiGetQuestionnaire},
		{Method: "PUT", Path: "/api/v1/assessments/{id}/questionnaire", Name: "answerQuestionnaire", Summary: "Save the party's answers as a draft, or submit them (every question answered).",
			Tag: "assurance", API: true, Request: assurance.AnswersInput{}, Response: assurance.Questionnaire{}, Handle: s.apiAnswerQuestionnaire},
		{Method: "GET", Path: "/api/v1/assessments/{id}/evidence/{file}", Name: "getAssessmentEvidence", Summary: "Download an assessment's evidence file.",
			Tag: "assurance", API: true, Handle: s.downloadAssessmentEvidence},
	}
}

func (s *Server) apiListAssessments(w http.ResponseWriter, r *http.Request) error {
	req, err := assurance.ListSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportAssessments(w, r, req)
	}
	p, err := s.Assurance.ListPage(r.Context(), callerOf(r), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiCreateAssessment(w http.ResponseWriter, r *http.Request) error {
	var in assurance.Input
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	a, err := s.Assurance.Create(r.Context(), callerOf(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, a)
}

func (s *Server) apiGetAssessment(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "assessment")
	if err != nil {
		return err
	}
	a, err := s.Assurance.Get(r.Context(), callerOf(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

func (s *Server) apiMoveAssessment(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "assessment")
	if err != nil {
		return err
	}
	var m assurance.Move
	if err := s.decodeJSON(w, r, &m); err != nil {
		return err
	}
	a, err := s.Assurance.Transition(r.Context(), callerOf(r), id, m)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

func (s *Server) apiAddFinding(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "assessment")
	if err != nil {
		return err
	}
	var in assurance.FindingInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	f, err := s.Assurance.AddFinding(r.Context(), callerOf(r), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, f)
}

func (s *Server) apiRespondToFinding(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "assessment")
	if err != nil {
		return err
	}
	fid, err := recordID(r, "finding", "finding")
	if err != nil {
		return err
	}
	var in assurance.ResponseInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	f, err := s.Assurance.RespondToFinding(r.Context(), callerOf(r), id, fid, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, f)
}

func (s *Server) apiAddAssessmentEvidence(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "assessment")
	if err != nil {
		return err
	}
	body := http.MaxBytesReader(w, r.Body, evidence.MaxSize)
	defer body.Close()
	ev, err := s.Assurance.AddEvidence(r.Context(), callerOf(r), id, r.URL.Query().Get("name"), body)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, ev)
}

// downloadAssessmentEvidence serves a stored file as an attachment, never
// rendered inline, with its digest.
func (s *Server) downloadAssessmentEvidence(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "assessment")
	if err != nil {
		return err
	}
	fid, err := recordID(r, "file", "evidence file")
	if err != nil {
		return err
	}
	ev, content, err := s.Assurance.EvidenceFile(r.Context(), callerOf(r), id, fid)
	if err != nil {
		return err
	}
	serveFile(w, ev.Name, ev.MediaType, ev.SHA256, content)
	return nil
}

func (s *Server) apiForwardPlan(w http.ResponseWriter, r *http.Request) error {
	year, err := planYear(r)
	if err != nil {
		return err
	}
	fp, err := s.Assurance.ForwardPlan(r.Context(), callerOf(r), year)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, fp)
}

func (s *Server) apiOverrideForwardPlan(w http.ResponseWriter, r *http.Request) error {
	var in assurance.OverrideInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.Assurance.SetOverride(r.Context(), callerOf(r), in); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiListTemplates(w http.ResponseWriter, r *http.Request) error {
	req, err := assurance.TemplateSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	c := callerOf(r)
	if req.Exporting() {
		return writeExport(w, req, "questionnaire-versions", assurance.TemplateCSVHeader, func(lw listing.Writer) error {
			return s.Assurance.ExportTemplates(r.Context(), c, req, lw)
		})
	}
	p, err := s.Assurance.TemplatePage(r.Context(), c, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiCreateTemplate(w http.ResponseWriter, r *http.Request) error {
	var in assurance.TemplateInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	t, err := s.Assurance.CreateTemplate(r.Context(), callerOf(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, t)
}

func (s *Server) apiGetTemplate(w http.ResponseWriter, r *http.Request) error {
	v, err := recordID(r, "version", "questionnaire version")
	if err != nil {
		return err
	}
	t, err := s.Assurance.Template(r.Context(), callerOf(r), int(v))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}

func (s *Server) apiGetQuestionnaire(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "assessment")
	if err != nil {
		return err
	}
	q, err := s.Assurance.Questionnaire(r.Context(), callerOf(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, q)
}

func (s *Server) apiAnswerQuestionnaire(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "assessment")
	if err != nil {
		return err
	}
	var in assurance.AnswersInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	q, err := s.Assurance.SaveAnswers(r.Context(), callerOf(r), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, q)
}
