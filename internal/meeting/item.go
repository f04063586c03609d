package meeting

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

const itemColumns = "i.id, m.number, i.position, i.item_type, i.classification, i.title, i.body, i.discussion, i.party_id"

// loadItems reads the items the caller may see where col equals v, in
// agenda order, with their decisions, actions, papers and (unresolved)
// links.
func loadItems(ctx context.Context, q store.Querier, c access.Caller, col string, v any) ([]Item, error) {
	var args access.Args
	cond := col + args.Add(v) + " AND " + c.Visible(&args, KindItem, "i", "i.party_id")
	rows, err := q.QueryContext(ctx, "SELECT "+itemColumns+" FROM meeting_items i JOIN meetings m ON m.id = i.meeting_id WHERE "+
		cond+" ORDER BY m.number, i.position", args...)
	if err != nil {
		return nil, errs.Wrap(err, "read items")
	}
	items := []Item{}
	byID := map[int64]int{}
	for rows.Next() {
		var it Item
		var pid sql.NullInt64
		if err := rows.Scan(&it.ID, &it.Meeting, &it.Position, &it.Type, &it.Classification, &it.Title, &it.Text, &it.Discussion, &pid); err != nil {
			rows.Close()
			return nil, errs.Wrap(err, "read items")
		}
		it.TypeLabel = it.Type.Label()
		it.partyID = pid.Int64
		it.Links, it.Papers, it.Decisions, it.Actions = []Linked{}, []Paper{}, []Decision{}, []Action{}
		byID[it.ID] = len(items)
		items = append(items, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(items) == 0 {
		return items, errs.Wrap(err, "read items")
	}
	ix, err := party.LoadIndex(ctx, q)
	if err != nil {
		return nil, err
	}
	var in access.Args
	ph := make([]string, len(items))
	for i, it := range items {
		ph[i] = in.Add(it.ID)
		if it.partyID != 0 {
			if ref, ok := ix.ID(it.partyID); ok {
				items[i].Party = &PartyRef{Code: ref.Code, Name: ref.Name}
			}
		}
	}
	list := "(" + strings.Join(ph, ", ") + ")"
	each := func(query string, scan func(*sql.Rows) error) error {
		rows, err := q.QueryContext(ctx, query, in...)
		if err != nil {
			return errs.Wrap(err, "read items")
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return errs.Wrap(err, "read items")
			}
		}
		return errs.Wrap(rows.Err(), "read items")
	}
	err = each("SELECT id, item_id, verb, body, created_at, created_by FROM meeting_decisions WHERE item_id IN "+list+" ORDER BY id", func(r *sql.Rows) error {
		var d Decision
		var item int64
		err := r.Scan(&d.ID, &item, &d.Verb, &d.Text, &d.CreatedAt, &d.CreatedBy)
		d.CreatedAt = d.CreatedAt.UTC()
		it := &items[byID[item]]
		it.Decisions = append(it.Decisions, d)
		return err
	})
	if err != nil {
		return nil, err
	}
	err = each("SELECT "+actionColumns+" FROM meeting_actions a WHERE a.item_id IN "+list+" ORDER BY a.id", func(r *sql.Rows) error {
		a, err := scanAction(r)
		it := &items[byID[a.ItemID]]
		a.Meeting, a.Position, a.Classification = it.Meeting, it.Position, it.Classification
		it.Actions = append(it.Actions, a)
		return err
	})
	if err != nil {
		return nil, err
	}
	err = each("SELECT id, item_id, name, media_type, size, sha256, uploaded_at, uploaded_by FROM meeting_papers WHERE item_id IN "+list+" ORDER BY id", func(r *sql.Rows) error {
		var p Paper
		err := r.Scan(&p.ID, &p.ItemID, &p.Name, &p.MediaType, &p.Size, &p.SHA256, &p.UploadedAt, &p.UploadedBy)
		p.UploadedAt = p.UploadedAt.UTC()
		it := &items[byID[p.ItemID]]
		it.Papers = append(it.Papers, p)
		return err
	})
	if err != nil {
		return nil, err
	}
	err = each("SELECT item_id, record_kind, record_key FROM meeting_item_links WHERE item_id IN "+list+" ORDER BY record_kind, record_key", func(r *sql.Rows) error {
		var l Linked
		var item int64
		err := r.Scan(&item, &l.Kind, &l.Key)
		it := &items[byID[item]]
		it.Links = append(it.Links, l)
		return err
	})
	return items, err
}

const actionColumns = "a.id, a.item_id, a.body, a.owner, a.due, a.status, a.note, a.completed_on"

func scanAction(r interface{ Scan(...any) error }) (Action, error) {
	var a Action
	err := r.Scan(&a.ID, &a.ItemID, &a.Text, &a.Owner, &a.Due, &a.Status, &a.Note, &a.CompletedOn)
	return a, err
}

// carried lists the actions of earlier meetings still open when m was held
// (open now, or completed on or after its date): the matters arising the
// secretariat would otherwise copy by hand.
func carried(ctx context.Context, q store.Querier, c access.Caller, m Meeting) ([]Action, error) {
	var args access.Args
	cond := "m.held_on < " + args.Add(m.HeldOn) + " AND (a.status = 'open' OR a.completed_on >= " + args.Add(m.HeldOn) +
		") AND " + c.Visible(&args, KindItem, "i", "i.party_id")
	return queryActions(ctx, q, cond, "ORDER BY m.number, i.position, a.id", args)
}

func queryActions(ctx context.Context, q store.Querier, cond, order string, args access.Args) ([]Action, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+actionColumns+", m.number, i.position, i.classification FROM meeting_actions a "+
		"JOIN meeting_items i ON i.id = a.item_id JOIN meetings m ON m.id = i.meeting_id WHERE "+cond+" "+order, args...)
	if err != nil {
		return nil, errs.Wrap(err, "read actions")
	}
	defer rows.Close()
	out := []Action{}
	for rows.Next() {
		var a Action
		if err := rows.Scan(&a.ID, &a.ItemID, &a.Text, &a.Owner, &a.Due, &a.Status, &a.Note, &a.CompletedOn,
			&a.Meeting, &a.Position, &a.Classification); err != nil {
			return nil, errs.Wrap(err, "read actions")
		}
		out = append(out, a)
	}
	return out, errs.Wrap(rows.Err(), "read actions")
}

