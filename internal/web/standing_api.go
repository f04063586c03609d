package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/meeting"
)

func (s *Server) standingRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/standing-items", Name: "listStandingItems", Summary: "Security incidents, anomaly detection threshold reports and shared resource notifications the caller may see, the latest first, a page at a time, with the total; " +
			"sortable, filtered by kind, state, marking, party, day and text, exported as CSV or JSON. Since issue 15 the page is {items, total, next_cursor} (formerly oldest first with ?after=).",
			Tag: "meetings", API: true, Params: listParams(meeting.StandingSpec), Response: listing.Page[meeting.StandingItem]{}, Handle: s.apiListStanding},
		{Method: "POST", Path: "/api/v1/standing-items", Name: "reportStandingItem", Summary: "Report a standing item: a party its own, the SSC and the secretariat any party's. AMBER unless marked otherwise.",
			Tag: "meetings", API: true, Request: meeting.NewStandingItem{}, Response: meeting.StandingItem{}, Status: http.StatusCreated, Handle: s.apiReportStanding},
		{Method: "POST", Path: "/api/v1/standing-items/{id}/close", Name: "closeStandingItem", Summary: "Close a standing item (SSC and secretariat).",
			Tag: "meetings", API: true, Response: meeting.StandingItem{}, Handle: s.apiCloseStanding},
	}
}

func (s *Server) apiListStanding(w http.ResponseWriter, r *http.Request) error {
	req, err := meeting.StandingSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	c := callerOf(r)
	if req.Exporting() {
		return writeExport(w, req, "standing-items", meeting.StandingCSVHeader, func(lw listing.Writer) error {
			return s.Meetings.ExportStanding(r.Context(), c, req, lw)
		})
	}
	p, err := s.Meetings.StandingPage(r.Context(), c, req)
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
