package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
)

func (s *Server) accountRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/me", Name: "me", Summary: "The caller's own account.", Tag: "accounts", API: true,
			Response: account.User{}, Handle: s.apiMe},
		{Method: "GET", Path: "/api/v1/users", Name: "listUsers", Summary: "Accounts: every account for administrators, else the caller's organisation's.",
			Tag: "accounts", API: true, Params: []Param{{Name: "org", Description: "only this organisation's accounts"}},
			Response: listOf([]account.User{}), Handle: s.apiListUsers},
		{Method: "POST", Path: "/api/v1/users", Name: "addUser", Summary: "Add an account (administrators).", Tag: "accounts",
			API: true, Request: account.NewUser{}, Response: account.User{}, Status: http.StatusCreated, Handle: s.apiAddUser},
		{Method: "POST", Path: "/api/v1/users/{email}/disable", Name: "disableUser", Summary: "Disable an account, ending its sessions and tokens (administrators).",
			Tag: "accounts", API: true, Status: http.StatusNoContent, Handle: s.apiDisableUser},
		{Method: "GET", Path: "/api/v1/tokens", Name: "listTokens", Summary: "API tokens: the caller's own, or every one for administrators.",
			Tag: "accounts", API: true, Scope: account.ScopeTokens, Params: []Param{{Name: "user", Description: "administrators: only this user's tokens"}},
			Response: listOf([]account.Token{}), Handle: s.apiListTokens},
		{Method: "POST", Path: "/api/v1/tokens", Name: "createToken", Summary: "Create an API token for yourself (never for anyone else); its secret is in this response only. " +
			"Needs a session whose second factor is recent (or a current code in \"code\"), or a token with the \"tokens\" scope; the new token has no scope or expiry beyond its creator's.",
			Tag: "accounts", API: true, Scope: account.ScopeTokens, Request: account.NewToken{}, Response: createdToken{}, Status: http.StatusCreated, Handle: s.apiCreateToken},
		{Method: "DELETE", Path: "/api/v1/tokens/{id}", Name: "revokeToken", Summary: "Revoke an API token.", Tag: "accounts",
			API: true, Scope: account.ScopeTokens, Status: http.StatusNoContent, Handle: s.apiRevokeToken},

		{Method: "GET", Path: "/account", Name: "accountPage", Summary: "Your account.", Tag: "ui", Handle: s.accountPage},
		{Method: "POST", Path: "/account/password", Name: "changePassword", Summary: "Change your password.", Tag: "ui", Handle: s.changePassword},
		{Method: "POST", Path: "/account/tokens", Name: "createTokenForm", Summary: "Create an API token.", Tag: "ui", Handle: s.createTokenForm},
		{Method: "POST", Path: "/account/tokens/{id}/revoke", Name: "revokeTokenForm", Summary: "Revoke an API token.", Tag: "ui", Handle: s.revokeTokenForm},
		{Method: "GET", Path: "/users", Name: "usersPage", Summary: "Accounts.", Tag: "ui", Handle: s.usersPage},
		{Method: "POST", Path: "/users", Name: "addUserForm", Summary: "Add an account.", Tag: "ui", Handle: s.addUserForm},
		{Method: "POST", Path: "/users/{email}/disable", Name: "disableUserForm", Summary: "Disable an account.", Tag: "ui", Handle: s.disableUserForm},
	}
}

