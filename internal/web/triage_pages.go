package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/triage"
)

// triageData is the /triage page.
type triageData struct {
	Facilities []triage.Facility
	MayApply   bool
	Outcomes   []triage.ModelOutcome
	Device     string
}

func (s *Server) triagePage(w http.ResponseWriter, r *http.Request) error {
	return s.showTriage(w, r, http.StatusOK, nil)
}

func (s *Server) showTriage(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	c := callerOf(r)
	data := triageData{MayApply: triage.MayApplyForOwn(c), Device: strings.TrimSpace(r.URL.Query().Get("device"))}
	pg := s.newPage(r, "Triage", nil)
	pg.Form = map[string]string{}
	if data.Device != "" {
		id, err := parseDeviceID(data.Device)
		if err == nil {
			http.Redirect(w, r, "/triage/devices/"+url.PathEscape(id.String()), http.StatusSeeOther)
			return nil
		}
		pg.formErrors(err)
		status = http.StatusUnprocessableEntity
	}
	if formErr != nil {
		pg.formErrors(formErr)
		pg.Form = formValues(r)
	}
	var err error
	if data.Facilities, err = s.Triage.Facilities(r.Context(), c); err != nil {
		return err
	}
	if triage.MaySeeOutcomes(c) {
		if data.Outcomes, err = s.Triage.Outcomes(r.Context(), c); err != nil {
			return err
		}
	}
	pg.Data = data
	return s.render(w, r, status, "triage", pg)
}

func (s *Server) applyFacilityForm(w http.ResponseWriter, r *http.Request) error {
	r.ParseForm()
	f, err := s.Triage.Apply(r.Context(), callerOf(r), triage.NewFacility{Provider: r.PostFormValue("provider"),
		Name: r.PostFormValue("name"), Address: r.PostFormValue("address"), BreachPolicy: r.PostFormValue("breach_policy")})
	if err != nil {
		if errs.Is(err, errs.Invalid) {
			return s.showTriage(w, r, http.StatusUnprocessableEntity, err)
		}
		return err
	}
	return s.redirect(w, r, facilityPath(f.ID), "Applied for "+f.Name+": the SSC decides after an initial FUSA.")
}

func facilityPath(id int64) string { return "/triage/facilities/" + strconv.FormatInt(id, 10) }

// facilityData is a facility's page.
type facilityData struct {
	Facility  triage.Facility
	Events    []sec.FacilityEvent
	Tools     []triage.Tool
	Report    triage.FacilityReport
	Entries   triage.EntryPage
	MayManage bool
	Open      string
}

func (s *Server) facilityPage(w http.ResponseWriter, r *http.Request) error {
	return s.showFacility(w, r, http.StatusOK, "", nil)
}

func (s *Server) showFacility(w http.ResponseWriter, r *http.Request, status int, open string, formErr error) error {
	id, err := triageID(r, "triage facility")
	if err != nil {
		return err
	}
	c := callerOf(r)
	f, err := s.Triage.Facility(r.Context(), c, id)
	if err != nil {
		return err
	}
	q, err := entryQuery(r)
	if err != nil {
		return err
	}
	data := facilityData{Facility: f, Events: triage.FacilityEvents(c, f), MayManage: triage.MayManage(c, f), Open: open}
	if data.Tools, err = s.Triage.Tools(r.Context(), c, id); err != nil {
		return err
	}
	if data.Report, err = s.Triage.Report(r.Context(), c, id); err != nil {
		return err
	}
	if data.Entries, err = s.Triage.Entries(r.Context(), c, id, q); err != nil {
		return err
	}
	pg := s.newPage(r, f.Name, data)
	pg.Form = map[string]string{}
	if formErr != nil {
		pg.formErrors(formErr)
		pg.Form = formValues(r)
	}
	return s.render(w, r, status, "triage_facility", pg)
}

func (s *Server) decideFacilityForm(w http.ResponseWriter, r *http.Request) error {
	id, err := triageID(r, "triage facility")
	if err != nil {
		return err
	}
	r.ParseForm()
	d := triage.Decision{Event: sec.FacilityEvent(strings.TrimSpace(r.PostFormValue("event"))), Note: r.PostFormValue("note")}
	if v := strings.TrimSpace(r.PostFormValue("assessment_id")); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return s.showFacility(w, r, http.StatusUnprocessableEntity, "decision", errs.FieldError("assessment_id", "want the assessment's number"))
		}
		d.AssessmentID = n
	}
	f, err := s.Triage.Decide(r.Context(), callerOf(r), id, d)
	if err != nil {
		if errs.Is(err, errs.Invalid) || errs.Is(err, errs.Conflict) {
			return s.showFacility(w, r, http.StatusUnprocessableEntity, "decision", err)
		}
		return err
	}
	return s.redirect(w, r, facilityPath(f.ID), "The facility is now "+strings.ReplaceAll(string(f.Status), "_", " ")+".")
}

func (s *Server) registerToolForm(w http.ResponseWriter, r *http.Request) error {
	id, err := triageID(r, "triage facility")
	if err != nil {
		return err
	}
	r.ParseForm()
	in := triage.ToolInput{Category: triage.ToolCategory(r.PostFormValue("category")), Serial: r.PostFormValue("serial"), Kind: r.PostFormValue("kind"),
		Firmware: r.PostFormValue("firmware")}
	for _, e := range strings.FieldsFunc(r.PostFormValue("operators"), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
		in.Operators = append(in.Operators, e)
	}
	t, err := s.Triage.RegisterTool(r.Context(), callerOf(r), id, in)
	if err != nil {
		if errs.Is(err, errs.Invalid) {
			return s.showFacility(w, r, http.StatusUnprocessableEntity, "tool", err)
		}
		return err
	}
	return s.redirect(w, r, facilityPath(id), "Registered "+string(t.Category)+" "+t.Serial+".")
}

