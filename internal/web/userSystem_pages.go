package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/usersystem"
)

func (s *Server) userSystemPageRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/user-systems", Name: "userSystemsPage", Summary: "User Systems, with the form to register one.", Tag: "ui", Handle: s.userSystemsPage},
		{Method: "POST", Path: "/user-systems", Name: "registerUserSystemForm", Summary: "Register a User System.", Tag: "ui", Handle: s.registerUserSystemForm},
		{Method: "GET", Path: "/user-systems/{id}", Name: "userSystemPage", Summary: "One User System.", Tag: "ui", Handle: s.userSystemPage},
		{Method: "POST", Path: "/user-systems/{id}/retire", Name: "retireUserSystemForm", Summary: "Record a User System's last day in service.", Tag: "ui", Handle: s.retireUserSystemForm},
		{Method: "POST", Path: "/user-systems/{id}/arrangement", Name: "linkUserSystemForm", Summary: "Name the arrangement covering a manufacturer of a User System.", Tag: "ui", Handle: s.linkUserSystemForm},
		{Method: "GET", Path: "/user-systems/notifications", Name: "userSystemNotificationsPage", Summary: "SECMP0057 notifications of second and subsequent User Systems.", Tag: "ui", Handle: s.userSystemNotificationsPage},
		{Method: "POST", Path: "/user-systems/notifications/{id}/acknowledge", Name: "acknowledgeUserSystemForm", Summary: "Acknowledge a notification.", Tag: "ui", Handle: s.acknowledgeUserSystemForm},
	}
}

type userSystemsData struct {
	Items   []usersystem.System
	List    listView
	Req     listing.Request
	States  []string
	Classes []string
	// MayAcknowledge offers the notifications; MayNameUser asks which User
	// a new system is for (usersystem decides both).
	MayAcknowledge, MayNameUser bool

	Date     string
	Supplies []string
	Rows     []int // the form's blank manufacturer rows
}

func (s *Server) userSystemsPage(w http.ResponseWriter, r *http.Request) error {
	return s.showUserSystems(w, r, http.StatusOK, nil)
}

func (s *Server) showUserSystems(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
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
	data := userSystemsData{Items: p.Items, Req: req, List: newListView(r, "/user-systems", usersystem.ListSpec, req, p, "User System", "User Systems"),
		States: facetEnum(usersystem.ListSpec, "state"), Classes: facetEnum(usersystem.ListSpec, "classification"),
		Supplies: usersystem.Supplies, Rows: []int{0, 1, 2}, MayAcknowledge: usersystem.MayAcknowledge(callerOf(r)), MayNameUser: usersystem.MayNameUser(callerOf(r))}
	if !d.IsZero() {
		data.Date = d.String()
	}
	pg := s.newPage(r, "User Systems", data)
	if formErr != nil {
		pg.formErrors(formErr)
		pg.Form = r.PostForm
	}
	return s.render(w, r, status, "usersystems", pg)
}

// userSystemForm reads the register form: up to three manufacturer rows,
// blank ones left out.
func userSystemForm(r *http.Request) usersystem.Input {
	r.ParseForm()
	in := usersystem.Input{User: r.PostFormValue("user"), Name: r.PostFormValue("name"), Description: r.PostFormValue("description"),
		InServiceFrom: r.PostFormValue("in_service_from"), InServiceTo: r.PostFormValue("in_service_to"),
		Classification: r.PostFormValue("classification"), Components: []usersystem.ComponentInput{}}
	f := r.PostForm
	for i, m := range f["manufacturer"] {
		at := func(k string) string {
			if i < len(f[k]) {
				return f[k][i]
			}
			return ""
		}
		if strings.TrimSpace(m) == "" && strings.TrimSpace(at("arrangement")) == "" && strings.TrimSpace(at("component")) == "" {
			continue
		}
		in.Components = append(in.Components, usersystem.ComponentInput{Manufacturer: m, Supplies: at("supplies"),
			Component: at("component"), Arrangement: at("arrangement")})
	}
	return in
}

