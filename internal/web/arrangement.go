package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/errs"
)

// endInput is the body of an end request.
type endInput struct {
	Date string `json:"date,omitempty"` // the first day it no longer counts; today when empty
}

func arrangementFilter(r *http.Request) (arrangement.Filter, error) {
	q := r.URL.Query()
	f := arrangement.Filter{Party: q.Get("party")}
	if k := q.Get("kind"); k != "" {
		kind, err := arrangement.ParseKind(k)
		if err != nil {
			return f, errs.FieldError("kind", "%v", err)
		}
		f.Kind = kind
	}
	d, err := queryDate(r, "in_force_on")
	f.InForceOn = d
	return f, err
}
