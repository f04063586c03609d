package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/meeting"
	"github.com/metersec/metersec/internal/sec"
)

func meetingNumber(r *http.Request) (int, error) { return meeting.ParseNumber(r.PathValue("number")) }

func meetingListFilter(r *http.Request) (meeting.ListFilter, error) {
	before, err := queryInt(r, "before")
	if err != nil {
		return meeting.ListFilter{}, err
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return meeting.ListFilter{}, err
	}
	if limit > meeting.MaxLimit {
		return meeting.ListFilter{}, errs.FieldError("limit", "at most %d", meeting.MaxLimit)
	}
	return meeting.ListFilter{Before: int(before), Limit: int(limit)}, nil
}

func actionFilter(r *http.Request) (meeting.ActionFilter, error) {
	after, err := queryInt(r, "after")
	if err != nil {
		return meeting.ActionFilter{}, err
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return meeting.ActionFilter{}, err
	}
	if limit > meeting.MaxLimit {
		return meeting.ActionFilter{}, errs.FieldError("limit", "at most %d", meeting.MaxLimit)
	}
	return meeting.ActionFilter{Status: sec.ActionState(r.URL.Query().Get("status")), After: after, Limit: int(limit)}, nil
}

type renderedEntry struct {
	revised time.Time
	bytes   []byte
}

// rendered returns a published meeting's headlines rendered in one form
// (pdf, json), rendering them once per revision: the public pages are read
// far more often than a meeting changes.
func (s *Server) rendered(form string, h meeting.Headlines, render func() ([]byte, error)) ([]byte, error) {
	key := form + ":" + strconv.Itoa(h.Number)
	if e, ok := s.headlinePDFs.Load(key); ok && e.(renderedEntry).revised.Equal(h.Revised) {
		return e.(renderedEntry).bytes, nil
	}
	b, err := render()
	if err != nil {
		return nil, err
	}
	s.headlinePDFs.Store(key, renderedEntry{h.Revised, b})
	return b, nil
}
