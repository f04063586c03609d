package web

import (
	"bytes"
	"mime"
	"net/http"
	"net/url"
	"strconv"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/evidence"
	"github.com/metersec/metersec/internal/impracticable"
	"github.com/metersec/metersec/internal/sec"
)

// impracticableRoutes are the records by which a Supplier says an
// arrangement with a manufacturer is not practicable (G3.20 "wherever it is
// practicable"), and the SSC's decisions on them: API and pages.
func (s *Server) impracticableRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/impracticabilities", Name: "listImpracticabilities", Summary: "Records that an arrangement is not practicable, as the caller may see them (RED: the Supplier's people cleared for RED and the SSC), newest first.",
			Tag: "arrangements", API: true, Params: []Param{{Name: "supplier", Description: "a Supplier's code"}, {Name: "manufacturer", Description: "a manufacturer's code"},
				{Name: "state", Description: "recorded, accepted, rejected or withdrawn"}}, Response: []impracticable.Record{}, Handle: s.apiListImpracticable},
		{Method: "POST", Path: "/api/v1/impracticabilities", Name: "recordImpracticability", Summary: "A Supplier records why an arrangement with a manufacturer is not practicable (a user cleared for RED).",
			Tag: "arrangements", API: true, Request: impracticable.NewRecord{}, Response: impracticable.Record{}, Status: http.StatusCreated, Handle: s.apiCreateImpracticable},
		{Method: "GET", Path: "/api/v1/impracticabilities/{ref}", Name: "getImpracticability", Summary: "One record with its evidence files and the moves open to the caller.",
			Tag: "arrangements", API: true, Response: impracticable.Record{}, Handle: s.apiGetImpracticable},
		{Method: "POST", Path: "/api/v1/impracticabilities/{ref}/transitions", Name: "moveImpracticability", Summary: "Move a record on (sec.ImpracticableLifecycle): the SSC accepts or rejects it with a note; the Supplier withdraws it.",
			Tag: "arrangements", API: true, Request: impracticable.Move{}, Response: impracticable.Record{}, Handle: s.apiMoveImpracticable},
		{Method: "POST", Path: "/api/v1/impracticabilities/{ref}/evidence", Name: "addImpracticabilityEvidence", Summary: "Attach an evidence file (" + evidence.AcceptedTypes + "); the body is the file, ?name= its name.",
			Tag: "arrangements", API: true, Upload: true, StoredAsSent: true, Params: []Param{{Name: "name", Description: "the file name", Required: true}},
			Response: evidence.Stored{}, Status: http.StatusCreated, Handle: s.apiAddImpracticableEvidence},
		{Method: "GET", Path: "/api/v1/impracticabilities/{ref}/evidence/{id}", Name: "getImpracticabilityEvidence", Summary: "Download an evidence file.",
			Tag: "arrangements", API: true, Handle: s.downloadImpracticableEvidence},

		{Method: "GET", Path: "/impracticabilities", Name: "impracticabilitiesPage", Summary: "Records that an arrangement is not practicable.", Tag: "ui", Handle: s.impracticabilitiesPage},
		{Method: "POST", Path: "/impracticabilities", Name: "recordImpracticabilityForm", Summary: "Record that an arrangement is not practicable.", Tag: "ui", Handle: s.createImpracticableForm},
		{Method: "GET", Path: "/impracticabilities/{ref}", Name: "impracticabilityPage", Summary: "One record.", Tag: "ui", Handle: s.impracticabilityPage},
		{Method: "POST", Path: "/impracticabilities/{ref}/transitions", Name: "moveImpracticabilityForm", Summary: "Accept, reject or withdraw a record.", Tag: "ui", Handle: s.moveImpracticableForm},
		{Method: "POST", Path: "/impracticabilities/{ref}/evidence", Name: "addImpracticabilityEvidenceForm", Summary: "Attach evidence.", Tag: "ui", Upload: true, StoredAsSent: true, Handle: s.addImpracticableEvidenceForm},
		{Method: "GET", Path: "/impracticabilities/{ref}/evidence/{id}", Name: "impracticabilityEvidencePage", Summary: "Download evidence.", Tag: "ui", Handle: s.downloadImpracticableEvidence},
	}
}

func (s *Server) impracticable() *impracticable.Service { return &impracticable.Service{DB: s.DB} }

func impracticableFilter(r *http.Request) impracticable.Filter {
	q := r.URL.Query()
	return impracticable.Filter{Supplier: q.Get("supplier"), Manufacturer: q.Get("manufacturer"), State: q.Get("state")}
}

func (s *Server) apiListImpracticable(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.impracticable().List(r.Context(), callerOf(r), impracticableFilter(r))
	if err != nil {
		return err
	}
	if rs == nil {
		rs = []impracticable.Record{}
	}
	return writeJSON(w, http.StatusOK, rs)
}

func (s *Server) apiCreateImpracticable(w http.ResponseWriter, r *http.Request) error {
	var in impracticable.NewRecord
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	rec, err := s.impracticable().Create(r.Context(), callerOf(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, rec)
}

func (s *Server) apiGetImpracticable(w http.ResponseWriter, r *http.Request) error {
	rec, err := s.impracticable().Get(r.Context(), callerOf(r), r.PathValue("ref"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rec)
}

func (s *Server) apiMoveImpracticable(w http.ResponseWriter, r *http.Request) error {
	var m impracticable.Move
	if err := s.decodeJSON(w, r, &m); err != nil {
		return err
	}
	rec, err := s.impracticable().Act(r.Context(), callerOf(r), r.PathValue("ref"), m)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rec)
}

func (s *Server) apiAddImpracticableEvidence(w http.ResponseWriter, r *http.Request) error {
	body := http.MaxBytesReader(w, r.Body, evidence.MaxSize)
	defer body.Close()
	ev, err := s.impracticable().AddEvidence(r.Context(), callerOf(r), r.PathValue("ref"), r.URL.Query().Get("name"), body)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, ev)
}

// downloadImpracticableEvidence serves a stored file as an attachment with
// the type its content was recognised as, never rendered inline.
func (s *Server) downloadImpracticableEvidence(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errs.NotFoundf("evidence file", r.PathValue("id"))
	}
	ev, content, err := s.impracticable().EvidenceFile(r.Context(), callerOf(r), r.PathValue("ref"), id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ev.MediaType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": ev.Name}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "sandbox; default-src 'none'")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(content)))
	w.Header().Set("Digest", "sha-256="+ev.SHA256)
	_, err = w.Write(content)
	return err
}

type impracticablesData struct {
	Records   []impracticable.Record
	MayRecord bool
	Lifecycle any
}

func (s *Server) impracticabilitiesPage(w http.ResponseWriter, r *http.Request) error {
	return s.showImpracticables(w, r, http.StatusOK, nil)
}

func (s *Server) showImpracticables(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	c := callerOf(r)
	rs, err := s.impracticable().List(r.Context(), c, impracticableFilter(r))
	if err != nil {
		return err
	}
	pg := s.newPage(r, "Not practicable", impracticablesData{Records: rs, MayRecord: impracticable.MayRecord(c), Lifecycle: sec.ImpracticableLifecycle.Rows()})
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