// NewItem is an agenda item to add.
type NewItem struct {
	Type           string `json:"type"`
	Classification string `json:"classification"`
	Title          string `json:"title"`
	Text           string `json:"text,omitempty"`
	Discussion     string `json:"discussion,omitempty"`
	// Party is the subject party's code, if the item is about one.
	Party string `json:"party,omitempty"`
}

// maxText bounds an item's free text.
const maxText = 100_000

func checkText(fields *[]errs.Field, name, v string, required bool) string {
	v = strings.TrimSpace(v)
	switch {
	case required && v == "":
		*fields = append(*fields, errs.Field{Field: name, Message: "is required"})
	case !utf8.ValidString(v):
		*fields = append(*fields, errs.Field{Field: name, Message: "is not valid UTF-8"})
	case strings.ContainsRune(v, 0):
		*fields = append(*fields, errs.Field{Field: name, Message: "contains a NUL character"})
	case len(v) > maxText:
		*fields = append(*fields, errs.Field{Field: name, Message: "is too long (at most 100,000 bytes)"})
	}
	return v
}

// AddItem adds an item at the end of a meeting's agenda. The colour is
// required: it is the item's classification, and there is no default.
func (s *Service) AddItem(ctx context.Context, c access.Caller, number int, in NewItem) (Item, error) {
	if err := mustManage(c); err != nil {
		return Item{}, err
	}
	var fields []errs.Field
	t, err := sec.ParseItemType(in.Type)
	if err != nil {
		fields = append(fields, errs.Field{Field: "type", Message: err.Error()})
	}
	var class sec.Classification
	if strings.TrimSpace(in.Classification) == "" {
		fields = append(fields, errs.Field{Field: "classification", Message: "every item needs a colour: WHITE, GREEN, AMBER or RED"})
	} else if class, err = sec.ParseClassification(in.Classification); err != nil {
		fields = append(fields, errs.Field{Field: "classification", Message: err.Error()})
	}
	title := checkText(&fields, "title", in.Title, true)
	body := checkText(&fields, "text", in.Text, false)
	disc := checkText(&fields, "discussion", in.Discussion, false)
	if len(fields) > 0 {
		return Item{}, errs.Fields("the item is not valid", fields...)
	}
	var id int64
	err = s.DB.Write(ctx, c, func(tx *store.Tx) error {
		m, err := findMeeting(ctx, tx, c, number)
		if err != nil {
			return err
		}
		if m.Status == sec.MeetingMinutesApproved {
			return errs.E(errs.Conflict, "the minutes of meeting %d are approved: its agenda is closed", number)
		}
		var partyID any
		if code := strings.ToUpper(strings.TrimSpace(in.Party)); code != "" {
			p, err := party.LoadIndex(ctx, tx)
			if err != nil {
				return err
			}
			ref, ok := p.Code(code)
			if !ok {
				return errs.FieldError("party", "no organisation has the code %s", code)
			}
			if _, err := pseudonym(ctx, tx, ref); err != nil {
				return err
			}
			partyID = ref.ID
		}
		var pos int
		tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(position), 0) + 1 FROM meeting_items WHERE meeting_id = $1", m.ID).Scan(&pos)
		err = tx.QueryRowContext(ctx, `INSERT INTO meeting_items (meeting_id, position, item_type, classification, title, body, discussion, party_id, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id`, m.ID, pos, string(t), string(class), title, body, disc, partyID, tx.Now).Scan(&id)
		if err != nil {
			return errs.Wrap(err, "add item")
		}
		if err := syncAudience(ctx, tx, m.ID); err != nil {
			return err
		}
		if err := touch(ctx, tx, m.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "meeting_item.create", KindItem, id, in)
	})
	if err != nil {
		return Item{}, err
	}
	return s.Item(ctx, c, id)
}

