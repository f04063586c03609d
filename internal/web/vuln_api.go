package web

import (
	"encoding/csv"
	"net/http"
	"time"

	"github.com/metersec/metersec/internal/advisory"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/vuln"
)

func (s *Server) apiListVulns(w http.ResponseWriter, r *http.Request) error {
	req, err := vuln.ListSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return writeExport(w, req, "vulnerabilities", vuln.CSVHeader, func(lw listing.Writer) error {
			return s.Vulns.Export(r.Context(), callerOf(r), req, lw)
		})
	}
	p, err := s.Vulns.Page(r.Context(), callerOf(r), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiReportVuln(w http.ResponseWriter, r *http.Request) error {
	var in vuln.NewVulnerability
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	v, err := s.Vulns.Report(r.Context(), callerOf(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, v)
}

// importOptions reads the options of a CSAF import from the query.
func csafImportOptions(r *http.Request) (vuln.ImportOptions, error) {
	q := r.URL.Query()
	opt := vuln.ImportOptions{Manufacturer: q.Get("manufacturer"), DryRun: q.Get("dry_run") == "true",
		MaterialityRationale: q.Get("rationale")}
	switch q.Get("material") {
	case "":
	case "true", "false":
		m := q.Get("material") == "true"
		opt.Material = &m
	default:
		return opt, errs.FieldError("material", "must be true or false")
	}
	return opt, nil
}

func (s *Server) apiImportCSAF(w http.ResponseWriter, r *http.Request) error {
	opt, err := csafImportOptions(r)
	if err != nil {
		return err
	}
	body, err := uploadBody(w, r, advisory.MaxCSAFSize+1)
	if err != nil {
		return err
	}
	defer body.Close()
	res, err := s.Vulns.ImportCSAF(r.Context(), callerOf(r), body, opt)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if opt.DryRun {
		status = http.StatusOK
	}
	return writeJSON(w, status, res)
}

func (s *Server) apiVulnOverview(w http.ResponseWriter, r *http.Request) error {
	o, err := s.Vulns.Overview(r.Context(), callerOf(r), time.Now())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, o)
}

func (s *Server) apiVulnInbox(w http.ResponseWriter, r *http.Request) error {
	req, err := vuln.InboxSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return writeExport(w, req, "inbox-vulnerabilities", vuln.InboxCSVHeader, func(lw listing.Writer) error {
			return s.Vulns.ExportInbox(r.Context(), callerOf(r), req, lw)
		})
	}
	in, err := s.Vulns.Inbox(r.Context(), callerOf(r), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, in)
}

func (s *Server) apiGetVuln(w http.ResponseWriter, r *http.Request) error {
	v, err := s.Vulns.Open(r.Context(), callerOf(r), r.PathValue("ref"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (s *Server) apiUpdateVuln(w http.ResponseWriter, r *http.Request) error {
	var in vuln.Update
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	v, err := s.Vulns.Update(r.Context(), callerOf(r), r.PathValue("ref"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (s *Server) apiVulnEvent(w http.ResponseWriter, r *http.Request) error {
	var in vuln.TransitionInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	v, err := s.Vulns.Transition(r.Context(), callerOf(r), r.PathValue("ref"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (s *Server) apiVulnRecipients(w http.ResponseWriter, r *http.Request) error {
	req, err := vuln.RecipientSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	ref := r.PathValue("ref")
	if req.Exporting() {
		// Not found before the first byte, as the page would be.
		if _, err := s.Vulns.Get(r.Context(), callerOf(r), ref); err != nil {
			return err
		}
		return writeExport(w, req, "recipients-"+ref, vuln.RecipientCSVHeader, func(lw listing.Writer) error {
			return s.Vulns.ExportRecipients(r.Context(), callerOf(r), ref, req, lw)
		})
	}
	p, err := s.Vulns.RecipientsPage(r.Context(), callerOf(r), ref, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiVulnTimeline(w http.ResponseWriter, r *http.Request) error {
	req, err := vuln.TimelineSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	ref := r.PathValue("ref")
	if req.Exporting() {
		return writeExport(w, req, ref+"-timeline", vuln.TimelineHeader, func(lw listing.Writer) error {
			return s.Vulns.ExportTimeline(r.Context(), callerOf(r), ref, req, lw)
		})
	}
	p, err := s.Vulns.TimelinePage(r.Context(), callerOf(r), ref, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiVulnAck(w http.ResponseWriter, r *http.Request) error {
	var in vuln.AckInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	rec, err := s.Vulns.Acknowledge(r.Context(), callerOf(r), r.PathValue("ref"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rec)
}

func (s *Server) apiVulnPlans(w http.ResponseWriter, r *http.Request) error {
	req, err := vuln.PlanSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportVulnPlans(w, r, r.PathValue("ref"), req)
	}
	p, err := s.Vulns.PlanPage(r.Context(), callerOf(r), r.PathValue("ref"), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiSavePlan(w http.ResponseWriter, r *http.Request) error {
	var in vuln.PlanInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.Vulns.SavePlan(r.Context(), callerOf(r), r.PathValue("ref"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiPlanEvent(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in vuln.PlanEventInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.Vulns.PlanTransition(r.Context(), callerOf(r), r.PathValue("ref"), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

// exportCSAF serves the advisory as a download, for the API and the UI.
func (s *Server) exportCSAF(w http.ResponseWriter, r *http.Request) error {
	doc, name, err := s.Vulns.ExportCSAF(r.Context(), callerOf(r), r.PathValue("ref"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, err = w.Write(doc)
	return err
}

// exportAffectedDevices streams the caller's own affected Devices as CSV:
// a Supplier told of the vulnerability, its installed Devices on the
// affected firmware, read from its own portfolio's Device rows and written
// row by row (a large Supplier may have millions). Whether the caller may
// is settled before the first byte, so a refusal is still a problem
// document.
func (s *Server) exportAffectedDevices(w http.ResponseWriter, r *http.Request) error {
	c := callerOf(r)
	v, firmware, err := s.Vulns.AffectedFirmware(r.Context(), c, r.PathValue("ref"))
	if err != nil {
		return err
	}
	if !vuln.MayExportDevices(v) {
		return errs.E(errs.Forbidden, "only a Supplier told of %s exports its own affected Devices", v.Ref)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+v.Ref+`-devices.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	if err := cw.Write(estate.AffectedDevicesCSVHeader); err != nil {
		return nil // the client went away
	}
	n := 0
	err = s.Estate.EachAffectedDevice(r.Context(), c, firmware, func(d estate.AffectedDevice) error {
		if err := cw.Write(d.CSV()); err != nil {
			return err
		}
		if n++; n%4096 == 0 {
			cw.Flush()
			return cw.Error()
		}
		return nil
	})
	cw.Flush()
	if err != nil {
		// Headers are gone: log it and cut the body short, so the file is
		// visibly incomplete rather than silently short.
		s.Log.Error("affected devices export", "ref", v.Ref, "err", err, "request_id", requestID(r))
		panic(http.ErrAbortHandler)
	}
	return nil
}

func (s *Server) apiRecipientSummary(w http.ResponseWriter, r *http.Request) error {
	c := callerOf(r)
	v, err := s.Vulns.Get(r.Context(), c, r.PathValue("ref"))
	if err != nil {
		return err
	}
	sum, err := s.Vulns.RecipientSummary(r.Context(), c, v.Ref, time.Now())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sum)
}
