package web

import (
	"net/http"
	"strings"

	"github.com/metersec/metersec/internal/coverage"
	"github.com/metersec/metersec/internal/errs"
)

func (s *Server) obligationRoutes() []Route {
	return []Route{
		// The Device ID is a query parameter, not part of the path, so that
		// a problem document (whose instance is the path) never repeats the
		// ID of a Device the caller may not see.
		{Method: "GET", Path: "/api/v1/obligations", Name: "getObligations", Summary: "For one Device on a day: who carries G3.17(b) and G3.20(b), under which SEC version, the arrangement that meets G3.20, and why.",
			Tag: "coverage", API: true, Params: []Param{{Name: "device", Description: "the Device ID (EUI-64, e.g. 00-1A-2B-3C-4D-5E-6F-70)", Required: true},
				{Name: "date", Description: "the day (YYYY-MM-DD); today by default"},
				{Name: "sec_version", Description: "answer under this SEC release instead of the one in force"}},
			Response: coverage.Explanation{}, Handle: s.apiObligations},
		// Public so that a signed-out visitor is not redirected to sign in
		// with the Device ID in the redirect; the page answers only
		// signed-in callers.
		{Method: "GET", Path: "/obligations", Name: "obligationsPage", Summary: "Explain one Device's obligations.", Tag: "ui", Access: Public, Handle: s.obligationsPage},
	}
}

func (s *Server) apiObligations(w http.ResponseWriter, r *http.Request) error {
	d, err := queryDate(r, "date")
	if err != nil {
		return err
	}
	ex, err := s.Coverage.Explain(r.Context(), callerOf(r), r.URL.Query().Get("device"), d, r.URL.Query().Get("sec_version"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ex)
}

type obligationsData struct {
	Device, Date, Version string
	Ex                    *coverage.Explanation
}

func (s *Server) obligationsPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	data := obligationsData{Device: strings.TrimSpace(q.Get("device")), Date: q.Get("date"), Version: q.Get("sec_version")}
	pg := s.newPage(r, "Obligations", &data)
	status := http.StatusOK
	if !callerOf(r).SignedIn() {
		data.Device = ""
		pg.Error = "Sign in to ask about a Device."
		return s.render(w, r, http.StatusUnauthorized, "obligations", pg)
	}
	if data.Device != "" {
		d, err := queryDate(r, "date")
		if err == nil {
			var ex coverage.Explanation
			ex, err = s.Coverage.Explain(r.Context(), callerOf(r), data.Device, d, data.Version)
			if err == nil {
				data.Ex = &ex
				pg.Title = "Obligations of " + ex.DeviceID
			}
		}
		if err != nil {
			if errs.Is(err, errs.NotFound) {
				data.Device = "" // do not echo an ID the caller may not see
			}
			pg.formErrors(err)
			status = s.problemFor(r, err).Status
		}
	}
	return s.render(w, r, status, "obligations", pg)
}
