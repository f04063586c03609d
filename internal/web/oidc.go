package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/errs"
)

// Single sign-on with OpenID Connect, beside passwords: the authorization
// code flow with PKCE (RFC 7636, S256), a state bound to the browser against
// forged callbacks and a nonce bound to the ID token against replayed ones.
// The ID token is verified by go-oidc (signature against the provider's
// published keys, issuer, audience, expiry, on the server's clock); its
// issuer and subject then name an account an administrator linked
// (internal/account). What follows is the password sign-in's path: the same
// session cookie, the second factor asked for unless the provider's "amr"
// reports a strong method, the sign-in audited.

// OIDCConfig configures sign-in with one OpenID Connect provider.
type OIDCConfig struct {
	// Name is the provider as people know it: the button says "Sign in
	// with <Name>".
	Name string
	// Issuer is the provider's issuer URL; its discovery document is read
	// from Issuer + "/.well-known/openid-configuration".
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is this server's /signin/oidc/callback as the provider
	// knows it.
	RedirectURL string
	// StrongAMR lists the "amr" values that count as a second factor;
	// account.DefaultStrongAMR when nil.
	StrongAMR []string
	// HTTPClient talks to the provider; one with a 15-second timeout when
	// nil.
	HTTPClient *http.Client
}

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

// oidcClient holds the provider's discovered endpoints and keys. Discovery
// happens at the first sign-in, not when the server starts, so a provider
// that is down does not stop the server (password sign-in still works); a
// failed discovery is tried again at the next attempt.
type oidcClient struct {
	cfg OIDCConfig
	now func() time.Time

	mu       sync.Mutex
	oauth    *oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func newOIDCClient(cfg *OIDCConfig, now func() time.Time) *oidcClient {
	if cfg == nil || cfg.Issuer == "" {
		return nil
	}
	c := &oidcClient{cfg: *cfg, now: now}
	if c.cfg.Name == "" {
		c.cfg.Name = "single sign-on"
	}
	if c.cfg.HTTPClient == nil {
		c.cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	return c
}

func (o *oidcClient) context(ctx context.Context) context.Context {
	ctx = oidc.ClientContext(ctx, o.cfg.HTTPClient)
	return context.WithValue(ctx, oauth2.HTTPClient, o.cfg.HTTPClient)
}

func (o *oidcClient) ready(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.oauth != nil {
		return o.oauth, o.verifier, nil
	}
	// The provider keeps this context's client for fetching its keys later,
	// so it must outlive the request.
	p, err := oidc.NewProvider(o.context(context.WithoutCancel(ctx)), o.cfg.Issuer)
	if err != nil {
		e := errs.E(errs.Unavailable, "the identity provider %s cannot be reached just now: sign in with your password, or try again later", o.cfg.Name)
		e.Err = err
		return nil, nil, e
	}
	o.oauth = &oauth2.Config{
		ClientID:     o.cfg.ClientID,
		ClientSecret: o.cfg.ClientSecret,
		RedirectURL:  o.cfg.RedirectURL,
		Endpoint:     p.Endpoint(),
		Scopes:       []string{oidc.ScopeOpenID},
	}
	o.verifier = p.Verifier(&oidc.Config{ClientID: o.cfg.ClientID, SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256, oidc.PS256}, Now: o.now})
	return o.oauth, o.verifier, nil
}

func (s *Server) oidcRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/signin/oidc", Name: "signinOIDC", Summary: "Sign in with the configured OpenID Connect provider: redirects there.",
			Tag: "ui", Access: Public, Handle: s.signinOIDC},
		{Method: "GET", Path: "/signin/oidc/callback", Name: "signinOIDCCallback", Summary: "Where the OpenID Connect provider sends the browser back.",
			Tag: "ui", Access: Public, Handle: s.signinOIDCCallback},
		{Method: "GET", Path: "/api/v1/users/{email}/identities", Name: "listIdentities", Summary: "The single sign-on identities linked to an account (administrators; anyone else sees only their own).",
			Tag: "accounts", API: true, Response: listOf([]account.Identity{}), Handle: s.apiListIdentities},
		{Method: "POST", Path: "/api/v1/users/{email}/identities", Name: "linkIdentity", Summary: "Link an identity at the single sign-on provider (its issuer and subject) to an account (administrators).",
			Tag: "accounts", API: true, Request: identityIn{}, Response: account.Identity{}, Status: http.StatusCreated, Handle: s.apiLinkIdentity},
		{Method: "POST", Path: "/api/v1/users/{email}/identities/unlink", Name: "unlinkIdentity", Summary: "Remove a single sign-on identity from an account (administrators).",
			Tag: "accounts", API: true, Request: identityIn{}, Status: http.StatusNoContent, Handle: s.apiUnlinkIdentity},
	}
}

// identityIn names an identity at an OpenID Connect provider.
type identityIn struct {
	Issuer  string `json:"issuer"`
	Subject string `json:"subject"`
}

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

// ssoName is the configured provider's name, or "" when there is none: the
// sign-in page offers single sign-on only when it is set up.
func (s *Server) ssoName() string {
	if s.oidc == nil {
		return ""
	}
	return s.oidc.cfg.Name
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
