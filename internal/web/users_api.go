package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/listing"
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

// apiListUsers is a page of the accounts the caller may see (every one for
// an administrator, else their organisation's), or all of them exported.
func (s *Server) apiListUsers(w http.ResponseWriter, r *http.Request) error {
	req, err := account.UserSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return writeExport(w, req, "accounts", account.UserCSVHeader, func(lw listing.Writer) error {
			return s.Accounts.ExportUsers(r.Context(), callerOf(r), req, lw)
		})
	}
	p, err := s.Accounts.UsersPage(r.Context(), callerOf(r), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiAddUser(w http.ResponseWriter, r *http.Request) error {
	var in account.NewUser
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	u, err := s.Accounts.AddUser(r.Context(), callerOf(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, u)
}

func (s *Server) apiDisableUser(w http.ResponseWriter, r *http.Request) error {
	if err := s.Accounts.Disable(r.Context(), callerOf(r), r.PathValue("email")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
