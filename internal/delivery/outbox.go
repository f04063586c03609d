package delivery

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/validate"
)

// Channel is how a job reaches its reader.
type Channel string

// The channels.
const (
	Email   Channel = "email"
	Webhook Channel = "webhook"
)

// State is where a job is in its life: pending → sending → delivered, or
// back to pending to retry, or dead after too many failures.
type State string

// The states.
const (
	Pending   State = "pending"
	Sending   State = "sending"
	Delivered State = "delivered"
	Dead      State = "dead"
)

// Limits on what a job may carry. Subjects go into mail headers and titles,
// so they are one line.
const (
	maxKey     = 500
	maxKind    = 100
	maxSubject = 300
	maxBody    = 256 << 10
	maxData    = 64 << 10
	maxLink    = 2048
)

// Message is one email or one webhook call to be sent.
type Message struct {
	Kind       string  // what it is about, e.g. "vulnerability.notified"
	Channel    Channel // Email or Webhook
	OrgID      int64   // the recipient organisation, 0 for none
	Email      string  // the address, for Email
	EndpointID int64   // the organisation's endpoint, for Webhook
	Subject    string  // one line: the email subject, the webhook title
	Body       string  // plain text
	HTML       string  // optional HTML alternative for email
	Link       string  // the record in the UI: a path (made absolute with Config.BaseURL) or a URL
	// Classification marks the email subject and the webhook body; AMBER when
	// empty. RED is refused: RED content goes to named people only.
	Classification sec.Classification
	Data           any    // optional JSON for webhook receivers
	RecordKind     string // the record the message is about, for status per record
	RecordID       int64
	// Key identifies the message: enqueueing a key that is already there does
	// nothing, so callers can safely run again. Required.
	Key string

	noticeID int64
}

// DeliveryID is what the reader's systems see of a job's idempotency key: a
// hash, so internal ids in the key are not exposed, of fixed length and safe
// in a header. Every copy of a job carries the same one.
func DeliveryID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

// Enqueue writes a delivery job in tx. It reports whether the job is new;
// a key already present is left as it is. The worker is woken when tx commits.
func Enqueue(ctx context.Context, tx *store.Tx, m Message) (bool, error) {
	id, inserted, err := enqueue(ctx, tx, m)
	if err != nil || !inserted {
		return inserted, err
	}
	afterEnqueue(tx, map[Channel]int{m.Channel: 1})
	return true, audit.Record(ctx, tx, "delivery.enqueue", "delivery_job", id, struct {
		Kind, Channel, Key string
		OrgID              int64
	}{m.Kind, string(m.Channel), m.Key, m.OrgID})
}

// enqueue validates m and inserts it, returning its id if it was new.
func enqueue(ctx context.Context, tx *store.Tx, m Message) (int64, bool, error) {
	m.Email = strings.TrimSpace(m.Email)
	if m.Classification == "" {
		m.Classification = sec.Amber
	}
	if err := m.check(); err != nil {
		return 0, false, err
	}
	var data string
	if m.Data != nil {
		b, err := json.Marshal(m.Data)
		if err != nil {
			return 0, false, errs.FieldError("data", "cannot be encoded as JSON: %v", err)
		}
		if len(b) > maxData {
			return 0, false, errs.FieldError("data", "is too large (at most %d bytes)", maxData)
		}
		data = string(b)
	}
	var email any
	var endpoint any
	switch m.Channel {
	case Email:
		email = m.Email
	case Webhook:
		// A repeat is a no-op even if the endpoint has been disabled since.
		var one int
		err := tx.QueryRowContext(ctx, "SELECT 1 FROM delivery_jobs WHERE idempotency_key = $1", m.Key).Scan(&one)
		if err == nil {
			return 0, false, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, false, errs.Wrap(err, "enqueue delivery")
		}
		if err := checkEndpoint(ctx, tx, m.EndpointID, m.OrgID); err != nil {
			return 0, false, err
		}
		email, endpoint = "", m.EndpointID
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO delivery_jobs
		(kind, channel, org_id, email, endpoint_id, notice_id, subject, body, html, link, classification, data,
		 record_kind, record_id, idempotency_key, state, attempts, next_attempt_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'pending', 0, $16, $16)
		ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
		m.Kind, m.Channel, nullID(m.OrgID), email, endpoint, nullID(m.noticeID), m.Subject, m.Body, m.HTML, m.Link,
		m.Classification, data, m.RecordKind, m.RecordID, m.Key, tx.Now).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if store.IsForeignKeyViolation(err) {
		return 0, false, errs.FieldError("org_id", "organisation %d does not exist", m.OrgID)
	}
	if err != nil {
		return 0, false, errs.Wrap(err, "enqueue delivery")
	}
	return id, true, nil
}

