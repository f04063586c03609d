package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/uk"
)

type userData struct {
	User       account.User
	Roles      []sec.Role
	Sessions   []account.SessionInfo
	Identities []account.Identity
	Tokens     []account.Token
}

// usersData is the accounts page: a page of the list with its filters,
// and the form that adds an account.
type usersData struct {
	Items []account.User
	List  listView
	Req   listing.Request
	Roles []sec.Role
	// EmailServer: this server sends email, so the new user's link goes
	// out now rather than waiting in the queue.
	EmailServer bool
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request) error {
	return s.showUsers(w, r, http.StatusOK, nil, nil)
}

// showUsers is the accounts page for the administrators: every account, a
// page at a time, sorted and filtered, exportable; and the form that adds
// one, which asks for no password.
func (s *Server) showUsers(w http.ResponseWriter, r *http.Request, status int, form any, formErr error) error {
	c := callerOf(r)
	if !account.MayManageUsers(c) {
		return errs.E(errs.Forbidden, "only platform administrators manage accounts")
	}
	req, err := account.UserSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return writeExport(w, req, "accounts", account.UserCSVHeader, func(lw listing.Writer) error {
			return s.Accounts.ExportUsers(r.Context(), c, req, lw)
		})
	}
	pg, err := s.Accounts.UsersPage(r.Context(), c, req)
	if err != nil {
		return err
	}
	p := s.newPage(r, "Accounts", usersData{Items: pg.Items, Req: req, Roles: sec.Roles, EmailServer: s.EmailServer,
		List: newListView(r, "/users", account.UserSpec, req, pg, "account", "accounts")})
	p.Form = form
	if formErr != nil {
		p.formErrors(formErr)
	}
	return s.render(w, r, status, "users", p)
}

// addUserForm adds an account. The administrator types no password: the
// user is emailed a link to choose their own.
func (s *Server) addUserForm(w http.ResponseWriter, r *http.Request) error {
	r.ParseForm()
	in := account.NewUser{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Org: r.PostFormValue("org"),
		Roles: r.PostForm["roles"], RedCleared: r.PostFormValue("red_cleared") == "on"}
	u, err := s.Accounts.AddUser(r.Context(), callerOf(r), in)
	if err != nil {
		return s.showUsers(w, r, s.problemFor(r, err).Status, in, err)
	}
	msg := "Added " + u.Email + ": a link to choose their password has been sent to them (valid for 3 days)."
	if !s.EmailServer {
		msg = "Added " + u.Email + ": the link to choose their password waits in the email queue, as no email server is set."
	}
	return s.redirect(w, r, userPath(u.Email), msg)
}

func (s *Server) disableUserForm(w http.ResponseWriter, r *http.Request) error {
	email := strings.TrimSpace(r.PathValue("email"))
	if err := s.Accounts.Disable(r.Context(), callerOf(r), email); err != nil {
		return err
	}
	// The account's page offers to enable it again: the undo.
	return s.redirect(w, r, userPath(email), "Disabled "+email+". Enable the account below to undo this.")
}

// userPath is the page of the account with the email.
func userPath(email string) string { return "/users/" + url.PathEscape(email) }

func (s *Server) userPage(w http.ResponseWriter, r *http.Request) error {
	return s.showUser(w, r, http.StatusOK, nil)
}

// showUser is an account's page for the administrators: who it is, its
// state with disable or enable, its roles as a form, a reset, its sessions
// and its single sign-on identities.
func (s *Server) showUser(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	c := callerOf(r)
	if !account.MayManageUsers(c) {
		return errs.E(errs.Forbidden, "only platform administrators manage accounts")
	}
	ctx := r.Context()
	email := r.PathValue("email")
	u, err := s.Accounts.UserByEmail(ctx, c, email)
	if err != nil {
		return err
	}
	d := userData{User: u, Roles: sec.Roles}
	if d.Sessions, err = s.Accounts.Sessions(ctx, c, u.Email, sessionSecret(r)); err != nil {
		return err
	}
	if d.Identities, err = s.Accounts.ListOIDC(ctx, c, u.Email); err != nil {
		return err
	}
	if d.Tokens, err = s.Accounts.Tokens(ctx, c, u.Email); err != nil {
		return err
	}
	p := s.newPage(r, u.Email, d)
	if formErr != nil {
		p.formErrors(formErr)
	}
	return s.render(w, r, status, "user", p)
}

