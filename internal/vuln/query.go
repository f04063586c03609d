package vuln

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/advisory"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// partyName is the organisation's name when the caller may see its
// directory entry, else ”. A Supplier's entry is AMBER, so one Supplier
// never reads another's name here; its code is only shown where the record
// itself already names it.
func partyName(args *access.Args, c access.Caller, alias string) string {
	return "CASE WHEN " + c.Visible(args, "party", alias, alias+".id") + " THEN COALESCE(" + alias + ".name, '') ELSE '' END"
}

// HiddenReporter stands for the reporter's code when the caller may not
// learn who reported (see reporterShown), as estate.AnotherSupplier does for
// another Supplier in a supply history.
const HiddenReporter = "(a Supplier)"

// reporterShown is the one rule, as SQL over the vulnerability row v, for
// who may learn which organisation reported a vulnerability: Suppliers never
// learn another Supplier's identity (DESIGN.md), so a Supplier that reports
// is named only to itself, the manufacturer it reported to (G3.18), the SSC,
// the secretariat and the system; any other reporter (a manufacturer, the
// DCC, the SSC) is named to everyone who may see the record. Every read path
// uses it: the detail (API and page), the timeline's actors and the CSAF
// export, which is written for a reader with no organisation (Caller{}),
// because the document travels beyond whoever downloads it.
func reporterShown(args *access.Args, c access.Caller, v string) string {
	if c.System || c.IsSSC() {
		return "TRUE"
	}
	notSupplier := "NOT EXISTS (SELECT 1 FROM organisation_roles rr WHERE rr.org_id = " + v + ".reporter_id AND rr.role IN ('large_supplier', 'small_supplier'))"
	if !c.SignedIn() || c.OrgID == 0 {
		return notSupplier
	}
	org := args.Add(c.OrgID)
	return "(" + notSupplier + " OR " + v + ".reporter_id = " + org + " OR " + v + ".manufacturer_id = " + org + ")"
}

// visibleRecipient is the condition that the caller may see recipient row r:
// its own classification and audience (the organisation once told, and the
// manufacturer), and the vulnerability's.
func visibleRecipient(args *access.Args, c access.Caller, r string) string {
	return c.Visible(args, RecipientKind, r)
}

// visiblePlan is the condition that the caller may see plan p: its owner and
// the SSC, and a draft only its owner ("being written; only its owner sees
// it", sec.PlanStateDraft).
func visiblePlan(args *access.Args, c access.Caller, p string) string {
	cond := c.Visible(args, PlanKind, p, p+".org_id")
	if c.System {
		return cond
	}
	return "(" + cond + " AND (" + p + ".state <> 'draft' OR " + p + ".org_id = " + args.Add(c.OrgID) + "))"
}

// Get returns a vulnerability the caller may see, with its affected ranges
// and what the caller may do.
func (s *Service) Get(ctx context.Context, c access.Caller, ref string) (Vulnerability, error) {
	var out Vulnerability
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		v, err := findVuln(ctx, tx, c, ref, false)
		if err != nil {
			return err
		}
		out, err = s.shape(ctx, tx, c, v)
		return err
	})
	return out, err
}

