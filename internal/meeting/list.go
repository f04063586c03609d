package meeting

import (
	"context"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// The meeting lists on the paging core (issue 15): meetings, the action
// tracker, standing items, a meeting's minutes and the pseudonyms. Each is
// a listing.Spec (what the list accepts) and a listing.Query (its SQL as the
// caller sees it); the service pages, counts and exports through them.

// MeetingSpec is what the list of meetings accepts: newest first, sorted by
// number, date, place or state, filtered by state, by the type of an item
// the caller may see, by publication and by the day held.
var MeetingSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "number", Label: "Meeting", Expr: "m.number", Kind: listing.Int},
		{Name: "held_on", Label: "Date", Expr: "m.held_on", Kind: listing.Date},
		{Name: "place", Label: "Place", Expr: "m.place", Kind: listing.Text},
		{Name: "state", Label: "Status", Expr: "m.status", Kind: listing.Text},
	},
	Default: "-number",
	ID:      "m.id",
	Facets: []listing.Facet{
		{Name: "state", Description: "only meetings in this state", Enum: listing.Enum(sec.MeetingLifecycle.States())},
		{Name: "kind", Description: "only meetings with an agenda item of this type that the caller may see", Enum: listing.Enum(sec.ItemTypes)},
		{Name: "published", Description: "true for meetings whose headlines are published, false for the others", Type: "boolean"},
		{Name: "before", Description: "the former cursor: only meetings numbered below this (use cursor instead)", Type: "integer"},
	},
	Search: "the meeting's number or reference (67, SSC_67), its place, or the title of an agenda item the caller may see",
	Dates:  "the day the meeting was held",
}

// MeetingCSVHeader is the header of the meeting list's CSV export.
var MeetingCSVHeader = []string{"number", "reference", "held_on", "starts", "ends", "place", "status", "classification", "published_at", "next_meeting"}

// CSV is the meeting as a row of the export (ISO dates).
func (m Meeting) CSV() []string {
	pub := ""
	if m.PublishedAt != nil {
		pub = m.PublishedAt.UTC().Format(time.RFC3339)
	}
	next := ""
	if !m.NextMeeting.IsZero() {
		next = m.NextMeeting.String()
	}
	return []string{strconv.Itoa(m.Number), m.Reference, m.HeldOn.String(), m.Starts, m.Ends, m.Place, string(m.Status),
		string(m.Classification), pub, next}
}

