package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/impracticable"
)

func impracticableFilter(r *http.Request) impracticable.Filter {
	q := r.URL.Query()
	return impracticable.Filter{Supplier: q.Get("supplier"), Manufacturer: q.Get("manufacturer"), State: q.Get("state")}
}
