package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
)

func partyFilter(r *http.Request) (party.Filter, error) {
	f := party.Filter{Query: r.URL.Query().Get("q")}
	if role := r.URL.Query().Get("role"); role != "" {
		rr, err := sec.ParseOrgRole(role)
		if err != nil {
			return f, errs.FieldError("role", "%v", err)
		}
		f.Role = rr
	}
	return f, nil
}
