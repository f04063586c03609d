package web

import (
	"net/http"
	"strconv"

	"github.com/metersec/metersec/internal/audit"
)

func auditFilter(r *http.Request) audit.Filter {
	q := r.URL.Query()
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	return audit.Filter{ObjectType: q.Get("object_type"), ObjectID: q.Get("object_id"), Before: before, Limit: 100}
}
