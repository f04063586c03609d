package meeting

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/audience"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/uk"
)

// Record kinds in the audience tables and the audit trail.
const (
	KindMeeting = "meeting"
	KindItem    = "meeting_item"
	KindMinutes = "meeting_minutes"
)

// Service runs the SSC's meetings.
type Service struct {
	DB *store.DB
	// cache holds the headlines last built per meeting, keyed by the
	// meeting's updated_at, which every change the headlines show moves on:
	// the public pages are read far more often than meetings change.
	cache *headCache
}

type headCache struct {
	mu sync.Mutex
	m  map[int]Headlines
}

// NewService returns the meeting service on db.
func NewService(db *store.DB) *Service {
	return &Service{DB: db, cache: &headCache{m: map[int]Headlines{}}}
}

// actors are the parts the caller plays for meeting records: the SSC and
// its secretariat run meetings; nobody else does.
func actors(c access.Caller) []sec.Actor {
	if c.System || c.IsSSC() {
		return []sec.Actor{sec.ActorSSC}
	}
	return nil
}

// MayManage reports whether the caller may change meetings: the SSC, its
// secretariat and the system.
func MayManage(c access.Caller) bool { return c.System || c.IsSSC() }

func mustManage(c access.Caller) error {
	if !MayManage(c) {
		return errs.E(errs.Forbidden, "only SSC members and the secretariat may change SSC meetings")
	}
	return nil
}

func transitionError(err error) error {
	var te *sec.TransitionError
	if !errors.As(err, &te) {
		return err
	}
	if errors.Is(err, sec.ErrNotPermitted) {
		return errs.E(errs.Forbidden, "%s", te.Error())
	}
	return errs.E(errs.Conflict, "%s", te.Error())
}

// NewMeeting is a meeting to plan.
type NewMeeting struct {
	Number int    `json:"number"`
	HeldOn string `json:"held_on"`
	Starts string `json:"starts,omitempty"`
	Ends   string `json:"ends,omitempty"`
	Place  string `json:"place"`
}

func validClock(s string) bool {
	if s == "" {
		return true
	}
	_, err := time.Parse("15:04", s)
	return err == nil
}

