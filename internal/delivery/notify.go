package delivery

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// NoticeKind names notices in the audience tables and the audit trail.
const NoticeKind = "notice"

// Notice is something one organisation must be told: it lands in the
// organisation's inbox and goes by email to each of its current security
// contacts and by webhook to each of its active endpoints.
type Notice struct {
	OrgID      int64
	Kind       string // e.g. "vulnerability.notified"
	Title      string // one line
	Body       string // plain text
	Link       string // the record in the UI, e.g. "/vulnerabilities/42"
	RecordKind string // the record the notice is about
	RecordID   int64
	// Classification is the notice's marking; AMBER when empty. Its audience
	// is the organisation (and, as for every AMBER record, the SSC).
	Classification sec.Classification
	Data           any // optional JSON for webhook receivers
	// Key names the event, e.g. "vulnerability:42:notified". It need not name
	// the organisation: Notify adds it. Notifying the same key and
	// organisation again does nothing.
	Key string
}

// Sent says what Notify wrote.
type Sent struct {
	NoticeID int64
	Emails   int  // email jobs, one per distinct current contact address
	Webhooks int  // webhook jobs, one per active endpoint
	Repeat   bool // the notice was there already; nothing was written
}

// Notify writes, in tx, the notice for its organisation and one delivery job
// per current security contact and per active webhook endpoint, and audits
// it. Each job's key is derived from the notice's key and its recipient, so
// running Notify again (a retried request, a re-run fan-out) sends nothing
// twice.
func Notify(ctx context.Context, tx *store.Tx, n Notice) (Sent, error) {
	if n.Classification == "" {
		n.Classification = sec.Amber
	}
	if err := n.check(); err != nil {
		return Sent{}, err
	}
	key := NoticeKey(n.Key, n.OrgID)
	var sent Sent
	err := tx.QueryRowContext(ctx, `INSERT INTO notices
		(org_id, kind, title, body, link, record_kind, record_id, classification, idempotency_key, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
		n.OrgID, n.Kind, n.Title, n.Body, n.Link, n.RecordKind, n.RecordID, n.Classification, key, tx.Now).Scan(&sent.NoticeID)
	if errors.Is(err, sql.ErrNoRows) {
		sent.Repeat = true
		err = tx.QueryRowContext(ctx, "SELECT id FROM notices WHERE idempotency_key = $1", key).Scan(&sent.NoticeID)
		return sent, errs.Wrap(err, "notice")
	}
	if store.IsForeignKeyViolation(err) {
		return Sent{}, errs.FieldError("org_id", "organisation %d does not exist", n.OrgID)
	}
	if err != nil {
		return Sent{}, errs.Wrap(err, "notice")
	}

	msg := Message{Kind: n.Kind, OrgID: n.OrgID, Subject: n.Title, Body: n.Body, Link: n.Link,
		Classification: n.Classification, Data: n.Data, RecordKind: n.RecordKind, RecordID: n.RecordID,
		noticeID: sent.NoticeID}
	emails, err := contactEmails(ctx, tx, n.OrgID)
	if err != nil {
		return Sent{}, err
	}
	var keys []string
	for _, addr := range emails {
		m := msg
		m.Channel, m.Email, m.Key = Email, addr, key+"|email:"+strings.ToLower(addr)
		if _, _, err := enqueue(ctx, tx, m); err != nil {
			return Sent{}, err
		}
		keys = append(keys, m.Key)
		sent.Emails++
	}
	endpoints, err := activeEndpoints(ctx, tx, n.OrgID)
	if err != nil {
		return Sent{}, err
	}
	for _, id := range endpoints {
		m := msg
		m.Channel, m.EndpointID, m.Key = Webhook, id, key+"|webhook:"+strconv.FormatInt(id, 10)
		if _, _, err := enqueue(ctx, tx, m); err != nil {
			return Sent{}, err
		}
		keys = append(keys, m.Key)
		sent.Webhooks++
	}
	afterEnqueue(tx, map[Channel]int{Email: sent.Emails, Webhook: sent.Webhooks})
	return sent, audit.Record(ctx, tx, "delivery.notify", NoticeKind, sent.NoticeID, struct {
		Notice Notice
		Jobs   []string
	}{n, keys})
}

// NoticeKey is the idempotency key of the notice for event key sent to
// organisation org. Its delivery jobs' keys start with it.
func NoticeKey(key string, org int64) string {
	return key + "|org:" + strconv.FormatInt(org, 10)
}

func (n Notice) check() error {
	fields := contentFields(n.Kind, "title", n.Title, n.Body, "", n.Link, n.Classification)
	if m := limit(n.Key, maxKey); m != "" {
		fields = append(fields, errs.Field{Field: "key", Message: m})
	}
	if n.OrgID <= 0 {
		fields = append(fields, errs.Field{Field: "org_id", Message: "is required"})
	}
	if len(fields) > 0 {
		return errs.Fields("the notice is not valid", fields...)
	}
	return nil
}

// contactEmails lists the distinct addresses of an organisation's current
// security contacts. The address is copied into each job: whoever was the
// contact when the notice was written is who is told, even if the contact
// changes before the email goes.
func contactEmails(ctx context.Context, tx *store.Tx, org int64) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT email FROM security_contacts
		WHERE org_id = $1 AND valid_to IS NULL ORDER BY label`, org)
	if err != nil {
		return nil, errs.Wrap(err, "security contacts")
	}
	defer rows.Close()
	seen := map[string]bool{}
	var out []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return nil, errs.Wrap(err, "security contacts")
		}
		if k := strings.ToLower(e); !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out, errs.Wrap(rows.Err(), "security contacts")
}

func activeEndpoints(ctx context.Context, tx *store.Tx, org int64) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, "SELECT id FROM webhook_endpoints WHERE org_id = $1 AND active ORDER BY id", org)
	if err != nil {
		return nil, errs.Wrap(err, "webhook endpoints")
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, errs.Wrap(err, "webhook endpoints")
		}
		out = append(out, id)
	}
	return out, errs.Wrap(rows.Err(), "webhook endpoints")
}
