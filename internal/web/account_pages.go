package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/errs"
)

type accountData struct {
	User     account.User
	Sessions []account.SessionInfo
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
	ss, err := s.Accounts.Sessions(r.Context(), c, u.Email, sessionSecret(r))
	if err != nil {
		return err
	}
	p := s.newPage(r, "Your account", accountData{User: u, Sessions: ss, Tokens: ts, NewToken: newToken, Scopes: account.Scopes,
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
