package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/metersec/metersec/internal/assurance"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/evidence"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
)

func (s *Server) assessmentPageRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/assessments", Name: "assessmentsPage", Summary: "User Security Assessments.", Tag: "ui", Handle: s.assessmentsPage},
		{Method: "POST", Path: "/assessments", Name: "createAssessmentForm", Summary: "Plan an assessment.", Tag: "ui", Handle: s.createAssessmentForm},
		{Method: "GET", Path: "/assessments/plan", Name: "forwardPlanPage", Summary: "The forward plan of assessments.", Tag: "ui", Handle: s.forwardPlanPage},
		{Method: "POST", Path: "/assessments/plan/overrides", Name: "overrideForwardPlanForm", Summary: "Override the forward plan.", Tag: "ui", Handle: s.overrideForwardPlanForm},
		{Method: "GET", Path: "/assessments/{id}", Name: "assessmentPage", Summary: "An assessment.", Tag: "ui", Handle: s.assessmentPage},
		{Method: "POST", Path: "/assessments/{id}/transitions", Name: "moveAssessmentForm", Summary: "Move an assessment on.", Tag: "ui", Handle: s.moveAssessmentForm},
		{Method: "POST", Path: "/assessments/{id}/findings", Name: "addFindingForm", Summary: "Raise a finding.", Tag: "ui", Handle: s.addFindingForm},
		{Method: "POST", Path: "/assessments/{id}/findings/{finding}", Name: "respondToFindingForm", Summary: "Respond to or close a finding.", Tag: "ui", Handle: s.respondToFindingForm},
		{Method: "POST", Path: "/assessments/{id}/evidence", Name: "addAssessmentEvidenceForm", Summary: "Attach evidence.", Tag: "ui", Upload: true, StoredAsSent: true, Handle: s.addAssessmentEvidenceForm},
		{Method: "GET", Path: "/assessments/{id}/questionnaire", Name: "questionnairePage", Summary: "A self-assessment's questionnaire.", Tag: "ui", Handle: s.questionnairePage},
		{Method: "POST", Path: "/assessments/{id}/questionnaire", Name: "answerQuestionnaireForm", Summary: "Save or submit a self-assessment's answers.", Tag: "ui", Handle: s.answerQuestionnaireForm},
		{Method: "GET", Path: "/assessments/{id}/evidence/{file}", Name: "assessmentEvidencePage", Summary: "Download evidence.", Tag: "ui", Handle: s.downloadAssessmentEvidence},
	}
}

type assessmentsData struct {
	Items     []assurance.Assessment
	List      listView
	Req       listing.Request
	Types     []sec.AssessmentType
	Roles     []sec.OrgRole
	States    []sec.AssessmentState
	MayCreate bool
	In        assurance.Input
}

func (s *Server) assessmentsPage(w http.ResponseWriter, r *http.Request) error {
	return s.showAssessments(w, r, http.StatusOK, nil, assurance.Input{})
}

func (s *Server) showAssessments(w http.ResponseWriter, r *http.Request, status int, formErr error, in assurance.Input) error {
	req, err := assurance.ListSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportAssessments(w, r, req)
	}
	c := callerOf(r)
	p, err := s.Assurance.ListPage(r.Context(), c, req)
	if err != nil {
		return err
	}
	d := assessmentsData{Items: p.Items, Req: req, List: newListView(r, "/assessments", assurance.ListSpec, req, p, "assessment", "assessments"),
		Types: sec.AssessmentTypes, Roles: sec.AssessedRoles,
		States: sec.AssessmentLifecycle.States(), MayCreate: assurance.MayCreate(c), In: in}
	pg := s.newPage(r, "Assessments", d)
	if formErr != nil {
		pg.formErrors(formErr)
	}
	return s.render(w, r, status, "assessments", pg)
}

func (s *Server) createAssessmentForm(w http.ResponseWriter, r *http.Request) error {
	r.ParseForm()
	year, _ := strconv.Atoi(r.PostFormValue("year"))
	yic, _ := strconv.Atoi(r.PostFormValue("year_in_cycle"))
	in := assurance.Input{Party: r.PostFormValue("party"), Role: r.PostFormValue("role"), Type: r.PostFormValue("type"),
		Year: year, YearInCycle: yic}
	a, err := s.Assurance.Create(r.Context(), callerOf(r), in)
	if err != nil {
		if c := errs.CodeOf(err); c == errs.Invalid || c == errs.Forbidden {
			return s.showAssessments(w, r, s.problemFor(r, err).Status, err, in)
		}
		return err
	}
	return s.redirect(w, r, fmt.Sprintf("/assessments/%d", a.ID), "Planned "+a.Title+".")
}

