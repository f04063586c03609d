package delivery

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Delivery is one job's progress, without its content.
type Delivery struct {
	ID            int64      `json:"id"`
	Kind          string     `json:"kind"`
	Channel       Channel    `json:"channel"`
	OrgID         int64      `json:"org_id,omitempty"`
	Email         string     `json:"email,omitempty"`
	EndpointID    int64      `json:"endpoint_id,omitempty"`
	NoticeID      int64      `json:"notice_id,omitempty"`
	RecordKind    string     `json:"record_kind,omitempty"`
	RecordID      int64      `json:"record_id,omitempty"`
	State         State      `json:"state"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"` // pending and sending jobs only
	LastError     string     `json:"last_error,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
}

// seesAllDeliveries: who was sent what is itself confidential (a Supplier
// never learns which other Suppliers were told of a vulnerability), so
// deliveries are seen by their recipient organisation, and in full only by
// the SSC, its secretariat and the system.
func seesAllDeliveries(c access.Caller) bool { return c.System || c.IsSSC() }

// deliveryColumns selects a job's progress. Operators who are not cleared to
// know who was sent what (platform administrators) get the recipient blanked
// in SQL: they need the errors, not the names.
func deliveryColumns(c access.Caller) string {
	recipient := "j.org_id, j.email"
	if !seesAllDeliveries(c) && c.Has(sec.RoleAdmin) {
		recipient = "NULL, ''"
	}
	return "j.id, j.kind, j.channel, " + recipient + `, j.endpoint_id, j.notice_id, j.record_kind, j.record_id,
		j.state, j.attempts, j.next_attempt_at, j.last_error, j.created_at, j.delivered_at`
}

func scanDelivery(rows interface{ Scan(...any) error }) (Delivery, error) {
	var d Delivery
	var org, endpoint, notice sql.NullInt64
	var delivered *time.Time
	var next time.Time
	err := rows.Scan(&d.ID, &d.Kind, &d.Channel, &org, &d.Email, &endpoint, &notice, &d.RecordKind, &d.RecordID,
		&d.State, &d.Attempts, &next, &d.LastError, &d.CreatedAt, &delivered)
	d.OrgID, d.EndpointID, d.NoticeID = org.Int64, endpoint.Int64, notice.Int64
	d.CreatedAt, d.DeliveredAt = d.CreatedAt.UTC(), utcPtr(delivered)
	if d.State == Pending || d.State == Sending {
		d.NextAttemptAt = utcPtr(&next)
	}
	return d, err
}

func scanDeliveries(rows *sql.Rows, err error) ([]Delivery, error) {
	if err != nil {
		return nil, errs.Wrap(err, "deliveries")
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, errs.Wrap(err, "deliveries")
		}
		out = append(out, d)
	}
	return out, errs.Wrap(rows.Err(), "deliveries")
}

// RecordDeliveries lists the deliveries about a record that the caller may
// see: its own organisation's, or all of them for the SSC and the system. An
// area whose rules let others see more (say, the manufacturer that reported a
// vulnerability seeing when each Supplier was told) asks as the system and
// shows what its rules allow.
func (s *Service) RecordDeliveries(ctx context.Context, c access.Caller, recordKind string, recordID int64) ([]Delivery, error) {
	if !c.SignedIn() {
		return nil, errs.E(errs.Unauthenticated, "sign in to see deliveries")
	}
	var args access.Args
	where := "j.record_kind = " + args.Add(recordKind) + " AND j.record_id = " + args.Add(recordID)
	if !seesAllDeliveries(c) {
		where += " AND j.org_id = " + args.Add(c.OrgID)
	}
	return scanDeliveries(s.DB.QueryContext(ctx, "SELECT "+deliveryColumns(c)+" FROM delivery_jobs j WHERE "+
		where+" ORDER BY j.org_id, j.channel, j.id", args...))
}

// mayOperate: platform administrators run the queue (counts, errors,
// retries); the SSC and its secretariat may look too.
func mayOperate(c access.Caller) bool { return c.System || c.IsSSC() || c.Has(sec.RoleAdmin) }

// QueueRow is the count of jobs in one channel and state.
type QueueRow struct {
	Channel Channel `json:"channel"`
	State   State   `json:"state"`
	Count   int     `json:"count"`
	// Oldest is when the longest-waiting job was enqueued.
	Oldest *time.Time `json:"oldest,omitempty"`
}

// Queue summarises the jobs not yet delivered, for operators.
func (s *Service) Queue(ctx context.Context, c access.Caller) ([]QueueRow, error) {
	if !mayOperate(c) {
		return nil, errs.E(errs.Forbidden, "only platform administrators and the SSC may see the delivery queue")
	}
	counts, err := queueCounts(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	var out []QueueRow
	for _, ch := range []Channel{Email, Webhook} {
		for _, st := range []State{Pending, Sending, Dead} {
			out = append(out, counts[ch][st])
		}
	}
	return out, nil
}

func queueCounts(ctx context.Context, q store.Querier) (map[Channel]map[State]QueueRow, error) {
	out := map[Channel]map[State]QueueRow{}
	for _, ch := range []Channel{Email, Webhook} {
		out[ch] = map[State]QueueRow{}
		for _, st := range []State{Pending, Sending, Dead} {
			out[ch][st] = QueueRow{Channel: ch, State: st}
		}
	}
	rows, err := q.QueryContext(ctx, `SELECT channel, state, count(*) FROM delivery_jobs
		WHERE state <> 'delivered' GROUP BY channel, state`)
	if err != nil {
		return nil, errs.Wrap(err, "queue")
	}
	defer rows.Close()
	for rows.Next() {
		var r QueueRow
		if err := rows.Scan(&r.Channel, &r.State, &r.Count); err != nil {
			return nil, errs.Wrap(err, "queue")
		}
		out[r.Channel][r.State] = r
	}
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, "queue")
	}
	// The oldest per group is a second, indexed query rather than min() in
	// the first: SQLite returns an aggregate of a time column as text.
	for ch, m := range out {
		for st, r := range m {
			if r.Count == 0 {
				continue
			}
			var t time.Time
			// state <> 'delivered' lets SQLite use the partial index.
			if err := q.QueryRowContext(ctx, `SELECT created_at FROM delivery_jobs
				WHERE state <> 'delivered' AND state = $1 AND channel = $2 ORDER BY id LIMIT 1`, st, ch).Scan(&t); err != nil {
				return nil, errs.Wrap(err, "queue")
			}
			r.Oldest = utcPtr(&t)
			m[st] = r
		}
	}
	return out, nil
}

// ProblemSpec is what the list of failing deliveries accepts (issue 15):
// the deliveries list's columns, search and dates, fixed to jobs that failed
// at least once and are not delivered (or, dead=true, those given up on),
// with the former before cursor still honoured.
var ProblemSpec = &listing.Spec{
	Columns: DeliverySpec.Columns,
	Default: DeliverySpec.Default,
	ID:      DeliverySpec.ID,
	Facets: []listing.Facet{
		{Name: "dead", Description: "true for dead jobs only (given up on, waiting for a retry)", Type: "boolean"},
		{Name: "channel", Description: "only deliveries by this channel", Enum: []string{"email", "webhook"}},
		{Name: "notice_kind", Description: "only deliveries of this kind of notice"},
		{Name: "record_kind", Description: "only deliveries about records of this kind"},
		{Name: "record_id", Description: "only deliveries about the record with this id (with record_kind)", Type: "integer"},
		{Name: "before", Description: "the former cursor: only jobs with an id below this (use cursor instead)", Type: "integer"},
	},
	Search: DeliverySpec.Search,
	Dates:  DeliverySpec.Dates,
}

// problemsWhere narrows the deliveries list to the failing jobs.
func problemsWhere(args *access.Args, c access.Caller, req listing.Request) string {
	where := deliveriesWhere(args, c, req) + " AND j.state <> 'delivered' AND "
	if b := req.Bool("dead"); b != nil && *b {
		where += "j.state = 'dead'"
	} else {
		where += "j.last_error <> ''"
	}
	if v := req.Facet("before"); v != "" {
		n, _ := strconv.ParseInt(v, 10, 64)
		where += " AND j.id < " + args.Add(n)
	}
	return where
}

// Problems is one page of the jobs that failed at least once and are not
// delivered, newest first, for operators, with the total.
func (s *Service) Problems(ctx context.Context, c access.Caller, req listing.Request) (listing.Page[Delivery], error) {
	if !mayOperate(c) {
		return listing.Page[Delivery]{}, errs.E(errs.Forbidden, "only platform administrators and the SSC may see failed deliveries")
	}
	return deliveryQuery(c, problemsWhere).Page(ctx, s.DB, req)
}

// ExportProblems writes every failing job the request's filters match.
func (s *Service) ExportProblems(ctx context.Context, c access.Caller, req listing.Request, w listing.Writer) error {
	if !mayOperate(c) {
		return errs.E(errs.Forbidden, "only platform administrators and the SSC may see failed deliveries")
	}
	return deliveryQuery(c, problemsWhere).Export(ctx, s.DB, req, w, Delivery.CSV)
}

// Retry puts a dead job back in the queue with a fresh count of attempts,
// once an operator has fixed what killed it (an SMTP relay, an endpoint).
// The job keeps its key: a reader who somehow got it already sees the same
// message again, not a new one.
func (s *Service) Retry(ctx context.Context, c access.Caller, id int64) error {
	if !mayOperate(c) {
		return errs.E(errs.Forbidden, "only platform administrators and the SSC may retry deliveries")
	}
	return s.DB.Write(ctx, c, func(tx *store.Tx) error {
		var st State
		var active sql.NullBool
		err := tx.QueryRowContext(ctx, `SELECT j.state, e.active FROM delivery_jobs j
			LEFT JOIN webhook_endpoints e ON e.id = j.endpoint_id WHERE j.id = $1`, id).Scan(&st, &active)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return errs.NotFoundf("delivery", id)
		case err != nil:
			return errs.Wrap(err, "retry")
		case st != Dead:
			return errs.E(errs.Conflict, "delivery %d is %s: only dead deliveries are retried", id, st)
		case active.Valid && !active.Bool:
			return errs.E(errs.Conflict, "delivery %d is for a disabled webhook endpoint", id)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE delivery_jobs SET state = 'pending', attempts = 0, next_attempt_at = $1,
			locked_by = '' WHERE id = $2`, tx.Now, id); err != nil {
			return errs.Wrap(err, "retry")
		}
		db := tx.DB()
		tx.AfterCommit(func() { wakeWorkers(db) })
		return audit.Record(ctx, tx, "delivery.retry", "delivery_job", id, nil)
	})
}

