package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/account"
)

func (s *Server) apiEnableUser(w http.ResponseWriter, r *http.Request) error {
	if err := s.Accounts.Enable(r.Context(), callerOf(r), r.PathValue("email")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiSetUserRoles(w http.ResponseWriter, r *http.Request) error {
	var in account.RolesChange
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	u, err := s.Accounts.SetRoles(r.Context(), callerOf(r), r.PathValue("email"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, u)
}

func (s *Server) apiResetUser(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.Accounts.ResetCredentials(r.Context(), callerOf(r), r.PathValue("email"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rs)
}

func (s *Server) apiListUserSessions(w http.ResponseWriter, r *http.Request) error {
	ss, err := s.Accounts.Sessions(r.Context(), callerOf(r), r.PathValue("email"), sessionSecret(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, listOf(ss))
}

func (s *Server) apiEndUserSessions(w http.ResponseWriter, r *http.Request) error {
	n, err := s.Accounts.EndSessions(r.Context(), callerOf(r), r.PathValue("email"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, endedSessions{Ended: n})
}