// Item returns one item the caller may see.
func (s *Service) Item(ctx context.Context, c access.Caller, id int64) (Item, error) {
	items, err := loadItems(ctx, s.DB, c, "i.id = ", id)
	if err != nil {
		return Item{}, err
	}
	if len(items) == 0 {
		return Item{}, errs.NotFoundf("agenda item", id)
	}
	if err := s.resolveLinks(ctx, c, items); err != nil {
		return Item{}, err
	}
	return items[0], nil
}

// itemState is what a change to an item needs to know of it.
type itemState struct {
	id, meetingID int64
	meetingState  sec.MeetingState
	number        int
	class         sec.Classification
	itemType      sec.ItemType
	heldOn        sec.Date
}

// findItem reads an item the caller may see, for a change to it.
func findItem(ctx context.Context, q store.Querier, c access.Caller, id int64) (itemState, error) {
	var args access.Args
	cond := "i.id = " + args.Add(id) + " AND " + c.Visible(&args, KindItem, "i", "i.party_id")
	var st itemState
	err := q.QueryRowContext(ctx, `SELECT i.id, m.id, m.status, m.number, i.classification, i.item_type, m.held_on
		FROM meeting_items i JOIN meetings m ON m.id = i.meeting_id WHERE `+cond, args...).
		Scan(&st.id, &st.meetingID, &st.meetingState, &st.number, &st.class, &st.itemType, &st.heldOn)
	if errors.Is(err, sql.ErrNoRows) {
		return st, errs.NotFoundf("agenda item", id)
	}
	return st, errs.Wrap(err, "read item")
}

// ItemChange edits an item; nil fields stay as they are.
type ItemChange struct {
	Title          *string `json:"title,omitempty"`
	Text           *string `json:"text,omitempty"`
	Discussion     *string `json:"discussion,omitempty"`
	Classification *string `json:"classification,omitempty"`
}

// UpdateItem edits an item of a meeting whose minutes are not yet approved.
func (s *Service) UpdateItem(ctx context.Context, c access.Caller, id int64, in ItemChange) (Item, error) {
	if err := mustManage(c); err != nil {
		return Item{}, err
	}
	var fields []errs.Field
	sets := []string{}
	var args access.Args
	if in.Title != nil {
		sets = append(sets, "title = "+args.Add(checkText(&fields, "title", *in.Title, true)))
	}
	if in.Text != nil {
		sets = append(sets, "body = "+args.Add(checkText(&fields, "text", *in.Text, false)))
	}
	if in.Discussion != nil {
		sets = append(sets, "discussion = "+args.Add(checkText(&fields, "discussion", *in.Discussion, false)))
	}
	if in.Classification != nil {
		class, err := sec.ParseClassification(*in.Classification)
		if err != nil {
			fields = append(fields, errs.Field{Field: "classification", Message: err.Error()})
		}
		sets = append(sets, "classification = "+args.Add(string(class)))
	}
	if len(fields) > 0 {
		return Item{}, errs.Fields("the change is not valid", fields...)
	}
	if len(sets) == 0 {
		// After the lookup, so that an item the caller may not see still
		// answers as a missing one (as party and arrangement PATCH do).
		if _, err := s.Item(ctx, c, id); err != nil {
			return Item{}, err
		}
		return Item{}, errs.E(errs.Invalid, "nothing to change: send at least one of title, text, discussion, classification")
	}
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		st, err := findItem(ctx, tx, c, id)
		if err != nil {
			return err
		}
		if st.meetingState == sec.MeetingMinutesApproved {
			return errs.E(errs.Conflict, "the minutes of meeting %d are approved: its items can no longer change", st.number)
		}
		q := "UPDATE meeting_items SET " + strings.Join(sets, ", ") + ", updated_at = " + args.Add(tx.Now) + " WHERE id = " + args.Add(id)
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return errs.Wrap(err, "update item")
		}
		if err := touch(ctx, tx, st.meetingID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "meeting_item.update", KindItem, id, in)
	})
	if err != nil {
		return Item{}, err
	}
	return s.Item(ctx, c, id)
}

// NewDecision is a decision on an item.
type NewDecision struct {
	Verb string `json:"verb"`
	Text string `json:"text,omitempty"`
}