// queryNumber reads a meeting number from a search: "67", "SSC_67",
// "SSC 67", "SSC_67_2811".
func queryNumber(q string) (int, bool) {
	s := strings.ToUpper(strings.TrimSpace(q))
	s = strings.TrimLeft(strings.TrimPrefix(s, "SSC"), "_ ")
	if i := strings.IndexAny(s, "_ "); i > 0 {
		s = s[:i]
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0
}

func meetingWhere(c access.Caller, args *access.Args, req listing.Request) string {
	where := []string{c.Visible(args, KindMeeting, "m")}
	if v := req.Facet("state"); v != "" {
		where = append(where, "m.status = "+args.Add(v))
	}
	if v := req.Facet("kind"); v != "" {
		where = append(where, "EXISTS (SELECT 1 FROM meeting_items ki WHERE ki.meeting_id = m.id AND ki.item_type = "+args.Add(v)+
			" AND "+c.Visible(args, KindItem, "ki", "ki.party_id")+")")
	}
	if b := req.Bool("published"); b != nil {
		if *b {
			where = append(where, "m.published_at IS NOT NULL")
		} else {
			where = append(where, "m.published_at IS NULL")
		}
	}
	if v := req.Facet("before"); v != "" {
		n, _ := strconv.ParseInt(v, 10, 64)
		where = append(where, "m.number < "+args.Add(n))
	}
	if req.Q != "" {
		like := args.Add(listing.Like(req.Q))
		or := []string{"lower(m.place) LIKE " + like + " ESCAPE '\\'",
			"EXISTS (SELECT 1 FROM meeting_items qi WHERE qi.meeting_id = m.id AND lower(qi.title) LIKE " + like + " ESCAPE '\\' AND " +
				c.Visible(args, KindItem, "qi", "qi.party_id") + ")"}
		if n, ok := queryNumber(req.Q); ok {
			or = append(or, "m.number = "+args.Add(n))
		}
		where = append(where, "("+strings.Join(or, " OR ")+")")
	}
	if !req.From.IsZero() {
		where = append(where, "m.held_on >= "+args.Add(req.From))
	}
	if !req.To.IsZero() {
		where = append(where, "m.held_on <= "+args.Add(req.To))
	}
	return strings.Join(where, " AND ")
}

func meetingQuery(c access.Caller) listing.Query[Meeting] {
	return listing.Query[Meeting]{
		What:    "list meetings",
		Columns: func(*access.Args) string { return meetingColumns },
		From:    " FROM meetings m",
		Where:   func(args *access.Args, req listing.Request) string { return meetingWhere(c, args, req) },
		Scan:    func(r listing.Scanner) (Meeting, error) { return scanMeeting(r) },
		Key: func(m Meeting, req listing.Request) (any, int64) {
			switch req.Sort.Name {
			case "held_on":
				return m.HeldOn, m.ID
			case "place":
				return m.Place, m.ID
			case "state":
				return string(m.Status), m.ID
			}
			return int64(m.Number), m.ID
		},
	}
}

// MeetingPage is one page of the meetings the caller may see (without
// their items), with the total the filters match.
func (s *Service) MeetingPage(ctx context.Context, c access.Caller, req listing.Request) (listing.Page[Meeting], error) {
	var page listing.Page[Meeting]
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		var err error
		page, err = meetingQuery(c).Page(ctx, tx, req)
		return err
	})
	return page, err
}

// ExportMeetings writes every meeting the caller may see that the filters
// match to w, row by row.
func (s *Service) ExportMeetings(ctx context.Context, c access.Caller, req listing.Request, w listing.Writer) error {
	return s.DB.Read(ctx, c, func(tx *store.Tx) error {
		return meetingQuery(c).Export(ctx, tx, req, w, Meeting.CSV)
	})
}

// Action states the tracker filters by: the stored states and "overdue",
// open past its due date.
const ActionOverdue = "overdue"

// noDue sorts actions without a due date after every dated one.
var noDue = sec.NewDate(9999, time.December, 31)

// ActionSpec is what the action tracker accepts, across meetings or for
// one: sorted by meeting, due date, owner or state; filtered by state
// (open, overdue, done, closed), owner, meeting, the meeting it was carried
// into, and the due date.
var ActionSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "id", Label: "Action", Expr: "a.id", Kind: listing.Int},
		{Name: "meeting", Label: "Meeting", Expr: "m.number", Kind: listing.Int},
		{Name: "due", Label: "Due", Expr: "COALESCE(a.due, '" + noDue.String() + "')", Kind: listing.Date},
		{Name: "owner", Label: "Owner", Expr: "a.owner", Kind: listing.Text},
		{Name: "state", Label: "Status", Expr: "a.status", Kind: listing.Text},
	},
	Default: "id",
	ID:      "a.id",
	Facets: []listing.Facet{
		{Name: "state", Description: "open, overdue (open past its due date, on today's date in London), done or closed",
			Enum: []string{string(sec.ActionOpen), ActionOverdue, string(sec.ActionDone), string(sec.ActionClosed)}},
		{Name: "owner", Description: "only actions owned by this organisation code or name (as recorded, any case)"},
		{Name: "meeting", Description: "only actions arising at the meeting with this number", Type: "integer"},
		{Name: "carried_into", Description: "only the actions carried into the meeting with this number: of earlier meetings, still open when it was held", Type: "integer"},
		{Name: "status", Description: "the former name of state (open, done or closed); state wins when both are given",
			Enum: []string{string(sec.ActionOpen), string(sec.ActionDone), string(sec.ActionClosed)}},
	},
	Search: "text in the action or its owner",
	Dates:  "the action's due date",
}

// ActionCSVHeader is the header of the action tracker's CSV export.
var ActionCSVHeader = []string{"id", "reference", "meeting", "item_position", "item_id", "classification", "text", "owner", "due", "status", "completed_on", "note"}

