package web

import (
	"net/http"
	"strings"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
)

func (s *Server) partyRoutes() []Route {
	listParams := []Param{{Name: "role", Description: "only organisations holding this role"}, {Name: "q", Description: "text in the code or name"}}
	return []Route{
		{Method: "GET", Path: "/api/v1/parties", Name: "listParties", Summary: "Organisations the caller may see.", Tag: "parties",
			API: true, Params: listParams, Response: listOf([]party.Party{}), Handle: s.apiListParties},
		{Method: "POST", Path: "/api/v1/parties", Name: "createParty", Summary: "Register an organisation (SSC and secretariat).",
			Tag: "parties", API: true, Request: party.NewParty{}, Response: party.Party{}, Status: http.StatusCreated, Handle: s.apiCreateParty},
		{Method: "POST", Path: "/api/v1/parties/import", Name: "importParties", Summary: "Import a parties CSV file (code,name,roles,contact_name,contact_email,contact_phone): all rows or none.",
			Tag: "parties", API: true, Upload: true, Scope: "import", Response: party.ImportResult{}, Handle: s.apiImportParties},
		{Method: "GET", Path: "/api/v1/parties/{code}", Name: "getParty", Summary: "One organisation with its current security contacts.",
			Tag: "parties", API: true, Response: party.Party{}, Handle: s.apiGetParty},
		{Method: "PATCH", Path: "/api/v1/parties/{code}", Name: "updateParty", Summary: "Change an organisation's name, roles or classification (SSC and secretariat).",
			Tag: "parties", API: true, Request: party.Update{}, Response: party.Party{}, Handle: s.apiUpdateParty},
		{Method: "GET", Path: "/api/v1/parties/{code}/contacts", Name: "listContacts", Summary: "Security contacts; with history=true every past contact too.",
			Tag: "parties", API: true, Params: []Param{{Name: "history", Description: "true to include past contacts"}},
			Response: listOf([]party.Contact{}), Handle: s.apiListContacts},
		{Method: "PUT", Path: "/api/v1/parties/{code}/contacts/{label}", Name: "setContact", Summary: "Set the security contact under a label; the previous one is kept in the history.",
			Tag: "parties", API: true, Request: party.ContactInput{}, Response: party.Contact{}, Handle: s.apiSetContact},
		{Method: "DELETE", Path: "/api/v1/parties/{code}/contacts/{label}", Name: "removeContact", Summary: "End the security contact under a label.",
			Tag: "parties", API: true, Status: http.StatusNoContent, Handle: s.apiRemoveContact},

		{Method: "GET", Path: "/parties", Name: "partiesPage", Summary: "The directory.", Tag: "ui", Handle: s.partiesPage},
		{Method: "GET", Path: "/parties/new", Name: "newPartyPage", Summary: "Register an organisation.", Tag: "ui", Handle: s.newPartyPage},
		{Method: "POST", Path: "/parties", Name: "createPartyForm", Summary: "Register an organisation.", Tag: "ui", Handle: s.createPartyForm},
		{Method: "GET", Path: "/parties/{code}", Name: "partyPage", Summary: "An organisation.", Tag: "ui", Handle: s.partyPage},
		{Method: "POST", Path: "/parties/{code}", Name: "updatePartyForm", Summary: "Change an organisation.", Tag: "ui", Handle: s.updatePartyForm},
		{Method: "POST", Path: "/parties/{code}/contacts", Name: "setContactForm", Summary: "Set a security contact.", Tag: "ui", Handle: s.setContactForm},
		{Method: "POST", Path: "/parties/{code}/contacts/{label}/remove", Name: "removeContactForm", Summary: "End a security contact.", Tag: "ui", Handle: s.removeContactForm},
	}
}

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

func (s *Server) apiListParties(w http.ResponseWriter, r *http.Request) error {
	f, err := partyFilter(r)
	if err != nil {
		return err
	}
	ps, err := s.Parties.List(r.Context(), callerOf(r), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, listOf(ps))
}