// assessmentData is what the assessment page shows.
type assessmentData struct {
	A                  assurance.Assessment
	Lifecycle          []sec.Transition[sec.AssessmentState, sec.AssessmentEvent]
	AssuranceStatuses  []sec.AssuranceStatus
	ComplianceStatuses []string
	MayAddFinding      bool
	MayRespond         bool
	MayClose           bool
	MayAttach          bool
	Accepted           string
	Plans              []assurance.Plan
	MayPlan            bool
}

func (s *Server) assessmentPage(w http.ResponseWriter, r *http.Request) error {
	return s.showAssessment(w, r, http.StatusOK, nil)
}

func (s *Server) moveAssessmentForm(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "assessment")
	if err != nil {
		return err
	}
	r.ParseForm()
	meeting, _ := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("meeting_item_id")), 10, 64)
	m := assurance.Move{Event: sec.AssessmentEvent(r.PostFormValue("event")), Date: r.PostFormValue("date"),
		Outcome: r.PostFormValue("outcome"), Steps: r.PostFormValue("steps"), MeetingItemID: meeting, Note: r.PostFormValue("note")}
	a, err := s.Assurance.Transition(r.Context(), callerOf(r), id, m)
	if err != nil {
		return s.assessmentFormFailed(w, r, err)
	}
	return s.redirect(w, r, fmt.Sprintf("/assessments/%d", id), "Now "+strings.ReplaceAll(string(a.State), "_", " ")+".")
}

func (s *Server) addFindingForm(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "assessment")
	if err != nil {
		return err
	}
	r.ParseForm()
	in := assurance.FindingInput{Clause: r.PostFormValue("clause"), Severity: r.PostFormValue("severity"),
		Title: r.PostFormValue("title"), Evidence: r.PostFormValue("evidence")}
	if _, err := s.Assurance.AddFinding(r.Context(), callerOf(r), id, in); err != nil {
		return s.assessmentFormFailed(w, r, err)
	}
	return s.redirect(w, r, fmt.Sprintf("/assessments/%d#findings", id), "Finding raised.")
}

func (s *Server) respondToFindingForm(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "assessment")
	if err != nil {
		return err
	}
	fid, err := recordID(r, "finding", "finding")
	if err != nil {
		return err
	}
	r.ParseForm()
	in := assurance.ResponseInput{Response: r.PostFormValue("response"), Close: r.PostFormValue("close") != ""}
	if _, err := s.Assurance.RespondToFinding(r.Context(), callerOf(r), id, fid, in); err != nil {
		return s.assessmentFormFailed(w, r, err)
	}
	return s.redirect(w, r, fmt.Sprintf("/assessments/%d#findings", id), "Saved.")
}

func (s *Server) addAssessmentEvidenceForm(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "assessment")
	if err != nil {
		return err
	}
	name, body, err := formFile(w, r, "file", evidence.MaxSize)
	if err == nil {
		_, err = s.Assurance.AddEvidence(r.Context(), callerOf(r), id, name, bytes.NewReader(body))
	}
	if err != nil {
		return s.assessmentFormFailed(w, r, err)
	}
	return s.redirect(w, r, fmt.Sprintf("/assessments/%d#evidence", id), "Attached "+name+".")
}

type forwardPlanData struct {
	Plan     assurance.ForwardPlan
	Counts   map[sec.AssessmentType]int
	Types    []sec.AssessmentType
	MayEdit  bool
	In       assurance.OverrideInput
	Previous int
	Next     int
}

func (s *Server) forwardPlanPage(w http.ResponseWriter, r *http.Request) error {
	return s.showForwardPlan(w, r, http.StatusOK, nil, assurance.OverrideInput{})
}