// CSV is the action as a row of the export (ISO dates).
func (a Action) CSV() []string {
	day := func(d sec.Date) string {
		if d.IsZero() {
			return ""
		}
		return d.String()
	}
	return []string{strconv.FormatInt(a.ID, 10), a.Reference(), strconv.Itoa(a.Meeting), strconv.Itoa(a.Position), strconv.FormatInt(a.ItemID, 10),
		string(a.Classification), a.Text, a.Owner, day(a.Due), string(a.Status), day(a.CompletedOn), a.Note}
}

// overdueCond is the SQL of an open action past its due date on day; the
// dashboard's count and the tracker's overdue filter share it.
func overdueCond(args *access.Args, day sec.Date) string {
	return "(a.status = 'open' AND a.due IS NOT NULL AND a.due < " + args.Add(day) + ")"
}

func actionWhere(c access.Caller, args *access.Args, req listing.Request, day sec.Date) string {
	where := []string{c.Visible(args, KindItem, "i", "i.party_id")}
	state := req.Facet("state")
	if state == "" {
		state = req.Facet("status")
	}
	switch state {
	case "":
	case ActionOverdue:
		where = append(where, overdueCond(args, day))
	default:
		where = append(where, "a.status = "+args.Add(state))
	}
	if v := strings.TrimSpace(req.Facet("owner")); v != "" {
		where = append(where, "lower(a.owner) = "+args.Add(strings.ToLower(v)))
	}
	if v := req.Facet("meeting"); v != "" {
		n, _ := strconv.ParseInt(v, 10, 64)
		where = append(where, "m.number = "+args.Add(n))
	}
	if v := req.Facet("carried_into"); v != "" {
		n, _ := strconv.ParseInt(v, 10, 64)
		held := "(SELECT ci.held_on FROM meetings ci WHERE ci.number = " + args.Add(n) + ")"
		where = append(where, "m.held_on < "+held+" AND (a.status = 'open' OR a.completed_on >= "+held+")")
	}
	if req.Q != "" {
		like := args.Add(listing.Like(req.Q))
		where = append(where, "(lower(a.body) LIKE "+like+" ESCAPE '\\' OR lower(a.owner) LIKE "+like+" ESCAPE '\\')")
	}
	if !req.From.IsZero() {
		where = append(where, "a.due >= "+args.Add(req.From))
	}
	if !req.To.IsZero() {
		where = append(where, "a.due <= "+args.Add(req.To))
	}
	return strings.Join(where, " AND ")
}

const actionFrom = " FROM meeting_actions a JOIN meeting_items i ON i.id = a.item_id JOIN meetings m ON m.id = i.meeting_id"

func actionQuery(c access.Caller, day sec.Date) listing.Query[Action] {
	return listing.Query[Action]{
		What:    "list actions",
		Columns: func(*access.Args) string { return actionColumns + ", m.number, i.position, i.classification" },
		From:    actionFrom,
		Where:   func(args *access.Args, req listing.Request) string { return actionWhere(c, args, req, day) },
		Scan: func(r listing.Scanner) (Action, error) {
			var a Action
			err := r.Scan(&a.ID, &a.ItemID, &a.Text, &a.Owner, &a.Due, &a.Status, &a.Note, &a.CompletedOn, &a.Meeting, &a.Position, &a.Classification)
			return a, err
		},
		Key: func(a Action, req listing.Request) (any, int64) {
			switch req.Sort.Name {
			case "meeting":
				return int64(a.Meeting), a.ID
			case "due":
				if a.Due.IsZero() {
					return noDue, a.ID
				}
				return a.Due, a.ID
			case "owner":
				return a.Owner, a.ID
			case "state":
				return string(a.Status), a.ID
			}
			return a.ID, a.ID
		},
	}
}

// ActionPage is one page of the action tracker as the caller sees it, with
// the total the filters match; day is today in London, against which an
// action is overdue.
func (s *Service) ActionPage(ctx context.Context, c access.Caller, req listing.Request, day sec.Date) (listing.Page[Action], error) {
	var page listing.Page[Action]
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		var err error
		page, err = actionQuery(c, day).Page(ctx, tx, req)
		return err
	})
	return page, err
}

