package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/errs"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyCaller
	keySession
	keySessionSecret
	keyRoute
)

const sessionCookie = "metersec_session"

func requestID(r *http.Request) string { id, _ := r.Context().Value(keyRequestID).(string); return id }

// callerOf is who is asking: the public, a user, or a system with a token.
func callerOf(r *http.Request) access.Caller {
	c, _ := r.Context().Value(keyCaller).(access.Caller)
	return c
}

// sessionOf is the browser session, if the request came with one.
func sessionOf(r *http.Request) *account.Session {
	s, _ := r.Context().Value(keySession).(*account.Session)
	return s
}

func sessionSecret(r *http.Request) string {
	s, _ := r.Context().Value(keySessionSecret).(string)
	return s
}

var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// buildHandler wraps the mux in the layers every request passes: request id,
// recovery, logging and metrics, security headers, cross-origin protection,
// and finding out who is asking.
func (s *Server) buildHandler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes {
		mux.Handle(rt.Pattern(), s.wrap(rt))
	}
	mux.Handle("GET /static/", http.FileServerFS(assets))
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			s.notFound(w, r, mux)
			return
		}
		mux.ServeHTTP(w, r)
	})
	h = s.authenticate(h)
	h = http.NewCrossOriginProtection().Handler(h)
	h = s.secureHeaders(h)
	h = s.observe(h)
	return h
}

// notFound answers paths no route matches, telling 404 from 405.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request, mux *http.ServeMux) {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		r2 := r.Clone(r.Context())
		r2.Method = m
		if _, p := mux.Handler(r2); p != "" {
			allowed = append(allowed, m)
		}
	}
	err := errs.E(errs.NotFound, "there is nothing at %s", r.URL.Path)
	status := http.StatusNotFound
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		err = errs.E(errs.Invalid, "%s does not accept %s (it accepts %s)", r.URL.Path, r.Method, strings.Join(allowed, ", "))
		status = http.StatusMethodNotAllowed
	}
	if isAPI(r) {
		p := s.problemFor(r, err)
		p.Status, p.Title = status, http.StatusText(status)
		writeProblem(w, p)
		return
	}
	s.renderError(w, r, status, err.Message)
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// observe gives each request an id, recovers from panics, logs the request
// and counts it.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if !requestIDRE.MatchString(id) {
			var b [8]byte
			rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-ID", id)
		route := new(string)
		ctx := context.WithValue(r.Context(), keyRequestID, id)
		r = r.WithContext(context.WithValue(ctx, keyRoute, route))
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.Log.Error("panic", "request_id", id, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if !rec.wrote {
					writeProblem(rec, s.problemFor(r, fmt.Errorf("panic: %v", p)))
				}
			}
			if *route == "" {
				*route = "unmatched"
			}
			d := time.Since(start)
			s.metrics.observe(*route, rec.status, d)
			c := callerOf(r)
			s.Log.Info("request", "request_id", id, "method", r.Method, "path", r.URL.Path, "route", *route,
				"status", rec.status, "bytes", rec.bytes, "ms", float64(d.Microseconds())/1000,
				"user", c.Name, "addr", clientAddr(r))
		}()
		next.ServeHTTP(rec, r)
	})
}

// recorder remembers the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (rw *recorder) WriteHeader(code int) {
	if !rw.wrote {
		rw.status, rw.wrote = code, true
	}
	rw.ResponseWriter.WriteHeader(code)
}

func (rw *recorder) Write(b []byte) (int, error) {
	rw.wrote = true
	n, err := rw.ResponseWriter.Write(b)
	rw.bytes += int64(n)
	return n, err
}

func (rw *recorder) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

func (rw *recorder) Flush() {
	if f, ok := rw.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "+
			"frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		if s.SecureCookies {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// authenticate finds who is asking: an API token in the Authorization
// header, or a session cookie. A bad token is an error at once (a system
// should hear that its credential is wrong); a bad cookie just leaves the
// browser signed out.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		caller := access.Public()
		if auth := r.Header.Get("Authorization"); auth != "" {
			token, ok := strings.CutPrefix(auth, "Bearer ")
			if !ok {
				writeProblem(w, s.problemFor(r, errs.E(errs.Unauthenticated, "use Authorization: Bearer <token>")))
				return
			}
			c, err := s.Accounts.AuthenticateToken(ctx, strings.TrimSpace(token))
			if err != nil {
				writeProblem(w, s.problemFor(r, err))
				return
			}
			caller = c
		} else if ck, err := r.Cookie(sessionCookie); err == nil && ck.Value != "" {
			sess, err := s.Accounts.Authenticate(ctx, ck.Value)
			if err != nil {
				s.clearSessionCookie(w)
			} else {
				ctx = context.WithValue(ctx, keySession, &sess)
				ctx = context.WithValue(ctx, keySessionSecret, ck.Value)
				if sess.MFAPassed {
					caller = sess.Caller()
				}
			}
		}
		ctx = context.WithValue(ctx, keyCaller, caller)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (s *Server) setSessionCookie(w http.ResponseWriter, secret string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", HttpOnly: true,
		Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: int((12 * time.Hour).Seconds())})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// wrap applies a route's access rules, then runs its handler and answers its
