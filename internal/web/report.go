package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/report"
)

func reportFilter(r *http.Request) (report.Filter, error) {
	q := r.URL.Query()
	f := report.Filter{Org: q.Get("org")}
	if m := q.Get("month"); m != "" {
		month, err := report.ParseMonth(m)
		if err != nil {
			return f, errs.FieldError("month", "%v", err)
		}
		f.Month = month
	}
	switch k := report.Kind(q.Get("kind")); k {
	case "", report.ManufacturerKind, report.SupplierKind, report.StandingKind:
		f.Kind = k
	default:
		return f, errs.FieldError("kind", "must be manufacturer, supplier or standing")
	}
	return f, nil
}
