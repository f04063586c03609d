package main

import (
	"context"
	"crypto/x509"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/assurance"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/coverage"
	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/report"
	"github.com/metersec/metersec/internal/schedule"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/secrets"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/web"
)

type serveFlags struct {
	addr          string
	baseURL       string
	secureCookies bool
	logLevel      string
	grace         time.Duration
	workers       bool
	tick          time.Duration
	// The monthly reports' schedule (report.LoadSchedule).
	reportSchedule, bankHolidays string
	reports                      report.Schedule

	// Signed checkpoints of the audit trail (audit.WriteCheckpoint).
	auditKeyFile         string
	auditCheckpointEvery time.Duration
	auditKey             *audit.Key

	smtpHost, smtpFrom, smtpUser, smtpTLS, smtpCAFile string
	smtpPort, concurrency                             int
	deliveryTimeout, deliveryLease, deliveryBackoff   time.Duration

	// Secrets at rest and the token rules.
	secretKeyFile string
	insecureDev   bool
	tokenMFA      time.Duration
	// The estate's limits (estate.Limits).
	estateEarliest                      string
	estateDaysAhead, estateClaimsPerDay int
	// Single sign-on (oidc.go).
	oidc oidcFlags
}

func (f *serveFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "the address to listen on")
	fs.StringVar(&f.baseURL, "base-url", "", baseURLUsage)
	fs.BoolVar(&f.secureCookies, "secure-cookies", false, "mark cookies Secure: set this when users reach metersec over HTTPS")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.DurationVar(&f.grace, "shutdown-grace", 20*time.Second, "how long requests in flight may finish on shutdown")
	fs.BoolVar(&f.workers, "workers", true, "run the delivery worker and the scheduled tasks in this process")
	fs.DurationVar(&f.tick, "tick", time.Minute, "how often the frequent scheduled task runs (vulnerability re-fan-out, acknowledgement reminders, overdue plans); the others run every hour (reports every 5 minutes) or every tick when it is longer")
	fs.StringVar(&f.reportSchedule, "report-schedule", "", reportScheduleUsage)
	fs.StringVar(&f.bankHolidays, "bank-holidays", "", bankHolidaysUsage)
	fs.StringVar(&f.auditKeyFile, "audit-key-file", "", auditKeyFileUsage)
	fs.DurationVar(&f.auditCheckpointEvery, "audit-checkpoint-every", time.Hour, "how often the audit trail's head is signed and sent to the SSC (with --audit-key-file)")
	fs.StringVar(&f.smtpHost, "smtp-host", "", smtpHostUsage)
	fs.IntVar(&f.smtpPort, "smtp-port", 587, "the SMTP server's port")
	fs.StringVar(&f.smtpFrom, "smtp-from", "metersec <noreply@metersec.invalid>", "the sender of email")
	fs.StringVar(&f.smtpUser, "smtp-user", "", "the SMTP user, if the server needs one (the password is METERSEC_SMTP_PASSWORD)")
	fs.StringVar(&f.smtpTLS, "smtp-tls", "opportunistic", "opportunistic (STARTTLS when offered), mandatory, implicit or none")
	fs.StringVar(&f.smtpCAFile, "smtp-ca-file", "", "PEM certificates to trust for the SMTP server's TLS instead of the system's")
	fs.IntVar(&f.concurrency, "delivery-concurrency", 8, "how many deliveries run at once")
	fs.DurationVar(&f.deliveryTimeout, "delivery-timeout", 15*time.Second, "the limit on each SMTP command and each webhook call")
	fs.DurationVar(&f.deliveryLease, "delivery-lease", 5*time.Minute, "how long a delivery in progress is held before another worker may retry it (after a crash)")
	fs.DurationVar(&f.deliveryBackoff, "delivery-backoff", 30*time.Second, "the wait after a failed delivery; it doubles on each failure, up to an hour")
	def := estate.DefaultLimits()
	fs.StringVar(&f.estateEarliest, "estate-earliest", def.Earliest.String(), "the earliest day a supply start, change of supplier or firmware may date from (YYYY-MM-DD)")
	fs.IntVar(&f.estateDaysAhead, "estate-days-ahead", def.DaysAhead, "how many days after today such a date may lie")
	fs.IntVar(&f.estateClaimsPerDay, "claims-per-day", def.ClaimsPerDay, "how many of another Supplier's Devices a Supplier may claim a day through the single-Device change of supplier (bulk moves go through the churn import)")
	secretKeyFlag(fs, &f.secretKeyFile)
	fs.BoolVar(&f.insecureDev, "insecure-dev", false, "run without a secret key, keeping TOTP and webhook secrets in the clear (the demo; never in production)")
	f.oidc.define(fs)
	fs.DurationVar(&f.tokenMFA, "token-mfa-window", account.DefaultRecentMFA, "how recent a session's second factor must be to create an API token without entering a code (1m to 12h)")
}

