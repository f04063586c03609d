package vuln

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
)

// What a caller may do with one vulnerability, for the page and API
// clients: the rules read the actors Get worked out for the caller, so the
// web layer asks here rather than looking at roles.

// MayEdit reports whether the caller may change the vulnerability's text:
// its reporter, its manufacturer and the SSC, while it is open.
func MayEdit(v Vulnerability) bool {
	return !v.State.IsClosed() && actsAs(v, sec.ActorReporter, sec.ActorManufacturer, sec.ActorSSC)
}

// MayPlan reports whether the caller may write a rectification plan: a
// Supplier or the DCC told of an open material vulnerability (G3.18, G3.9).
func MayPlan(v Vulnerability) bool {
	return !v.State.IsClosed() && v.Material != nil && *v.Material && actsAs(v, sec.ActorSupplier, sec.ActorDCC)
}

// MayAcknowledge reports whether the caller's organisation may acknowledge:
// it was told (own holds its recipient rows) and the vulnerability is open.
func MayAcknowledge(v Vulnerability, own []Recipient) bool {
	if v.State.IsClosed() {
		return false
	}
	for _, r := range own {
		if r.NotifiedAt != nil {
			return true
		}
	}
	return false
}

// MayExportDevices reports whether the caller may export its own affected
// Devices: a Supplier told of the vulnerability, which sees only the
// Devices of its own portfolio.
func MayExportDevices(v Vulnerability) bool { return actsAs(v, sec.ActorSupplier) }

func actsAs(v Vulnerability, want ...sec.Actor) bool {
	for _, w := range want {
		if hasActor(v.Actors, w) {
			return true
		}
	}
	return false
}

// AffectsEveryone reports whether an event tells every recipient (it
// revises the advisory), so a page asks for confirmation before firing it.
func AffectsEveryone(e sec.VulnEvent) bool { _, ok := revises[e]; return ok }

// NeedsNote reports whether an event must say why.
func NeedsNote(e sec.VulnEvent) bool { _, ok := needsNote[e]; return ok }

// RecipientSummary counts a vulnerability's recipients as the caller may
// see them: one aggregate, however many organisations were told.
type RecipientSummary struct {
	Recipients         int   `json:"recipients"` // active rows
	Told               int   `json:"told"`
	Acknowledged       int   `json:"acknowledged"`
	Affected           int   `json:"affected"`
	NotAffected        int   `json:"not_affected"`
	UnderInvestigation int   `json:"under_investigation"`
	Awaiting           int   `json:"awaiting"` // must acknowledge and has not
	Overdue            int   `json:"overdue"`  // awaiting for longer than the reminder cycle
	Inactive           int   `json:"inactive"` // no longer affected
	PendingDelivery    int   `json:"pending_delivery"`
	FailedDelivery     int   `json:"failed_delivery"`
	Devices            int64 `json:"devices"` // over the active Supplier rows shown
	// AckReminderDays is the reminder cycle that "overdue" counts against:
	// the SEC sets no deadline (G3.18 "as soon as reasonably practicable").
	AckReminderDays int `json:"ack_reminder_days"`
}

// RecipientStatus is a filter of a vulnerability's recipient list: the
// summary's counts link to the rows behind them.
type RecipientStatus string

// Recipient statuses; the empty status is every recipient.
const (
	RecipientsAcknowledged       RecipientStatus = "acknowledged"
	RecipientsAwaiting           RecipientStatus = "awaiting"
	RecipientsOverdue            RecipientStatus = "overdue"
	RecipientsAffected           RecipientStatus = "affected"
	RecipientsNotAffected        RecipientStatus = "not_affected"
	RecipientsUnderInvestigation RecipientStatus = "under_investigation"
	RecipientsInactive           RecipientStatus = "inactive"
)

// RecipientStatuses lists the filters in display order.
var RecipientStatuses = []RecipientStatus{RecipientsAcknowledged, RecipientsAwaiting, RecipientsOverdue,
	RecipientsAffected, RecipientsNotAffected, RecipientsUnderInvestigation, RecipientsInactive}

// overdueBefore is when a recipient first told must have been told to count
// as overdue now.
func (s *Service) overdueBefore(now time.Time) time.Time {
	return now.UTC().AddDate(0, 0, -s.Settings.AckReminderDays)
}

