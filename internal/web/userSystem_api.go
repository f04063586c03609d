package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/usersystem"
)

// userSystemRoutes are the register of Users' User Systems (G3.17(a),
// G3.20(a)) and the SSC's list of SECMP0057 notifications.
func (s *Server) userSystemRoutes() []Route {
	dateParam := Param{Name: "date", Description: "the day the duties and G3.20(a) statuses are for (YYYY-MM-DD); today by default"}
	return []Route{
		{Method: "GET", Path: "/api/v1/user-systems", Name: "listUserSystems", Summary: "The User Systems the caller may see (RED to the User and the SSC by default), each manufacturer Covered, Reasonable steps or Gap under G3.20(a): " +
			"paged, sorted, filtered, exported as CSV or JSON. Since issue 15 the answer {items} also carries total, next_cursor, prev_cursor, limit and sort.",
			Tag: "usersystem", API: true, Params: listParams(usersystem.ListSpec, dateParam),
			Response: listing.Page[usersystem.System]{}, Handle: s.apiListUserSystems},
		{Method: "POST", Path: "/api/v1/user-systems", Name: "registerUserSystem", Summary: "Register a User System with its manufacturers and the arrangement covering each; a second or subsequent one notifies the SSC (SECMP0057).",
			Tag: "usersystem", API: true, Request: usersystem.Input{}, Response: usersystem.System{}, Status: http.StatusCreated, Handle: s.apiCreateUserSystem},
		{Method: "GET", Path: "/api/v1/user-systems/{id}", Name: "getUserSystem", Summary: "One User System with its duties on the day and its SECMP0057 notification.",
			Tag: "usersystem", API: true, Params: []Param{dateParam}, Response: usersystem.System{}, Handle: s.apiGetUserSystem},
		{Method: "PUT", Path: "/api/v1/user-systems/{id}/retirement", Name: "retireUserSystem", Summary: "Record the last day a User System is in service.",
			Tag: "usersystem", API: true, Request: retireIn{}, Response: usersystem.System{}, Handle: s.apiRetireUserSystem},
		{Method: "PUT", Path: "/api/v1/user-systems/{id}/components/{manufacturer}/arrangement", Name: "linkUserSystemArrangement", Summary: "Name (or clear, with an empty reference) the arrangement covering one manufacturer of a User System.",
			Tag: "usersystem", API: true, Request: linkIn{}, Response: usersystem.System{}, Handle: s.apiLinkUserSystem},
		{Method: "GET", Path: "/api/v1/user-system-notifications", Name: "listUserSystemNotifications", Summary: "SECMP0057 notifications of second and subsequent User Systems the caller may see, newest first: paged, sorted, filtered, exported as CSV or JSON.",
			Tag: "usersystem", API: true, Params: listParams(usersystem.NoticeSpec), Response: listing.Page[usersystem.Notification]{}, Handle: s.apiUserSystemNotifications},
		{Method: "POST", Path: "/api/v1/user-system-notifications/{id}/acknowledgement", Name: "acknowledgeUserSystemNotification", Summary: "The SSC takes note of a notification (SSC and secretariat).",
			Tag: "usersystem", API: true, Response: usersystem.Notification{}, Handle: s.apiAcknowledgeUserSystem},
	}
}

// retireIn is the body of a retirement.
type retireIn struct {
	InServiceTo string `json:"in_service_to"`
}

// linkIn is the body naming an arrangement: required, "" to clear it, so
// that an empty body never unlinks one.
type linkIn struct {
	Arrangement *string `json:"arrangement"`
}

func (s *Server) apiListUserSystems(w http.ResponseWriter, r *http.Request) error {
	req, d, err := userSystemRequest(r)
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportUserSystems(w, r, req, d)
	}
	p, err := s.UserSystems.Page(r.Context(), callerOf(r), req, d)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

// userSystemRequest reads the register's list request and the day it is
// read for (?date, today when absent).
func userSystemRequest(r *http.Request) (listing.Request, sec.Date, error) {
	req, err := usersystem.ListSpec.Parse(r.URL.Query())
	if err != nil {
		return req, sec.Date{}, err
	}
	d, err := queryDate(r, "date")
	return req, d, err
}

func (s *Server) exportUserSystems(w http.ResponseWriter, r *http.Request, req listing.Request, d sec.Date) error {
	return writeExport(w, req, "user-systems", usersystem.CSVHeader, func(lw listing.Writer) error {
		return s.UserSystems.Export(r.Context(), callerOf(r), req, d, lw)
	})
}

func (s *Server) exportUserSystemNotices(w http.ResponseWriter, r *http.Request, req listing.Request) error {
	return writeExport(w, req, "user-system-notifications", usersystem.NoticeCSVHeader, func(lw listing.Writer) error {
		return s.UserSystems.ExportNotices(r.Context(), callerOf(r), req, lw)
	})
}

func (s *Server) apiCreateUserSystem(w http.ResponseWriter, r *http.Request) error {
	var in usersystem.Input
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	sys, err := s.UserSystems.Create(r.Context(), callerOf(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, sys)
}

func (s *Server) apiGetUserSystem(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "User System")
	if err != nil {
		return err
	}
	d, err := queryDate(r, "date")
	if err != nil {
		return err
	}
	sys, err := s.UserSystems.Get(r.Context(), callerOf(r), id, d)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sys)
}

func (s *Server) apiRetireUserSystem(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "User System")
	if err != nil {
		return err
	}
	var in retireIn
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	sys, err := s.UserSystems.Retire(r.Context(), callerOf(r), id, in.InServiceTo)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sys)
}

func (s *Server) apiLinkUserSystem(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "User System")
	if err != nil {
		return err
	}
	var in linkIn
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Arrangement == nil {
		return errs.FieldError("arrangement", "required: the arrangement's reference, or \"\" to clear it")
	}
	sys, err := s.UserSystems.LinkArrangement(r.Context(), callerOf(r), id, r.PathValue("manufacturer"), *in.Arrangement)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sys)
}

func (s *Server) apiUserSystemNotifications(w http.ResponseWriter, r *http.Request) error {
	req, err := usersystem.NoticeSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportUserSystemNotices(w, r, req)
	}
	p, err := s.UserSystems.NoticePage(r.Context(), callerOf(r), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiAcknowledgeUserSystem(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "User System notification")
	if err != nil {
		return err
	}
	n, err := s.UserSystems.Acknowledge(r.Context(), callerOf(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, n)
}