// scanData is the scanning workflow page.
type scanData struct {
	Facility  triage.Facility
	Device    string
	History   *triage.History
	Next      []sec.TriageStep
	Tools     []triage.Tool
	Interface []triage.Tool
	MayRecord bool
	Steps     []sec.TriageStep
}

func (s *Server) scanPage(w http.ResponseWriter, r *http.Request) error {
	return s.showScan(w, r, http.StatusOK, r.URL.Query().Get("device"), nil)
}

// showScan renders the scanning page for the Device typed or scanned: its
// history as the caller may see it, and one form for its next step.
func (s *Server) showScan(w http.ResponseWriter, r *http.Request, status int, device string, formErr error) error {
	id, err := triageID(r, "triage facility")
	if err != nil {
		return err
	}
	c := callerOf(r)
	f, err := s.Triage.Facility(r.Context(), c, id)
	if err != nil {
		return err
	}
	data := scanData{Facility: f, Device: strings.TrimSpace(device), Steps: sec.TriageSteps,
		MayRecord: triage.MayRecordAt(c, f)}
	pg := s.newPage(r, "Scan at "+f.Name, nil)
	pg.Form = map[string]string{}
	if formErr != nil {
		pg.formErrors(formErr)
		pg.Form = formValues(r)
	}
	tools, err := s.Triage.Tools(r.Context(), c, id)
	if err != nil {
		return err
	}
	for _, t := range tools {
		if t.Category == triage.CategoryTool {
			data.Tools = append(data.Tools, t)
		} else {
			data.Interface = append(data.Interface, t)
		}
	}
	if data.Device != "" {
		did, err := parseDeviceID(data.Device)
		switch {
		case err != nil:
			if formErr == nil {
				pg.formErrors(err)
				status = http.StatusUnprocessableEntity
			}
		default:
			data.Device = did.String()
			h, err := s.Triage.DeviceHistory(r.Context(), c, did)
			switch {
			case err == nil:
				data.History = &h
				data.Next = sec.TriageLifecycle.Events(h.State, sec.ActorOwner)
			case errs.Is(err, errs.NotFound):
				data.Next = sec.TriageLifecycle.Events(sec.TriageOut, sec.ActorOwner)
			default:
				return err
			}
		}
	}
	pg.Data = data
	return s.render(w, r, status, "triage_scan", pg)
}

func (s *Server) scanForm(w http.ResponseWriter, r *http.Request) error {
	id, err := triageID(r, "triage facility")
	if err != nil {
		return err
	}
	r.ParseForm()
	v := r.PostFormValue
	in := stepIn{DeviceID: v("device_id"), Step: v("step"), StepInput: triage.StepInput{Tool: v("tool"), Interface: v("interface"),
		ReceivedFrom: v("received_from"), ReleasedTo: v("released_to"), Outer: v("outer"), Inner: v("inner"), Reason: v("reason"),
		Note: v("note"), Firmware: v("firmware"), Seal: v("seal"), EstateStatus: v("estate_status")}}
	step, err := in.parse()
	if err == nil {
		var e triage.Entry
		if e, err = s.Triage.Record(r.Context(), callerOf(r), id, step); err == nil {
			return s.redirect(w, r, facilityPath(id)+"/scan?"+url.Values{"device": {e.DeviceID.String()}}.Encode(),
				"Recorded "+strings.ReplaceAll(string(e.Step), "_", " ")+" of "+e.DeviceID.String()+" as entry "+strconv.FormatInt(e.Seq, 10)+".")
		}
	}
	switch errs.CodeOf(err) {
	case errs.Invalid, errs.Conflict, errs.Forbidden:
		return s.showScan(w, r, http.StatusUnprocessableEntity, v("device_id"), err)
	}
	return err
}

func (s *Server) triageDevicePage(w http.ResponseWriter, r *http.Request) error {
	id, err := deviceID(r)
	if err != nil {
		return err
	}
	h, err := s.Triage.DeviceHistory(r.Context(), callerOf(r), id)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "triage_device", s.newPage(r, "Triage of "+id.String(), h))
}

// intakeForm receives the batch intake file of the facility page's upload
// form: all rows or none, the problems listed with their lines.
func (s *Server) intakeForm(w http.ResponseWriter, r *http.Request) error {
	id, err := triageID(r, "triage facility")
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxIntakeUpload)
	mr, err := r.MultipartReader()
	if err != nil {
		return errs.E(errs.Invalid, "send the file from the intake form (multipart/form-data)")
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return tooLarge(errs.E(errs.Invalid, "the upload could not be read: %v", err))
		}
		if part.FormName() != "file" {
			part.Close()
			continue
		}
		body, err := openUpload(io.NopCloser(part), true)
		if err != nil {
			return err
		}
		res, err := s.Triage.Intake(r.Context(), callerOf(r), id, body)
		if err != nil {
			err = tooLarge(err)
			if errs.CodeOf(err) == errs.Invalid {
				// The problems by line, in the message: the form has one
				// field, and several lines may share a column. A file the
				// upload decoder refused (broken gzip, not UTF-8) has no
				// lines at fault: it answers 400, as on the API.
				return s.showFacility(w, r, s.problemFor(r, err).Status, "intake", errs.E(errs.Invalid, "%s", err.Error()))
			}
			return err
		}
		return s.redirect(w, r, facilityPath(id), fmt.Sprintf("Received %d Devices (entries %d to %d).", res.Received, res.FirstSeq, res.LastSeq))
	}
	return errs.E(errs.Invalid, "choose an intake file to upload")
}
