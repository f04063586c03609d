package web

import (
	"bytes"
	"net/http"
	"net/url"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/evidence"
	"github.com/metersec/metersec/internal/impracticable"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
)

type impracticablesData struct {
	Items     []impracticable.Record
	List      listView
	Req       listing.Request
	States    []string
	Classes   []string
	MayRecord bool
	Lifecycle any
}

func (s *Server) impracticabilitiesPage(w http.ResponseWriter, r *http.Request) error {
	return s.showImpracticables(w, r, http.StatusOK, nil)
}

func (s *Server) showImpracticables(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	req, err := impracticable.ListSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportImpracticable(w, r, req)
	}
	c := callerOf(r)
	p, err := s.impracticable().ListPage(r.Context(), c, req)
	if err != nil {
		return err
	}
	pg := s.newPage(r, "Not practicable", impracticablesData{Items: p.Items, Req: req,
		List:   newListView(r, "/impracticabilities", impracticable.ListSpec, req, p, "record", "records"),
		States: facetEnum(impracticable.ListSpec, "state"), Classes: facetEnum(impracticable.ListSpec, "classification"),
		MayRecord: impracticable.MayRecord(c), Lifecycle: sec.ImpracticableLifecycle.Rows()})
	if formErr != nil {
		pg.formErrors(formErr)
	}
	return s.render(w, r, status, "impracticabilities", pg)
}

func impFormFailed(err error) bool {
	switch errs.CodeOf(err) {
	case errs.Invalid, errs.Forbidden, errs.Conflict, errs.TooLarge, errs.Unsupported:
		return true
	}
	return false
}

func (s *Server) createImpracticableForm(w http.ResponseWriter, r *http.Request) error {
	r.ParseForm()
	rec, err := s.impracticable().Create(r.Context(), callerOf(r), impracticable.NewRecord{Manufacturer: r.PostFormValue("manufacturer"), Reason: r.PostFormValue("reason")})
	if err != nil {
		if impFormFailed(err) {
			return s.showImpracticables(w, r, s.problemFor(r, err).Status, err)
		}
		return err
	}
	return s.redirect(w, r, "/impracticabilities/"+url.PathEscape(rec.Reference), "Recorded "+rec.Reference+": the SSC will decide it. Attach your evidence below.")
}

type impracticableData struct {
	Record   impracticable.Record
	Accepted string
	MayAdd   bool
}

func (s *Server) impracticabilityPage(w http.ResponseWriter, r *http.Request) error {
	return s.showImpracticable(w, r, http.StatusOK, nil)
}

func (s *Server) showImpracticable(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	rec, err := s.impracticable().Get(r.Context(), callerOf(r), r.PathValue("ref"))
	if err != nil {
		return err
	}
	pg := s.newPage(r, rec.Reference, impracticableData{Record: rec, Accepted: evidence.AcceptedTypes, MayAdd: len(rec.Events) > 0 && rec.State.IsOpen()})
	if formErr != nil {
		pg.formErrors(formErr)
	}
	return s.render(w, r, status, "impracticability", pg)
}

func (s *Server) moveImpracticableForm(w http.ResponseWriter, r *http.Request) error {
	r.ParseForm()
	m := impracticable.Move{Event: sec.ImpracticableEvent(r.PostFormValue("event")), Note: r.PostFormValue("note")}
	rec, err := s.impracticable().Act(r.Context(), callerOf(r), r.PathValue("ref"), m)
	if err != nil {
		if impFormFailed(err) {
			return s.showImpracticable(w, r, s.problemFor(r, err).Status, err)
		}
		return err
	}
	return s.redirect(w, r, "/impracticabilities/"+url.PathEscape(rec.Reference), rec.Reference+": "+rec.StateLabel+".")
}

func (s *Server) addImpracticableEvidenceForm(w http.ResponseWriter, r *http.Request) error {
	name, body, err := formFile(w, r, "file", evidence.MaxSize)
	if err == nil {
		_, err = s.impracticable().AddEvidence(r.Context(), callerOf(r), r.PathValue("ref"), name, bytes.NewReader(body))
	}
	if err != nil {
		if impFormFailed(err) && errs.CodeOf(err) != errs.Forbidden {
			return s.showImpracticable(w, r, s.problemFor(r, err).Status, err)
		}
		return err
	}
	return s.redirect(w, r, "/impracticabilities/"+url.PathEscape(r.PathValue("ref")), "Attached "+name+".")
}
