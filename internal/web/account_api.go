package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/listing"
)

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) error {
	u, err := s.Accounts.Me(r.Context(), callerOf(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, u)
}

func (s *Server) apiListTokens(w http.ResponseWriter, r *http.Request) error {
	req, err := account.TokenSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return writeExport(w, req, "tokens", account.TokenCSVHeader, func(lw listing.Writer) error {
			return s.Accounts.ExportTokens(r.Context(), callerOf(r), req, lw)
		})
	}
	p, err := s.Accounts.TokensPage(r.Context(), callerOf(r), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiCreateToken(w http.ResponseWriter, r *http.Request) error {
	var in account.NewToken
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	secret, t, err := s.Accounts.CreateToken(r.Context(), callerOf(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, createdToken{Token: secret, Detail: t})
}

func (s *Server) apiRevokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.Accounts.RevokeToken(r.Context(), callerOf(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
