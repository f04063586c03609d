package web

import (
	"net/http"
	"strings"

	"github.com/metersec/metersec/internal/coverage"
	"github.com/metersec/metersec/internal/errs"
)

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