func (s *Service) shape(ctx context.Context, q store.Querier, c access.Caller, v vulnRow) (Vulnerability, error) {
	out := Vulnerability{ID: v.ID, Ref: v.Ref, Title: v.Title, Description: v.Description, Mitigation: v.Mitigation,
		State: v.State, MaterialityRationale: v.Rationale, Classification: v.Classification, DiscoveredOn: v.DiscoveredOn,
		ReportedOn: v.ReportedOn, Source: v.Source, Revision: v.Revision, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt,
		CVEs: []string{}}
	if v.Material.Valid {
		m := v.Material.Bool
		out.Material = &m
	}
	if v.CVSSVector != "" {
		out.CVSS = &advisory.CVSS{Version: v.CVSSVersion, Vector: v.CVSSVector, Score: v.CVSSScore, Severity: v.CVSSSeverity}
		if p, err := advisory.ParseCVSS(v.CVSSVector); err == nil {
			out.CVSS = &p
		}
	}
	if v.CVEs != "" {
		out.CVEs = strings.Split(v.CVEs, ",")
	}
	var args access.Args
	rep, man := partyName(&args, c, "r"), partyName(&args, c, "m")
	shown := reporterShown(&args, c, "v")
	if err := q.QueryRowContext(ctx, "SELECT CASE WHEN "+shown+" THEN r.code ELSE '"+HiddenReporter+"' END, CASE WHEN "+shown+" THEN "+rep+" ELSE '' END, m.code, "+man+
		" FROM vulnerabilities v JOIN organisations r ON r.id = v.reporter_id JOIN organisations m ON m.id = v.manufacturer_id WHERE v.id = "+args.Add(v.ID), args...).
		Scan(&out.Reporter.Code, &out.Reporter.Name, &out.Manufacturer.Code, &out.Manufacturer.Name); err != nil {
		return out, errs.Wrap(err, "reporter")
	}
	rs, err := storedRanges(ctx, q, v.ID)
	if err != nil {
		return out, err
	}
	if out.Affected, err = affectedView(ctx, q, rs); err != nil {
		return out, err
	}
	if v.ImportReport != "" {
		var ir ImportReport
		if json.Unmarshal([]byte(v.ImportReport), &ir) == nil {
			out.Import = &ir
		}
	}
	if out.Actors, err = actorsFor(ctx, q, c, v); err != nil {
		return out, err
	}
	if out.Actors == nil {
		out.Actors = []sec.Actor{}
	}
	out.Events = sec.VulnLifecycle.Events(v.State, out.Actors...)
	if out.Events == nil {
		out.Events = []sec.VulnEvent{}
	}
	if !v.State.IsClosed() {
		args = access.Args{}
		var n int
		if err := q.QueryRowContext(ctx, "SELECT count(*) FROM vuln_plans p WHERE p.vuln_id = "+args.Add(v.ID)+
			" AND p.state = 'overdue' AND "+visiblePlan(&args, c, "p"), args...).Scan(&n); err != nil {
			return out, errs.Wrap(err, "overdue plans")
		}
		out.Overdue = n > 0
	}
	return out, nil
}

// Open is Get for a person opening the vulnerability: the first time a user
// of a recipient organisation opens it after being told, the recipient row
// records when and who (audited), which the manufacturer and the SSC see as
// "seen".
func (s *Service) Open(ctx context.Context, c access.Caller, ref string) (Vulnerability, error) {
	v, err := s.Get(ctx, c, ref)
	if err != nil || c.UserID == 0 || c.OrgID == 0 {
		return v, err
	}
	var unseen int
	if err := s.DB.QueryRowContext(ctx, `SELECT count(*) FROM vuln_recipients WHERE vuln_id = $1 AND org_id = $2
		AND seen_at IS NULL AND first_notified_at IS NOT NULL`, v.ID, c.OrgID).Scan(&unseen); err != nil {
		return v, errs.Wrap(err, "seen")
	}
	if unseen == 0 {
		return v, nil
	}
	err = s.DB.Write(ctx, c, func(tx *store.Tx) error { return markSeen(ctx, tx, c, v.ID, v.Ref) })
	return v, err
}

