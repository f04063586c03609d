package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/party"
)

func (s *Server) apiListParties(w http.ResponseWriter, r *http.Request) error {
	req, err := party.ParseList(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportParties(w, r, req)
	}
	p, err := s.Parties.ListPage(r.Context(), callerOf(r), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
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