// check refuses settings out of range, naming the flag, rather than letting
// a zero or negative value fall back to a default unseen (issue 14: a token
// lifetime of -5 days became 90).
func (f *serveFlags) check() error {
	durations := []struct {
		flag     string
		v        time.Duration
		min, max time.Duration
	}{
		{"shutdown-grace", f.grace, 0, 10 * time.Minute},
		{"tick", f.tick, time.Second, 24 * time.Hour},
		{"delivery-timeout", f.deliveryTimeout, 100 * time.Millisecond, 10 * time.Minute},
		{"delivery-lease", f.deliveryLease, time.Second, 24 * time.Hour},
		{"delivery-backoff", f.deliveryBackoff, 10 * time.Millisecond, time.Hour},
		{"token-mfa-window", f.tokenMFA, time.Minute, 12 * time.Hour},
	}
	for _, d := range durations {
		if d.v < d.min || d.v > d.max {
			return cli.Usagef("--%s must be from %s to %s, not %s", d.flag, d.min, d.max, d.v)
		}
	}
	switch {
	case f.smtpPort < 1 || f.smtpPort > 65535:
		return cli.Usagef("--smtp-port must be from 1 to 65535, not %d", f.smtpPort)
	case f.concurrency < 1 || f.concurrency > 256:
		return cli.Usagef("--delivery-concurrency must be from 1 to 256, not %d", f.concurrency)
	}
	return nil
}

func serveCmd() *cli.Command {
	var f serveFlags
	return &cli.Command{
		Name:    "serve",
		Summary: "serve the web UI and the API, and run deliveries and scheduled tasks",
		Help: `Serves the UI, the JSON API under /api/v1 (OpenAPI at /api/v1/openapi.json), /healthz,
/readyz and /metrics; delivers notices by email and webhook from the durable queue; and runs the
scheduled tasks. Refuses a database whose schema is not current: run "metersec migrate" first.
Stops gracefully on SIGINT or SIGTERM: requests in flight finish, deliveries in flight complete,
and anything not yet sent stays queued for the next start.`,
		Flags: f.define,
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) > 0 {
				return cli.Usagef("serve takes no arguments")
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			return serve(ctx, env, db, f, nil)
		},
	}
}

