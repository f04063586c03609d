package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/metersec/metersec/internal/assurance"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/evidence"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
)

func (s *Server) remediationPageRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/remediation-plans", Name: "remediationPlansPage", Summary: "Remediation plans.", Tag: "ui", Handle: s.plansPage},
		{Method: "POST", Path: "/assessments/{id}/remediation-plans", Name: "createRemediationPlanForm", Summary: "Start a remediation plan.", Tag: "ui", Handle: s.createPlanForm},
		{Method: "GET", Path: "/remediation-plans/{id}", Name: "remediationPlanPage", Summary: "A remediation plan.", Tag: "ui", Handle: s.planPage},
		{Method: "POST", Path: "/remediation-plans/{id}/transitions", Name: "moveRemediationPlanForm", Summary: "Move a remediation plan on.", Tag: "ui", Handle: s.movePlanForm},
		{Method: "POST", Path: "/remediation-plans/{id}/actions", Name: "addRemediationActionForm", Summary: "Add an action.", Tag: "ui", Handle: s.addRemediationActionForm},
		{Method: "POST", Path: "/remediation-plans/{id}/actions/{action}/done", Name: "completeRemediationActionForm", Summary: "Mark an action done.", Tag: "ui", Handle: s.completeActionForm},
		{Method: "POST", Path: "/remediation-plans/{id}/letters", Name: "submitDirectorsLetterForm", Summary: "Submit a Directors' Letter.", Tag: "ui", Upload: true, StoredAsSent: true, Handle: s.submitLetterForm},
		{Method: "POST", Path: "/directors-letters/{id}/transitions", Name: "decideDirectorsLetterForm", Summary: "Approve or return a Directors' Letter.", Tag: "ui", Handle: s.moveLetterForm},
		{Method: "GET", Path: "/directors-letters/{id}/file", Name: "directorsLetterFile", Summary: "Download a Directors' Letter.", Tag: "ui", Handle: s.downloadLetter},
	}
}

type plansData struct {
	Items  []assurance.Plan
	List   listView
	Req    listing.Request
	States []string
	Marks  []string
}

func (s *Server) plansPage(w http.ResponseWriter, r *http.Request) error {
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
	d := plansData{Items: p.Items, Req: req, List: newListView(r, "/remediation-plans", assurance.PlanSpec, req, p, "plan", "plans"),
		States: facetEnum(assurance.PlanSpec, "state"), Marks: facetEnum(assurance.PlanSpec, "classification")}
	return s.render(w, r, http.StatusOK, "remediation_plans", s.newPage(r, "Remediation plans", d))
}

// parseActions reads the form's actions, one a line: description | owner |
// due date.
func parseActions(text string) []assurance.ActionInput {
	var out []assurance.ActionInput
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		parts := strings.Split(line, "|")
		for len(parts) < 3 {
			parts = append(parts, "")
		}
		out = append(out, assurance.ActionInput{Description: strings.TrimSpace(parts[0]), Owner: strings.TrimSpace(parts[1]), Due: strings.TrimSpace(parts[2])})
	}
	return out
}

func (s *Server) createPlanForm(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "assessment")
	if err != nil {
		return err
	}
	r.ParseForm()
	in := assurance.PlanInput{Title: r.PostFormValue("title"), Actions: parseActions(r.PostFormValue("actions"))}
	p, err := s.Assurance.CreatePlan(r.Context(), callerOf(r), id, in)
	if err != nil {
		return s.assessmentFormFailed(w, r, err)
	}
	return s.redirect(w, r, fmt.Sprintf("/remediation-plans/%d", p.ID), "Started the plan. Submit it to the SSC when it is ready.")
}

type planData struct {
	P         assurance.Plan
	Lifecycle []sec.Transition[sec.RemediationState, sec.RemediationEvent]
	MayEdit   bool
	Accepted  string
}

func (s *Server) planPage(w http.ResponseWriter, r *http.Request) error {
	return s.showPlan(w, r, http.StatusOK, nil)
}

func (s *Server) showPlan(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	id, err := recordID(r, "id", "remediation plan")
	if err != nil {
		return err
	}
	c := callerOf(r)
	p, err := s.Assurance.GetPlan(r.Context(), c, id)
	if err != nil {
		return err
	}
	d := planData{P: p, Lifecycle: sec.RemediationLifecycle.Rows(), MayEdit: c.OrgID != 0 && c.OrgCode == p.Party && p.State.IsOpen(),
		Accepted: "a signed PDF, at most 10 MiB"}
	pg := s.newPage(r, p.Title, d)
	if formErr != nil {
		pg.formErrors(formErr)
	}
	return s.render(w, r, status, "remediation_plan", pg)
}

