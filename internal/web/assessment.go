package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/metersec/metersec/internal/assurance"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
)

func assessmentFilter(r *http.Request) (assurance.Filter, error) {
	q := r.URL.Query()
	f := assurance.Filter{Party: q.Get("party"), State: sec.AssessmentState(q.Get("state"))}
	for _, p := range []struct {
		name string
		to   *int
	}{{"year", &f.Year}, {"limit", &f.Limit}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return f, errs.FieldError(p.name, "%q is not a number", v)
			}
			*p.to = n
		}
	}
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return f, errs.FieldError("after", "%q is not a cursor", v)
		}
		f.After = n
	}
	if v := q.Get("type"); v != "" {
		t, err := sec.ParseAssessmentType(v)
		if err != nil {
			return f, errs.FieldError("type", "%v", err)
		}
		f.Type = t
	}
	return f, nil
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