// serve runs the server, the delivery worker and the scheduler until ctx
// ends. ready, if not nil, is told the address once listening.
func serve(ctx context.Context, env *cli.Env, db *store.DB, f serveFlags, ready func(net.Addr)) error {
	log, err := newLogger(env.Stderr, f.logLevel)
	if err != nil {
		return err
	}
	if f.reports, err = report.LoadSchedule(f.reportSchedule, f.bankHolidays); err != nil {
		return cli.Usagef("%v", err)
	}
	if err := f.check(); err != nil {
		return err
	}
	limits, err := f.limits()
	if err != nil {
		return err
	}
	box, err := loadSecretKey(env, f.secretKeyFile)
	if err != nil {
		return err
	}
	if box == nil && !f.insecureDev {
		return cli.Usagef("serve needs the key that seals TOTP and webhook secrets at rest: give --secret-key-file " +
			"(or METERSEC_SECRET_KEY_FILE, or the key in METERSEC_SECRET_KEY); make one with `metersec secrets keygen --out FILE`. " +
			"--insecure-dev runs without one, secrets in the clear, for trying metersec out")
	}
	// Seal what is still in the clear (the first start with a key), or,
	// without a key, check that nothing is sealed that this server could
	// not open.
	totp, hooks, err := resealAll(ctx, db, "serve: seal secrets at rest", box)
	if err != nil {
		return err
	}
	if box == nil {
		log.Warn("serving without a secret key (--insecure-dev): TOTP and webhook secrets are stored in the clear")
	} else if totp+hooks > 0 {
		log.Info("sealed secrets at rest", "key", box.ID(), "totp", totp, "webhook", hooks)
	}
	sso, err := f.oidc.config(f.baseURLOr())
	if err != nil {
		return err
	}
	srv, err := web.New(web.Config{DB: db, Log: log, SecureCookies: f.secureCookies, Version: version, Notifier: deliveryNotifier(), Secrets: box, EstateLimits: limits, OIDC: sso,
		EmailServer: f.smtpHost != ""})
	if err != nil {
		return err
	}
	srv.Accounts.RecentMFA = f.tokenMFA
	if err := srv.Register(delivery.Collectors(db)...); err != nil {
		return err
	}
	if f.auditKeyFile != "" {
		if f.auditKey, err = audit.LoadKey(f.auditKeyFile); err != nil {
			return cli.Usagef("--audit-key-file: %v", err)
		}
		if f.auditCheckpointEvery < time.Second {
			return cli.Usagef("--audit-checkpoint-every must be at least 1s, not %s", f.auditCheckpointEvery)
		}
	} else {
		log.Warn("no --audit-key-file: the audit trail is not being signed, so a rewrite with recomputed hashes would pass `audit verify`")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var workerErr error
	if f.workers {
		worker, err := newWorker(env, db, f, log, box)
		if err != nil {
			return err
		}
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := worker.Run(ctx); err != nil && ctx.Err() == nil {
				workerErr = err
				log.Error("delivery worker stopped", "err", err)
				cancel()
			}
		}()
		go func() {
			defer wg.Done()
			// Every server runs the scheduler; Shared lets each slot of each
			// task run on one of them only.
			schedule.Run(ctx, log, db.Now, schedule.Shared(db, serverID(f.addr), tasks(db, f)...)...)
		}()
	}
	log.Info("serving", "addr", f.addr, "database", db.Location, "engine", string(db.Dialect), "version", version,
		"workers", f.workers, "smtp", f.smtpHost)
	err = srv.ListenAndServe(ctx, f.addr, f.grace, ready)
	cancel()
	wg.Wait()
	if err == nil {
		err = workerErr
	}
	return err
}

func newWorker(env *cli.Env, db *store.DB, f serveFlags, log *slog.Logger, box *secrets.Box) (*delivery.Worker, error) {
	base := f.baseURL
	if base == "" {
		base = "http://" + f.addr
	}
	cfg := delivery.Config{BaseURL: base, Concurrency: f.concurrency, Logger: log, Lease: f.deliveryLease,
		BackoffBase: f.deliveryBackoff, Webhook: delivery.WebhookConfig{Timeout: f.deliveryTimeout}, Secrets: box}
	if f.smtpHost != "" {
		cfg.SMTP = delivery.SMTPConfig{Host: f.smtpHost, Port: f.smtpPort, From: f.smtpFrom, Username: f.smtpUser,
			Password: env.Getenv("METERSEC_SMTP_PASSWORD"), TLS: f.smtpTLS, Timeout: f.deliveryTimeout}
		if f.smtpUser != "" && cfg.SMTP.Password == "" {
			return nil, cli.Usagef("--smtp-user is set but METERSEC_SMTP_PASSWORD is empty")
		}
		if f.smtpCAFile != "" {
			pem, err := os.ReadFile(f.smtpCAFile)
			if err != nil {
				return nil, cli.Usagef("--smtp-ca-file: %v", err)
			}
			cfg.SMTP.RootCAs = x509.NewCertPool()
			if !cfg.SMTP.RootCAs.AppendCertsFromPEM(pem) {
				return nil, cli.Usagef("--smtp-ca-file %s holds no PEM certificate", f.smtpCAFile)
			}
		}
	}
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return nil, cli.Usagef("--base-url must start with http:// or https://, not %q", base)
	}
	w, err := delivery.NewWorker(db, cfg)
	if err != nil {
		return nil, fmt.Errorf("delivery: %w", err)
	}
	return w, nil
}

