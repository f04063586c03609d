package arrangement

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// AlertKind names in-app alerts in the audience tables.
const AlertKind = "arrangement_alert"

// Notifier tells an organisation something, in the caller's transaction.
type Notifier interface {
	Notify(ctx context.Context, tx *store.Tx, n delivery.Notice) error
}

// InApp is the default Notifier: it writes an arrangement_alerts row that the
// organisation and the SSC see in the UI and the API. Until the delivery
// service is wired in, that is the only channel.
type InApp struct{}

// Notify writes the alert unless one with the same key exists for the
// organisation.
func (InApp) Notify(ctx context.Context, tx *store.Tx, n delivery.Notice) error {
	if n.Classification == "" {
		n.Classification = sec.Amber
	}
	if n.OrgID == 0 || n.Key == "" || n.Title == "" {
		return errs.E(errs.Internal, "a notice needs an organisation, a key and a title")
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO arrangement_alerts (org_id, kind, title, body, link, record_kind, record_id,
		classification, alert_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (alert_key, org_id) DO NOTHING`,
		n.OrgID, n.Kind, n.Title, n.Body, n.Link, n.RecordKind, n.RecordID, n.Classification, n.Key, tx.Now)
	return errs.Wrap(err, "write alert")
}

// Alert is an in-app alert as the API and UI show it.
type Alert struct {
	ID             int64              `json:"id"`
	Org            string             `json:"org"`
	Kind           string             `json:"kind"`
	Title          string             `json:"title"`
	Body           string             `json:"body"`
	Link           string             `json:"link,omitempty"`
	Classification sec.Classification `json:"classification"`
	CreatedAt      time.Time          `json:"created_at"`
}

// Alerts lists the alerts the caller may see, newest first: its
// organisation's, and every one for the SSC and secretariat.
func (s *Service) Alerts(ctx context.Context, c access.Caller, limit int) ([]Alert, error) {
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	var args access.Args
	where := c.Visible(&args, AlertKind, "al", "al.org_id")
	rows, err := s.DB.QueryContext(ctx, `SELECT al.id, o.code, al.kind, al.title, al.body, al.link, al.classification, al.created_at
		FROM arrangement_alerts al JOIN organisations o ON o.id = al.org_id WHERE `+where+
		` ORDER BY al.created_at DESC, al.id DESC LIMIT `+args.Add(limit), args...)
	if err != nil {
		return nil, errs.Wrap(err, "list alerts")
	}
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		var a Alert
		if err := rows.Scan(&a.ID, &a.Org, &a.Kind, &a.Title, &a.Body, &a.Link, &a.Classification, &a.CreatedAt); err != nil {
			return nil, errs.Wrap(err, "list alerts")
		}
		a.CreatedAt = a.CreatedAt.UTC()
		out = append(out, a)
	}
	return out, errs.Wrap(rows.Err(), "list alerts")
}

// SSCOrgs lists the organisations that speak for the SSC (the SSC and its
// secretariat): every alert goes to them too.
func SSCOrgs(ctx context.Context, q store.Querier) ([]int64, error) {
	rows, err := q.QueryContext(ctx, "SELECT DISTINCT org_id FROM organisation_roles WHERE role IN ('ssc', 'secretariat') ORDER BY org_id")
	if err != nil {
		return nil, errs.Wrap(err, "SSC organisations")
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, errs.Wrap(err, "SSC organisations")
		}
		out = append(out, id)
	}
	return out, errs.Wrap(rows.Err(), "SSC organisations")
}

// NotifyAll sends n to each organisation once (the list may repeat), and
// returns how many notices it sent.
func NotifyAll(ctx context.Context, tx *store.Tx, nf Notifier, orgs []int64, n delivery.Notice) (int, error) {
	sent := 0
	done := map[int64]bool{}
	for _, id := range orgs {
		if id == 0 || done[id] {
			continue
		}
		done[id] = true
		n.OrgID = id
		if err := nf.Notify(ctx, tx, n); err != nil {
			return sent, err
		}
		sent++
	}
	return sent, nil
}

// NotifyExpiring tells the parties to every active arrangement expiring from
// today to today+days, and the SSC, once per arrangement and expiry date.
func NotifyExpiring(ctx context.Context, tx *store.Tx, nf Notifier, today sec.Date, days int) (int, error) {
	ssc, err := SSCOrgs(ctx, tx)
	if err != nil {
		return 0, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT a.id, a.reference, a.kind, a.expires, COALESCE(a.supplier_id, 0), COALESCE(a.map_id, 0),
		COALESCE(a.manufacturer_id, 0), a.classification FROM arrangements a
		WHERE a.status = 'active' AND a.expires IS NOT NULL AND a.expires >= $1 AND a.expires <= $2
		AND (a.ended IS NULL OR a.ended > a.expires) AND a.classification <> 'RED' ORDER BY a.expires, a.id`, today, today.AddDays(days))
	if err != nil {
		return 0, errs.Wrap(err, "expiring arrangements")
	}
	type exp struct {
		id      int64
		ref     string
		kind    Kind
		expires sec.Date
		parties []int64
		class   sec.Classification
	}
	var list []exp
	for rows.Next() {
		var e exp
		var p [3]int64
		if err := rows.Scan(&e.id, &e.ref, &e.kind, &e.expires, &p[0], &p[1], &p[2], &e.class); err != nil {
			rows.Close()
			return 0, errs.Wrap(err, "expiring arrangements")
		}
		e.parties = slices.DeleteFunc(p[:], func(id int64) bool { return id == 0 })
		list = append(list, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, errs.Wrap(err, "expiring arrangements")
	}
	sent := 0
	for _, e := range list {
		left := e.expires.Sub(today)
		when := fmt.Sprintf("in %d days", left)
		switch left {
		case 0:
			when = "today"
		case 1:
			when = "tomorrow"
		}
		// Alerts are AMBER to their recipient. RED arrangements (named
		// people only) are not announced: an organisation's inbox, contacts
		// and webhooks may not carry RED content.
		class := sec.Amber
		n, err := NotifyAll(ctx, tx, nf, append(slices.Clone(e.parties), ssc...), delivery.Notice{
			Kind:  "arrangement.expiring",
			Title: fmt.Sprintf("Arrangement %s expires %s (%s)", e.ref, when, e.expires),
			Body: fmt.Sprintf("The %s %s expires on %s. Devices it covers count as a G3.20 gap from the day after unless it is renewed or replaced.",
				e.kind.Label(), e.ref, e.expires),
			Link: "/arrangements/" + e.ref, RecordKind: RecordKind, RecordID: e.id, Classification: class,
			Key: fmt.Sprintf("arrangement:%d:expiring:%s", e.id, e.expires),
		})
		if err != nil {
			return sent, err
		}
		sent += n
	}
	return sent, nil
}