// ExportActions writes every action the caller may see that the filters
// match to w, row by row.
func (s *Service) ExportActions(ctx context.Context, c access.Caller, req listing.Request, day sec.Date, w listing.Writer) error {
	return s.DB.Read(ctx, c, func(tx *store.Tx) error {
		return actionQuery(c, day).Export(ctx, tx, req, w, Action.CSV)
	})
}

// StandingSpec is what the list of standing items accepts: the latest
// first, sorted by day, kind, title or state; filtered by kind, state,
// marking, party and the day it occurred.
var StandingSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "id", Label: "Item", Expr: "si.id", Kind: listing.Int},
		{Name: "occurred_on", Label: "Occurred", Expr: "si.occurred_on", Kind: listing.Date},
		{Name: "kind", Label: "Kind", Expr: "si.kind", Kind: listing.Text},
		{Name: "title", Label: "Title", Expr: "si.title", Kind: listing.Text},
		{Name: "state", Label: "Status", Expr: "si.status", Kind: listing.Text},
	},
	Default: "-occurred_on",
	ID:      "si.id",
	Facets: []listing.Facet{
		{Name: "kind", Description: "only standing items of this kind", Enum: standingKinds()},
		{Name: "state", Description: "only open or only closed items", Enum: []string{"open", "closed"}},
		{Name: "classification", Description: "only items with this marking", Enum: listing.Enum(sec.Classifications)},
		{Name: "party", Description: "only items concerning this organisation (its code)"},
		{Name: "open", Description: "true for open items only (the former filter; use state=open)", Type: "boolean"},
	},
	Search: "text in the item's title or what happened",
	Dates:  "the day it occurred",
}

func standingKinds() []string {
	out := make([]string, len(StandingKinds))
	for i, k := range StandingKinds {
		out[i] = string(k)
	}
	return out
}

// StandingCSVHeader is the header of the standing items' CSV export.
var StandingCSVHeader = []string{"id", "kind", "party", "title", "what", "occurred_on", "impact", "status", "classification", "reported_at", "reported_by"}

// CSV is the standing item as a row of the export (ISO dates).
func (it StandingItem) CSV() []string {
	party := ""
	if it.Party != nil {
		party = it.Party.Code
	}
	return []string{strconv.FormatInt(it.ID, 10), string(it.Kind), party, it.Title, it.What, it.OccurredOn.String(), it.Impact, string(it.Status),
		string(it.Classification), it.ReportedAt.UTC().Format(time.RFC3339), it.ReportedBy}
}

func standingWhere(c access.Caller, args *access.Args, req listing.Request) string {
	where := []string{c.Visible(args, KindStanding, "si", "si.party_id")}
	if v := req.Facet("kind"); v != "" {
		where = append(where, "si.kind = "+args.Add(v))
	}
	if v := req.Facet("state"); v != "" {
		where = append(where, "si.status = "+args.Add(v))
	}
	if b := req.Bool("open"); b != nil && *b {
		where = append(where, "si.status = 'open'")
	}
	if v := req.Facet("classification"); v != "" {
		where = append(where, "si.classification = "+args.Add(v))
	}
	if v := strings.ToUpper(strings.TrimSpace(req.Facet("party"))); v != "" {
		// standingRequest has made the code of a party the caller may not
		// see match nothing.
		where = append(where, "si.party_id = (SELECT po.id FROM organisations po WHERE po.code = "+args.Add(v)+")")
	}
	if req.Q != "" {
		like := args.Add(listing.Like(req.Q))
		where = append(where, "(lower(si.title) LIKE "+like+" ESCAPE '\\' OR lower(si.what) LIKE "+like+" ESCAPE '\\')")
	}
	if !req.From.IsZero() {
		where = append(where, "si.occurred_on >= "+args.Add(req.From))
	}
	if !req.To.IsZero() {
		where = append(where, "si.occurred_on <= "+args.Add(req.To))
	}
	return strings.Join(where, " AND ")
}

