package web

import (
	"mime"
	"net/http"
	"strconv"

	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
)

func (s *Server) apiListArrangements(w http.ResponseWriter, r *http.Request) error {
	req, err := arrangement.ParseList(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportArrangements(w, r, req)
	}
	p, err := s.Arrangements.ListPage(r.Context(), callerOf(r), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiCreateArrangement(w http.ResponseWriter, r *http.Request) error {
	var in arrangement.Input
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	a, err := s.Arrangements.Create(r.Context(), callerOf(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, a)
}

func (s *Server) apiImportArrangements(w http.ResponseWriter, r *http.Request) error {
	body, err := uploadBody(w, r, 16<<20)
	if err != nil {
		return err
	}
	defer body.Close()
	res, err := s.Arrangements.Import(r.Context(), callerOf(r), body)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (s *Server) apiGetArrangement(w http.ResponseWriter, r *http.Request) error {
	a, err := s.Arrangements.Get(r.Context(), callerOf(r), r.PathValue("ref"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

func (s *Server) apiUpdateArrangement(w http.ResponseWriter, r *http.Request) error {
	var in arrangement.Update
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	a, err := s.Arrangements.Update(r.Context(), callerOf(r), r.PathValue("ref"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

func (s *Server) apiConfirmArrangement(w http.ResponseWriter, r *http.Request) error {
	a, err := s.Arrangements.Confirm(r.Context(), callerOf(r), r.PathValue("ref"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

func (s *Server) apiEndArrangement(w http.ResponseWriter, r *http.Request) error {
	var in endInput
	if r.ContentLength != 0 {
		if err := s.decodeJSON(w, r, &in); err != nil {
			return err
		}
	}
	var d sec.Date
	if in.Date != "" {
		var err error
		if d, err = sec.ParseDate(in.Date); err != nil {
			return errs.FieldError("date", "%v", err)
		}
	}
	a, err := s.Arrangements.Terminate(r.Context(), callerOf(r), r.PathValue("ref"), d)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

func (s *Server) apiAddEvidence(w http.ResponseWriter, r *http.Request) error {
	body := http.MaxBytesReader(w, r.Body, arrangement.MaxEvidenceSize)
	defer body.Close()
	ev, err := s.Arrangements.AddEvidence(r.Context(), callerOf(r), r.PathValue("ref"), r.URL.Query().Get("name"), body)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, ev)
}

// downloadEvidence serves a stored file as an attachment with the type its
// content was recognised as, never rendered inline by the browser.
func (s *Server) downloadEvidence(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errs.NotFoundf("evidence file", r.PathValue("id"))
	}
	ev, content, err := s.Arrangements.EvidenceFile(r.Context(), callerOf(r), r.PathValue("ref"), id)
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

func (s *Server) apiListAlerts(w http.ResponseWriter, r *http.Request) error {
	req, err := arrangement.AlertSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportAlerts(w, r, req)
	}
	page, err := s.Arrangements.AlertPage(r.Context(), callerOf(r), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page)
}

// exportAlerts streams every alert the request's filters match.
func (s *Server) exportAlerts(w http.ResponseWriter, r *http.Request, req listing.Request) error {
	return writeExport(w, req, "alerts", arrangement.AlertCSVHeader, func(lw listing.Writer) error {
		return s.Arrangements.AlertExport(r.Context(), callerOf(r), req, lw)
	})
}
