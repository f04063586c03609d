package delivery

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	mathrand "math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Config is how a worker sends. The zero value of each field means its
// default.
type Config struct {
	SMTP    SMTPConfig
	Webhook WebhookConfig
	// BaseURL makes the links of notices absolute in emails and webhooks,
	// e.g. "https://metersec.example.org".
	BaseURL string
	// Concurrency is how many sends run at once (8).
	Concurrency int
	// MaxAttempts is how many times a job is tried before it is dead (24:
	// with the default backoff, about a day).
	MaxAttempts int
	// RefusedAttempts is how many times a job is tried when the receiver
	// refuses it outright (an SMTP 5xx, a webhook 4xx) (4). A refusal is
	// usually a mistake someone will fix within minutes (a wrong secret, a
	// moved endpoint, a full mailbox), so it is worth a few tries over
	// several minutes, but not a day of them.
	RefusedAttempts int
	// BackoffBase is the wait after the first failure (30 s); each further
	// failure doubles it, up to BackoffMax (1 h), with jitter so that a burst
	// of failures does not retry in step.
	BackoffBase, BackoffMax time.Duration
	// Lease is how long a claimed job is the worker's (5 min). A job whose
	// worker died is sent again once its lease runs out, so the lease must be
	// well over the longest send.
	Lease time.Duration
	// PollInterval is how often the worker looks for due jobs when nothing
	// wakes it (2 s): retries coming due, and jobs enqueued by other
	// processes.
	PollInterval time.Duration
	// Logger gets one line per failure and per dead job (slog.Default()).
	// Lines carry job ids, never addresses, bodies or secrets.
	Logger *slog.Logger
}

func (cfg *Config) defaults() error {
	setDefault(&cfg.Concurrency, 8)
	setDefault(&cfg.MaxAttempts, 24)
	setDefault(&cfg.RefusedAttempts, 4)
	setDefault(&cfg.BackoffBase, 30*time.Second)
	setDefault(&cfg.BackoffMax, time.Hour)
	setDefault(&cfg.Lease, 5*time.Minute)
	setDefault(&cfg.PollInterval, 2*time.Second)
	setDefault(&cfg.SMTP.Timeout, 15*time.Second)
	setDefault(&cfg.Webhook.Timeout, 15*time.Second)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	switch {
	case cfg.RefusedAttempts > cfg.MaxAttempts:
		cfg.RefusedAttempts = cfg.MaxAttempts
	case cfg.BackoffMax < cfg.BackoffBase:
		return fmt.Errorf("delivery: the longest backoff (%s) is shorter than the first (%s)", cfg.BackoffMax, cfg.BackoffBase)
	}
	// A send is bounded by its timeouts: one per SMTP command (a dozen at
	// most, STARTTLS and AUTH included), one per webhook call. A lease
	// shorter than that would let a second worker send a job the first is
	// still sending.
	longest := 2 * cfg.Webhook.Timeout
	if cfg.SMTP.Host != "" {
		longest = max(longest, 12*cfg.SMTP.Timeout)
	}
	if cfg.Lease < longest {
		return fmt.Errorf("delivery: the lease (%s) must be at least %s with these timeouts", cfg.Lease, longest)
	}
	return nil
}