// error, if any.
func (s *Server) wrap(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := r.Context().Value(keyRoute).(*string); ok {
			*p = rt.Pattern()
		}
		err := s.admit(rt, r)
		if err == nil {
			if rt.API && !rt.Upload && r.Body != nil {
				r.Body = http.MaxBytesReader(w, r.Body, s.MaxBody)
			}
			if err = checkText(r, rt); err == nil {
				err = rt.Handle(w, r)
			}
		}
		if err == nil {
			return
		}
		if rt.API {
			writeProblem(w, s.problemFor(r, err))
			return
		}
		e := errs.As(err)
		if e.Code == errs.Unauthenticated && r.Method == http.MethodGet {
			target := "/signin?next=" + url.QueryEscape(r.URL.RequestURI())
			if sess := sessionOf(r); sess != nil && sess.Pending() {
				target = "/signin/mfa"
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		p := s.problemFor(r, err)
		s.renderError(w, r, p.Status, p.Detail)
	})
}

// admit checks sign-in, second factor, token scope and CSRF for a route.
func (s *Server) admit(rt Route, r *http.Request) error {
	c := callerOf(r)
	sess := sessionOf(r)
	switch {
	case rt.Access == Public:
	case rt.Access == Pending && sess != nil:
	case !c.SignedIn() && sess != nil && sess.Pending():
		return errs.E(errs.Unauthenticated, "finish signing in with your authenticator code first")
	case !c.SignedIn():
		return errs.E(errs.Unauthenticated, "sign in, or send an API token, to use this")
	}
	if c.Via == "token" && !slices.Contains(c.Scopes, rt.scope()) {
		return errs.E(errs.Forbidden, "this API token lacks the %q scope that %s %s needs", rt.scope(), rt.Method, rt.Path)
	}
	if sess != nil && c.Via != "token" && !safeMethod(r.Method) {
		token := r.Header.Get("X-CSRF-Token")
		if token == "" && !rt.API {
			if rt.Upload {
				token = r.URL.Query().Get("csrf")
			} else {
				token = r.PostFormValue("csrf")
			}
		}
		if !sess.CheckCSRF(token) {
			return errs.E(errs.Forbidden, "the form has expired or did not come from this site (CSRF check failed): reload the page and try again")
		}
	}
	return nil
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// checkText refuses, for every route in one place, a query value or form
// value (or name) holding a NUL byte or bytes that are not UTF-8: 400, a
// problem document naming the field. Nothing downstream has to meet them
// (PostgreSQL refuses NUL in text and would answer 500; SQLite would store
// them). A streamed upload's parts are read by its importer, which checks
// its own encoding; its query string is checked here.
func checkText(r *http.Request, rt Route) error {
	if err := checkValues(r.URL.Query()); err != nil {
		return err
	}
	if rt.Upload || safeMethod(r.Method) || r.Body == nil {
		return nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return errs.E(errs.Invalid, "the form could not be read: %v", err)
		}
	case "multipart/form-data":
		if err := r.ParseMultipartForm(maxFormMemory); err != nil {
			return errs.E(errs.Invalid, "the form could not be read: %v", err)
		}
	default:
		return nil
	}
	if err := checkValues(r.PostForm); err != nil {
		return err
	}
	if r.MultipartForm != nil {
		return checkValues(r.MultipartForm.Value)
	}
	return nil
}

// maxFormMemory is what a form that is not an upload may hold in memory.
const maxFormMemory = 10 << 20

// checkValues finds the first name or value with a NUL byte or invalid
// UTF-8, in name order so the answer is the same each time.
func checkValues(vs map[string][]string) error {
	names := make([]string, 0, len(vs))
	for k := range vs {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		field := fieldName(k)
		if msg := textProblem(k); msg != "" {
			return &malformedText{errs.FieldError(field, "the field's name %s", msg)}
		}
		for _, v := range vs[k] {
			if msg := textProblem(v); msg != "" {
				return &malformedText{errs.FieldError(field, "%s", msg)}
			}
		}
	}
	return nil
}

// malformedText is a field error that is malformed input, not a value out
// of range: 400, where other field errors answer 422 (problemFor).
type malformedText struct{ err *errs.Error }

func (m *malformedText) Error() string { return m.err.Error() }
func (m *malformedText) Unwrap() error { return m.err }

// textProblem says what is wrong with s as text, or "".
func textProblem(s string) string {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return "contains a NUL byte, which text may not hold"
	case !utf8.ValidString(s):
		return "is not valid UTF-8 text"
	}
	return ""
}

// fieldName is a field's name fit to quote back: invalid bytes and NULs
// replaced.
func fieldName(k string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(k, "\uFFFD"), "\x00", "\uFFFD")
}