type createdToken struct {
	Token  string        `json:"token"`
	Detail account.Token `json:"detail"`
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) error {
	u, err := s.Accounts.Me(r.Context(), callerOf(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, u)
}

func (s *Server) apiListUsers(w http.ResponseWriter, r *http.Request) error {
	us, err := s.Accounts.ListUsers(r.Context(), callerOf(r), r.URL.Query().Get("org"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, listOf(us))
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

func (s *Server) apiListTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.Accounts.Tokens(r.Context(), callerOf(r), r.URL.Query().Get("user"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, listOf(ts))
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

func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.FieldError(name, "must be a positive whole number")
	}
	return id, nil
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

type accountData struct {
	User     account.User
	Tokens   []account.Token
	NewToken string
	Scopes   []string
	// RecentMFA is, in minutes, how recent a second factor must be to
	// create a token without entering a code.
	RecentMFA int
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) error {
	return s.showAccount(w, r, http.StatusOK, "", nil)
}

func (s *Server) showAccount(w http.ResponseWriter, r *http.Request, status int, newToken string, formErr error) error {
	c := callerOf(r)
	u, err := s.Accounts.Me(r.Context(), c)
	if err != nil {
		return err
	}
	ts, err := s.Accounts.Tokens(r.Context(), c, "")
	if err != nil {
		return err
	}
	p := s.newPage(r, "Your account", accountData{User: u, Tokens: ts, NewToken: newToken, Scopes: account.Scopes,
		RecentMFA: int(s.Accounts.RecentMFA.Minutes())})
	if formErr != nil {
		p.formErrors(formErr)
	}
	return s.render(w, r, status, "account", p)
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	err := s.Accounts.ChangePassword(r.Context(), callerOf(r), r.PostFormValue("current_password"), r.PostFormValue("new_password"))
	if err != nil {
		return s.showAccount(w, r, s.problemFor(r, err).Status, "", err)
	}
	return s.redirect(w, r, "/account", "Your password has been changed.")
}

func (s *Server) createTokenForm(w http.ResponseWriter, r *http.Request) error {
	r.ParseForm()
	in := account.NewToken{Name: r.PostFormValue("name"), Scopes: r.PostForm["scopes"], Code: r.PostFormValue("code")}
	var err error
	if v := strings.TrimSpace(r.PostFormValue("days")); v != "" {
		days, perr := strconv.Atoi(v)
		if perr != nil {
			err = errs.FieldError("days", "must be a whole number of days from 1 to %d, not %q", account.MaxTokenDays, v)
		}
		in.Days = &days
	}
	var secret string
	if err == nil {
		secret, _, err = s.Accounts.CreateToken(r.Context(), callerOf(r), in)
	}
	if err != nil {
		return s.showAccount(w, r, s.problemFor(r, err).Status, "", err)
	}
	return s.showAccount(w, r, http.StatusCreated, secret, nil)
}

func (s *Server) revokeTokenForm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.Accounts.RevokeToken(r.Context(), callerOf(r), id); err != nil {
		return err
	}
	return s.redirect(w, r, "/account", "The token has been revoked.")
}

type usersData struct {
	Users []account.User
	Roles []sec.Role
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request) error {
	return s.showUsers(w, r, http.StatusOK, nil, nil)
}

func (s *Server) showUsers(w http.ResponseWriter, r *http.Request, status int, form any, formErr error) error {
	c := callerOf(r)
	if !c.Has(sec.RoleAdmin) {
		return errs.E(errs.Forbidden, "only platform administrators manage accounts")
	}
	us, err := s.Accounts.ListUsers(r.Context(), c, r.URL.Query().Get("org"))
	if err != nil {
		return err
	}
	p := s.newPage(r, "Accounts", usersData{Users: us, Roles: sec.Roles})
	p.Form = form
	if formErr != nil {
		p.formErrors(formErr)
	}
	return s.render(w, r, status, "users", p)
}

func (s *Server) addUserForm(w http.ResponseWriter, r *http.Request) error {
	r.ParseForm()
	in := account.NewUser{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Org: r.PostFormValue("org"),
		Roles: r.PostForm["roles"], Password: r.PostFormValue("password"), RedCleared: r.PostFormValue("red_cleared") == "on"}
	u, err := s.Accounts.AddUser(r.Context(), callerOf(r), in)
	if err != nil {
		in.Password = ""
		return s.showUsers(w, r, s.problemFor(r, err).Status, in, err)
	}
	return s.redirect(w, r, "/users", "Added "+u.Email+".")
}

func (s *Server) disableUserForm(w http.ResponseWriter, r *http.Request) error {
	email := strings.TrimSpace(r.PathValue("email"))
	if err := s.Accounts.Disable(r.Context(), callerOf(r), email); err != nil {
		return err
	}
	return s.redirect(w, r, "/users", "Disabled "+email+".")
}