func (s *Server) userSystemFormFailed(w http.ResponseWriter, r *http.Request, err error, again func(int, error) error) error {
	switch errs.CodeOf(err) {
	case errs.Invalid, errs.Forbidden, errs.Conflict:
		return again(s.problemFor(r, err).Status, err)
	}
	return err
}

func (s *Server) registerUserSystemForm(w http.ResponseWriter, r *http.Request) error {
	sys, err := s.UserSystems.Create(r.Context(), callerOf(r), userSystemForm(r))
	if err != nil {
		return s.userSystemFormFailed(w, r, err, func(st int, e error) error { return s.showUserSystems(w, r, st, e) })
	}
	flash := "User System registered."
	if sys.Notification != nil {
		flash = fmt.Sprintf("User System registered: as the User's number %d, the SSC has been notified (SECMP0057).", sys.Ordinal)
	}
	return s.redirect(w, r, fmt.Sprintf("/user-systems/%d", sys.ID), flash)
}

type userSystemData struct {
	S    usersystem.System
	Date string
	// MayEdit: the caller may retire it or name arrangements.
	MayEdit bool
}

func (s *Server) userSystemPage(w http.ResponseWriter, r *http.Request) error {
	return s.showUserSystem(w, r, http.StatusOK, nil)
}

func (s *Server) showUserSystem(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	id, err := recordID(r, "id", "User System")
	if err != nil {
		return err
	}
	d, err := queryDate(r, "date")
	if err != nil {
		return err
	}
	c := callerOf(r)
	sys, err := s.UserSystems.Get(r.Context(), c, id, d)
	if err != nil {
		return err
	}
	data := userSystemData{S: sys, MayEdit: usersystem.MayEdit(c, sys)}
	if !d.IsZero() {
		data.Date = d.String()
	}
	pg := s.newPage(r, sys.Name, data)
	if formErr != nil {
		pg.formErrors(formErr)
	}
	return s.render(w, r, status, "usersystem", pg)
}

func (s *Server) retireUserSystemForm(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "User System")
	if err != nil {
		return err
	}
	r.ParseForm()
	if _, err := s.UserSystems.Retire(r.Context(), callerOf(r), id, r.PostFormValue("in_service_to")); err != nil {
		return s.userSystemFormFailed(w, r, err, func(st int, e error) error { return s.showUserSystem(w, r, st, e) })
	}
	return s.redirect(w, r, fmt.Sprintf("/user-systems/%d", id), "Last day in service recorded.")
}

func (s *Server) linkUserSystemForm(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "User System")
	if err != nil {
		return err
	}
	r.ParseForm()
	if _, err := s.UserSystems.LinkArrangement(r.Context(), callerOf(r), id, r.PostFormValue("manufacturer"), r.PostFormValue("arrangement")); err != nil {
		return s.userSystemFormFailed(w, r, err, func(st int, e error) error { return s.showUserSystem(w, r, st, e) })
	}
	return s.redirect(w, r, fmt.Sprintf("/user-systems/%d", id), "Arrangement recorded.")
}

func (s *Server) userSystemNotificationsPage(w http.ResponseWriter, r *http.Request) error {
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
	return s.render(w, r, http.StatusOK, "usersystem_notifications", s.newPage(r, "User System notifications", userSystemNoticesData{
		Items: p.Items, Req: req, List: newListView(r, "/user-systems/notifications", usersystem.NoticeSpec, req, p, "notification", "notifications"),
		Classes: facetEnum(usersystem.NoticeSpec, "classification"), MayAcknowledge: usersystem.MayAcknowledge(callerOf(r))}))
}

// userSystemNoticesData is a page of the SECMP0057 notifications, and
// whether the caller may acknowledge them (usersystem.MayAcknowledge).
type userSystemNoticesData struct {
	Items          []usersystem.Notification
	List           listView
	Req            listing.Request
	Classes        []string
	MayAcknowledge bool
}

func (s *Server) acknowledgeUserSystemForm(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r, "id", "User System notification")
	if err != nil {
		return err
	}
	if _, err := s.UserSystems.Acknowledge(r.Context(), callerOf(r), id); err != nil {
		return err
	}
	return s.redirect(w, r, fmt.Sprintf("/user-systems/notifications#notice-%d", id), "Notification acknowledged.")
}
