package web

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/metersec/metersec/internal/assurance"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/evidence"
	"github.com/metersec/metersec/internal/impracticable"
	"github.com/metersec/metersec/internal/sec"
	"golang.org/x/oauth2"
)

func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.FieldError(name, "must be a positive whole number")
	}
	return id, nil
}

// queryDate reads an optional YYYY-MM-DD query parameter.
func queryDate(r *http.Request, name string) (sec.Date, error) {
	return optDate(name, r.URL.Query().Get(name))
}

// formFile reads the one file part named field of a multipart form, up to
// max bytes.
func formFile(w http.ResponseWriter, r *http.Request, field string, max int64) (string, []byte, error) {
	r.Body = http.MaxBytesReader(w, r.Body, max+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		return "", nil, errs.E(errs.Unsupported, "send the file as multipart/form-data")
	}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return "", nil, errs.FieldError(field, "choose a file")
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return "", nil, errs.E(errs.TooLarge, "the file is larger than %d bytes", max)
			}
			return "", nil, errs.E(errs.Invalid, "the form could not be read: %v", err)
		}
		if p.FormName() != field {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(p, max+1))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return "", nil, errs.E(errs.TooLarge, "the file is larger than %d bytes", max)
			}
			return "", nil, errs.E(errs.Invalid, "the file could not be read: %v", err)
		}
		if int64(len(b)) > max {
			return "", nil, errs.E(errs.TooLarge, "the file is larger than %d bytes", max)
		}
		return p.FileName(), b, nil
	}
}

// recordID reads a record's numeric id from the path; anything else is a record that does
// not exist.
func recordID(r *http.Request, name, kind string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.NotFoundf(kind, r.PathValue(name))
	}
	return id, nil
}

// serveFile writes a stored document as a download.
func serveFile(w http.ResponseWriter, name, mediaType, sha string, content []byte) {
	w.Header().Set("Content-Type", mediaType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "sandbox; default-src 'none'")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(content)))
	w.Header().Set("Digest", "sha-256="+sha)
	w.Write(content)
}

func (s *Server) showAssessment(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	id, err := recordID(r, "id", "assessment")
	if err != nil {
		return err
	}
	c := callerOf(r)
	a, err := s.Assurance.Get(r.Context(), c, id)
	if err != nil {
		return err
	}
	plans, err := s.Assurance.PlansOf(r.Context(), c, id)
	if err != nil {
		return err
	}
	d := assessmentData{A: a, Lifecycle: sec.LifecycleFor(a.Type).Rows(), AssuranceStatuses: sec.AssuranceStatuses,
		ComplianceStatuses: s.Assurance.Settings.ComplianceStatuses,
		MayAddFinding:      assurance.MayAddFinding(c, a), MayRespond: assurance.MayRespond(c, a), MayClose: assurance.MayCloseFinding(c, a),
		MayAttach: assurance.MayAttach(c, a), Accepted: evidence.AcceptedTypes,
		Plans: plans, MayPlan: assurance.MayPlanRemediation(c, a)}
	pg := s.newPage(r, a.Title, d)
	if formErr != nil {
		pg.formErrors(formErr)
	}
	return s.render(w, r, status, "assessment", pg)
}

// formFailed shows the assessment again with the problem when err is the
// caller's to fix; other errors go to the error page.
func (s *Server) assessmentFormFailed(w http.ResponseWriter, r *http.Request, err error) error {
	switch errs.CodeOf(err) {
	case errs.Invalid, errs.Conflict, errs.Forbidden, errs.TooLarge, errs.Unsupported:
		return s.showAssessment(w, r, s.problemFor(r, err).Status, err)
	}
	return err
}

// tooLarge turns a body over its limit, met while a service read it, into
// the error saying so.
func tooLarge(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errs.E(errs.TooLarge, "the file is larger than %d bytes", mbe.Limit)
	}
	return err
}

// formValues is what a form sent, to fill it again after an error.
func formValues(r *http.Request) map[string]string {
	out := map[string]string{}
	for k, v := range r.PostForm {
		if len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out
}

// deviceID reads the Device ID from the path.
func deviceID(r *http.Request) (estate.DeviceID, error) {
	return parseDeviceID(r.PathValue("id"))
}

func parseDeviceID(v string) (estate.DeviceID, error) {
	id, err := estate.ParseDeviceID(strings.TrimSpace(v))
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "device id ")
		return 0, errs.FieldError("device_id", "%s", msg)
	}
	return id, nil
}

// optDate reads an optional date field (query, form or JSON): empty is the
// zero date, anything else must be YYYY-MM-DD. queryDate and formDate are
// it for the query and the form.
func optDate(field, v string) (sec.Date, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return sec.Date{}, nil
	}
	d, err := sec.ParseDate(v)
	if err != nil {
		return d, errs.FieldError(field, "%v", err)
	}
	return d, nil
}

func (s *Server) impracticable() *impracticable.Service { return &impracticable.Service{DB: s.DB} }

func queryInt(r *http.Request, name string) (int64, error) {
	v := strings.TrimSpace(r.URL.Query().Get(name))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, errs.FieldError(name, "must be a whole number")
	}
	return n, nil
}

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

// ssoName is the configured provider's name, or "" when there is none: the
// sign-in page offers single sign-on only when it is set up.
func (s *Server) ssoName() string {
	if s.oidc == nil {
		return ""
	}
	return s.oidc.cfg.Name
}

// localPath keeps a "next" target on this site.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

type signinData struct {
	Email, Next string
	// SSO names the OpenID Connect provider offered beside the password;
	// empty when none is set up (oidc.go).
	SSO string
}
