package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/triage"
)

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
