package web

import (
	"net/http"
	"strconv"

	"github.com/metersec/metersec/internal/assurance"
	"github.com/metersec/metersec/internal/errs"
)

func planFilter(r *http.Request) (assurance.PlanFilter, error) {
	q := r.URL.Query()
	f := assurance.PlanFilter{Overdue: q.Get("overdue") == "true" || q.Get("overdue") == "1"}
	for _, p := range []struct {
		name string
		to   *int64
	}{{"assessment", &f.Assessment}, {"after", &f.After}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return f, errs.FieldError(p.name, "%q is not a number", v)
			}
			*p.to = n
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return f, errs.FieldError("limit", "%q is not a number", v)
		}
		f.Limit = n
	}
	return f, nil
}