// statusCond is the SQL condition for a status over recipient row r.
func (s *Service) statusCond(args *access.Args, st RecipientStatus, now time.Time) (string, error) {
	switch st {
	case "":
		return "TRUE", nil
	case RecipientsAcknowledged:
		return "r.acknowledged_at IS NOT NULL", nil
	case RecipientsAwaiting:
		return awaitsAck + " AND " + openVuln, nil
	case RecipientsOverdue:
		return awaitsAck + " AND " + openVuln + " AND r.first_notified_at < " + args.Add(s.overdueBefore(now)), nil
	case RecipientsAffected, RecipientsNotAffected, RecipientsUnderInvestigation:
		return "r.acknowledged_at IS NOT NULL AND r.statement = " + args.Add(string(st)), nil
	case RecipientsInactive:
		return "NOT r.active", nil
	}
	return "", errs.FieldError("status", "must be one of %s", strings.Join(listing.Enum(RecipientStatuses), ", "))
}

// Summary counts the recipients of a vulnerability the caller may see.
func (s *Service) RecipientSummary(ctx context.Context, c access.Caller, ref string, now time.Time) (RecipientSummary, error) {
	out := RecipientSummary{AckReminderDays: s.Settings.AckReminderDays}
	var args access.Args
	before := args.Add(s.overdueBefore(now))
	where := "v.ref = " + args.Add(normRef(ref)) + " AND " + visibleVuln(&args, c, "v") + " AND " + visibleRecipient(&args, c, "r")
	when := func(cond string) string { return "COALESCE(SUM(CASE WHEN " + cond + " THEN 1 ELSE 0 END), 0)" }
	err := s.DB.QueryRowContext(ctx, `SELECT `+when("r.active")+`, `+when("r.active AND r.first_notified_at IS NOT NULL")+`,
		`+when("r.acknowledged_at IS NOT NULL")+`, `+when("r.acknowledged_at IS NOT NULL AND r.statement = 'affected'")+`,
		`+when("r.acknowledged_at IS NOT NULL AND r.statement = 'not_affected'")+`,
		`+when("r.acknowledged_at IS NOT NULL AND r.statement = 'under_investigation'")+`,
		`+when(awaitsAck+" AND "+openVuln)+`, `+when(awaitsAck+" AND "+openVuln+" AND r.first_notified_at < "+before)+`,
		`+when("NOT r.active")+`, `+when("("+deliveryState+") IN ('pending', 'retrying')")+`, `+when("("+deliveryState+") = 'failed'")+`,
		COALESCE(SUM(CASE WHEN r.active AND r.role = 'supplier' THEN r.devices ELSE 0 END), 0)
		FROM vuln_recipients r JOIN vulnerabilities v ON v.id = r.vuln_id WHERE `+where, args...).
		Scan(&out.Recipients, &out.Told, &out.Acknowledged, &out.Affected, &out.NotAffected, &out.UnderInvestigation,
			&out.Awaiting, &out.Overdue, &out.Inactive, &out.PendingDelivery, &out.FailedDelivery, &out.Devices)
	return out, errs.Wrap(err, "recipient summary")
}

// RecipientQuery asks for one page of a vulnerability's recipients.
type RecipientQuery struct {
	Status RecipientStatus
	// After is the cursor: the id of the last row of the previous page.
	After int64
	Limit int // 50 when 0, at most MaxRecipientPage
}

// MaxRecipientPage is the most recipients one page lists.
const MaxRecipientPage = 200

// RecipientPage is one page of recipients.
type RecipientPage struct {
	Items []Recipient `json:"items"`
	Total int         `json:"total"` // under the same filter
	Next  string      `json:"next_cursor,omitempty"`
}

// RecipientsPaged lists a page of a vulnerability's recipients the caller
// may see, in the order they were added (keyset on the row id, so a page is
// stable while the fan-out adds rows), with the total under the filter.
func (s *Service) RecipientsPaged(ctx context.Context, c access.Caller, ref string, q RecipientQuery, now time.Time) (RecipientPage, error) {
	out := RecipientPage{Items: []Recipient{}}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	if limit > MaxRecipientPage {
		return out, errs.FieldError("limit", "must be at most %d", MaxRecipientPage)
	}
	var args access.Args
	cond, err := s.statusCond(&args, q.Status, now)
	if err != nil {
		return out, err
	}
	where := "v.ref = " + args.Add(normRef(ref)) + " AND " + visibleVuln(&args, c, "v") + " AND " + visibleRecipient(&args, c, "r") + " AND " + cond
	if err := s.DB.QueryRowContext(ctx, "SELECT count(*) FROM vuln_recipients r JOIN vulnerabilities v ON v.id = r.vuln_id WHERE "+where, args...).
		Scan(&out.Total); err != nil {
		return out, errs.Wrap(err, "recipients")
	}
	cols := recipientColumns(&args, c)
	if q.After > 0 {
		where += " AND r.id > " + args.Add(q.After)
	}
	rows, err := s.DB.QueryContext(ctx, "SELECT "+cols+` FROM vuln_recipients r JOIN vulnerabilities v ON v.id = r.vuln_id
		JOIN organisations o ON o.id = r.org_id LEFT JOIN users u ON u.id = r.acknowledged_by WHERE `+where+
		" ORDER BY r.id LIMIT "+strconv.Itoa(limit+1), args...)
	if err != nil {
		return out, errs.Wrap(err, "recipients")
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRecipient(rows)
		if err != nil {
			return out, errs.Wrap(err, "recipients")
		}
		out.Items = append(out.Items, r)
	}
	if len(out.Items) > limit {
		out.Items = out.Items[:limit]
		out.Next = strconv.FormatInt(out.Items[limit-1].ID, 10)
	}
	return out, errs.Wrap(rows.Err(), "recipients")
}