func (s *Server) planFormFailed(w http.ResponseWriter, r *http.Request, err error) error {
	switch errs.CodeOf(err) {
	case errs.Invalid, errs.Conflict, errs.Forbidden, errs.TooLarge, errs.Unsupported:
		return s.showPlan(w, r, s.problemFor(r, err).Status, err)
	}
	return err
}

func (s *Server) movePlanForm(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "remediation plan")
	if err != nil {
		return err
	}
	r.ParseForm()
	meeting, _ := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("meeting_item_id")), 10, 64)
	m := assurance.PlanMove{Event: sec.RemediationEvent(r.PostFormValue("event")), Note: r.PostFormValue("note"),
		NextUpdate: r.PostFormValue("next_update"), MeetingItemID: meeting}
	p, err := s.Assurance.MovePlan(r.Context(), callerOf(r), id, m)
	if err != nil {
		return s.planFormFailed(w, r, err)
	}
	return s.redirect(w, r, fmt.Sprintf("/remediation-plans/%d", id), "The plan is now "+string(p.State)+".")
}

func (s *Server) addRemediationActionForm(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "remediation plan")
	if err != nil {
		return err
	}
	r.ParseForm()
	in := assurance.ActionInput{Description: r.PostFormValue("description"), Owner: r.PostFormValue("owner"), Due: r.PostFormValue("due")}
	if _, err := s.Assurance.AddAction(r.Context(), callerOf(r), id, in); err != nil {
		return s.planFormFailed(w, r, err)
	}
	return s.redirect(w, r, fmt.Sprintf("/remediation-plans/%d#actions", id), "Action added.")
}

func (s *Server) completeActionForm(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "remediation plan")
	if err != nil {
		return err
	}
	aid, err := recordID(r, "action", "action")
	if err != nil {
		return err
	}
	if _, err := s.Assurance.CompleteAction(r.Context(), callerOf(r), id, aid, sec.Date{}); err != nil {
		return s.planFormFailed(w, r, err)
	}
	return s.redirect(w, r, fmt.Sprintf("/remediation-plans/%d#actions", id), "Action done.")
}

// letterForm reads the letter form: the director's name and the file.
func letterForm(w http.ResponseWriter, r *http.Request) (director, name string, body []byte, err error) {
	r.Body = http.MaxBytesReader(w, r.Body, evidence.MaxSize+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		return "", "", nil, errs.E(errs.Unsupported, "send the form as multipart/form-data")
	}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return "", "", nil, errs.E(errs.TooLarge, "the file is larger than %d bytes", evidence.MaxSize)
			}
			return "", "", nil, errs.E(errs.Invalid, "the form could not be read: %v", err)
		}
		switch p.FormName() {
		case "director":
			b, _ := io.ReadAll(io.LimitReader(p, 1000))
			director = string(b)
		case "file":
			name = p.FileName()
			body, err = io.ReadAll(io.LimitReader(p, evidence.MaxSize+1))
			if err != nil {
				return "", "", nil, errs.E(errs.TooLarge, "the file is larger than %d bytes", evidence.MaxSize)
			}
		}
	}
	if name == "" {
		return director, "", nil, errs.FieldError("file", "choose the signed PDF")
	}
	return director, name, body, nil
}

func (s *Server) submitLetterForm(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "remediation plan")
	if err != nil {
		return err
	}
	director, name, body, err := letterForm(w, r)
	if err == nil {
		_, err = s.Assurance.SubmitLetter(r.Context(), callerOf(r), id, director, name, strings.NewReader(string(body)))
	}
	if err != nil {
		return s.planFormFailed(w, r, err)
	}
	return s.redirect(w, r, fmt.Sprintf("/remediation-plans/%d#letters", id), "The Directors' Letter is submitted to the SSC.")
}

func (s *Server) moveLetterForm(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "Directors' Letter")
	if err != nil {
		return err
	}
	r.ParseForm()
	meeting, _ := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("meeting_item_id")), 10, 64)
	l, err := s.Assurance.MoveLetter(r.Context(), callerOf(r), id, assurance.LetterMove{Event: sec.LetterEvent(r.PostFormValue("event")),
		Note: r.PostFormValue("note"), MeetingItemID: meeting})
	if err != nil {
		return err
	}
	return s.redirect(w, r, fmt.Sprintf("/remediation-plans/%d#letters", l.PlanID), "The Directors' Letter is "+string(l.State)+".")
}