// AddDecision records what the SSC decided on an item.
func (s *Service) AddDecision(ctx context.Context, c access.Caller, itemID int64, in NewDecision) (Item, error) {
	if err := mustManage(c); err != nil {
		return Item{}, err
	}
	var fields []errs.Field
	verb, err := sec.ParseVerb(in.Verb)
	if err != nil {
		fields = append(fields, errs.Field{Field: "verb", Message: err.Error()})
	}
	text := checkText(&fields, "text", in.Text, false)
	if len(fields) > 0 {
		return Item{}, errs.Fields("the decision is not valid", fields...)
	}
	err = s.DB.Write(ctx, c, func(tx *store.Tx) error {
		st, err := findItem(ctx, tx, c, itemID)
		if err != nil {
			return err
		}
		if st.meetingState == sec.MeetingMinutesApproved {
			return errs.E(errs.Conflict, "the minutes of meeting %d are approved: no decision can be added", st.number)
		}
		var id int64
		if err := tx.QueryRowContext(ctx, "INSERT INTO meeting_decisions (item_id, verb, body, created_at, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id",
			itemID, string(verb), text, tx.Now, c.Name).Scan(&id); err != nil {
			return errs.Wrap(err, "add decision")
		}
		if err := touch(ctx, tx, st.meetingID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "meeting_item.decide", KindItem, itemID, map[string]any{"decision": id, "verb": verb, "text": text})
	})
	if err != nil {
		return Item{}, err
	}
	return s.Item(ctx, c, itemID)
}

// NewAction is an action arising from an item.
type NewAction struct {
	Text  string `json:"text"`
	Owner string `json:"owner"`
	Due   string `json:"due,omitempty"`
}

// AddAction records an action on an item; it stays open, and is carried
// into later meetings, until completed or closed.
func (s *Service) AddAction(ctx context.Context, c access.Caller, itemID int64, in NewAction) (Item, error) {
	if err := mustManage(c); err != nil {
		return Item{}, err
	}
	var fields []errs.Field
	text := checkText(&fields, "text", in.Text, true)
	owner := checkText(&fields, "owner", in.Owner, true)
	var due any
	if strings.TrimSpace(in.Due) != "" {
		d, err := sec.ParseDate(in.Due)
		if err != nil {
			fields = append(fields, errs.Field{Field: "due", Message: err.Error()})
		}
		due = d
	}
	if len(fields) > 0 {
		return Item{}, errs.Fields("the action is not valid", fields...)
	}
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		if _, err := findItem(ctx, tx, c, itemID); err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO meeting_actions (item_id, body, owner, due, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, 'open', $5, $5) RETURNING id`, itemID, text, owner, due, tx.Now).Scan(&id); err != nil {
			return errs.Wrap(err, "add action")
		}
		return audit.Record(ctx, tx, "meeting_action.create", KindItem, itemID, map[string]any{"action": id, "in": in})
	})
	if err != nil {
		return Item{}, err
	}
	return s.Item(ctx, c, itemID)
}

// MoveAction completes, closes or reopens an action.
func (s *Service) MoveAction(ctx context.Context, c access.Caller, id int64, event sec.ActionEvent, note string) (Action, error) {
	var out Action
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		var args access.Args
		cond := "a.id = " + args.Add(id) + " AND " + c.Visible(&args, KindItem, "i", "i.party_id")
		as, err := queryActions(ctx, tx, cond, "", args)
		if err != nil {
			return err
		}
		if len(as) == 0 {
			return errs.NotFoundf("action", id)
		}
		a := as[0]
		next, err := sec.ActionLifecycle.Next(a.Status, event, actors(c)...)
		if err != nil {
			return transitionError(err)
		}
		note = strings.TrimSpace(note)
		if event == sec.ActionEventClose && note == "" {
			return errs.FieldError("note", "say why the action is closed without being done")
		}
		var done any
		if next == sec.ActionDone {
			done = sec.UKDay(tx.Now)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE meeting_actions SET status = $1, note = $2, completed_on = $3, updated_at = $4 WHERE id = $5",
			string(next), note, done, tx.Now, id); err != nil {
			return errs.Wrap(err, "move action")
		}
		if err := audit.Record(ctx, tx, "meeting_action."+string(event), KindItem, a.ItemID, map[string]any{"action": id, "to": next}); err != nil {
			return err
		}
		as, err = queryActions(ctx, tx, "a.id = $1", "", access.Args{id})
		if err == nil {
			out = as[0]
		}
		return err
	})
	return out, err
}

// touch marks a meeting as changed, for anything its headlines show (items,
// decisions): the cached headlines are keyed by this time.
func touch(ctx context.Context, tx *store.Tx, meetingID int64) error {
	_, err := tx.ExecContext(ctx, "UPDATE meetings SET updated_at = $1 WHERE id = $2", tx.Now, meetingID)
	return errs.Wrap(err, "touch meeting")
}
