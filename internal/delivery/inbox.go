package delivery

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/secrets"
	"github.com/metersec/metersec/internal/store"
)

// Service answers callers about delivery: their inbox, their organisation's
// webhook endpoints, what was delivered for a record, and for operators the
// state of the queue. Every query carries the caller's visibility in SQL.
type Service struct {
	DB *store.DB
	// Secrets seals webhook signing secrets at rest; nil stores them in the
	// clear (serve allows that only with --insecure-dev).
	Secrets *secrets.Box
}

// InboxNotice is a notice as one user sees it.
type InboxNotice struct {
	ID             int64              `json:"id"`
	OrgID          int64              `json:"org_id"`
	Kind           string             `json:"kind"`
	Title          string             `json:"title"`
	Body           string             `json:"body,omitempty"`
	Link           string             `json:"link,omitempty"`
	RecordKind     string             `json:"record_kind,omitempty"`
	RecordID       int64              `json:"record_id,omitempty"`
	Classification sec.Classification `json:"classification"`
	CreatedAt      time.Time          `json:"created_at"`
	ReadAt         *time.Time         `json:"read_at,omitempty"`
}

// InboxFilter narrows an inbox listing. Notices come newest first; Before
// pages on (notices with ids below it).
type InboxFilter struct {
	Unread bool
	Before int64
	Limit  int // 50 when 0, at most 200
}

// inboxUser checks that the caller has an inbox: a signed-in user of an
// organisation. Notices belong to organisations; read marks to users.
func inboxUser(c access.Caller) error {
	if c.UserID == 0 || c.OrgID == 0 {
		return errs.E(errs.Forbidden, "only a signed-in user of an organisation has an inbox")
	}
	return nil
}

// inboxWhere is the condition for the caller's own organisation's notices
// that the caller may see. The organisation column puts the organisation in
// each notice's AMBER audience; the SSC's wider view of AMBER records does not
// fill its inbox with everyone's notices, because the inbox is the caller's
// own organisation's.
func inboxWhere(args *access.Args, c access.Caller) string {
	return "n.org_id = " + args.Add(c.OrgID) + " AND " + c.Visible(args, NoticeKind, "n", "n.org_id")
}

const noticeColumns = `n.id, n.org_id, n.kind, n.title, n.body, n.link, n.record_kind, n.record_id,
	n.classification, n.created_at, r.read_at`

// Inbox lists the caller's organisation's notices with the caller's read marks.
func (s *Service) Inbox(ctx context.Context, c access.Caller, f InboxFilter) ([]InboxNotice, error) {
	if err := inboxUser(c); err != nil {
		return nil, err
	}
	var args access.Args
	join := "LEFT JOIN notice_reads r ON r.notice_id = n.id AND r.user_id = " + args.Add(c.UserID)
	where := []string{inboxWhere(&args, c)}
	if f.Unread {
		where = append(where, "r.notice_id IS NULL")
	}
	if f.Before > 0 {
		where = append(where, "n.id < "+args.Add(f.Before))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 200)
	rows, err := s.DB.QueryContext(ctx, "SELECT "+noticeColumns+" FROM notices n "+join+" WHERE "+
		strings.Join(where, " AND ")+" ORDER BY n.id DESC LIMIT "+strconv.Itoa(limit), args...)
	if err != nil {
		return nil, errs.Wrap(err, "inbox")
	}
	defer rows.Close()
	var out []InboxNotice
	for rows.Next() {
		n, err := scanNotice(rows)
		if err != nil {
			return nil, errs.Wrap(err, "inbox")
		}
		out = append(out, n)
	}
	return out, errs.Wrap(rows.Err(), "inbox")
}

func scanNotice(row interface{ Scan(...any) error }) (InboxNotice, error) {
	var n InboxNotice
	var read *time.Time
	err := row.Scan(&n.ID, &n.OrgID, &n.Kind, &n.Title, &n.Body, &n.Link, &n.RecordKind, &n.RecordID,
		&n.Classification, &n.CreatedAt, &read)
	n.CreatedAt, n.ReadAt = n.CreatedAt.UTC(), utcPtr(read)
	return n, err
}