func setDefault[T int | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// Worker sends due jobs. Several workers, in one process or many, may run on
// one database: each job is claimed by one at a time.
type Worker struct {
	db     *store.DB
	cfg    Config
	id     string
	caller access.Caller
	log    *slog.Logger
	mailer *mailer // nil when no SMTP server is configured
	http   *http.Client

	wake     chan struct{}
	freed    chan struct{}
	inflight atomic.Int64
	claims   atomic.Int64
}

// NewWorker makes a worker for db. It is the one constructor the server and
// the tests use. Without an SMTP host the worker sends webhooks only, and
// email jobs wait for a worker that can send them.
func NewWorker(db *store.DB, cfg Config) (*Worker, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	var b [6]byte
	rand.Read(b[:])
	w := &Worker{
		db: db, cfg: cfg, id: hex.EncodeToString(b[:]),
		caller: access.SystemCaller("delivery"),
		log:    cfg.Logger.With("component", "delivery"),
		http:   newHTTPClient(cfg.Webhook),
		wake:   make(chan struct{}, 1),
		freed:  make(chan struct{}, 1),
	}
	if cfg.SMTP.Host != "" {
		m, err := newMailer(cfg.SMTP)
		if err != nil {
			return nil, err
		}
		w.mailer = m
	}
	return w, nil
}

// Wake makes the worker look for jobs now rather than at its next poll.
// Enqueue and Notify wake every worker of their database in this process
// when their transaction commits.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// job is a claimed delivery job: what it takes to send it.
type job struct {
	id             int64
	kind           string
	channel        Channel
	orgID          int64
	email          string
	endpointID     int64
	subject, body  string
	html, link     string
	classification sec.Classification
	data           string
	recordKind     string
	recordID       int64
	key            string
	attempts       int // including this one
	createdAt      time.Time
	token          string // the claim, as written in locked_by
}

// Run sends jobs until ctx is done, then lets the sends in flight finish
// (each is bounded by its timeouts), records their outcomes, and returns.
func (w *Worker) Run(ctx context.Context) error {
	registerWorker(w)
	defer unregisterWorker(w)
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range w.cfg.Concurrency {
		wg.Go(func() { w.sendLoop(jobs) })
	}
	defer func() {
		close(jobs)
		wg.Wait()
		w.log.Info("delivery worker stopped", "worker", w.id)
	}()
	w.log.Info("delivery worker started", "worker", w.id, "concurrency", w.cfg.Concurrency,
		"email", w.mailer != nil, "smtp", w.cfg.SMTP)
	poll := time.NewTimer(0)
	defer poll.Stop()
	for {
		if free := w.cfg.Concurrency - int(w.inflight.Load()); free > 0 {
			js, err := w.claim(ctx, free)
			if err != nil && ctx.Err() == nil {
				w.log.Error("claiming delivery jobs failed", "err", err)
			}
			for _, j := range js {
				w.inflight.Add(1)
				jobs <- j
			}
			if len(js) == free {
				// There may be more due: claim again as soon as a sender
				// is free.
				poll.Reset(0)
			} else {
				poll.Reset(w.cfg.PollInterval)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-w.wake:
		case <-w.freed:
		case <-poll.C:
		}
	}
}

func (w *Worker) sendLoop(jobs <-chan job) {
	var sess smtpSession
	defer sess.close()
	for j := range jobs {
		start := time.Now()
		var out outcome
		switch j.channel {
		case Email:
			out = w.sendEmail(&sess, j)
		case Webhook:
			out = w.sendWebhook(j)
		default:
			out = refused(fmt.Errorf("unknown channel %q", j.channel))
		}
		out.took = time.Since(start)
		w.record(j, out)
		w.inflight.Add(-1)
		select {
		case w.freed <- struct{}{}:
		default:
		}
	}
}

const jobColumns = `id, kind, channel, org_id, email, endpoint_id, subject, body, html, link, classification, data,
	record_kind, record_id, idempotency_key, attempts, created_at`

// claim leases up to n due jobs: pending jobs whose time has come and
// sending jobs whose lease ran out (their worker died). Claiming counts an
// attempt, so a job that kills its worker every time still ends up dead.
func (w *Worker) claim(ctx context.Context, n int) ([]job, error) {
	channels := "'email', 'webhook'"
	if w.mailer == nil {
		channels = "'webhook'"
	}
	token := w.id + ":" + strconv.FormatInt(w.claims.Add(1), 10)
	var out []job
	err := w.db.Write(ctx, w.caller, func(tx *store.Tx) error {
		out = out[:0]
		var q string
		if tx.Dialect == store.Postgres {
			// SKIP LOCKED lets workers on other connections claim other
			// jobs instead of queueing behind this claim.
			q = `WITH due AS (SELECT id AS due_id FROM delivery_jobs
				WHERE state IN ('pending', 'sending') AND next_attempt_at <= $1 AND channel IN (` + channels + `)
				ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
				UPDATE delivery_jobs SET state = 'sending', attempts = attempts + 1, next_attempt_at = $3, locked_by = $4
				FROM due WHERE id = due.due_id RETURNING ` + jobColumns
		} else {
			// SQLite has one writer, so the claim needs no row locks.
			q = `UPDATE delivery_jobs SET state = 'sending', attempts = attempts + 1, next_attempt_at = $3, locked_by = $4
				WHERE id IN (SELECT id FROM delivery_jobs
				WHERE state IN ('pending', 'sending') AND next_attempt_at <= $1 AND channel IN (` + channels + `)
				ORDER BY next_attempt_at, id LIMIT $2) RETURNING ` + jobColumns
		}
		rows, err := tx.QueryContext(ctx, q, tx.Now, n, tx.Now.Add(w.cfg.Lease), token)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var j job
			var org, endpoint *int64
			if err := rows.Scan(&j.id, &j.kind, &j.channel, &org, &j.email, &endpoint, &j.subject, &j.body, &j.html,
				&j.link, &j.classification, &j.data, &j.recordKind, &j.recordID, &j.key, &j.attempts, &j.createdAt); err != nil {
				return err
			}
			if org != nil {
				j.orgID = *org
			}
			if endpoint != nil {
				j.endpointID = *endpoint
			}
			j.createdAt, j.token = j.createdAt.UTC(), token
			out = append(out, j)
		}
		return rows.Err()
	})
	return out, err
}

// outcome is how a send went.
type outcome struct {
	err error // nil: delivered
	// refused: the receiver said no (SMTP 5xx, webhook 4xx): RefusedAttempts
	// apply instead of MaxAttempts.
	refused bool
	// final: no attempt can succeed (the endpoint was disabled).
	final bool
	// ours: the failure was on our side (the database), not the receiver's.
	ours bool
	// unhealthy: the receiver itself is failing (down, hanging, 5xx), so its
	// other waiting jobs are held back too.
	unhealthy  bool
	retryAfter time.Duration // asked for by the receiver, if any
	took       time.Duration
}

func refused(err error) outcome   { return outcome{err: err, refused: true} }
func transient(err error) outcome { return outcome{err: err, unhealthy: true} }

func (o outcome) label() string {
	switch {
	case o.err == nil:
		return "delivered"
	case o.refused:
		return "refused"
	}
	return "failed"
}

// record writes a send's outcome. Failures are written only while the claim
// is still this worker's (locked_by): if the lease ran out and another worker
// took the job, its outcome is the one that counts. A delivery is written
// whatever happened meanwhile: the message reached its reader.
func (w *Worker) record(j job, out outcome) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	metrics.sendSeconds.WithLabelValues(string(j.channel), out.label()).Observe(out.took.Seconds())
	var state State
	var next time.Time
	err := w.db.Write(ctx, w.caller, func(tx *store.Tx) error {
		if out.err == nil {
			state = Delivered
			if _, err := tx.ExecContext(ctx, `UPDATE delivery_jobs SET state = 'delivered', delivered_at = $1, last_error = '',
				locked_by = '' WHERE id = $2 AND state <> 'delivered'`, tx.Now, j.id); err != nil {
				return err
			}
			if j.channel == Webhook {
				_, err := tx.ExecContext(ctx, "UPDATE webhook_endpoints SET last_success_at = $1 WHERE id = $2", tx.Now, j.endpointID)
				return err
			}
			return nil
		}
		limit := w.cfg.MaxAttempts
		if out.refused {
			limit = w.cfg.RefusedAttempts
		}
		msg := shortError(out.err)
		state, next = Pending, tx.Now.Add(max(w.backoff(j.attempts), min(out.retryAfter, w.cfg.BackoffMax)))
		if j.attempts >= limit || out.final {
			state, next = Dead, tx.Now
		}
		if _, err := tx.ExecContext(ctx, `UPDATE delivery_jobs SET state = $1, next_attempt_at = $2, last_error = $3,
			locked_by = '' WHERE id = $4 AND locked_by = $5 AND state = 'sending'`, state, next, msg, j.id, j.token); err != nil {
			return err
		}
		if j.channel != Webhook || out.ours {
			return nil
		}
		if _, err := tx.ExecContext(ctx, "UPDATE webhook_endpoints SET last_failure_at = $1, last_error = $2 WHERE id = $3",
			tx.Now, msg, j.endpointID); err != nil {
			return err
		}
		if out.unhealthy && state == Pending {
			// A failing endpoint would otherwise tie up every sender with
			// its other jobs, each waiting out its timeout. They wait for
			// this job's retry instead; it is not counted as their attempt.
			_, err := tx.ExecContext(ctx, `UPDATE delivery_jobs SET next_attempt_at = $1
				WHERE endpoint_id = $2 AND state = 'pending' AND next_attempt_at < $1`, next, j.endpointID)
			return err
		}
		return nil
	})
	if err != nil {
		// The job stays leased; when the lease runs out it is sent again.
		w.log.Error("recording a delivery outcome failed", "job", j.id, "err", err)
		return
	}
	ch := string(j.channel)
	switch state {
	case Delivered:
		metrics.delivered.WithLabelValues(ch).Inc()
		metrics.latencySeconds.WithLabelValues(ch).Observe(time.Since(j.createdAt).Seconds())
	case Pending:
		metrics.retried.WithLabelValues(ch).Inc()
		w.log.Warn("delivery failed, will retry", "job", j.id, "kind", j.kind, "channel", ch, "attempt", j.attempts,
			"next_attempt_at", next, "err", shortError(out.err))
	case Dead:
		metrics.dead.WithLabelValues(ch).Inc()
		w.log.Error("delivery given up", "job", j.id, "kind", j.kind, "channel", ch, "org", j.orgID, "attempts", j.attempts,
			"err", shortError(out.err))
	}
}

// backoff is the wait after the given failed attempt: BackoffBase doubled per
// earlier attempt, capped at BackoffMax, of which the second half is random
// ("equal jitter": never less than half the nominal wait, never in step).
func (w *Worker) backoff(attempt int) time.Duration {
	d := w.cfg.BackoffMax
	if shift := attempt - 1; shift < 30 {
		d = min(d, w.cfg.BackoffBase<<max(shift, 0))
	}
	return d/2 + mathrand.N(d/2+1)
}

// shortError is an error as it may be stored and shown: one line, at most
// 300 bytes. Callers strip anything secret (URLs) before it gets here.
func shortError(err error) string {
	if err == nil {
		return ""
	}
	s := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, err.Error())
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		// Cutting at byte 297 may split a character; ToValidUTF8 drops the
		// piece.
		s = strings.ToValidUTF8(s[:297], "") + "…"
	}
	return s
}