func (m Message) check() error {
	fields := contentFields(m.Kind, "subject", m.Subject, m.Body, m.HTML, m.Link, m.Classification)
	add := func(field, msg string) {
		if msg != "" {
			fields = append(fields, errs.Field{Field: field, Message: msg})
		}
	}
	switch m.Channel {
	case Email:
		add("email", validate.Email(m.Email))
	case Webhook:
		if m.EndpointID <= 0 {
			add("endpoint_id", "is required for a webhook")
		}
	default:
		add("channel", "must be email or webhook")
	}
	// Notify's keys are the notice's key plus the recipient, hence the room.
	add("key", limit(m.Key, 2*maxKey))
	if len(fields) > 0 {
		return errs.Fields("the delivery is not valid", fields...)
	}
	return nil
}

// contentFields checks what messages and notices have in common.
func contentFields(kind, titleField, title, body, html, link string, c sec.Classification) []errs.Field {
	var fields []errs.Field
	add := func(field, msg string) {
		if msg != "" {
			fields = append(fields, errs.Field{Field: field, Message: msg})
		}
	}
	add("kind", validate.Text(kind, maxKind))
	add(titleField, validate.Text(title, maxSubject))
	add("body", bodyText(body, maxBody))
	add("html", bodyText(html, maxBody))
	if len(link) > maxLink || strings.ContainsAny(link, "\r\n\x00 ") {
		add("link", "must be a path or URL without spaces, at most 2048 bytes")
	}
	switch c {
	case sec.White, sec.Green, sec.Amber:
	case sec.Red:
		add("classification", "RED content goes to named people only, never to an organisation's contacts or systems: send a notice without the content")
	default:
		add("classification", "must be WHITE, GREEN or AMBER")
	}
	return fields
}

// limit checks a required key-like value: any text, one line, bounded.
func limit(s string, max int) string {
	switch {
	case s == "":
		return "is required"
	case len(s) > max:
		return "is too long"
	case !utf8.ValidString(s) || strings.ContainsAny(s, "\r\n\x00"):
		return "must be one line of valid UTF-8"
	}
	return ""
}

func bodyText(s string, max int) string {
	switch {
	case len(s) > max:
		return "is too long"
	case !utf8.ValidString(s) || strings.ContainsRune(s, 0):
		return "is not valid UTF-8 text"
	}
	return ""
}

// checkEndpoint makes sure a webhook goes to an active endpoint of its
// organisation, so no caller can route one organisation's notice to
// another's system.
func checkEndpoint(ctx context.Context, tx *store.Tx, id, orgID int64) error {
	var owner int64
	var active bool
	err := tx.QueryRowContext(ctx, "SELECT org_id, active FROM webhook_endpoints WHERE id = $1", id).Scan(&owner, &active)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return errs.NotFoundf("webhook endpoint", id)
	case err != nil:
		return errs.Wrap(err, "webhook endpoint")
	case orgID != 0 && owner != orgID:
		return errs.E(errs.Invalid, "webhook endpoint %d does not belong to organisation %d", id, orgID)
	case !active:
		return errs.E(errs.Conflict, "webhook endpoint %d is disabled", id)
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// afterEnqueue wakes the workers of tx's database and counts the new jobs,
// once tx has committed: a rolled-back job was never enqueued.
func afterEnqueue(tx *store.Tx, n map[Channel]int) {
	db := tx.DB()
	tx.AfterCommit(func() {
		for ch, k := range n {
			metrics.enqueued.WithLabelValues(string(ch)).Add(float64(k))
		}
		wakeWorkers(db)
	})
}

// Workers register here so that a commit anywhere in the process can wake
// them without every caller holding a reference to a worker. Workers in other
// processes find the jobs by polling.
var workers struct {
	sync.Mutex
	byDB map[*store.DB][]*Worker
}

func registerWorker(w *Worker) {
	workers.Lock()
	defer workers.Unlock()
	if workers.byDB == nil {
		workers.byDB = map[*store.DB][]*Worker{}
	}
	workers.byDB[w.db] = append(workers.byDB[w.db], w)
}

func unregisterWorker(w *Worker) {
	workers.Lock()
	defer workers.Unlock()
	ws := workers.byDB[w.db]
	for i, x := range ws {
		if x == w {
			workers.byDB[w.db] = append(ws[:i:i], ws[i+1:]...)
			break
		}
	}
	if len(workers.byDB[w.db]) == 0 {
		delete(workers.byDB, w.db)
	}
}

func wakeWorkers(db *store.DB) {
	workers.Lock()
	ws := workers.byDB[db]
	workers.Unlock()
	for _, w := range ws {
		w.Wake()
	}
}