// Notice returns one notice of the caller's organisation.
func (s *Service) Notice(ctx context.Context, c access.Caller, id int64) (InboxNotice, error) {
	if err := inboxUser(c); err != nil {
		return InboxNotice{}, err
	}
	var args access.Args
	join := "LEFT JOIN notice_reads r ON r.notice_id = n.id AND r.user_id = " + args.Add(c.UserID)
	cond := "n.id = " + args.Add(id) + " AND " + inboxWhere(&args, c)
	n, err := scanNotice(s.DB.QueryRowContext(ctx, "SELECT "+noticeColumns+" FROM notices n "+join+" WHERE "+cond, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return n, errs.NotFoundf("notice", id)
	}
	return n, errs.Wrap(err, "notice")
}

// UnreadCount is how many of the caller's organisation's notices the caller
// has not read.
func (s *Service) UnreadCount(ctx context.Context, c access.Caller) (int, error) {
	if err := inboxUser(c); err != nil {
		return 0, err
	}
	var args access.Args
	user := args.Add(c.UserID)
	var n int
	err := s.DB.QueryRowContext(ctx, "SELECT count(*) FROM notices n WHERE "+inboxWhere(&args, c)+
		" AND NOT EXISTS (SELECT 1 FROM notice_reads r WHERE r.notice_id = n.id AND r.user_id = "+user+")", args...).Scan(&n)
	return n, errs.Wrap(err, "unread count")
}

// maxMarkRead bounds one request.
const maxMarkRead = 500

// MarkRead marks notices read by the caller and returns how many were newly
// marked. Ids the caller may not see are ignored, as are notices already read.
func (s *Service) MarkRead(ctx context.Context, c access.Caller, ids ...int64) (int, error) {
	if err := inboxUser(c); err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	if len(ids) > maxMarkRead {
		return 0, errs.E(errs.Invalid, "at most %d notices at a time", maxMarkRead)
	}
	return s.markRead(ctx, c, func(args *access.Args) string {
		ph := make([]string, len(ids))
		for i, id := range ids {
			ph[i] = args.Add(id)
		}
		return "n.id IN (" + strings.Join(ph, ", ") + ")"
	})
}

// MarkAllRead marks every notice of the caller's organisation read by the
// caller.
func (s *Service) MarkAllRead(ctx context.Context, c access.Caller) (int, error) {
	if err := inboxUser(c); err != nil {
		return 0, err
	}
	return s.markRead(ctx, c, func(*access.Args) string { return "TRUE" })
}

func (s *Service) markRead(ctx context.Context, c access.Caller, which func(*access.Args) string) (int, error) {
	var marked []int64
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		marked = nil
		var args access.Args
		user, now := args.Add(c.UserID), args.Add(tx.Now)
		rows, err := tx.QueryContext(ctx, "INSERT INTO notice_reads (notice_id, user_id, read_at) SELECT n.id, "+user+", "+now+
			" FROM notices n WHERE "+which(&args)+" AND "+inboxWhere(&args, c)+
			" AND NOT EXISTS (SELECT 1 FROM notice_reads r WHERE r.notice_id = n.id AND r.user_id = "+user+")"+
			" ON CONFLICT DO NOTHING RETURNING notice_id", args...)
		if err != nil {
			return errs.Wrap(err, "mark read")
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return errs.Wrap(err, "mark read")
			}
			marked = append(marked, id)
		}
		if err := rows.Err(); err != nil || len(marked) == 0 {
			return errs.Wrap(err, "mark read")
		}
		// Reading is worth a record: it shows that an organisation's person
		// saw a notice, which a duty to notify may one day need to show.
		return audit.Record(ctx, tx, "notice.read", "user", c.UserID, marked)
	})
	return len(marked), err
}
