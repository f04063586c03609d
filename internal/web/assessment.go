package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/metersec/metersec/internal/assurance"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
)

// exportAssessments streams the assessment list's export with the
// request's filters.
func (s *Server) exportAssessments(w http.ResponseWriter, r *http.Request, req listing.Request) error {
	return writeExport(w, req, "assessments", assurance.CSVHeader, func(lw listing.Writer) error {
		return s.Assurance.Export(r.Context(), callerOf(r), req, lw)
	})
}

// planYear reads ?year=, this year by default.
func planYear(r *http.Request) (int, error) {
	v := r.URL.Query().Get("year")
	if v == "" {
		return sec.DateOf(time.Now()).Time().Year(), nil
	}
	y, err := strconv.Atoi(v)
	if err != nil {
		return 0, errs.FieldError("year", "%q is not a year", v)
	}
	return y, nil
}