// ParseRecipientStatus reads a status filter.
func ParseRecipientStatus(v string) (RecipientStatus, error) {
	st := RecipientStatus(strings.TrimSpace(v))
	if st == "" {
		return st, nil
	}
	for _, s := range RecipientStatuses {
		if s == st {
			return st, nil
		}
	}
	return "", errs.FieldError("status", "must be one of %s", strings.Join(listing.Enum(RecipientStatuses), ", "))
}

// AffectedFirmware is the catalogue firmware a vulnerability affects (the
// ids the fan-out joins the portfolio with), if the caller may see it.
func (s *Service) AffectedFirmware(ctx context.Context, c access.Caller, ref string) (Vulnerability, []int64, error) {
	v, err := s.Get(ctx, c, ref)
	if err != nil {
		return v, nil, err
	}
	rows, err := s.DB.QueryContext(ctx, "SELECT firmware_id FROM vuln_firmware WHERE vuln_id = $1 ORDER BY firmware_id", v.ID)
	if err != nil {
		return v, nil, errs.Wrap(err, "affected firmware")
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return v, nil, errs.Wrap(err, "affected firmware")
		}
		ids = append(ids, id)
	}
	return v, ids, errs.Wrap(rows.Err(), "affected firmware")
}

// TimelineGroup is a run of timeline entries of one kind on one day, shown
// as one line ("told 33 organisations") that opens to its entries.
type TimelineGroup struct {
	Day     sec.Date `json:"day"`
	Kind    string   `json:"kind"`
	Event   string   `json:"event,omitempty"`
	Entries []Event  `json:"entries"`
}

// GroupTimeline folds consecutive entries of the same kind and event on the
// same day into one group, so a fan-out to thousands of recipients is one
// line on the page.
func GroupTimeline(es []Event, zone *time.Location) []TimelineGroup {
	if zone == nil {
		zone = time.UTC
	}
	var out []TimelineGroup
	for _, e := range es {
		day := sec.DateOf(e.At.In(zone))
		if n := len(out); n > 0 && out[n-1].Day == day && out[n-1].Kind == e.Kind && out[n-1].Event == e.Event {
			out[n-1].Entries = append(out[n-1].Entries, e)
			continue
		}
		out = append(out, TimelineGroup{Day: day, Kind: e.Kind, Event: e.Event, Entries: []Event{e}})
	}
	return out
}

// OwnRecipients lists the caller's organisation's own recipient rows of a
// vulnerability (a manufacturer may be told as such and as a Supplier), for
// its acknowledgement: at most one per role, however many others were told.
func (s *Service) OwnRecipients(ctx context.Context, c access.Caller, ref string) ([]Recipient, error) {
	out := []Recipient{}
	if c.OrgID == 0 {
		return out, nil
	}
	var args access.Args
	cols := recipientColumns(&args, c)
	where := "v.ref = " + args.Add(normRef(ref)) + " AND r.org_id = " + args.Add(c.OrgID) + " AND " + visibleVuln(&args, c, "v") +
		" AND " + visibleRecipient(&args, c, "r")
	rows, err := s.DB.QueryContext(ctx, "SELECT "+cols+` FROM vuln_recipients r JOIN vulnerabilities v ON v.id = r.vuln_id
		JOIN organisations o ON o.id = r.org_id LEFT JOIN users u ON u.id = r.acknowledged_by WHERE `+where+" ORDER BY "+roleOrder, args...)
	if err != nil {
		return nil, errs.Wrap(err, "own recipients")
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRecipient(rows)
		if err != nil {
			return nil, errs.Wrap(err, "own recipients")
		}
		out = append(out, r)
	}
	return out, errs.Wrap(rows.Err(), "own recipients")
}
