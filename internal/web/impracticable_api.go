package web

import (
	"mime"
	"net/http"
	"strconv"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/evidence"
	"github.com/metersec/metersec/internal/impracticable"
)

func (s *Server) apiListImpracticable(w http.ResponseWriter, r *http.Request) error {
	req, err := impracticable.ListSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportImpracticable(w, r, req)
	}
	p, err := s.impracticable().ListPage(r.Context(), callerOf(r), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
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