// tasks lists the scheduled work each area asks for. Every task is
// idempotent.
func tasks(db *store.DB, f serveFlags) []schedule.Task {
	ts := []schedule.Task{
		// Re-fan-out of open vulnerabilities from the portfolio aggregates,
		// acknowledgement reminders, overdue rectification plans.
		{Name: "vulnerabilities", Every: f.tick, Run: vulnService(db).Tick},
		// G3.20: expiring arrangements, closing churn windows, new gaps, and
		// the month's coverage snapshot. Keyed notices make reruns no-ops.
		{Name: "coverage alerts", Every: max(f.tick, time.Hour), Run: func(ctx context.Context, now time.Time) error {
			_, err := coverage.NewService(db).RunAlerts(ctx, access.SystemCaller("scheduler: coverage alerts"),
				sec.UKDay(now), coverage.DefaultAlertSettings())
			return err
		}},
		// The SSC's monthly mailing and standing report: the estate's
		// month-end snapshot just after midnight, the reports on the
		// schedule's day. Runs already made are not made again.
		reportTask(db, f.reports, max(f.tick, 5*time.Minute)),
		// Each Supplier that lost Devices to single-Device claims is told
		// once for the day, after it ends. Keyed notices make reruns no-ops.
		{Name: "estate claims", Every: max(f.tick, time.Hour), Run: func(ctx context.Context, now time.Time) error {
			svc := estate.NewService(db)
			_, err := svc.NotifyClaims(ctx, access.SystemCaller("scheduler: estate claims"), svc.Today(now))
			return err
		}},
		// Remediation plans past their agreed update date: overdue, the
		// party reminded, the SSC told later. Keyed notices make reruns
		// no-ops.
		{Name: "remediation plans", Every: max(f.tick, time.Hour), Run: assurance.NewService(db).Tick},
	}
	if f.auditKey != nil {
		// The audit trail's head, signed with a key outside the database and
		// sent to the SSC: what makes a rewrite of the trail detectable. A
		// trail with nothing new since the last checkpoint is not signed
		// (and mailed) again.
		ts = append(ts, schedule.Task{Name: "audit checkpoint", Every: f.auditCheckpointEvery, Run: func(ctx context.Context, now time.Time) error {
			_, _, err := audit.WriteCheckpointIfChanged(ctx, db, f.auditKey, notifySSCOfCheckpoint)
			return err
		}})
	}
	return ts
}

// serverID names this process in the records of scheduled runs: host,
// process and address, enough to find which of several servers ran what.
func serverID(addr string) string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), addr)
}

// limits are the estate's limits the flags set.
func (f serveFlags) limits() (estate.Limits, error) {
	earliest, err := sec.ParseDate(f.estateEarliest)
	if err != nil {
		return estate.Limits{}, cli.Usagef("--estate-earliest: %v", err)
	}
	l := estate.Limits{Earliest: earliest, DaysAhead: f.estateDaysAhead, ClaimsPerDay: f.estateClaimsPerDay}
	if err := l.Validate(); err != nil {
		return l, cli.Usagef("estate limits: %v", err)
	}
	return l, nil
}