func standingQuery(c access.Caller) listing.Query[StandingItem] {
	return listing.Query[StandingItem]{
		What: "list standing items",
		Columns: func(*access.Args) string {
			return "si.id, si.kind, si.party_id, si.title, si.what, si.occurred_on, si.impact, si.status, si.classification, si.reported_at, si.reported_by"
		},
		From:  " FROM standing_items si",
		Where: func(args *access.Args, req listing.Request) string { return standingWhere(c, args, req) },
		Scan:  scanStanding,
		Key: func(it StandingItem, req listing.Request) (any, int64) {
			switch req.Sort.Name {
			case "occurred_on":
				return it.OccurredOn, it.ID
			case "kind":
				return string(it.Kind), it.ID
			case "title":
				return it.Title, it.ID
			case "state":
				return it.Status, it.ID
			}
			return it.ID, it.ID
		},
	}
}

func scanStanding(r listing.Scanner) (StandingItem, error) {
	var it StandingItem
	var pid *int64
	err := r.Scan(&it.ID, &it.Kind, &pid, &it.Title, &it.What, &it.OccurredOn, &it.Impact, &it.Status, &it.Classification, &it.ReportedAt, &it.ReportedBy)
	it.KindLabel, it.ReportedAt = it.Kind.Label(), it.ReportedAt.UTC()
	if pid != nil {
		it.partyID = *pid
	}
	return it, err
}

// StandingPage is one page of the standing items the caller may see, with
// the total the filters match; the party an item concerns is named only to
// callers who may see the party's directory entry.
func (s *Service) StandingPage(ctx context.Context, c access.Caller, req listing.Request) (listing.Page[StandingItem], error) {
	var page listing.Page[StandingItem]
	req, err := s.standingRequest(ctx, c, req)
	if err != nil {
		return page, err
	}
	err = s.DB.Read(ctx, c, func(tx *store.Tx) error {
		var err error
		page, err = standingQuery(c).Page(ctx, tx, req)
		return err
	})
	if err != nil {
		return page, err
	}
	name, err := s.partyNamer(ctx, c)
	if err != nil {
		return page, err
	}
	for i := range page.Items {
		name(&page.Items[i])
	}
	return page, nil
}

// ExportStanding writes every standing item the caller may see that the
// filters match to w, row by row.
func (s *Service) ExportStanding(ctx context.Context, c access.Caller, req listing.Request, w listing.Writer) error {
	req, err := s.standingRequest(ctx, c, req)
	if err != nil {
		return err
	}
	name, err := s.partyNamer(ctx, c)
	if err != nil {
		return err
	}
	return s.DB.Read(ctx, c, func(tx *store.Tx) error {
		return standingQuery(c).Each(ctx, tx, req.Export(), func(it StandingItem) error {
			name(&it)
			return w.Row(it.CSV(), it)
		})
	})
}

