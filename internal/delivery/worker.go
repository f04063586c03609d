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
	"github.com/metersec/metersec/internal/secrets"
	"github.com/metersec/metersec/internal/store"
)

// Config is how a worker sends. The zero value of each field means its
// default.
type Config struct {
	SMTP    SMTPConfig
	Webhook WebhookConfig
	// Secrets opens the webhook signing secrets sealed at rest (nil when
	// they are stored in the clear).
	Secrets *secrets.Box
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
// (each is bounded by its timeouts), records their outcomes, puts back the
// jobs it claimed but had not started, and returns. It refuses to start on a
// database whose schema is not this binary's. Call it once per Worker.
//
// Three kinds of goroutine: this one claims jobs; Concurrency senders send
// them; one recorder writes outcomes, as many as have piled up in one
// transaction. Under a backlog up to Concurrency claimed jobs wait for a free
// sender, so that one claim fetches many jobs and senders never wait for the
// database; both cut the transactions per message from two to a fraction.
func (w *Worker) Run(ctx context.Context) error {
	if err := w.db.CheckSchema(ctx); err != nil {
		return err
	}
	registerWorker(w)
	defer unregisterWorker(w)
	n := w.cfg.Concurrency
	jobs := make(chan job, 2*n)
	results := make(chan result, 2*n)
	var senders, recorder sync.WaitGroup
	for range n {
		senders.Go(func() { w.sendLoop(jobs, results) })
	}
	recorder.Go(func() { w.recordLoop(results) })
	defer func() {
		var unsent []job
	drain:
		for {
			select {
			case j := <-jobs:
				unsent = append(unsent, j)
				w.inflight.Add(-1)
			default:
				break drain
			}
		}
		close(jobs)
		senders.Wait()
		close(results)
		recorder.Wait()
		w.release(unsent)
		w.log.Info("delivery worker stopped", "worker", w.id)
	}()
	w.log.Info("delivery worker started", "worker", w.id, "concurrency", n,
		"email", w.mailer != nil, "smtp", w.cfg.SMTP)
	poll := time.NewTimer(0)
	defer poll.Stop()
	backlog := false
	for {
		// With a backlog, claim once half the room is free, so each claim
		// fetches many; otherwise claim as soon as a sender is free.
		if free := 2*n - int(w.inflight.Load()); free > 0 && (!backlog || free >= n) {
			js, err := w.claim(ctx, free)
			if err != nil && ctx.Err() == nil {
				w.log.Error("claiming delivery jobs failed", "err", err)
			}
			for _, j := range js {
				w.inflight.Add(1)
				jobs <- j
			}
			backlog = len(js) == free
			poll.Reset(w.cfg.PollInterval)
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

// result is a sent job and how it went.
type result struct {
	job job
	out outcome
}

func (w *Worker) sendLoop(jobs <-chan job, results chan<- result) {
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
		metrics.sendSeconds.WithLabelValues(string(j.channel), out.label()).Observe(out.took.Seconds())
		results <- result{j, out}
		w.inflight.Add(-1)
		select {
		case w.freed <- struct{}{}:
		default:
		}
	}
}

// release puts back jobs claimed but never started, so that stopping does
// not wait for them nor leave them leased. The claim's attempt is not counted.
func (w *Worker) release(js []job) {
	if len(js) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := w.db.Write(ctx, w.caller, func(tx *store.Tx) error {
		for _, j := range js {
			if _, err := tx.ExecContext(ctx, `UPDATE delivery_jobs SET state = 'pending', attempts = attempts - 1,
				next_attempt_at = $1, locked_by = '' WHERE id = $2 AND locked_by = $3 AND state = 'sending'`,
				tx.Now, j.id, j.token); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// They stay leased and are sent once the lease runs out.
		w.log.Error("releasing unsent delivery jobs failed", "jobs", len(js), "err", err)
	}
}

// recordLoop writes outcomes in batches: whatever has arrived while the last
// batch was being written.
func (w *Worker) recordLoop(results <-chan result) {
	for r := range results {
		batch := []result{r}
	more:
		for len(batch) < maxRecordBatch {
			select {
			case r, ok := <-results:
				if !ok {
					break more
				}
				batch = append(batch, r)
			default:
				break more
			}
		}
		w.record(batch)
	}
}

const maxRecordBatch = 500

const jobColumns = `id, kind, channel, org_id, email, endpoint_id, subject, body, html, link, classification, data,
	record_kind, record_id, idempotency_key, attempts, created_at`

// claim leases up to n due jobs: pending jobs whose time has come and
// sending jobs whose lease ran out (their worker died). Claiming counts an
// attempt, so a job that kills its worker every time still ends up dead.
func (w *Worker) claim(ctx context.Context, n int) ([]job, error) {
	// A worker without SMTP leaves email to workers with it.
	channel := ""
	if w.mailer == nil {
		channel = " AND channel = 'webhook'"
	}
	token := w.id + ":" + strconv.FormatInt(w.claims.Add(1), 10)
	var out []job
	err := w.db.Write(ctx, w.caller, func(tx *store.Tx) error {
		out = out[:0]
		var q string
		// The claim must read the due index in order and stop after n
		// rows. After a burst of enqueues, before autovacuum has analysed
		// the table, PostgreSQL's planner believes the backlog is a handful
		// of rows and sorts all of it on every claim instead (20 ms a claim
		// at 10,000 jobs). No sort is the right plan at any size, so say so
		// for this transaction.
		if err := tx.SetLocal(ctx, "enable_sort", "off"); err != nil {
			return err
		}
		if err := noFlushWait(ctx, tx); err != nil {
			return err
		}
		// SKIP LOCKED lets workers on other connections claim other jobs
		// instead of queueing behind this claim (SQLite has one writer,
		// so there the claim needs no row locks).
		q = `WITH due AS (SELECT id AS due_id FROM delivery_jobs
			WHERE state IN ('pending', 'sending') AND next_attempt_at <= $1` + channel + `
			ORDER BY next_attempt_at, id LIMIT $2` + store.SkipLocked(tx) + `)
			UPDATE delivery_jobs SET state = 'sending', attempts = attempts + 1, next_attempt_at = $3, locked_by = $4
			FROM due WHERE id = due.due_id RETURNING ` + jobColumns
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

// noFlushWait lets a worker's own transaction (a claim, an outcome) commit
// without waiting for PostgreSQL to flush it to disk, which costs a few
// milliseconds per commit. Losing such a commit in a database crash loses
// nothing that matters: a lost claim leaves the job pending, a lost outcome
// leaves it leased, and either way it is sent again with the same Message-ID
// and Idempotency-Key. Enqueueing is the caller's transaction and stays fully
// durable. (SQLite in WAL mode with synchronous=NORMAL does not wait anyway.)
func noFlushWait(ctx context.Context, tx *store.Tx) error {
	return tx.SetLocal(ctx, "synchronous_commit", "off")
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

// record writes the outcomes of sends in one transaction. Failures are
// written only while the claim is still the worker's (locked_by): if the
// lease ran out and another worker took the job, its outcome is the one that
// counts. A delivery is written whatever happened meanwhile: the message
// reached its reader.
func (w *Worker) record(batch []result) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	states := make([]State, len(batch))
	nexts := make([]time.Time, len(batch))
	err := w.db.Write(ctx, w.caller, func(tx *store.Tx) error {
		if err := noFlushWait(ctx, tx); err != nil {
			return err
		}
		var args access.Args
		now := args.Add(tx.Now)
		var delivered []string
		endpoints := map[int64]bool{}
		for i, r := range batch {
			if r.out.err == nil {
				states[i] = Delivered
				delivered = append(delivered, args.Add(r.job.id))
				if r.job.channel == Webhook {
					endpoints[r.job.endpointID] = true
				}
				continue
			}
			var err error
			if states[i], nexts[i], err = w.recordFailure(ctx, tx, r.job, r.out); err != nil {
				return err
			}
		}
		if len(delivered) > 0 {
			if _, err := tx.ExecContext(ctx, "UPDATE delivery_jobs SET state = 'delivered', delivered_at = "+now+
				", last_error = '', locked_by = '' WHERE id IN ("+strings.Join(delivered, ", ")+") AND state <> 'delivered'",
				args...); err != nil {
				return err
			}
		}
		for id := range endpoints {
			if _, err := tx.ExecContext(ctx, "UPDATE webhook_endpoints SET last_success_at = $1 WHERE id = $2", tx.Now, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// The jobs stay leased; when the leases run out they are sent again.
		w.log.Error("recording delivery outcomes failed", "jobs", len(batch), "err", err)
		return
	}
	for i, r := range batch {
		j, ch := r.job, string(r.job.channel)
		switch states[i] {
		case Delivered:
			metrics.delivered.WithLabelValues(ch).Inc()
			metrics.latencySeconds.WithLabelValues(ch).Observe(time.Since(j.createdAt).Seconds())
		case Pending:
			metrics.retried.WithLabelValues(ch).Inc()
			w.log.Warn("delivery failed, will retry", "job", j.id, "kind", j.kind, "channel", ch, "attempt", j.attempts,
				"next_attempt_at", nexts[i], "err", shortError(r.out.err))
		case Dead:
			metrics.dead.WithLabelValues(ch).Inc()
			w.log.Error("delivery given up", "job", j.id, "kind", j.kind, "channel", ch, "org", j.orgID,
				"attempts", j.attempts, "err", shortError(r.out.err))
		}
	}
}

// recordFailure schedules the job's next attempt, or gives it up.
func (w *Worker) recordFailure(ctx context.Context, tx *store.Tx, j job, out outcome) (State, time.Time, error) {
	limit := w.cfg.MaxAttempts
	if out.refused {
		limit = w.cfg.RefusedAttempts
	}
	msg := shortError(out.err)
	state, next := Pending, tx.Now.Add(max(w.backoff(j.attempts), min(out.retryAfter, w.cfg.BackoffMax)))
	if j.attempts >= limit || out.final {
		state, next = Dead, tx.Now
	}
	if _, err := tx.ExecContext(ctx, `UPDATE delivery_jobs SET state = $1, next_attempt_at = $2, last_error = $3,
		locked_by = '' WHERE id = $4 AND locked_by = $5 AND state = 'sending'`, state, next, msg, j.id, j.token); err != nil {
		return state, next, err
	}
	if j.channel != Webhook || out.ours {
		return state, next, nil
	}
	if _, err := tx.ExecContext(ctx, "UPDATE webhook_endpoints SET last_failure_at = $1, last_error = $2 WHERE id = $3",
		tx.Now, msg, j.endpointID); err != nil {
		return state, next, err
	}
	if out.unhealthy && state == Pending {
		// A failing endpoint would otherwise tie up every sender with its
		// other jobs, each waiting out its timeout. They wait for this
		// job's retry instead; it is not counted as their attempt.
		// (The IN term is what lets SQLite use the partial index on
		// endpoint_id; it does not see that state = 'pending' implies it.)
		_, err := tx.ExecContext(ctx, `UPDATE delivery_jobs SET next_attempt_at = $1
			WHERE endpoint_id = $2 AND state IN ('pending', 'sending') AND state = 'pending' AND next_attempt_at < $1`,
			next, j.endpointID)
		return state, next, err
	}
	return state, next, nil
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
