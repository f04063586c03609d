package web

import (
	"net/http"
	"strconv"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/triage"
)

// maxIntakeUpload bounds a batch intake file: a million rows of under 100
// bytes.
const maxIntakeUpload = 128 << 20

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

// The triage lists' exports, shared by each list's page and endpoint.

func (s *Server) exportTriageFacilities(w http.ResponseWriter, r *http.Request, req listing.Request) error {
	return writeExport(w, req, "triage-facilities", triage.FacilityCSVHeader, func(lw listing.Writer) error {
		return s.Triage.ExportFacilities(r.Context(), callerOf(r), req, lw)
	})
}

func (s *Server) exportTriageTools(w http.ResponseWriter, r *http.Request, id int64, req listing.Request) error {
	return writeExport(w, req, "triage-tools-"+strconv.FormatInt(id, 10), triage.ToolCSVHeader, func(lw listing.Writer) error {
		return s.Triage.ExportTools(r.Context(), callerOf(r), id, req, lw)
	})
}

func (s *Server) exportTriageEntries(w http.ResponseWriter, r *http.Request, id int64, req listing.Request) error {
	return writeExport(w, req, "triage-record-"+strconv.FormatInt(id, 10), triage.EntryCSVHeader, func(lw listing.Writer) error {
		return s.Triage.ExportEntries(r.Context(), callerOf(r), id, req, lw)
	})
}

func (s *Server) exportTriageDevices(w http.ResponseWriter, r *http.Request, req listing.Request) error {
	return writeExport(w, req, "triage-devices", triage.DeviceCSVHeader, func(lw listing.Writer) error {
		return s.Triage.ExportDevices(r.Context(), callerOf(r), req, lw)
	})
}

func (s *Server) exportTriageOutcomes(w http.ResponseWriter, r *http.Request, req listing.Request) error {
	return writeExport(w, req, "triage-outcomes", triage.OutcomeCSVHeader, func(lw listing.Writer) error {
		return s.Triage.ExportOutcomes(r.Context(), callerOf(r), req, lw)
	})
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