func (s *Server) showForwardPlan(w http.ResponseWriter, r *http.Request, status int, formErr error, in assurance.OverrideInput) error {
	year, err := planYear(r)
	if err != nil {
		return err
	}
	c := callerOf(r)
	fp, err := s.Assurance.ForwardPlan(r.Context(), c, year)
	if err != nil {
		return err
	}
	d := forwardPlanData{Plan: fp, Counts: map[sec.AssessmentType]int{}, Types: sec.AssessmentTypes, MayEdit: assurance.MayOverride(c), In: in,
		Previous: year - 1, Next: year + 1}
	for _, row := range fp.Rows {
		d.Counts[row.Type]++
	}
	if d.In.Year == 0 {
		d.In.Year = year
	}
	pg := s.newPage(r, fmt.Sprintf("Forward plan %d", year), d)
	if formErr != nil {
		pg.formErrors(formErr)
	}
	return s.render(w, r, status, "assessment_plan", pg)
}

func (s *Server) overrideForwardPlanForm(w http.ResponseWriter, r *http.Request) error {
	r.ParseForm()
	year, _ := strconv.Atoi(r.PostFormValue("year"))
	in := assurance.OverrideInput{Party: r.PostFormValue("party"), Role: r.PostFormValue("role"), Year: year,
		Type: r.PostFormValue("type"), Reason: r.PostFormValue("reason")}
	if v := strings.TrimSpace(r.PostFormValue("non_domestic_percent")); v != "" {
		pct, err := strconv.ParseFloat(v, 64)
		if err != nil {
			pct = -1
		}
		share := pct / 100
		in.NonDomesticShare = &share
	}
	if err := s.Assurance.SetOverride(r.Context(), callerOf(r), in); err != nil {
		if c := errs.CodeOf(err); c == errs.Invalid || c == errs.Forbidden {
			q := r.URL.Query()
			q.Set("year", strconv.Itoa(year))
			r.URL.RawQuery = q.Encode()
			return s.showForwardPlan(w, r, s.problemFor(r, err).Status, err, in)
		}
		return err
	}
	return s.redirect(w, r, fmt.Sprintf("/assessments/plan?year=%d", year), "The plan for "+strings.ToUpper(in.Party)+" is updated.")
}

type questionnaireData struct {
	A assurance.Assessment
	Q assurance.Questionnaire
}

func (s *Server) questionnairePage(w http.ResponseWriter, r *http.Request) error {
	return s.showQuestionnaire(w, r, http.StatusOK, nil, nil)
}

func (s *Server) showQuestionnaire(w http.ResponseWriter, r *http.Request, status int, formErr error, typed map[int64]string) error {
	id, err := recordID(r, "id", "assessment")
	if err != nil {
		return err
	}
	c := callerOf(r)
	a, err := s.Assurance.Get(r.Context(), c, id)
	if err != nil {
		return err
	}
	q, err := s.Assurance.Questionnaire(r.Context(), c, id)
	if err != nil {
		return err
	}
	for i, qu := range q.Questions {
		if v, ok := typed[qu.ID]; ok {
			q.Questions[i].Answer = v
		}
	}
	pg := s.newPage(r, "Self-assessment: "+a.Title, questionnaireData{A: a, Q: q})
	if formErr != nil {
		pg.formErrors(formErr)
	}
	return s.render(w, r, status, "questionnaire", pg)
}

func (s *Server) answerQuestionnaireForm(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "assessment")
	if err != nil {
		return err
	}
	r.ParseForm()
	version, _ := strconv.Atoi(r.PostFormValue("version"))
	in := assurance.AnswersInput{Version: version, Answers: map[int64]string{}, Submit: r.PostFormValue("submit") != ""}
	for k, v := range r.PostForm {
		if qid, ok := strings.CutPrefix(k, "answer-"); ok {
			n, err := strconv.ParseInt(qid, 10, 64)
			if err != nil {
				return s.showQuestionnaire(w, r, http.StatusBadRequest, errs.FieldError(k, "is not a question"), nil)
			}
			in.Answers[n] = v[0]
		}
	}
	if _, err := s.Assurance.SaveAnswers(r.Context(), callerOf(r), id, in); err != nil {
		switch errs.CodeOf(err) {
		case errs.Invalid, errs.Conflict, errs.Forbidden:
			return s.showQuestionnaire(w, r, s.problemFor(r, err).Status, err, in.Answers)
		}
		return err
	}
	msg := "Draft saved."
	if in.Submit {
		msg = "Submitted to the User CIO for review."
	}
	return s.redirect(w, r, fmt.Sprintf("/assessments/%d/questionnaire", id), msg)
}