// confirmData is a confirmation page for a change that is hard to take back.
type confirmData struct {
	User    account.User
	Heading string
	// Consequences say, one per line, what the change will do.
	Consequences []string
	Action       string // the form's URL
	Button       string
	Cancel       string
}

func (s *Server) confirmDisableUser(w http.ResponseWriter, r *http.Request) error {
	return s.confirmUserChange(w, r, func(u account.User, sessions, tokens int) confirmData {
		return confirmData{Heading: "Disable " + u.Email + "?", Button: "Disable account", Action: userPath(u.Email) + "/disable",
			Consequences: []string{
				u.Name + " will no longer be able to sign in.",
				countNoun(sessions, "open session") + " will end now.",
				countNoun(tokens, "active API token") + " will be revoked, for good.",
				"You can enable the account again afterwards; ended sessions and revoked tokens stay ended.",
			}}
	})
}

func (s *Server) confirmResetUser(w http.ResponseWriter, r *http.Request) error {
	return s.confirmUserChange(w, r, func(u account.User, sessions, tokens int) confirmData {
		cs := []string{
			u.Name + "'s password will stop working now, and " + countNoun(sessions, "open session") + " will end.",
		}
		if u.MFAEnrolled {
			cs = append(cs, "Their authenticator will be removed; they set up a new one after choosing a password.")
		}
		cs = append(cs, "They will be emailed, at "+u.Email+", a link to choose a new password, valid for 3 days. You will not see the link or the password.",
			"Their API tokens are not touched: revoke them separately if the account may have been misused.")
		return confirmData{Heading: "Reset the password of " + u.Email + "?", Button: "Reset password and second factor",
			Action: userPath(u.Email) + "/reset", Consequences: cs}
	})
}

func (s *Server) confirmUserChange(w http.ResponseWriter, r *http.Request, build func(u account.User, sessions, tokens int) confirmData) error {
	c := callerOf(r)
	if !account.MayManageUsers(c) {
		return errs.E(errs.Forbidden, "only platform administrators manage accounts")
	}
	u, err := s.Accounts.UserByEmail(r.Context(), c, r.PathValue("email"))
	if err != nil {
		return err
	}
	ss, err := s.Accounts.Sessions(r.Context(), c, u.Email, "")
	if err != nil {
		return err
	}
	ts, err := s.Accounts.Tokens(r.Context(), c, u.Email)
	if err != nil {
		return err
	}
	active := 0
	for _, t := range ts {
		if t.RevokedAt == nil && t.ExpiresAt.After(s.DB.Now()) {
			active++
		}
	}
	d := build(u, len(ss), active)
	d.User, d.Cancel = u, userPath(u.Email)
	return s.render(w, r, http.StatusOK, "user_confirm", s.newPage(r, d.Heading, d))
}

// countNoun is "1 session", "2 sessions".
func countNoun(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return uk.Thousands(int64(n)) + " " + what + "s"
}

func (s *Server) enableUserForm(w http.ResponseWriter, r *http.Request) error {
	email := strings.TrimSpace(r.PathValue("email"))
	if err := s.Accounts.Enable(r.Context(), callerOf(r), email); err != nil {
		return err
	}
	return s.redirect(w, r, userPath(email), "Enabled "+email+": they may sign in again.")
}

func (s *Server) setUserRolesForm(w http.ResponseWriter, r *http.Request) error {
	r.ParseForm()
	email := strings.TrimSpace(r.PathValue("email"))
	_, err := s.Accounts.SetRoles(r.Context(), callerOf(r), email,
		account.RolesChange{Roles: roleList(r.PostForm["roles"]), RedCleared: r.PostFormValue("red_cleared") == "on"})
	if err != nil {
		if errs.CodeOf(err) == errs.Invalid {
			return s.showUser(w, r, s.problemFor(r, err).Status, err)
		}
		return err
	}
	return s.redirect(w, r, userPath(email), "Changed the roles of "+email+".")
}

