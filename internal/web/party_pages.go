package web

import (
	"net/http"
	"strings"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
)

type partiesData struct {
	Items    []party.Party
	List     listView
	Req      listing.Request
	Roles    []sec.OrgRole
	Classes  []sec.Classification
	MayAdmin bool
}

func (s *Server) partiesPage(w http.ResponseWriter, r *http.Request) error {
	req, err := party.ParseList(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportParties(w, r, req)
	}
	c := callerOf(r)
	p, err := s.Parties.ListPage(r.Context(), c, req)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "parties", s.newPage(r, "Directory", partiesData{Items: p.Items, Req: req,
		List:  newListView(r, "/parties", party.ListSpec, req, p, "organisation", "organisations"),
		Roles: sec.OrgRoles, Classes: sec.Classifications, MayAdmin: party.MayAdminister(c)}))
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
	if !party.MayAdminister(callerOf(r)) {
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
	pg.Data = partyData{Party: p, History: hist, MayEdit: party.MayAdminister(c), MayContacts: party.MayEditContacts(c, p),
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
