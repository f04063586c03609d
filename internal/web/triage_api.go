package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/triage"
)

// maxIntakeUpload bounds a batch intake file: a million rows of under 100
// bytes.
const maxIntakeUpload = 128 << 20

func (s *Server) triageRoutes() []Route {
	page := []Param{
		{Name: "before", Description: "entries numbered below this (the next of the previous page)"},
		{Name: "limit", Description: "entries a page, at most 1000 (default 100)"},
		{Name: "device", Description: "only this Device's entries"},
	}
	return []Route{
		{Method: "GET", Path: "/api/v1/triage/facilities", Name: "listTriageFacilities", Summary: "Triage Facilities the caller may see: a provider its own, the SSC all.",
			Tag: "triage", API: true, Response: listOf([]triage.Facility{}), Handle: s.apiTriageFacilities},
		{Method: "POST", Path: "/api/v1/triage/facilities", Name: "applyTriageFacility", Summary: "Apply for a Triage Facility (MP203): it may record nothing until the SSC approves it after an initial FUSA.",
			Tag: "triage", API: true, Request: triage.NewFacility{}, Response: triage.Facility{}, Status: http.StatusCreated, Handle: s.apiApplyFacility},
		{Method: "GET", Path: "/api/v1/triage/facilities/{id}", Name: "getTriageFacility", Summary: "A Triage Facility with its status and linked assessment.",
			Tag: "triage", API: true, Response: triage.Facility{}, Handle: s.apiTriageFacility},
		{Method: "POST", Path: "/api/v1/triage/facilities/{id}/decisions", Name: "decideTriageFacility", Summary: "Move a facility on by its lifecycle: the SSC's decision on the initial FUSA, the provider starting operation, a suspension.",
			Tag: "triage", API: true, Request: triage.Decision{}, Response: triage.Facility{}, Handle: s.apiDecideFacility},
		{Method: "POST", Path: "/api/v1/triage/facilities/{id}/policy", Name: "setTriageBreachPolicy", Summary: "Whether a breached tamper boundary blocks triage without a recorded reason (block, the default) or not (allow).",
			Tag: "triage", API: true, Request: policyIn{}, Response: triage.Facility{}, Handle: s.apiSetBreachPolicy},
		{Method: "GET", Path: "/api/v1/triage/facilities/{id}/tools", Name: "listTriageTools", Summary: "A facility's Triage Tools and Interfaces, their operators and uses.",
			Tag: "triage", API: true, Response: listOf([]triage.Tool{}), Handle: s.apiTriageTools},
		{Method: "POST", Path: "/api/v1/triage/facilities/{id}/tools", Name: "registerTriageTool", Summary: "Register a Triage Tool or Interface with the operators allowed on it.",
			Tag: "triage", API: true, Request: triage.ToolInput{}, Response: triage.Tool{}, Status: http.StatusCreated, Handle: s.apiRegisterTool},
		{Method: "POST", Path: "/api/v1/triage/tools/{id}/operators", Name: "grantTriageTool", Summary: "Allow a user of the provider to use a Triage Tool or Interface.",
			Tag: "triage", API: true, Request: operatorIn{}, Response: triage.Tool{}, Handle: s.apiGrantOperator},
		{Method: "GET", Path: "/api/v1/triage/facilities/{id}/entries", Name: "listTriageEntries", Summary: "A facility's record, newest first, paged by number.",
			Tag: "triage", API: true, Params: page, Response: triage.EntryPage{}, Handle: s.apiTriageEntries},
		{Method: "POST", Path: "/api/v1/triage/facilities/{id}/entries", Name: "recordTriageActivity", Summary: "Record the next Triage Activity on a Device, as the calling operator, with the tool and interface used.",
			Tag: "triage", API: true, Request: triage.StepInput{}, Response: triage.Entry{}, Status: http.StatusCreated, Handle: s.apiRecordStep},
		{Method: "POST", Path: "/api/v1/triage/facilities/{id}/intake", Name: "triageIntake", Summary: "Receive a batch of Devices from a CSV file (device_id,received_from,tool,interface): all rows or none.",
			Tag: "triage", API: true, Upload: true, Scope: "import", Response: triage.IntakeResult{}, Handle: s.apiTriageIntake},
		{Method: "GET", Path: "/api/v1/triage/facilities/{id}/verify", Name: "verifyTriageRecord", Summary: "Check the facility's record chain for edits, deletions and reorders.",
			Tag: "triage", API: true, Response: triage.Report{}, Handle: s.apiVerifyTriage},
		{Method: "GET", Path: "/api/v1/triage/facilities/{id}/report", Name: "triageFacilityReport", Summary: "A facility's throughput by step, Devices by outcome, seals issued and breaches with reasons.",
			Tag: "triage", API: true, Response: triage.FacilityReport{}, Handle: s.apiTriageReport},
		{Method: "GET", Path: "/api/v1/triage/overview", Name: "triageOverview", Summary: "Every facility's report the caller may see: the SSC's view across facilities.",
			Tag: "triage", API: true, Response: listOf([]triage.FacilityReport{}), Handle: s.apiTriageOverview},
		{Method: "GET", Path: "/api/v1/triage/outcomes", Name: "triageOutcomes", Summary: "Triage outcomes by model, with no Supplier named: a manufacturer's own models, or all for the SSC.",
			Tag: "triage", API: true, Response: listOf([]triage.ModelOutcome{}), Handle: s.apiTriageOutcomes},
		{Method: "GET", Path: "/api/v1/triage/devices/{id}", Name: "getTriageHistory", Summary: "A Device's triage history as the caller may see it: its facility's provider, the Supplier that sent it (its own Devices only), the SSC.",
			Tag: "triage", API: true, Response: triage.History{}, Handle: s.apiTriageHistory},

		{Method: "GET", Path: "/triage", Name: "triagePage", Summary: "Triage Facilities, outcomes and a Device lookup.", Tag: "ui", Handle: s.triagePage},
		{Method: "POST", Path: "/triage/facilities", Name: "applyFacilityForm", Summary: "Apply for a facility.", Tag: "ui", Handle: s.applyFacilityForm},
		{Method: "GET", Path: "/triage/facilities/{id}", Name: "facilityPage", Summary: "A facility: status, decisions, tools, report and record.", Tag: "ui", Handle: s.facilityPage},
		{Method: "POST", Path: "/triage/facilities/{id}/decisions", Name: "decideFacilityForm", Summary: "Record a decision on a facility.", Tag: "ui", Handle: s.decideFacilityForm},
		{Method: "POST", Path: "/triage/facilities/{id}/tools", Name: "registerToolForm", Summary: "Register a Triage Tool or Interface.", Tag: "ui", Handle: s.registerToolForm},
		{Method: "POST", Path: "/triage/facilities/{id}/intake", Name: "intakeForm", Summary: "Receive a batch of Devices from a CSV file.", Tag: "ui", Upload: true, Scope: "import", Handle: s.intakeForm},
		{Method: "GET", Path: "/triage/facilities/{id}/scan", Name: "scanPage", Summary: "The scanning workflow: a Device's history and its next step in one form.", Tag: "ui", Handle: s.scanPage},
		{Method: "POST", Path: "/triage/facilities/{id}/scan", Name: "scanForm", Summary: "Record a Device's next step.", Tag: "ui", Handle: s.scanForm},
		{Method: "GET", Path: "/triage/devices/{id}", Name: "triageDevicePage", Summary: "A Device's triage history.", Tag: "ui", Handle: s.triageDevicePage},
	}
}