func (s *Server) resetUserForm(w http.ResponseWriter, r *http.Request) error {
	email := strings.TrimSpace(r.PathValue("email"))
	rs, err := s.Accounts.ResetCredentials(r.Context(), callerOf(r), email)
	if err != nil {
		return err
	}
	return s.redirect(w, r, userPath(rs.Email), "Reset the password of "+rs.Email+": a link to choose a new one is on its way to them.")
}

// endUserSessionsForm signs an account out everywhere. Signing oneself out
// everywhere ends this session too, so it leads to the sign-in page.
func (s *Server) endUserSessionsForm(w http.ResponseWriter, r *http.Request) error {
	c := callerOf(r)
	email := strings.TrimSpace(r.PathValue("email"))
	u, err := s.Accounts.UserByEmail(r.Context(), c, email)
	if err != nil {
		return err
	}
	n, err := s.Accounts.EndSessions(r.Context(), c, u.Email)
	if err != nil {
		return err
	}
	if u.ID == c.UserID {
		s.clearSessionCookie(w)
		return s.redirect(w, r, "/signin", "You have been signed out everywhere ("+countNoun(int(n), "session")+").")
	}
	return s.redirect(w, r, userPath(u.Email), "Signed "+u.Email+" out everywhere ("+countNoun(int(n), "session")+").")
}

func (s *Server) linkIdentityForm(w http.ResponseWriter, r *http.Request) error {
	email := strings.TrimSpace(r.PathValue("email"))
	_, err := s.Accounts.LinkOIDC(r.Context(), callerOf(r), email, r.PostFormValue("issuer"), r.PostFormValue("subject"))
	if err != nil {
		if errs.CodeOf(err) == errs.Invalid || errs.CodeOf(err) == errs.Conflict {
			return s.showUser(w, r, s.problemFor(r, err).Status, err)
		}
		return err
	}
	return s.redirect(w, r, userPath(email), "Linked the identity to "+email+".")
}

func (s *Server) unlinkIdentityForm(w http.ResponseWriter, r *http.Request) error {
	email := strings.TrimSpace(r.PathValue("email"))
	if err := s.Accounts.UnlinkOIDC(r.Context(), callerOf(r), email, r.PostFormValue("issuer"), r.PostFormValue("subject")); err != nil {
		return err
	}
	return s.redirect(w, r, userPath(email), "Unlinked the identity from "+email+".")
}

type resetData struct {
	Code  string
	Email string
}

// resetPasswordPage is where a reset link leads: the user chooses a new
// password. A bad or used link says so, without saying whose it was.
func (s *Server) resetPasswordPage(w http.ResponseWriter, r *http.Request) error {
	code := r.URL.Query().Get("code")
	email, err := s.Accounts.CheckReset(r.Context(), code)
	p := s.newPage(r, "Choose a new password", resetData{Code: code, Email: email})
	status := http.StatusOK
	if err != nil {
		p.formErrors(err)
		status = s.problemFor(r, err).Status
		p.Data = resetData{}
	}
	return s.render(w, r, status, "signin_reset", p)
}

func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request) error {
	code := r.PostFormValue("code")
	secret, sess, err := s.Accounts.CompleteReset(r.Context(), code, r.PostFormValue("new_password"), clientAddr(r), r.UserAgent())
	if err != nil {
		email, cerr := s.Accounts.CheckReset(r.Context(), code)
		d := resetData{Code: code, Email: email}
		if cerr != nil {
			d = resetData{}
		}
		p := s.newPage(r, "Choose a new password", d)
		p.formErrors(err)
		return s.render(w, r, s.problemFor(r, err).Status, "signin_reset", p)
	}
	s.setSessionCookie(w, secret)
	switch {
	case sess.NeedsEnrolment():
		return s.redirect(w, r, "/account/mfa", "Your new password is set. Now set up your authenticator.")
	case sess.Pending():
		return s.redirect(w, r, "/signin/mfa", "Your new password is set.")
	}
	return s.redirect(w, r, "/", "Your new password is set.")
}

func roleList(vs []string) []sec.Role {
	out := make([]sec.Role, len(vs))
	for i, v := range vs {
		out[i] = sec.Role(v)
	}
	return out
}