func (s *Server) apiCreateParty(w http.ResponseWriter, r *http.Request) error {
	var in party.NewParty
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.Parties.Create(r.Context(), callerOf(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, p)
}

func (s *Server) apiImportParties(w http.ResponseWriter, r *http.Request) error {
	body, err := uploadBody(w, r, 16<<20)
	if err != nil {
		return err
	}
	defer body.Close()
	res, err := s.Parties.Import(r.Context(), callerOf(r), body)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (s *Server) apiGetParty(w http.ResponseWriter, r *http.Request) error {
	p, err := s.Parties.Get(r.Context(), callerOf(r), r.PathValue("code"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiUpdateParty(w http.ResponseWriter, r *http.Request) error {
	var in party.Update
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.Parties.Update(r.Context(), callerOf(r), r.PathValue("code"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiListContacts(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.Parties.Contacts(r.Context(), callerOf(r), r.PathValue("code"), r.URL.Query().Get("history") == "true")
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, listOf(cs))
}

func (s *Server) apiSetContact(w http.ResponseWriter, r *http.Request) error {
	var in party.ContactInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Label != "" && in.Label != r.PathValue("label") {
		return errs.FieldError("label", "differs from the label in the path")
	}
	in.Label = r.PathValue("label")
	c, err := s.Parties.SetContact(r.Context(), callerOf(r), r.PathValue("code"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (s *Server) apiRemoveContact(w http.ResponseWriter, r *http.Request) error {
	if err := s.Parties.RemoveContact(r.Context(), callerOf(r), r.PathValue("code"), r.PathValue("label")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type partiesData struct {
	Parties  []party.Party
	Filter   party.Filter
	Roles    []sec.OrgRole
	MayAdmin bool
}

func (s *Server) partiesPage(w http.ResponseWriter, r *http.Request) error {
	f, err := partyFilter(r)
	if err != nil {
		return err
	}
	c := callerOf(r)
	ps, err := s.Parties.List(r.Context(), c, f)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "parties", s.newPage(r, "Directory", partiesData{Parties: ps, Filter: f, Roles: sec.OrgRoles, MayAdmin: c.IsSSC()}))
}

type partyFormData struct {
	CSRF           string
	Party          party.Party
	New            bool
	Roles          []sec.OrgRole
	Classes        []sec.Classification
	ClassDefaulted bool
}

func (s *Server) newPartyPage(w http.ResponseWriter, r *http.Request) error {
	if !callerOf(r).IsSSC() {
		return errs.E(errs.Forbidden, "only SSC members and the secretariat may register organisations")
	}
	pg := s.newPage(r, "Register an organisation", nil)
	pg.Data = partyData{Form: partyFormData{CSRF: pg.CSRF, New: true, Roles: sec.OrgRoles, Classes: sec.Classifications, ClassDefaulted: true}}
	return s.render(w, r, http.StatusOK, "party_form", pg)
}

func (s *Server) createPartyForm(w http.ResponseWriter, r *http.Request) error {
	r.ParseForm()
	in := party.NewParty{Code: r.PostFormValue("code"), Name: r.PostFormValue("name"), Roles: r.PostForm["roles"],
		Classification: r.PostFormValue("classification")}
	if r.PostFormValue("contact_email") != "" || r.PostFormValue("contact_name") != "" {
		in.Contacts = []party.ContactInput{{Label: "primary", Name: r.PostFormValue("contact_name"),
			Email: r.PostFormValue("contact_email"), Phone: r.PostFormValue("contact_phone")}}
	}
	p, err := s.Parties.Create(r.Context(), callerOf(r), in)
	if err != nil {
		roles := make([]sec.OrgRole, len(in.Roles))
		for i, x := range in.Roles {
			roles[i] = sec.OrgRole(x)
		}
		pg := s.newPage(r, "Register an organisation", nil)
		pg.Data = partyData{Form: partyFormData{CSRF: pg.CSRF, New: true, Roles: sec.OrgRoles, Classes: sec.Classifications,
			Party:          party.Party{Code: in.Code, Name: in.Name, Roles: roles, Classification: sec.Classification(in.Classification)},
			ClassDefaulted: in.Classification == ""}}
		pg.formErrors(err)
		return s.render(w, r, s.problemFor(r, err).Status, "party_form", pg)
	}
	return s.redirect(w, r, "/parties/"+p.Code, "Registered "+p.Name+".")
}

type partyData struct {
	Party       party.Party
	History     []party.Contact
	MayEdit     bool
	MayContacts bool
	Form        partyFormData
}

func (s *Server) partyPage(w http.ResponseWriter, r *http.Request) error {
	return s.showParty(w, r, http.StatusOK, nil)
}

func (s *Server) showParty(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	c := callerOf(r)
	p, err := s.Parties.Get(r.Context(), c, r.PathValue("code"))
	if err != nil {
		return err
	}
	hist, err := s.Parties.Contacts(r.Context(), c, p.Code, true)
	if err != nil {
		return err
	}
	pg := s.newPage(r, p.Name, nil)
	pg.Data = partyData{Party: p, History: hist, MayEdit: c.IsSSC(), MayContacts: c.IsSSC() || c.OrgID == p.ID,
		Form: partyFormData{CSRF: pg.CSRF, Party: p, Roles: sec.OrgRoles, Classes: sec.Classifications}}
	if formErr != nil {
		pg.formErrors(formErr)
	}
	return s.render(w, r, status, "party", pg)
}

func (s *Server) updatePartyForm(w http.ResponseWriter, r *http.Request) error {
	r.ParseForm()
	name, class := r.PostFormValue("name"), r.PostFormValue("classification")
	roles := r.PostForm["roles"]
	_, err := s.Parties.Update(r.Context(), callerOf(r), r.PathValue("code"), party.Update{Name: &name, Roles: &roles, Classification: &class})
	if err != nil {
		if errs.CodeOf(err) == errs.Invalid || errs.CodeOf(err) == errs.Conflict {
			return s.showParty(w, r, s.problemFor(r, err).Status, err)
		}
		return err
	}
	return s.redirect(w, r, "/parties/"+strings.ToUpper(r.PathValue("code")), "Saved.")
}

func (s *Server) setContactForm(w http.ResponseWriter, r *http.Request) error {
	in := party.ContactInput{Label: r.PostFormValue("label"), Name: r.PostFormValue("name"), Email: r.PostFormValue("email"),
		Phone: r.PostFormValue("phone"), PGPKey: r.PostFormValue("pgp_key")}
	if _, err := s.Parties.SetContact(r.Context(), callerOf(r), r.PathValue("code"), in); err != nil {
		if errs.CodeOf(err) == errs.Invalid {
			return s.showParty(w, r, s.problemFor(r, err).Status, err)
		}
		return err
	}
	return s.redirect(w, r, "/parties/"+strings.ToUpper(r.PathValue("code")), "The contact has been saved.")
}

func (s *Server) removeContactForm(w http.ResponseWriter, r *http.Request) error {
	if err := s.Parties.RemoveContact(r.Context(), callerOf(r), r.PathValue("code"), r.PathValue("label")); err != nil {
		return err
	}
	return s.redirect(w, r, "/parties/"+strings.ToUpper(r.PathValue("code")), "The contact has been ended.")
}
