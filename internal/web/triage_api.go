package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/triage"
)

func (s *Server) apiTriageFacilities(w http.ResponseWriter, r *http.Request) error {
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
	return writeJSON(w, http.StatusOK, p)
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
	req, err := triage.ToolSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportTriageTools(w, r, id, req)
	}
	p, err := s.Triage.ToolsPage(r.Context(), callerOf(r), id, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
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

func (s *Server) apiTriageEntries(w http.ResponseWriter, r *http.Request) error {
	id, err := triageID(r, "triage facility")
	if err != nil {
		return err
	}
	req, err := triage.EntrySpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportTriageEntries(w, r, id, req)
	}
	p, err := s.Triage.EntriesPage(r.Context(), callerOf(r), id, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
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
	req, err := triage.FacilitySpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return writeExport(w, req, "triage-overview", triage.OverviewCSVHeader, func(lw listing.Writer) error {
			return s.Triage.ExportOverview(r.Context(), callerOf(r), req, lw)
		})
	}
	p, err := s.Triage.OverviewPage(r.Context(), callerOf(r), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiTriageOutcomes(w http.ResponseWriter, r *http.Request) error {
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
	return writeJSON(w, http.StatusOK, p)
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

func (s *Server) apiTriageDevices(w http.ResponseWriter, r *http.Request) error {
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
	return writeJSON(w, http.StatusOK, p)
}