// partyNamer names the party of a standing item for callers who may see the
// party's directory entry, and leaves it unnamed for the others.
func (s *Service) partyNamer(ctx context.Context, c access.Caller) (func(*StandingItem), error) {
	ix, err := party.LoadIndex(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	parties := &party.Service{DB: s.DB}
	seen := map[int64]bool{}
	return func(it *StandingItem) {
		ref, ok := ix.ID(it.partyID)
		if !ok {
			return
		}
		vis, done := seen[it.partyID]
		if !done {
			_, err := parties.Get(ctx, c, ref.Code)
			vis, seen[it.partyID] = err == nil, err == nil
		}
		if vis {
			it.Party = &PartyRef{Code: ref.Code, Name: ref.Name}
		}
	}, nil
}

// standingRequest makes a party filter the caller may not apply match
// nothing: an item's party is named only to callers who may see the party,
// so filtering by one they may not see must not tell them more.
func (s *Service) standingRequest(ctx context.Context, c access.Caller, req listing.Request) (listing.Request, error) {
	code := strings.ToUpper(strings.TrimSpace(req.Facet("party")))
	if code == "" {
		return req, nil
	}
	_, err := (&party.Service{DB: s.DB}).Get(ctx, c, code)
	switch {
	case errs.Is(err, errs.NotFound):
		facets := maps.Clone(req.Facets)
		facets["party"] = "-" // no organisation has this code
		req.Facets = facets
	case err != nil:
		return req, err
	}
	return req, nil
}

// ActionDay is today in London by the service's clock: the day against
// which an action is overdue, for the tracker and the dashboard alike.
func (s *Service) ActionDay() sec.Date { return sec.UKDay(s.DB.Now()) }

// MinutesSpec is what the list of a meeting's minutes accepts: every
// version the caller may see, by kind then version, filtered by kind and
// state. A meeting has few versions, but each correction adds one and each
// carries its whole text, so the list is paged like the others.
var MinutesSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "kind", Label: "Minutes", Expr: "mm.kind", Kind: listing.Text},
		{Name: "version", Label: "Version", Expr: "mm.version", Kind: listing.Int},
		{Name: "state", Label: "Status", Expr: "mm.status", Kind: listing.Text},
	},
	Default: "kind",
	ID:      "mm.id",
	Facets: []listing.Facet{
		{Name: "kind", Description: "draft (the Draft Minutes, GREEN) or confidential (the Confidential Minutes, RED)", Enum: []string{string(DraftMinutes), string(ConfidentialMinutes)}},
		{Name: "state", Description: "only versions in this state", Enum: listing.Enum(sec.MinutesLifecycle.States())},
	},
	Limit: 100,
}

// MinutesCSVHeader is the header of the minutes' CSV export.
var MinutesCSVHeader = []string{"id", "meeting", "kind", "version", "classification", "status", "approved_at", "approved_at_meeting", "reason", "body"}

// CSV is the version as a row of the export (ISO dates).
func (mn Minutes) CSV() []string {
	at := ""
	if mn.ApprovedAt != nil {
		at = mn.ApprovedAt.UTC().Format(time.RFC3339)
	}
	approvedAt := ""
	if mn.ApprovedAtMeeting > 0 {
		approvedAt = strconv.Itoa(mn.ApprovedAtMeeting)
	}
	return []string{strconv.FormatInt(mn.ID, 10), strconv.Itoa(mn.Meeting), string(mn.Kind), strconv.Itoa(mn.Version), string(mn.Classification),
		string(mn.Status), at, approvedAt, mn.Reason, mn.Body}
}

func minutesQuery(c access.Caller, meetingID int64) listing.Query[Minutes] {
	return listing.Query[Minutes]{
		What:    "list minutes",
		Columns: func(*access.Args) string { return minutesColumns },
		From:    " FROM meeting_minutes mm JOIN meetings m ON m.id = mm.meeting_id",
		Where: func(args *access.Args, req listing.Request) string {
			where := []string{"mm.meeting_id = " + args.Add(meetingID), c.Visible(args, KindMinutes, "mm")}
			if v := req.Facet("kind"); v != "" {
				where = append(where, "mm.kind = "+args.Add(v))
			}
			if v := req.Facet("state"); v != "" {
				where = append(where, "mm.status = "+args.Add(v))
			}
			return strings.Join(where, " AND ")
		},
		Scan: func(r listing.Scanner) (Minutes, error) { return scanMinutes(r) },
		Key: func(mn Minutes, req listing.Request) (any, int64) {
			switch req.Sort.Name {
			case "version":
				return int64(mn.Version), mn.ID
			case "state":
				return string(mn.Status), mn.ID
			}
			return string(mn.Kind), mn.ID
		},
	}
}

// MinutesPage is one page of the versions of a meeting's minutes the
// caller may see, with the total; a meeting the caller may not see is not
// found.
func (s *Service) MinutesPage(ctx context.Context, c access.Caller, number int, req listing.Request) (listing.Page[Minutes], error) {
	var page listing.Page[Minutes]
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		m, err := findMeeting(ctx, tx, c, number)
		if err != nil {
			return err
		}
		page, err = minutesQuery(c, m.ID).Page(ctx, tx, req)
		return err
	})
	return page, err
}

