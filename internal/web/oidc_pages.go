package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/errs"
	"golang.org/x/oauth2"
)

// oidcPendingCookie carries a sign-in in progress from the redirect to the
// provider back to the callback. It holds only values made for this one
// attempt, is HttpOnly and scoped to /signin/oidc, and lives ten minutes.
const oidcPendingCookie = "metersec_oidc"

type oidcPending struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"next"`
}

var errNoSSO = errs.E(errs.NotFound, "single sign-on is not set up on this server: sign in with your email and password")

func (s *Server) signinOIDC(w http.ResponseWriter, r *http.Request) error {
	if s.oidc == nil {
		return errNoSSO
	}
	if callerOf(r).SignedIn() {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	conf, _, err := s.oidc.ready(r.Context())
	if err != nil {
		return s.signinRefused(w, r, err)
	}
	p := oidcPending{State: randomToken(), Nonce: randomToken(), Verifier: oauth2.GenerateVerifier(), Next: localPath(r.URL.Query().Get("next"))}
	b, _ := json.Marshal(p)
	http.SetCookie(w, &http.Cookie{Name: oidcPendingCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: "/signin/oidc",
		HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: 600})
	http.Redirect(w, r, conf.AuthCodeURL(p.State, oidc.Nonce(p.Nonce), oauth2.S256ChallengeOption(p.Verifier)), http.StatusSeeOther)
	return nil
}

func (s *Server) signinOIDCCallback(w http.ResponseWriter, r *http.Request) error {
	if s.oidc == nil {
		return errNoSSO
	}
	// The attempt is used once, whatever happens next.
	http.SetCookie(w, &http.Cookie{Name: oidcPendingCookie, Value: "", Path: "/signin/oidc", HttpOnly: true,
		Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	p, err := readPending(r)
	if err != nil {
		return s.signinRefused(w, r, err)
	}
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(p.State)) != 1 {
		return s.signinRefused(w, r, errs.E(errs.Invalid, "the answer from %s does not belong to this sign-in (its state does not match): start again", s.oidc.cfg.Name))
	}
	if e := q.Get("error"); e != "" {
		s.Log.Info("identity provider refused sign-in", "request_id", requestID(r), "error", e, "description", q.Get("error_description"))
		return s.signinRefused(w, r, errs.E(errs.Unauthenticated, "%s did not sign you in (%s)", s.oidc.cfg.Name, e))
	}
	if q.Get("code") == "" {
		return s.signinRefused(w, r, errs.E(errs.Invalid, "the answer from %s has no authorization code: start again", s.oidc.cfg.Name))
	}
	conf, verifier, err := s.oidc.ready(r.Context())
	if err != nil {
		return s.signinRefused(w, r, err)
	}
	ctx := s.oidc.context(r.Context())
	tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(p.Verifier))
	if err != nil {
		s.Log.Warn("OIDC code exchange failed", "request_id", requestID(r), "err", err)
		return s.signinRefused(w, r, errs.E(errs.Unauthenticated, "%s did not accept this sign-in: start again", s.oidc.cfg.Name))
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return s.signinRefused(w, r, errs.E(errs.Unauthenticated, "%s sent no ID token", s.oidc.cfg.Name))
	}
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		s.Log.Warn("OIDC ID token refused", "request_id", requestID(r), "err", err)
		var expired *oidc.TokenExpiredError
		if errors.As(err, &expired) {
			return s.signinRefused(w, r, errs.E(errs.Unauthenticated, "the sign-in from %s has expired: start again", s.oidc.cfg.Name))
		}
		return s.signinRefused(w, r, errs.E(errs.Unauthenticated, "the ID token from %s could not be verified (signature, issuer, audience or time): sign-in refused", s.oidc.cfg.Name))
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(p.Nonce)) != 1 {
		return s.signinRefused(w, r, errs.E(errs.Unauthenticated, "the ID token from %s was not made for this sign-in (its nonce does not match): start again", s.oidc.cfg.Name))
	}
	var claims struct {
		AMR []string `json:"amr"`
	}
	if err := idt.Claims(&claims); err != nil {
		return s.signinRefused(w, r, errs.E(errs.Unauthenticated, "the ID token from %s has a malformed \"amr\" claim", s.oidc.cfg.Name))
	}
	secret, sess, err := s.Accounts.SignInOIDC(r.Context(), account.OIDCSignIn{Issuer: idt.Issuer, Subject: idt.Subject, AMR: claims.AMR,
		StrongAMR: s.oidc.cfg.StrongAMR, Addr: clientAddr(r), UserAgent: r.UserAgent()})
	if err != nil {
		if errs.Is(err, errs.Unauthenticated) {
			s.Log.Info("OIDC sign-in refused", "request_id", requestID(r), "issuer", idt.Issuer, "subject", idt.Subject, "reason", errs.As(err).Message)
		}
		return s.signinRefused(w, r, err)
	}
	s.setSessionCookie(w, secret)
	switch {
	case sess.NeedsEnrolment():
		http.Redirect(w, r, "/account/mfa", http.StatusSeeOther)
	case sess.Pending():
		http.Redirect(w, r, "/signin/mfa?next="+url.QueryEscape(p.Next), http.StatusSeeOther)
	default:
		http.Redirect(w, r, p.Next, http.StatusSeeOther)
	}
	return nil
}

func readPending(r *http.Request) (oidcPending, error) {
	var p oidcPending
	ck, err := r.Cookie(oidcPendingCookie)
	if err == nil {
		var b []byte
		if b, err = base64.RawURLEncoding.DecodeString(ck.Value); err == nil {
			err = json.Unmarshal(b, &p)
		}
	}
	if err != nil || p.State == "" || p.Nonce == "" || p.Verifier == "" {
		return oidcPending{}, errs.E(errs.Invalid, "this sign-in was not started here, or took longer than ten minutes: start again")
	}
	p.Next = localPath(p.Next)
	return p, nil
}

// signinRefused shows the sign-in page again with why, with the status the
// error maps to.
func (s *Server) signinRefused(w http.ResponseWriter, r *http.Request, err error) error {
	p := s.newPage(r, "Sign in", signinData{SSO: s.ssoName(), Next: "/"})
	p.formErrors(err)
	return s.render(w, r, s.problemFor(r, err).Status, "signin", p)
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