// markSeen records the first time a user of the caller's organisation saw a
// vulnerability it was told of.
func markSeen(ctx context.Context, tx *store.Tx, c access.Caller, vulnID int64, ref string) error {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM vuln_recipients WHERE vuln_id = $1 AND org_id = $2
		AND seen_at IS NULL AND first_notified_at IS NOT NULL`, vulnID, c.OrgID)
	if err != nil {
		return errs.Wrap(err, "seen")
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return errs.Wrap(err, "seen")
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		res, err := tx.ExecContext(ctx, "UPDATE vuln_recipients SET seen_at = $1, seen_by = $2 WHERE id = $3 AND seen_at IS NULL", tx.Now, c.UserID, id)
		if err != nil {
			return errs.Wrap(err, "seen")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue // another request got there first
		}
		if err := addEvent(ctx, tx, vulnID, eventInput{Kind: "seen", RecipientID: id, Private: true, ActorAs: actorRecipient}); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, "vuln.seen", RecipientKind, id, struct{ Ref string }{ref}); err != nil {
			return err
		}
	}
	return nil
}

// recipientColumns selects a recipient row for the caller: who acknowledged
// is a person's email, shown with the row.
func recipientColumns(args *access.Args, c access.Caller) string {
	return `r.id, o.code, ` + partyName(args, c, "o") + `, r.role, r.classification, r.devices, r.active, r.added_at,
		r.inactive_since, r.first_notified_at, r.last_notified_at, r.notices, r.seen_at, r.acknowledged_at,
		COALESCE(u.email, ''), r.statement, r.justification, r.reminders, r.last_reminded_at, ` + deliveredAt + `, ` + deliveryState
}

func scanRecipient(row interface{ Scan(...any) error }) (Recipient, error) {
	var r Recipient
	var inactive, notified, last, seen, acked, reminded sql.NullTime
	var delivered anyTime
	err := row.Scan(&r.ID, &r.Org.Code, &r.Org.Name, &r.Role, &r.Classification, &r.Devices, &r.Active, &r.AddedAt,
		&inactive, &notified, &last, &r.Notices, &seen, &acked, &r.AcknowledgedBy, &r.Statement, &r.Justification,
		&r.Reminders, &reminded, &delivered, &r.Delivery)
	r.AddedAt = r.AddedAt.UTC()
	r.InactiveSince, r.NotifiedAt, r.LastNotifiedAt = tp(inactive), tp(notified), tp(last)
	r.SeenAt, r.AcknowledgedAt, r.LastRemindedAt, r.DeliveredAt = tp(seen), tp(acked), tp(reminded), tp(delivered.NullTime)
	r.AwaitsAck = r.Role.acks() && r.Active && r.NotifiedAt != nil && r.AcknowledgedAt == nil
	return r, err
}

func tp(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

// roleOrder sorts recipients: the manufacturer, Suppliers, the DCC, MAPs,
// the SSC.
const roleOrder = `CASE r.role WHEN 'manufacturer' THEN 1 WHEN 'supplier' THEN 2 WHEN 'dcc' THEN 3 WHEN 'map' THEN 4 ELSE 5 END`

// Recipients lists the recipients of a vulnerability that the caller may
// see: a Supplier its own row, the manufacturer and the SSC all of them.
func (s *Service) Recipients(ctx context.Context, c access.Caller, ref string) ([]Recipient, error) {
	var args access.Args
	cols := recipientColumns(&args, c)
	where := "v.ref = " + args.Add(normRef(ref)) + " AND " + visibleVuln(&args, c, "v") + " AND " + visibleRecipient(&args, c, "r")
	rows, err := s.DB.QueryContext(ctx, "SELECT "+cols+` FROM vuln_recipients r JOIN vulnerabilities v ON v.id = r.vuln_id
		JOIN organisations o ON o.id = r.org_id LEFT JOIN users u ON u.id = r.acknowledged_by WHERE `+where+
		" ORDER BY "+roleOrder+", o.code", args...)
	if err != nil {
		return nil, errs.Wrap(err, "recipients")
	}
	defer rows.Close()
	out := []Recipient{}
	for rows.Next() {
		r, err := scanRecipient(rows)
		if err != nil {
			return nil, errs.Wrap(err, "recipients")
		}
		out = append(out, r)
	}
	return out, errs.Wrap(rows.Err(), "recipients")
}

// actorLabel says who acted as far as the caller may know: the person (own
// organisation, the SSC), else the organisation when the caller may see it,
// else the part it played.
func actorLabel(as sec.Actor, org, person string) string {
	switch {
	case as == sec.ActorSystem && person == "" && org == "":
		return "metersec"
	case person != "" && org != "":
		return person + " (" + org + ")"
	case person != "":
		return person
	case org != "":
		return org
	case as != "":
		if l := as.Label(); l != "" {
			return "the " + l
		}
		return "the " + string(as)
	}
	return "someone"
}

// InboxItem is one vulnerability the caller's organisation was told of.
type InboxItem struct {
	Ref            string             `json:"ref"`
	Title          string             `json:"title"`
	State          sec.VulnState      `json:"state"`
	Classification sec.Classification `json:"classification"`
	Recipient      Recipient          `json:"recipient"`
}

// Overview is the SSC's view across every vulnerability: what is open, what
// is overdue, and who has not acknowledged.
type Overview struct {
	Open           []Summary          `json:"open"`
	OverduePlans   []OverduePlan      `json:"overdue_plans"`
	Unacknowledged []Unacknowledged   `json:"unacknowledged"`
	ByState        map[string]int     `json:"by_state"`
	Generated      time.Time          `json:"generated"`
	Settings       OverviewSettings   `json:"settings"`
	Classification sec.Classification `json:"classification"`
}

// OverviewSettings are the settings the overview applies.
type OverviewSettings struct {
	AckReminderDays int `json:"ack_reminder_days"`
	MaxReminders    int `json:"max_reminders"`
}

// OverduePlan is a rectification plan past a declared date.
type OverduePlan struct {
	VulnRef            string     `json:"vuln_ref"`
	VulnTitle          string     `json:"vuln_title"`
	PlanID             int64      `json:"plan_id"`
	Owner              OrgRef     `json:"owner"`
	DeclaredCompletion sec.Date   `json:"declared_completion,omitzero"`
	NextUpdateDue      sec.Date   `json:"next_update_due,omitzero"`
	OverdueSince       *time.Time `json:"overdue_since,omitempty"`
	Escalations        int        `json:"escalations"`
}

// Unacknowledged is a recipient told of an open vulnerability that has not
// acknowledged it.
type Unacknowledged struct {
	VulnRef    string    `json:"vuln_ref"`
	VulnTitle  string    `json:"vuln_title"`
	Org        OrgRef    `json:"org"`
	Role       Role      `json:"role"`
	Devices    int64     `json:"devices"`
	NotifiedAt time.Time `json:"notified_at"`
	Reminders  int       `json:"reminders"`
	Days       int       `json:"days"` // since first told
	// RecipientID is the recipient row's id (the list's tie-breaker).
	RecipientID int64 `json:"recipient_id"`
}

// MayOversee reports whether the caller may see the overview: the SSC
// oversees every vulnerability and receives the G3.18/G3.9 notices; the
// system may too. Overview decides with it; the list page asks it whether to
// link the overview.
func MayOversee(c access.Caller) bool { return c.System || c.IsSSC() }

// Overview answers the SSC (and the system): the SSC oversees every
// vulnerability and receives the G3.18/G3.9 notices.
func (s *Service) Overview(ctx context.Context, c access.Caller, now time.Time) (Overview, error) {
	if !MayOversee(c) {
		return Overview{}, errs.E(errs.Forbidden, "the overview is for SSC members and the secretariat")
	}
	out := Overview{ByState: map[string]int{}, Generated: now.UTC(), Classification: sec.Amber,
		Settings: OverviewSettings{AckReminderDays: s.Settings.AckReminderDays, MaxReminders: maxReminders}}
	var err error
	if out.Open, err = s.List(ctx, c, Filter{Open: true}); err != nil {
		return out, err
	}
	var args access.Args
	rows, err := s.DB.QueryContext(ctx, "SELECT v.state, count(*) FROM vulnerabilities v WHERE "+visibleVuln(&args, c, "v")+" GROUP BY v.state", args...)
	if err != nil {
		return out, errs.Wrap(err, "overview")
	}
	for rows.Next() {
		var st string
		var n int
		rows.Scan(&st, &n)
		out.ByState[st] = n
	}
	rows.Close()

	args = access.Args{}
	rows, err = s.DB.QueryContext(ctx, `SELECT v.ref, v.title, p.id, o.code, `+partyName(&args, c, "o")+`, p.declared_completion,
		p.next_update_due, p.overdue_since, p.escalations FROM vuln_plans p JOIN vulnerabilities v ON v.id = p.vuln_id
		JOIN organisations o ON o.id = p.org_id WHERE p.state = 'overdue' AND `+visibleVuln(&args, c, "v")+" AND "+visiblePlan(&args, c, "p")+
		" AND v.state NOT IN ('closed', 'closed_not_material') ORDER BY p.overdue_since, p.id", args...)
	if err != nil {
		return out, errs.Wrap(err, "overview")
	}
	out.OverduePlans = []OverduePlan{}
	for rows.Next() {
		var p OverduePlan
		var since sql.NullTime
		if err := rows.Scan(&p.VulnRef, &p.VulnTitle, &p.PlanID, &p.Owner.Code, &p.Owner.Name, &p.DeclaredCompletion,
			&p.NextUpdateDue, &since, &p.Escalations); err != nil {
			rows.Close()
			return out, errs.Wrap(err, "overview")
		}
		p.OverdueSince = tp(since)
		out.OverduePlans = append(out.OverduePlans, p)
	}
	rows.Close()

	args = access.Args{}
	rows, err = s.DB.QueryContext(ctx, `SELECT r.id, v.ref, v.title, o.code, `+partyName(&args, c, "o")+`, r.role, r.devices,
		r.first_notified_at, r.reminders FROM vuln_recipients r JOIN vulnerabilities v ON v.id = r.vuln_id
		JOIN organisations o ON o.id = r.org_id WHERE r.active AND r.first_notified_at IS NOT NULL AND r.acknowledged_at IS NULL
		AND r.role IN ('supplier', 'dcc', 'manufacturer') AND v.state NOT IN ('closed', 'closed_not_material') AND `+
		visibleVuln(&args, c, "v")+" AND "+visibleRecipient(&args, c, "r")+" ORDER BY r.first_notified_at, r.id", args...)
	if err != nil {
		return out, errs.Wrap(err, "overview")
	}
	defer rows.Close()
	out.Unacknowledged = []Unacknowledged{}
	today := s.today(now)
	for rows.Next() {
		var u Unacknowledged
		if err := rows.Scan(&u.RecipientID, &u.VulnRef, &u.VulnTitle, &u.Org.Code, &u.Org.Name, &u.Role, &u.Devices, &u.NotifiedAt, &u.Reminders); err != nil {
			return out, errs.Wrap(err, "overview")
		}
		u.NotifiedAt = u.NotifiedAt.UTC()
		u.Days = today.Sub(s.today(u.NotifiedAt))
		out.Unacknowledged = append(out.Unacknowledged, u)
	}
	return out, errs.Wrap(rows.Err(), "overview")
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// anyTime scans a timestamp that SQLite may hand over as text: an aggregate
// or subquery has no declared type for the driver to convert by.
type anyTime struct{ sql.NullTime }

var timeLayouts = []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999", time.RFC3339Nano, "2006-01-02T15:04:05.999999999"}

func (t *anyTime) Scan(src any) error {
	switch v := src.(type) {
	case string:
		return t.parse(v)
	case []byte:
		return t.parse(string(v))
	}
	return t.NullTime.Scan(src)
}

func (t *anyTime) parse(s string) error {
	for _, l := range timeLayouts {
		if p, err := time.Parse(l, s); err == nil {
			t.Time, t.Valid = p.UTC(), true
			return nil
		}
	}
	return fmt.Errorf("cannot read %q as a time", s)
}
