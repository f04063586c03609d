package delivery

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
)

// Issue 15 point 3: the inbox is paged, filtered by read or unread, and
// grouped by subject (the record a notice is about), and every notice of the
// caller's organisation is listed by the API.

// noticeFacets are the filters of both notice lists.
var noticeFacets = []listing.Facet{
	{Name: "read", Description: "true for notices you have read, false for those you have not", Type: "boolean"},
	{Name: "notice_kind", Description: "only notices of this kind (as a notice gives its kind)"},
	{Name: "subject", Description: "only notices about this record, as a group's subject gives it (record_kind:record_id)"},
	{Name: "classification", Description: "only notices of this colour", Enum: []string{"WHITE", "GREEN", "AMBER"}},
}

// NoticeSpec is what the list of notices accepts. Notices are numbered as
// they are made, so "created_at" sorts by the number (the index the inbox
// already has) and ties cannot happen.
var NoticeSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "created_at", Label: "When", Expr: "n.id", Kind: listing.Int},
		{Name: "title", Label: "Notice", Expr: "n.title", Kind: listing.Text},
		{Name: "kind", Label: "Kind", Expr: "n.kind", Kind: listing.Text},
	},
	Default: "-created_at",
	ID:      "n.id",
	Facets:  noticeFacets,
	Search:  "text in the notice's title",
	Dates:   "the day the notice was made (UTC)",
}

// NoticeGroupSpec is what the inbox's groups by subject accept: the
// subjects with the latest notice first.
var NoticeGroupSpec = &listing.Spec{
	Columns: []listing.Column{{Name: "latest", Label: "Latest", Expr: "max(n.id)", Kind: listing.Int}},
	Default: "-latest",
	ID:      "max(n.id)",
	Facets:  noticeFacets,
	Search:  "text in a notice's title",
	Dates:   "the day a notice was made (UTC)",
}

// NoticeGroup is the notices about one subject: a record (a vulnerability,
// say), or a notice about no record on its own.
type NoticeGroup struct {
	Subject    string    `json:"subject"` // record_kind:record_id, or notice:id
	RecordKind string    `json:"record_kind,omitempty"`
	RecordID   int64     `json:"record_id,omitempty"`
	Notices    int       `json:"notices"`
	Unread     int       `json:"unread"`
	Latest     time.Time `json:"latest"`
	// LatestNotice is the newest notice of the group (its title and link
	// say what the subject is).
	LatestNotice InboxNotice `json:"latest_notice"`
}

// subjectExpr groups notices by the record they are about; a notice about
// no record is a subject of its own.
const subjectExpr = "CASE WHEN n.record_kind = '' THEN 'notice:' || CAST(n.id AS TEXT) ELSE n.record_kind || ':' || CAST(n.record_id AS TEXT) END"

// noticeFrom joins the caller's read marks; noticeWhere is the caller's
// organisation's notices narrowed by the request.
func noticeFrom(args *access.Args, c access.Caller) string {
	return " FROM notices n LEFT JOIN notice_reads r ON r.notice_id = n.id AND r.user_id = " + args.Add(c.UserID)
}

func noticeWhere(args *access.Args, c access.Caller, req listing.Request) string {
	where := []string{inboxWhere(args, c)}
	if read := req.Bool("read"); read != nil {
		if *read {
			where = append(where, "r.notice_id IS NOT NULL")
		} else {
			where = append(where, "r.notice_id IS NULL")
		}
	}
	if k := req.Facet("notice_kind"); k != "" {
		where = append(where, "n.kind = "+args.Add(k))
	}
	if sub := req.Facet("subject"); sub != "" {
		kind, id, _ := strings.Cut(sub, ":")
		n, _ := strconv.ParseInt(id, 10, 64)
		if kind == "notice" {
			where = append(where, "n.id = "+args.Add(n))
		} else {
			where = append(where, "n.record_kind = "+args.Add(kind)+" AND n.record_id = "+args.Add(n))
		}
	}
	if cl := req.Facet("classification"); cl != "" {
		where = append(where, "n.classification = "+args.Add(cl))
	}
	if req.Q != "" {
		where = append(where, "lower(n.title) LIKE "+args.Add(listing.Like(req.Q))+" ESCAPE '\\'")
	}
	if !req.From.IsZero() {
		where = append(where, "n.created_at >= "+args.Add(req.From.Time().UTC()))
	}
	if !req.To.IsZero() {
		where = append(where, "n.created_at < "+args.Add(req.To.Time().UTC().AddDate(0, 0, 1)))
	}
	return strings.Join(where, " AND ")
}

// Notices is one page of the caller's organisation's notices, with the
// caller's read marks and the total the filters match.
func (s *Service) Notices(ctx context.Context, c access.Caller, req listing.Request) (listing.Page[InboxNotice], error) {
	if err := inboxUser(c); err != nil {
		return listing.Page[InboxNotice]{}, err
	}
	var items []InboxNotice
	if err := s.scanNotices(ctx, c, req, func(n InboxNotice) error { items = append(items, n); return nil }); err != nil {
		return listing.Page[InboxNotice]{}, err
	}
	var args access.Args
	from := noticeFrom(&args, c)
	var total int64
	if err := s.DB.QueryRowContext(ctx, "SELECT count(*)"+from+" WHERE "+noticeWhere(&args, c, req), args...).Scan(&total); err != nil {
		return listing.Page[InboxNotice]{}, errs.Wrap(err, "count notices")
	}
	return listing.Finish(req, items, total, func(n InboxNotice) (any, int64) {
		switch req.Sort.Name {
		case "title":
			return n.Title, n.ID
		case "kind":
			return n.Kind, n.ID
		}
		return n.ID, n.ID
	}), nil
}