// Create plans a meeting.
func (s *Service) Create(ctx context.Context, c access.Caller, in NewMeeting) (Meeting, error) {
	if err := mustManage(c); err != nil {
		return Meeting{}, err
	}
	var fields []errs.Field
	if in.Number <= 0 {
		fields = append(fields, errs.Field{Field: "number", Message: "must be a positive whole number"})
	}
	d, err := sec.ParseDate(in.HeldOn)
	if err != nil {
		fields = append(fields, errs.Field{Field: "held_on", Message: err.Error()})
	}
	in.Place = strings.TrimSpace(in.Place)
	if in.Place == "" {
		fields = append(fields, errs.Field{Field: "place", Message: "say where the meeting is held, or that it is a call"})
	}
	for _, f := range []struct{ name, v string }{{"starts", in.Starts}, {"ends", in.Ends}} {
		if !validClock(f.v) {
			fields = append(fields, errs.Field{Field: f.name, Message: "must be a time of day, HH:MM"})
		}
	}
	if len(fields) > 0 {
		return Meeting{}, errs.Fields("the meeting is not valid", fields...)
	}
	var id int64
	err = s.DB.Write(ctx, c, func(tx *store.Tx) error {
		var exists int
		tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM meetings WHERE number = $1", in.Number).Scan(&exists)
		if exists > 0 {
			return errs.E(errs.Conflict, "there is already a meeting number %d", in.Number)
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO meetings (number, held_on, starts, ends, place, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`, in.Number, d, in.Starts, in.Ends, in.Place,
			string(sec.MeetingLifecycle.Initial()), tx.Now).Scan(&id)
		if err != nil {
			return errs.Wrap(err, "create meeting")
		}
		return audit.Record(ctx, tx, "meeting.create", KindMeeting, id, in)
	})
	if err != nil {
		return Meeting{}, err
	}
	return s.Get(ctx, c, in.Number)
}

const meetingColumns = "m.id, m.number, m.held_on, m.starts, m.ends, m.place, m.status, m.classification, m.published_at, m.next_meeting, m.updated_at"

func scanMeeting(sc interface{ Scan(...any) error }) (Meeting, error) {
	var m Meeting
	var pub sql.NullTime
	var next sec.Date
	err := sc.Scan(&m.ID, &m.Number, &m.HeldOn, &m.Starts, &m.Ends, &m.Place, &m.Status, &m.Classification, &pub, &next, &m.Revised)
	m.Revised = m.Revised.UTC()
	if pub.Valid {
		t := pub.Time.UTC()
		m.PublishedAt = &t
	}
	m.NextMeeting = next
	m.Reference = Reference(m.Number, m.HeldOn)
	m.Present, m.Apologies, m.Items, m.Carried = []Person{}, []Person{}, []Item{}, []Action{}
	return m, err
}

// findMeeting reads a meeting the caller may see by its number.
func findMeeting(ctx context.Context, q store.Querier, c access.Caller, number int) (Meeting, error) {
	var args access.Args
	cond := "m.number = " + args.Add(number) + " AND " + c.Visible(&args, KindMeeting, "m")
	m, err := scanMeeting(q.QueryRowContext(ctx, "SELECT "+meetingColumns+" FROM meetings m WHERE "+cond, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return m, errs.NotFoundf("meeting", number)
	}
	return m, errs.Wrap(err, "read meeting")
}

// ParseNumber reads a meeting number from a path or an argument.
func ParseNumber(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n <= 0 {
		return 0, errs.FieldError("number", "a meeting number is a positive whole number, not %q", s)
	}
	return n, nil
}

// Get returns a meeting with every item, link, paper, decision and action
// the caller may see, and the actions carried into it.
func (s *Service) Get(ctx context.Context, c access.Caller, number int) (Meeting, error) {
	var m Meeting
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		var err error
		if m, err = findMeeting(ctx, tx, c, number); err != nil {
			return err
		}
		if err := loadAttendance(ctx, tx, &m); err != nil {
			return err
		}
		if m.Items, err = loadItems(ctx, tx, c, "i.meeting_id = ", m.ID); err != nil {
			return err
		}
		m.Carried, err = carried(ctx, tx, c, m)
		return err
	})
	if err != nil {
		return m, err
	}
	return m, s.resolveLinks(ctx, c, m.Items)
}

// resolveParties leaves an item's subject party named only for callers who
// may see the party's directory entry: an item may be more open than the
// entry of the party it is about.
func (s *Service) resolveParties(ctx context.Context, c access.Caller, items []Item) error {
	seen := map[string]bool{}
	parties := &party.Service{DB: s.DB}
	for i := range items {
		p := items[i].Party
		if p == nil {
			continue
		}
		ok, done := seen[p.Code]
		if !done {
			_, err := parties.Get(ctx, c, p.Code)
			if err != nil && !errs.Is(err, errs.NotFound) {
				return err
			}
			ok = err == nil
			seen[p.Code] = ok
		}
		if !ok {
			items[i].Party = nil
		}
	}
	return nil
}

func (s *Service) resolveLinks(ctx context.Context, c access.Caller, items []Item) error {
	if err := s.resolveParties(ctx, c, items); err != nil {
		return err
	}
	for i := range items {
		shown := []Linked{}
		for _, l := range items[i].Links {
			got, ok, err := resolve(ctx, s.DB, c, l.Kind, l.Key)
			if err != nil {
				return err
			}
			if ok {
				shown = append(shown, got)
			}
		}
		items[i].Links = shown
	}
	return nil
}

func loadAttendance(ctx context.Context, q store.Querier, m *Meeting) error {
	rows, err := q.QueryContext(ctx, "SELECT user_id, present FROM meeting_attendance WHERE meeting_id = $1", m.ID)
	if err != nil {
		return errs.Wrap(err, "read attendance")
	}
	present := map[int64]bool{}
	var ids []int64
	for rows.Next() {
		var id int64
		var p bool
		if err := rows.Scan(&id, &p); err != nil {
			rows.Close()
			return errs.Wrap(err, "read attendance")
		}
		present[id] = p
		ids = append(ids, id)
	}
	rows.Close()
	us, err := account.FindUsers(ctx, q, ids)
	if err != nil {
		return err
	}
	for _, u := range us {
		p := Person{Name: u.Name, Email: u.Email, Org: u.OrgCode}
		if present[u.ID] {
			m.Present = append(m.Present, p)
		} else {
			m.Apologies = append(m.Apologies, p)
		}
	}
	return nil
}

// ListFilter pages the list of meetings: newest first, after a number.
type ListFilter struct {
	Before int // only meetings numbered below this (the cursor)
	Limit  int
}

// List returns the meetings the caller may see, newest first, with the
// total; items are not loaded. It is the list on the paging core in its
// former shape (the CLI and the public page page by number).
func (s *Service) List(ctx context.Context, c access.Caller, f ListFilter) (Page[Meeting], error) {
	limit := f.Limit
	if limit <= 0 || limit > MaxLimit {
		limit = 50
	}
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if f.Before > 0 {
		q.Set("before", strconv.Itoa(f.Before))
	}
	req, err := MeetingSpec.Parse(q)
	if err != nil {
		return Page[Meeting]{Items: []Meeting{}}, err
	}
	p, err := s.MeetingPage(ctx, c, req)
	if err != nil {
		return Page[Meeting]{Items: []Meeting{}}, err
	}
	out := Page[Meeting]{Items: p.Items, Total: int(p.Total)}
	if f.Before > 0 {
		// The total has always counted every meeting, on every page.
		all, err := s.MeetingPage(ctx, c, MeetingSpec.First())
		if err != nil {
			return out, err
		}
		out.Total = int(all.Total)
	}
	if p.NextCursor != "" {
		out.Next = strconv.Itoa(p.Items[len(p.Items)-1].Number)
	}
	return out, nil
}

// Attendance is who was at a meeting, by email.
type Attendance struct {
	Present   []string `json:"present"`
	Apologies []string `json:"apologies"`
}

// SetAttendance records who was present and who sent apologies. The people
// present are the audience of the meeting's RED items and of its
// Confidential Minutes, so each must be cleared to be named on RED records.
func (s *Service) SetAttendance(ctx context.Context, c access.Caller, number int, in Attendance) (Meeting, error) {
	if err := mustManage(c); err != nil {
		return Meeting{}, err
	}
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		m, err := findMeeting(ctx, tx, c, number)
		if err != nil {
			return err
		}
		// The attendance is replaced: {} (or null) would silently clear it.
		// After the lookup, so that a meeting the caller may not see still
		// answers as a missing one.
		if in.Present == nil && in.Apologies == nil {
			return errs.E(errs.Invalid, "nothing to record: send present and/or apologies (an empty list clears one)")
		}
		var fields []errs.Field
		seen := map[int64]bool{}
		type row struct {
			id      int64
			present bool
		}
		var rows []row
		var present []int64
		for _, g := range []struct {
			field   string
			emails  []string
			present bool
		}{{"present", in.Present, true}, {"apologies", in.Apologies, false}} {
			for _, e := range g.emails {
				u, err := account.FindUser(ctx, tx, e)
				if err != nil || u.Disabled {
					fields = append(fields, errs.Field{Field: g.field, Message: "no active user has the email " + e})
					continue
				}
				if seen[u.ID] {
					fields = append(fields, errs.Field{Field: g.field, Message: e + " is listed twice"})
					continue
				}
				seen[u.ID] = true
				if g.present && !sec.MayBeNamedOnRed(u.Roles, u.RedCleared) {
					fields = append(fields, errs.Field{Field: g.field, Message: e + " is not cleared to read RED items, so cannot be recorded as present"})
					continue
				}
				rows = append(rows, row{u.ID, g.present})
				if g.present {
					present = append(present, u.ID)
				}
			}
		}
		if len(fields) > 0 {
			return errs.Fields("the attendance is not valid", fields...)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM meeting_attendance WHERE meeting_id = $1", m.ID); err != nil {
			return errs.Wrap(err, "set attendance")
		}
		for _, r := range rows {
			if _, err := tx.ExecContext(ctx, "INSERT INTO meeting_attendance (meeting_id, user_id, present) VALUES ($1, $2, $3)", m.ID, r.id, r.present); err != nil {
				return errs.Wrap(err, "set attendance")
			}
		}
		if err := syncAudience(ctx, tx, m.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "meeting.attendance", KindMeeting, m.ID, in)
	})
	if err != nil {
		return Meeting{}, err
	}
	return s.Get(ctx, c, number)
}

// syncAudience names the people present on every item and the minutes of a
// meeting: for a RED item they are its only readers.
func syncAudience(ctx context.Context, tx *store.Tx, meetingID int64) error {
	present, err := ids(ctx, tx, "SELECT user_id FROM meeting_attendance WHERE meeting_id = $1 AND present", meetingID)
	if err != nil {
		return err
	}
	items, err := ids(ctx, tx, "SELECT id FROM meeting_items WHERE meeting_id = $1", meetingID)
	if err != nil {
		return err
	}
	if err := audience.SetUsers(ctx, tx, KindItem, items, present); err != nil {
		return err
	}
	minutes, err := ids(ctx, tx, "SELECT id FROM meeting_minutes WHERE meeting_id = $1", meetingID)
	if err != nil {
		return err
	}
	return audience.SetUsers(ctx, tx, KindMinutes, minutes, present)
}

func ids(ctx context.Context, q store.Querier, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, errs.Wrap(err, "read ids")
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, errs.Wrap(err, "read ids")
		}
		out = append(out, id)
	}
	return out, errs.Wrap(rows.Err(), "read ids")
}

// Transition moves a meeting through its lifecycle (hold).
func (s *Service) Transition(ctx context.Context, c access.Caller, number int, event sec.MeetingEvent) (Meeting, error) {
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		m, err := findMeeting(ctx, tx, c, number)
		if err != nil {
			return err
		}
		next, err := sec.MeetingLifecycle.Next(m.Status, event, actors(c)...)
		if err != nil {
			return transitionError(err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE meetings SET status = $1, updated_at = $2 WHERE id = $3", string(next), tx.Now, m.ID); err != nil {
			return errs.Wrap(err, "move meeting")
		}
		return audit.Record(ctx, tx, "meeting."+string(event), KindMeeting, m.ID, map[string]any{"from": m.Status, "to": next})
	})
	if err != nil {
		return Meeting{}, err
	}
	return s.Get(ctx, c, number)
}

// Publish makes a held meeting's headlines public: the meeting becomes
// WHITE, and /public/meetings lists it. next is the date of the next
// meeting, printed at the foot of the headlines (optional).
func (s *Service) Publish(ctx context.Context, c access.Caller, number int, next string) (Meeting, error) {
	if err := mustManage(c); err != nil {
		return Meeting{}, err
	}
	var nd any
	if strings.TrimSpace(next) != "" {
		d, err := sec.ParseDate(next)
		if err != nil {
			return Meeting{}, errs.FieldError("next_meeting", "%v", err)
		}
		nd = d
	}
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		m, err := findMeeting(ctx, tx, c, number)
		if err != nil {
			return err
		}
		if m.Status == sec.MeetingPlanned {
			return errs.E(errs.Conflict, "meeting %d has not been held: headlines are published after the meeting", number)
		}
		if m.PublishedAt != nil {
			return errs.E(errs.Conflict, "the headlines of meeting %d were published on %s", number, uk.Date(*m.PublishedAt))
		}
		if _, err := tx.ExecContext(ctx, "UPDATE meetings SET classification = 'WHITE', published_at = $1, next_meeting = $2, updated_at = $1 WHERE id = $3",
			tx.Now, nd, m.ID); err != nil {
			return errs.Wrap(err, "publish")
		}
		return audit.Record(ctx, tx, "meeting.publish", KindMeeting, m.ID, map[string]any{"number": number})
	})
	if err != nil {
		return Meeting{}, err
	}
	return s.Get(ctx, c, number)
}