// policyIn is the body of a breach policy change.
type policyIn struct {
	BreachPolicy string `json:"breach_policy"`
}

// operatorIn names a user to allow on a tool.
type operatorIn struct {
	Email string `json:"email"`
}

// triageID reads a numeric id from the path; anything else is a record that
// does not exist.
func triageID(r *http.Request, kind string) (int64, error) {
	v := r.PathValue("id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.NotFoundf(kind, v)
	}
	return id, nil
}

func (s *Server) apiTriageFacilities(w http.ResponseWriter, r *http.Request) error {
	fs, err := s.Triage.Facilities(r.Context(), callerOf(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, listOf(fs))
}

func (s *Server) apiApplyFacility(w http.ResponseWriter, r *http.Request) error {
	var in triage.NewFacility
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	f, err := s.Triage.Apply(r.Context(), callerOf(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, f)
}

func (s *Server) apiTriageFacility(w http.ResponseWriter, r *http.Request) error {
	id, err := triageID(r, "triage facility")
	if err != nil {
		return err
	}
	f, err := s.Triage.Facility(r.Context(), callerOf(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, f)
}

func (s *Server) apiDecideFacility(w http.ResponseWriter, r *http.Request) error {
	id, err := triageID(r, "triage facility")
	if err != nil {
		return err
	}
	var in triage.Decision
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	f, err := s.Triage.Decide(r.Context(), callerOf(r), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, f)
}

func (s *Server) apiSetBreachPolicy(w http.ResponseWriter, r *http.Request) error {
	id, err := triageID(r, "triage facility")
	if err != nil {
		return err
	}
	var in policyIn
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	f, err := s.Triage.SetBreachPolicy(r.Context(), callerOf(r), id, in.BreachPolicy)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, f)
}

func (s *Server) apiTriageTools(w http.ResponseWriter, r *http.Request) error {
	id, err := triageID(r, "triage facility")
	if err != nil {
		return err
	}
	ts, err := s.Triage.Tools(r.Context(), callerOf(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, listOf(ts))
}

func (s *Server) apiRegisterTool(w http.ResponseWriter, r *http.Request) error {
	id, err := triageID(r, "triage facility")
	if err != nil {
		return err
	}
	var in triage.ToolInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	t, err := s.Triage.RegisterTool(r.Context(), callerOf(r), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, t)
}

func (s *Server) apiGrantOperator(w http.ResponseWriter, r *http.Request) error {
	id, err := triageID(r, "triage tool")
	if err != nil {
		return err
	}
	var in operatorIn
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	t, err := s.Triage.GrantOperator(r.Context(), callerOf(r), id, in.Email)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}

// entryQuery reads the paging of a facility's record.
func entryQuery(r *http.Request) (triage.EntryQuery, error) {
	q := r.URL.Query()
	var out triage.EntryQuery
	var fields []errs.Field
	for name, dst := range map[string]*int64{"before": &out.Before} {
		if v := strings.TrimSpace(q.Get(name)); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				fields = append(fields, errs.Field{Field: name, Message: "want a whole number"})
			}
			*dst = n
		}
	}
	if v := strings.TrimSpace(q.Get("limit")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			fields = append(fields, errs.Field{Field: "limit", Message: "want a whole number above 0"})
		}
		out.Limit = n
	}
	if v := strings.TrimSpace(q.Get("device")); v != "" {
		id, err := parseDeviceID(v)
		if err != nil {
			fields = append(fields, errs.As(err).Fields...)
		}
		out.Device = id
	}
	if len(fields) > 0 {
		return out, errs.Fields("the query is not valid", fields...)
	}
	return out, nil
}

