package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/meeting"
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

// The meeting lists' exports (issue 15), shared by their pages and their
// API routes: every row the request's filters match, streamed.

func (s *Server) exportMeetings(w http.ResponseWriter, r *http.Request, req listing.Request) error {
	return writeExport(w, req, "meetings", meeting.MeetingCSVHeader, func(lw listing.Writer) error {
		return s.Meetings.ExportMeetings(r.Context(), callerOf(r), req, lw)
	})
}

func (s *Server) exportMeetingActions(w http.ResponseWriter, r *http.Request, req listing.Request) error {
	return writeExport(w, req, "meeting-actions", meeting.ActionCSVHeader, func(lw listing.Writer) error {
		return s.Meetings.ExportActions(r.Context(), callerOf(r), req, s.Meetings.ActionDay(), lw)
	})
}

func (s *Server) exportMinutes(w http.ResponseWriter, r *http.Request, number int, req listing.Request) error {
	return writeExport(w, req, "meeting-"+strconv.Itoa(number)+"-minutes", meeting.MinutesCSVHeader, func(lw listing.Writer) error {
		return s.Meetings.ExportMinutes(r.Context(), callerOf(r), number, req, lw)
	})
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
