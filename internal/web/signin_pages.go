package web

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"net/http"

	"github.com/metersec/metersec/internal/errs"
	"github.com/pquerna/otp"
)

func (s *Server) signinRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/signin", Name: "signinPage", Summary: "Sign-in form.", Tag: "ui", Access: Public, Handle: s.signinPage},
		{Method: "POST", Path: "/signin", Name: "signin", Summary: "Sign in with email and password.", Tag: "ui", Access: Public, Handle: s.signin},
		{Method: "GET", Path: "/signin/mfa", Name: "mfaPage", Summary: "Second-factor form.", Tag: "ui", Access: Pending, Handle: s.mfaPage},
		{Method: "POST", Path: "/signin/mfa", Name: "mfa", Summary: "Pass the second factor.", Tag: "ui", Access: Pending, Handle: s.mfa},
		{Method: "GET", Path: "/account/mfa", Name: "enrolPage", Summary: "Set up an authenticator.", Tag: "ui", Access: Pending, Handle: s.enrolPage},
		{Method: "POST", Path: "/account/mfa", Name: "enrol", Summary: "Confirm a new authenticator.", Tag: "ui", Access: Pending, Handle: s.enrol},
		{Method: "POST", Path: "/signout", Name: "signout", Summary: "Sign out.", Tag: "ui", Access: Pending, Handle: s.signout},
	}
}

func (s *Server) signinPage(w http.ResponseWriter, r *http.Request) error {
	if callerOf(r).SignedIn() {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	return s.render(w, r, http.StatusOK, "signin", s.newPage(r, "Sign in", signinData{SSO: s.ssoName(), Next: localPath(r.URL.Query().Get("next"))}))
}

func (s *Server) signin(w http.ResponseWriter, r *http.Request) error {
	email, next := r.PostFormValue("email"), localPath(r.PostFormValue("next"))
	secret, sess, err := s.Accounts.SignIn(r.Context(), email, r.PostFormValue("password"), clientAddr(r), r.UserAgent())
	if err != nil {
		p := s.newPage(r, "Sign in", signinData{Email: email, Next: next, SSO: s.ssoName()})
		p.formErrors(err)
		return s.render(w, r, s.problemFor(r, err).Status, "signin", p)
	}
	s.setSessionCookie(w, secret)
	switch {
	case sess.NeedsEnrolment():
		http.Redirect(w, r, "/account/mfa", http.StatusSeeOther)
	case sess.Pending():
		http.Redirect(w, r, "/signin/mfa?next="+next, http.StatusSeeOther)
	default:
		http.Redirect(w, r, next, http.StatusSeeOther)
	}
	return nil
}

func (s *Server) mfaPage(w http.ResponseWriter, r *http.Request) error {
	sess := sessionOf(r)
	switch {
	case sess == nil:
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return nil
	case sess.NeedsEnrolment():
		http.Redirect(w, r, "/account/mfa", http.StatusSeeOther)
		return nil
	case !sess.Pending():
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	return s.render(w, r, http.StatusOK, "mfa", s.newPage(r, "Authenticator code", signinData{Next: localPath(r.URL.Query().Get("next"))}))
}

func (s *Server) mfa(w http.ResponseWriter, r *http.Request) error {
	if sessionOf(r) == nil {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return nil
	}
	next, err := s.Accounts.VerifyMFA(r.Context(), sessionSecret(r), r.PostFormValue("code"), clientAddr(r))
	if err != nil {
		p := s.newPage(r, "Authenticator code", signinData{Next: localPath(r.PostFormValue("next"))})
		p.formErrors(err)
		return s.render(w, r, s.problemFor(r, err).Status, "mfa", p)
	}
	s.setSessionCookie(w, next)
	return s.redirect(w, r, localPath(r.PostFormValue("next")), "Signed in.")
}

type enrolData struct {
	Required bool
	Secret   string
	QR       string
}

func (s *Server) enrolPage(w http.ResponseWriter, r *http.Request) error {
	return s.showEnrol(w, r, http.StatusOK, nil)
}

func (s *Server) showEnrol(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	sess := sessionOf(r)
	if sess == nil {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return nil
	}
	if sess.Pending() && sess.User.MFAEnrolled {
		http.Redirect(w, r, "/signin/mfa", http.StatusSeeOther)
		return nil
	}
	en, err := s.Accounts.BeginEnrolment(r.Context(), sessionSecret(r))
	if err != nil {
		return err
	}
	qr, err := qrDataURL(en.URI)
	if err != nil {
		return err
	}
	p := s.newPage(r, "Set up your authenticator", enrolData{Required: sess.User.MFARequired, Secret: en.Secret, QR: qr})
	if formErr != nil {
		p.formErrors(formErr)
	}
	return s.render(w, r, status, "enrol", p)
}

func (s *Server) enrol(w http.ResponseWriter, r *http.Request) error {
	if sessionOf(r) == nil {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return nil
	}
	next, err := s.Accounts.CompleteEnrolment(r.Context(), sessionSecret(r), r.PostFormValue("code"), clientAddr(r))
	if err != nil {
		if e := errs.As(err); e.Code == errs.Invalid || e.Code == errs.RateLimited || e.Code == errs.Unauthenticated {
			return s.showEnrol(w, r, s.problemFor(r, err).Status, err)
		}
		return err
	}
	s.setSessionCookie(w, next)
	return s.redirect(w, r, "/account", "Your authenticator is set up.")
}

func (s *Server) signout(w http.ResponseWriter, r *http.Request) error {
	if secret := sessionSecret(r); secret != "" {
		if err := s.Accounts.SignOut(r.Context(), secret); err != nil {
			return err
		}
	}
	s.clearSessionCookie(w)
	return s.redirect(w, r, "/signin", "Signed out.")
}

// qrDataURL draws the otpauth URI as a PNG QR code for the enrolment page.
func qrDataURL(uri string) (string, error) {
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return "", err
	}
	img, err := key.Image(200, 200)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", err
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}
