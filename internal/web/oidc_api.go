package web

import (
	"net/http"
)

func (s *Server) apiListIdentities(w http.ResponseWriter, r *http.Request) error {
	ids, err := s.Accounts.ListOIDC(r.Context(), callerOf(r), r.PathValue("email"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, listOf(ids))
}

func (s *Server) apiLinkIdentity(w http.ResponseWriter, r *http.Request) error {
	var in identityIn
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	id, err := s.Accounts.LinkOIDC(r.Context(), callerOf(r), r.PathValue("email"), in.Issuer, in.Subject)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, id)
}

func (s *Server) apiUnlinkIdentity(w http.ResponseWriter, r *http.Request) error {
	var in identityIn
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.Accounts.UnlinkOIDC(r.Context(), callerOf(r), r.PathValue("email"), in.Issuer, in.Subject); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
