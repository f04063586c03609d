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
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/triage"
)

// triageData is the /triage page: a Device lookup and the ways into the
// lists, with their totals.
type triageData struct {
	Facilities   int64
	Devices      int64
	Outcomes     int64
	MaySeeDevice bool
	MayOutcomes  bool
	MayApply     bool
	Device       string
}

func (s *Server) triagePage(w http.ResponseWriter, r *http.Request) error {
	return s.showTriage(w, r, http.StatusOK, nil)
}

// total is the number of rows of a list with no filters: one row is read.
func total[T any](p listing.Page[T], err error) (int64, error) { return p.Total, err }

func (s *Server) showTriage(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	c := callerOf(r)
	data := triageData{MayApply: triage.MayApplyForOwn(c), MaySeeDevice: triage.MaySeeDevices(c), MayOutcomes: triage.MaySeeOutcomes(c),
		Device: strings.TrimSpace(r.URL.Query().Get("device"))}
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
	one, _ := url.ParseQuery("limit=1")
	var err error
	if data.Facilities, err = total(s.Triage.FacilitiesPage(r.Context(), c, must(triage.FacilitySpec.Parse(one)))); err != nil {
		return err
	}
	if data.MaySeeDevice {
		if data.Devices, err = total(s.Triage.DevicesPage(r.Context(), c, must(triage.DeviceSpec.Parse(one)))); err != nil {
			return err
		}
	}
	if data.MayOutcomes {
		if data.Outcomes, err = total(s.Triage.OutcomesPage(r.Context(), c, must(triage.OutcomeSpec.Parse(one)))); err != nil {
			return err
		}
	}
	pg.Data = data
	return s.render(w, r, status, "triage", pg)
}

// must is a request the code itself writes, which parses.
func must(req listing.Request, err error) listing.Request {
	if err != nil {
		panic("triage: " + err.Error())
	}
	return req
}

// triageListData is one page of a triage list for its template.
type triageListData[T any] struct {
	Items    []T
	List     listView
	Req      listing.Request
	States   []string
	Facility *triage.Facility
}

func (s *Server) triageFacilitiesPage(w http.ResponseWriter, r *http.Request) error {
	req, err := triage.FacilitySpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportTriageFacilities(w, r, req)
	}
	p, err := s.Triage.FacilitiesPage(r.Context(), callerOf(r), req)
	if err != nil {
		return err
	}
	d := triageListData[triage.Facility]{Items: p.Items, Req: req, States: facetEnum(triage.FacilitySpec, "state"),
		List: newListView(r, "/triage/facilities", triage.FacilitySpec, req, p, "facility", "facilities")}
	return s.render(w, r, http.StatusOK, "triage_facilities", s.newPage(r, "Triage Facilities", d))
}

func (s *Server) triageDevicesPage(w http.ResponseWriter, r *http.Request) error {
	req, err := triage.DeviceSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportTriageDevices(w, r, req)
	}
	p, err := s.Triage.DevicesPage(r.Context(), callerOf(r), req)
	if err != nil {
		return err
	}
	d := triageListData[triage.Device]{Items: p.Items, Req: req, States: facetEnum(triage.DeviceSpec, "state"),
		List: newListView(r, "/triage/devices", triage.DeviceSpec, req, p, "Device", "Devices")}
	return s.render(w, r, http.StatusOK, "triage_devices", s.newPage(r, "Devices in triage", d))
}

func (s *Server) triageOutcomesPage(w http.ResponseWriter, r *http.Request) error {
	req, err := triage.OutcomeSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportTriageOutcomes(w, r, req)
	}
	p, err := s.Triage.OutcomesPage(r.Context(), callerOf(r), req)
	if err != nil {
		return err
	}
	d := triageListData[triage.ModelOutcome]{Items: p.Items, Req: req, States: facetEnum(triage.OutcomeSpec, "outcome"),
		List: newListView(r, "/triage/outcomes", triage.OutcomeSpec, req, p, "model", "models")}
	return s.render(w, r, http.StatusOK, "triage_outcomes", s.newPage(r, "Triage outcomes by model", d))
}

func (s *Server) triageToolsPage(w http.ResponseWriter, r *http.Request) error {
	id, err := triageID(r, "triage facility")
	if err != nil {
		return err
	}
	req, err := triage.ToolSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	c := callerOf(r)
	f, err := s.Triage.Facility(r.Context(), c, id)
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportTriageTools(w, r, id, req)
	}
	p, err := s.Triage.ToolsPage(r.Context(), c, id, req)
	if err != nil {
		return err
	}
	d := triageListData[triage.Tool]{Items: p.Items, Req: req, Facility: &f,
		List: newListView(r, facilityPath(id)+"/tools", triage.ToolSpec, req, p, "tool or interface", "tools and interfaces")}
	return s.render(w, r, http.StatusOK, "triage_tools", s.newPage(r, "Tools of "+f.Name, d))
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

// facilityData is a facility's page: its facts and forms, the first of its
// tools, its report and the newest entries of its record.
type facilityData struct {
	Facility  triage.Facility
	Events    []sec.FacilityEvent
	Tools     listing.Page[triage.Tool]
	Report    triage.FacilityReport
	Breaches  []triage.Breach
	Recent    listing.Page[triage.Entry]
	MayManage bool
	MayRecord bool
	Open      string
}

// facilityTools, facilityBreaches and facilityEntries are how many of each
// the facility page shows; the tools page and the record page have all.
const (
	facilityTools    = 10
	facilityBreaches = 5
	facilityEntries  = 10
)

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
	data := facilityData{Facility: f, Events: triage.FacilityEvents(c, f), MayManage: triage.MayManage(c, f), MayRecord: triage.MayRecordAt(c, f), Open: open}
	if data.Tools, err = s.Triage.ToolsPage(r.Context(), c, id, must(triage.ToolSpec.Parse(url.Values{"limit": {strconv.Itoa(facilityTools)}}))); err != nil {
		return err
	}
	if data.Report, err = s.Triage.Report(r.Context(), c, id); err != nil {
		return err
	}
	data.Breaches = data.Report.Recent[:min(len(data.Report.Recent), facilityBreaches)]
	if data.Recent, err = s.Triage.EntriesPage(r.Context(), c, id, must(triage.EntrySpec.Parse(url.Values{"limit": {strconv.Itoa(facilityEntries)}}))); err != nil {
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

// recordData is a page of a facility's record.
type recordData struct {
	Facility triage.Facility
	Items    []triage.Entry
	List     listView
	Req      listing.Request
	Steps    []string
	States   []string
}

func (s *Server) triageRecordPage(w http.ResponseWriter, r *http.Request) error {
	id, err := triageID(r, "triage facility")
	if err != nil {
		return err
	}
	req, err := triage.EntrySpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	c := callerOf(r)
	f, err := s.Triage.Facility(r.Context(), c, id)
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportTriageEntries(w, r, id, req)
	}
	p, err := s.Triage.EntriesPage(r.Context(), c, id, req)
	if err != nil {
		return err
	}
	d := recordData{Facility: f, Items: p.Items, Req: req, Steps: facetEnum(triage.EntrySpec, "step"), States: facetEnum(triage.EntrySpec, "state"),
		List: newListView(r, facilityPath(id)+"/record", triage.EntrySpec, req, p, "entry", "entries")}
	return s.render(w, r, http.StatusOK, "triage_record", s.newPage(r, "Record of "+f.Name, d))
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