// ExportNotices writes every notice the request's filters match, row by row.
func (s *Service) ExportNotices(ctx context.Context, c access.Caller, req listing.Request, w listing.Writer) error {
	if err := inboxUser(c); err != nil {
		return err
	}
	return s.scanNotices(ctx, c, req.Export(), func(n InboxNotice) error {
		read := ""
		if n.ReadAt != nil {
			read = n.ReadAt.UTC().Format(time.RFC3339)
		}
		return w.Row([]string{strconv.FormatInt(n.ID, 10), n.CreatedAt.UTC().Format(time.RFC3339), n.Kind, n.Title, n.Link,
			n.RecordKind, strconv.FormatInt(n.RecordID, 10), string(n.Classification), read}, n)
	})
}

// NoticeCSVHeader names the columns of a notices export.
var NoticeCSVHeader = []string{"id", "created_at", "kind", "title", "link", "record_kind", "record_id", "classification", "read_at"}

func (s *Service) scanNotices(ctx context.Context, c access.Caller, req listing.Request, yield func(InboxNotice) error) error {
	var args access.Args
	from := noticeFrom(&args, c)
	where := noticeWhere(&args, c, req)
	page, order, limit := req.Keyset(&args)
	rows, err := s.DB.QueryContext(ctx, "SELECT "+noticeColumns+from+" WHERE "+where+" AND "+page+
		" ORDER BY "+order+listing.LimitSQL(limit), args...)
	if err != nil {
		return errs.Wrap(err, "notices")
	}
	defer rows.Close()
	for rows.Next() {
		n, err := scanNotice(rows)
		if err != nil {
			return errs.Wrap(err, "notices")
		}
		if err := yield(n); err != nil {
			return err
		}
	}
	return errs.Wrap(rows.Err(), "notices")
}

// NoticeGroups is one page of the caller's organisation's notices grouped
// by subject, the subject with the newest notice first.
func (s *Service) NoticeGroups(ctx context.Context, c access.Caller, req listing.Request) (listing.Page[NoticeGroup], error) {
	var zero listing.Page[NoticeGroup]
	if err := inboxUser(c); err != nil {
		return zero, err
	}
	var args access.Args
	from := noticeFrom(&args, c)
	where := noticeWhere(&args, c, req)
	page, order, limit := req.Keyset(&args)
	group := " GROUP BY " + subjectExpr + ", n.record_kind, n.record_id"
	rows, err := s.DB.QueryContext(ctx, "SELECT "+subjectExpr+", n.record_kind, n.record_id, count(*), "+
		"SUM(CASE WHEN r.notice_id IS NULL THEN 1 ELSE 0 END), max(n.id)"+from+" WHERE "+where+group+
		" HAVING "+page+" ORDER BY "+order+listing.LimitSQL(limit), args...)
	if err != nil {
		return zero, errs.Wrap(err, "notice groups")
	}
	var items []NoticeGroup
	var latest []int64
	for rows.Next() {
		var g NoticeGroup
		var id int64
		if err := rows.Scan(&g.Subject, &g.RecordKind, &g.RecordID, &g.Notices, &g.Unread, &id); err != nil {
			rows.Close()
			return zero, errs.Wrap(err, "notice groups")
		}
		g.LatestNotice.ID = id
		items = append(items, g)
		latest = append(latest, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return zero, errs.Wrap(err, "notice groups")
	}
	// The newest notice of each group, in a second query: an aggregate's
	// row is not a row to read columns from.
	if len(latest) > 0 {
		var a access.Args
		ph := make([]string, len(latest))
		for i, id := range latest {
			ph[i] = a.Add(id)
		}
		from := noticeFrom(&a, c)
		rows, err := s.DB.QueryContext(ctx, "SELECT "+noticeColumns+from+" WHERE n.id IN ("+strings.Join(ph, ", ")+") AND "+inboxWhere(&a, c), a...)
		if err != nil {
			return zero, errs.Wrap(err, "notice groups")
		}
		byID := map[int64]InboxNotice{}
		for rows.Next() {
			n, err := scanNotice(rows)
			if err != nil {
				rows.Close()
				return zero, errs.Wrap(err, "notice groups")
			}
			byID[n.ID] = n
		}
		rows.Close()
		for i := range items {
			items[i].LatestNotice = byID[items[i].LatestNotice.ID]
			items[i].Latest = items[i].LatestNotice.CreatedAt
		}
	}
	var a access.Args
	from = noticeFrom(&a, c)
	var total int64
	if err := s.DB.QueryRowContext(ctx, "SELECT count(*) FROM (SELECT 1"+from+" WHERE "+noticeWhere(&a, c, req)+group+") g", a...).Scan(&total); err != nil {
		return zero, errs.Wrap(err, "count notice groups")
	}
	return listing.Finish(req, items, total, func(g NoticeGroup) (any, int64) { return g.LatestNotice.ID, g.LatestNotice.ID }), nil
}