func (s *Server) apiTriageEntries(w http.ResponseWriter, r *http.Request) error {
	id, err := triageID(r, "triage facility")
	if err != nil {
		return err
	}
	q, err := entryQuery(r)
	if err != nil {
		return err
	}
	page, err := s.Triage.Entries(r.Context(), callerOf(r), id, q)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page)
}

// stepIn is the body of a recorded step: StepInput with the Device ID and
// step as text, so bad values get field errors.
type stepIn struct {
	triage.StepInput
	DeviceID string `json:"device_id"`
	Step     string `json:"step"`
}

func (in stepIn) parse() (triage.StepInput, error) {
	out := in.StepInput
	var fields []errs.Field
	id, err := parseDeviceID(in.DeviceID)
	if err != nil {
		fields = append(fields, errs.As(err).Fields...)
	}
	out.DeviceID = id
	st, err := sec.ParseTriageStep(in.Step)
	if err != nil {
		fields = append(fields, errs.Field{Field: "step", Message: err.Error()})
	}
	out.Step = st
	if len(fields) > 0 {
		return out, errs.Fields("the step is not valid", fields...)
	}
	return out, nil
}

func (s *Server) apiRecordStep(w http.ResponseWriter, r *http.Request) error {
	id, err := triageID(r, "triage facility")
	if err != nil {
		return err
	}
	var in stepIn
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	step, err := in.parse()
	if err != nil {
		return err
	}
	e, err := s.Triage.Record(r.Context(), callerOf(r), id, step)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, e)
}

func (s *Server) apiTriageIntake(w http.ResponseWriter, r *http.Request) error {
	id, err := triageID(r, "triage facility")
	if err != nil {
		return err
	}
	if r.ContentLength == 0 {
		return errs.E(errs.Invalid, "send the intake CSV file (or the same gzip-compressed) as the request body")
	}
	body, err := uploadBody(w, r, maxIntakeUpload)
	if err != nil {
		return err
	}
	defer body.Close()
	res, err := s.Triage.Intake(r.Context(), callerOf(r), id, body)
	if err != nil {
		return tooLarge(err)
	}
	return writeJSON(w, http.StatusOK, res)
}

func (s *Server) apiVerifyTriage(w http.ResponseWriter, r *http.Request) error {
	id, err := triageID(r, "triage facility")
	if err != nil {
		return err
	}
	rep, err := s.Triage.Verify(r.Context(), callerOf(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

func (s *Server) apiTriageReport(w http.ResponseWriter, r *http.Request) error {
	id, err := triageID(r, "triage facility")
	if err != nil {
		return err
	}
	rep, err := s.Triage.Report(r.Context(), callerOf(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

func (s *Server) apiTriageOverview(w http.ResponseWriter, r *http.Request) error {
	reps, err := s.Triage.Overview(r.Context(), callerOf(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, listOf(reps))
}

func (s *Server) apiTriageOutcomes(w http.ResponseWriter, r *http.Request) error {
	out, err := s.Triage.Outcomes(r.Context(), callerOf(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, listOf(out))
}

func (s *Server) apiTriageHistory(w http.ResponseWriter, r *http.Request) error {
	id, err := deviceID(r)
	if err != nil {
		return err
	}
	h, err := s.Triage.DeviceHistory(r.Context(), callerOf(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h)
}