// DeliveredAtSQL is an SQL expression for when the first email or webhook
// about a record reached its organisation (NULL before then), for an area
// to put in the column list of its own query. recordKind is a constant of
// the area's; idExpr names the record's id column in that query.
func DeliveredAtSQL(recordKind, idExpr string) string {
	return `(SELECT MIN(j.delivered_at) FROM delivery_jobs j WHERE j.record_kind = '` + recordKind + `' AND j.record_id = ` + idExpr + `)`
}

// StateSQL is an SQL expression summing up the jobs about a record:
// delivered, retrying (failed attempts, still trying), failed (given up),
// pending, or in-app only (no contact or endpoint to send to); empty while
// notifiedExpr (when the record was first notified) is NULL. Job details
// (addresses, errors) are delivery's to show (RecordDeliveries).
func StateSQL(recordKind, idExpr, notifiedExpr string) string {
	jobs := `FROM delivery_jobs j WHERE j.record_kind = '` + recordKind + `' AND j.record_id = ` + idExpr
	return `CASE
		WHEN ` + notifiedExpr + ` IS NULL THEN ''
		WHEN EXISTS (SELECT 1 ` + jobs + ` AND j.state = 'dead') THEN 'failed'
		WHEN EXISTS (SELECT 1 ` + jobs + ` AND j.state <> 'delivered' AND j.attempts > 0) THEN 'retrying'
		WHEN EXISTS (SELECT 1 ` + jobs + ` AND j.state <> 'delivered') THEN 'pending'
		WHEN EXISTS (SELECT 1 ` + jobs + `) THEN 'delivered'
		ELSE 'in-app only' END`
}
