package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/metersec/metersec/internal/errs"
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Instance  string       `json:"instance,omitempty"`
	Errors    []errs.Field `json:"errors,omitempty"`
	More      int          `json:"more_errors,omitempty"`
	RequestID string       `json:"request_id,omitempty"`
}

// statusOf is the one mapping from error codes to HTTP statuses.
var statusOf = map[errs.Code]int{
	errs.Invalid:         http.StatusBadRequest,
	errs.Unauthenticated: http.StatusUnauthorized,
	errs.Forbidden:       http.StatusForbidden,
	errs.NotFound:        http.StatusNotFound,
	errs.Conflict:        http.StatusConflict,
	errs.TooLarge:        http.StatusRequestEntityTooLarge,
	errs.Unsupported:     http.StatusUnsupportedMediaType,
	errs.RateLimited:     http.StatusTooManyRequests,
	errs.Unavailable:     http.StatusServiceUnavailable,
	errs.Internal:        http.StatusInternalServerError,
}

// problemFor turns any error into what the client may be told. Internal
// errors are logged with the request id and described only as such.
func (s *Server) problemFor(r *http.Request, err error) Problem {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = errs.E(errs.TooLarge, "the request body is larger than %d bytes", mbe.Limit)
	}
	e := errs.As(err)
	status := statusOf[e.Code]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	var bad *malformedText
	if e.Code == errs.Invalid && len(e.Fields) > 0 && !errors.As(err, &bad) {
		status = http.StatusUnprocessableEntity
	}
	p := Problem{
		Type:      "https://metersec.example/problems/" + strings.ReplaceAll(string(e.Code), "_", "-"),
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    e.Message,
		Instance:  r.URL.Path,
		Errors:    e.Fields,
		More:      e.More,
		RequestID: requestID(r),
	}
	if status >= 500 {
		p.Detail = "Something went wrong on our side. It has been logged; quote the request id if you report it."
		p.Errors = nil
		s.Log.Error("request failed", "request_id", p.RequestID, "method", r.Method, "path", r.URL.Path, "err", errors.Join(e.Err, err))
	}
	return p
}

func writeProblem(w http.ResponseWriter, p Problem) {
	// An export that fails before its first byte (a meeting not found, a
	// caller refused) answers with the problem, not a file named for it.
	w.Header().Del("Content-Disposition")
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="metersec"`)
	}
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}
