package web

import (
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/report"
)

func (s *Server) apiListReports(w http.ResponseWriter, r *http.Request) error {
	req, err := report.ParseList(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportReports(w, r, req)
	}
	p, err := s.Reports.ListPage(r.Context(), callerOf(r), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiGetReport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rep, err := s.Reports.Get(r.Context(), callerOf(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

// apiDownloadReport serves the stored bytes. The HTML file is a
// self-contained page with its style inline, so it gets a policy of its own
// allowing that style and nothing else; the other formats are attachments.
func (s *Server) apiDownloadReport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	format, err := report.ParseFormat(r.PathValue("format"))
	if err != nil {
		return errs.FieldError("format", "%v", err)
	}
	dl, err := s.Reports.File(r.Context(), callerOf(r), id, format)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", dl.MediaType)
	h.Set("Cache-Control", "no-store")
	if sum, err := hex.DecodeString(dl.SHA256); err == nil {
		h.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum)+":")
	}
	disposition := "attachment"
	if format == report.HTML {
		disposition = "inline"
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	}
	h.Set("Content-Disposition", disposition+`; filename="`+dl.Filename()+`"`)
	h.Set("Content-Length", strconv.Itoa(len(dl.Bytes)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(dl.Bytes)
	return err
}

func (s *Server) apiListRuns(w http.ResponseWriter, r *http.Request) error {
	req, err := report.RunSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportRuns(w, r, req)
	}
	p, err := s.Reports.RunPage(r.Context(), callerOf(r), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiDownloadStandingTable(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := s.Reports.StandingReport(r.Context(), callerOf(r), id)
	if err != nil {
		return err
	}
	name, body, err := v.TableCSV(r.PathValue("table"))
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", report.CSV.MediaType())
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(body)
	return err
}