// ExportMinutes writes every version of a meeting's minutes the caller may
// see that the filters match to w.
func (s *Service) ExportMinutes(ctx context.Context, c access.Caller, number int, req listing.Request, w listing.Writer) error {
	return s.DB.Read(ctx, c, func(tx *store.Tx) error {
		m, err := findMeeting(ctx, tx, c, number)
		if err != nil {
			return err
		}
		return minutesQuery(c, m.ID).Export(ctx, tx, req, w, Minutes.CSV)
	})
}

// PseudonymSpec is what the list of pseudonyms accepts: by label or by
// organisation code, searched by either.
var PseudonymSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "label", Label: "Pseudonym", Expr: "p.label", Kind: listing.Text},
		{Name: "org", Label: "Organisation", Expr: "o.code", Kind: listing.Text},
	},
	Default: "label",
	ID:      "p.org_id",
	Search:  "text in the pseudonym or the organisation's code",
}

// PseudonymCSVHeader is the header of the pseudonyms' CSV export.
var PseudonymCSVHeader = []string{"org", "label", "subject"}

// CSV is the pseudonym as a row of the export.
func (p Pseudonym) CSV() []string { return []string{p.Org, p.Label, p.Subject} }

// pseudonymRow is a pseudonym with the id its cursor needs.
type pseudonymRow struct {
	Pseudonym
	orgID int64
}

func pseudonymQuery(ix party.Index) listing.Query[pseudonymRow] {
	return listing.Query[pseudonymRow]{
		What:    "list pseudonyms",
		Columns: func(*access.Args) string { return "p.org_id, p.label, o.code" },
		From:    " FROM meeting_pseudonyms p JOIN organisations o ON o.id = p.org_id",
		Where: func(args *access.Args, req listing.Request) string {
			if req.Q == "" {
				return "TRUE"
			}
			like := args.Add(listing.Like(req.Q))
			return "(lower(p.label) LIKE " + like + " ESCAPE '\\' OR lower(o.code) LIKE " + like + " ESCAPE '\\')"
		},
		Scan: func(r listing.Scanner) (pseudonymRow, error) {
			var p pseudonymRow
			err := r.Scan(&p.orgID, &p.Label, &p.Org)
			ref, _ := ix.ID(p.orgID)
			p.Subject = sec.Subject(subjectRole(ref), p.Label)
			return p, err
		},
		Key: func(p pseudonymRow, req listing.Request) (any, int64) {
			if req.Sort.Name == "org" {
				return p.Org, p.orgID
			}
			return p.Label, p.orgID
		},
	}
}

// PseudonymPage is one page of the parties' pseudonyms (SSC and
// secretariat only: the list is the key to the headlines).
func (s *Service) PseudonymPage(ctx context.Context, c access.Caller, req listing.Request) (listing.Page[Pseudonym], error) {
	var out listing.Page[Pseudonym]
	if err := mustManage(c); err != nil {
		return out, err
	}
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		ix, err := party.LoadIndex(ctx, tx)
		if err != nil {
			return err
		}
		p, err := pseudonymQuery(ix).Page(ctx, tx, req)
		out = listing.Page[Pseudonym]{Items: make([]Pseudonym, len(p.Items)), Total: p.Total, NextCursor: p.NextCursor,
			PrevCursor: p.PrevCursor, Limit: p.Limit, Sort: p.Sort}
		for i, x := range p.Items {
			out.Items[i] = x.Pseudonym
		}
		return err
	})
	return out, err
}

// ExportPseudonyms writes every pseudonym the filters match to w (SSC and
// secretariat only).
func (s *Service) ExportPseudonyms(ctx context.Context, c access.Caller, req listing.Request, w listing.Writer) error {
	if err := mustManage(c); err != nil {
		return err
	}
	return s.DB.Read(ctx, c, func(tx *store.Tx) error {
		ix, err := party.LoadIndex(ctx, tx)
		if err != nil {
			return err
		}
		return pseudonymQuery(ix).Each(ctx, tx, req.Export(), func(p pseudonymRow) error { return w.Row(p.CSV(), p.Pseudonym) })
	})
}
