package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/meeting"
)

func (s *Server) standingRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/standing-items", Name: "listStandingItems", Summary: "Security incidents, anomaly detection threshold reports and shared resource notifications the caller may see, oldest first, with the total.",
			Tag: "meetings", API: true, Params: []Param{{Name: "open", Description: "true for open items only"}, {Name: "kind", Description: "security_incident, anomaly_detection or shared_resource"},
				{Name: "after", Description: "the cursor: items after this id"}, {Name: "limit", Description: "at most this many (1–200)"}},
			Response: meeting.Page[meeting.StandingItem]{}, Handle: s.apiListStanding},
		{Method: "POST", Path: "/api/v1/standing-items", Name: "reportStandingItem", Summary: "Report a standing item: a party its own, the SSC and the secretariat any party's. AMBER unless marked otherwise.",
			Tag: "meetings", API: true, Request: meeting.NewStandingItem{}, Response: meeting.StandingItem{}, Status: http.StatusCreated, Handle: s.apiReportStanding},
		{Method: "POST", Path: "/api/v1/standing-items/{id}/close", Name: "closeStandingItem", Summary: "Close a standing item (SSC and secretariat).",
			Tag: "meetings", API: true, Response: meeting.StandingItem{}, Handle: s.apiCloseStanding},
	}
}

func (s *Server) apiListStanding(w http.ResponseWriter, r *http.Request) error {
	after, err := queryInt(r, "after")
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	if limit > meeting.MaxLimit {
		return errs.FieldError("limit", "at most %d", meeting.MaxLimit)
	}
	f := meeting.StandingFilter{AfterID: after, Limit: int(limit), Open: r.URL.Query().Get("open") == "true"}
	switch k := meeting.StandingKind(r.URL.Query().Get("kind")); k {
	case "", meeting.SecurityIncident, meeting.AnomalyDetection, meeting.SharedResource:
		f.Kind = k
	default:
		return errs.FieldError("kind", "must be security_incident, anomaly_detection or shared_resource")
	}
	p, err := s.Meetings.StandingItems(r.Context(), callerOf(r), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiReportStanding(w http.ResponseWriter, r *http.Request) error {
	var in meeting.NewStandingItem
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	it, err := s.Meetings.ReportStanding(r.Context(), callerOf(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, it)
}

func (s *Server) apiCloseStanding(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	it, err := s.Meetings.CloseStanding(r.Context(), callerOf(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, it)
}
