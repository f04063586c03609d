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
