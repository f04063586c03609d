// Package web is metersec's HTTP face: the JSON API under /api/v1, the
// server-rendered HTML UI, sign-in, sessions and CSRF protection, and the
// operational endpoints (/healthz, /readyz, /metrics).
//
// Every handler takes the same steps: who is asking (from the request
// context), decode, call an area's service, respond. Services decide what the
// caller may see and do; handlers never filter records. Errors are *errs.Error
// values mapped to HTTP in one place (problem.go).
package web

import (
	"context"
	"embed"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/assurance"
	"github.com/metersec/metersec/internal/audience"
	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/coverage"
	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/meeting"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/release"
	"github.com/metersec/metersec/internal/report"
	"github.com/metersec/metersec/internal/risk"
	"github.com/metersec/metersec/internal/secrets"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/triage"
	"github.com/metersec/metersec/internal/usersystem"
	"github.com/metersec/metersec/internal/vuln"
)

//go:embed templates static
var assets embed.FS

// Server holds what the handlers need.
type Server struct {
	DB       *store.DB
	Log      *slog.Logger
	Accounts *account.Service
	Parties  *party.Service
	// Catalogue is the Device catalogue (CPL).
	Catalogue *catalogue.Service
	Audience  *audience.Service
	// Delivery is the queue, the inbox and the webhook endpoints.
	Delivery *delivery.Service
	Vulns    *vuln.Service
	// Arrangements and Coverage are G3.20: the arrangements, and who is
	// covered by them.
	Arrangements *arrangement.Service
	Coverage     *coverage.Service
	// Estate is the installed estate: Devices, supply history, portfolio.
	Estate *estate.Service
	// Reports are the SSC's monthly mailings and standing reports.
	Reports *report.Service
	// Meetings are the SSC's meetings, minutes and public headlines.
	Meetings *meeting.Service
	// Assurance is security assurance: assessments, the forward plan,
	// remediation plans and Directors' Letters.
	Assurance *assurance.Service
	// Risks is the SSC's risk register.
	Risks *risk.Service
	// Triage is MP203's Triage Facilities and their records.
	Triage *triage.Service
	// UserSystems is the register of Users' User Systems (G3.17(a), G3.20(a), SECMP0057).
	UserSystems *usersystem.Service

	// SecureCookies marks cookies Secure; set it when serving behind TLS.
	SecureCookies bool
	// MaxBody limits JSON request bodies; uploads have their own limits.
	MaxBody int64
	// Version is shown in the UI footer and /healthz.
	Version string
	// EmailServer: this server was given an SMTP server, so email notices
	// go out; without one they wait in the queue, and the pages say so.
	EmailServer bool

	metrics *metrics
	pages   *pages
	// headlinePDFs caches each published meeting's headlines as PDF and
	// JSON, keyed by form, number and revision (meeting_pages.go).
	headlinePDFs sync.Map
	routes       []Route
	handler      http.Handler
	// oidc is single sign-on with an OpenID Connect provider; nil when
	// none is set up (oidc.go).
	oidc *oidcClient
}

// Config is what New needs beyond the services.
type Config struct {
	DB *store.DB
	// Notifier delivers vulnerability notices; nil until delivery is wired.
	Notifier      vuln.Notifier
	Log           *slog.Logger
	SecureCookies bool
	Version       string
	// Secrets seals TOTP seeds and webhook secrets at rest; nil keeps them
	// in the clear (serve --insecure-dev).
	Secrets *secrets.Box
	// EstateLimits bound estate dates and single-Device claims;
	// estate.DefaultLimits when zero.
	EstateLimits estate.Limits
	// OIDC sets up single sign-on beside passwords; nil for none.
	OIDC *OIDCConfig
	// EmailServer: serve was given an SMTP server (--smtp-host).
	EmailServer bool
}

// New builds a server with every area's service on db.
func New(cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	s := &Server{
		DB:            cfg.DB,
		Log:           cfg.Log,
		Accounts:      account.NewService(cfg.DB),
		Parties:       &party.Service{DB: cfg.DB},
		Catalogue:     &catalogue.Service{DB: cfg.DB},
		Reports:       report.NewService(cfg.DB),
		Audience:      &audience.Service{DB: cfg.DB},
		Delivery:      &delivery.Service{DB: cfg.DB, Secrets: cfg.Secrets},
		Vulns:         vuln.NewService(cfg.DB, cfg.Notifier),
		Arrangements:  arrangement.NewService(cfg.DB),
		Coverage:      coverage.NewService(cfg.DB),
		Estate:        estate.NewService(cfg.DB),
		Meetings:      meeting.NewService(cfg.DB),
		Assurance:     assurance.NewService(cfg.DB),
		Risks:         &risk.Service{DB: cfg.DB},
		Triage:        triage.NewService(cfg.DB),
		UserSystems:   &usersystem.Service{DB: cfg.DB},
		SecureCookies: cfg.SecureCookies,
		MaxBody:       1 << 20,
		Version:       cfg.Version,
		EmailServer:   cfg.EmailServer,
		metrics:       newMetrics(),
	}
	s.Accounts.Secrets = cfg.Secrets
	s.Triage.Assessments = assessmentLookup{s.Assurance}
	var err error
	if s.pages, err = loadPages(); err != nil {
		return nil, err
	}
	// The SEC release history and the modifications register are data the
	// secretariat keeps (internal/release); the rules take them as values,
	// read here when the server starts.
	if t, err := release.Load(context.Background(), cfg.DB); err == nil {
		s.useReleases(t)
	} else {
		cfg.Log.Warn("SEC release table not loaded; using the illustrative defaults", "err", err)
	}
	if cfg.EstateLimits != (estate.Limits{}) {
		s.Estate.Limits = cfg.EstateLimits
	}
	s.oidc = newOIDCClient(cfg.OIDC, func() time.Time { return cfg.DB.Now() })
	s.routes = s.allRoutes()
	s.handler = s.buildHandler()
	return s, nil
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Routes lists every route the server serves.
func (s *Server) Routes() []Route { return s.routes }

// ListenAndServe serves on addr until ctx ends, then shuts down gracefully,
// giving requests in flight up to grace to finish. ready, if not nil, receives
// the address actually listened on.
func (s *Server) ListenAndServe(ctx context.Context, addr string, grace time.Duration, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.Log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.Log.Info("shutting down", "grace", grace.String())
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// assessmentLookup shows a Triage Facility's initial FUSA from the assurance
// area's records (MP203: a facility's approval follows its FUSA), as the
// caller may see it: one assessment model, linked, never a second one.
type assessmentLookup struct{ a *assurance.Service }

func (l assessmentLookup) Assessment(ctx context.Context, c access.Caller, id int64) (triage.AssessmentRef, error) {
	a, err := l.a.Get(ctx, c, id)
	if err != nil {
		return triage.AssessmentRef{}, err
	}
	ref := triage.AssessmentRef{ID: a.ID, Label: a.Title}
	if a.Outcome != nil {
		ref.Outcome = a.Outcome.Label
	}
	return ref, nil
}
