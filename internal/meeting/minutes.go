package meeting

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/uk"
)

// MinutesKind is which of a meeting's two sets of minutes a text is.
type MinutesKind string

// The two sets of minutes, approved separately (seeds/003 item 2).
const (
	// DraftMinutes record the GREEN and WHITE items; GREEN.
	DraftMinutes MinutesKind = "draft"
	// ConfidentialMinutes record every item; RED to the people present.
	ConfidentialMinutes MinutesKind = "confidential"
)

// Label is the kind as the SSC names it.
func (k MinutesKind) Label() string {
	if k == ConfidentialMinutes {
		return "Confidential Draft Minutes"
	}
	return "Draft Minutes"
}

func (k MinutesKind) classification() sec.Classification {
	if k == ConfidentialMinutes {
		return sec.Red
	}
	return sec.Green
}

// Minutes is one version of one set of a meeting's minutes.
type Minutes struct {
	ID             int64              `json:"id"`
	Meeting        int                `json:"meeting"`
	Kind           MinutesKind        `json:"kind"`
	Label          string             `json:"label"`
	Version        int                `json:"version"`
	Classification sec.Classification `json:"classification"`
	Status         sec.MinutesState   `json:"status"`
	Body           string             `json:"body"`
	Reason         string             `json:"reason,omitempty"`
	ApprovedAt     *time.Time         `json:"approved_at,omitempty"`
	// ApprovedAtMeeting is the number of the meeting whose minutes-approval
	// item approved this version.
	ApprovedAtMeeting int `json:"approved_at_meeting,omitempty"`
}

const minutesColumns = `mm.id, m.number, mm.kind, mm.version, mm.classification, mm.status, mm.body, mm.reason, mm.approved_at,
	COALESCE((SELECT am.number FROM meeting_items ai JOIN meetings am ON am.id = ai.meeting_id WHERE ai.id = mm.approved_by_item), 0)`

func scanMinutes(r interface{ Scan(...any) error }) (Minutes, error) {
	var mn Minutes
	var at sql.NullTime
	err := r.Scan(&mn.ID, &mn.Meeting, &mn.Kind, &mn.Version, &mn.Classification, &mn.Status, &mn.Body, &mn.Reason, &at, &mn.ApprovedAtMeeting)
	if at.Valid {
		t := at.Time.UTC()
		mn.ApprovedAt = &t
	}
	mn.Label = mn.Kind.Label()
	return mn, err
}

func queryMinutes(ctx context.Context, q store.Querier, c access.Caller, cond string, args access.Args) ([]Minutes, error) {
	cond += " AND " + c.Visible(&args, KindMinutes, "mm")
	rows, err := q.QueryContext(ctx, "SELECT "+minutesColumns+" FROM meeting_minutes mm JOIN meetings m ON m.id = mm.meeting_id WHERE "+
		cond+" ORDER BY mm.kind, mm.version", args...)
	if err != nil {
		return nil, errs.Wrap(err, "read minutes")
	}
	defer rows.Close()
	out := []Minutes{}
	for rows.Next() {
		mn, err := scanMinutes(rows)
		if err != nil {
			return nil, errs.Wrap(err, "read minutes")
		}
		out = append(out, mn)
	}
	return out, errs.Wrap(rows.Err(), "read minutes")
}

// MinutesOf lists every version of a meeting's minutes the caller may see.
func (s *Service) MinutesOf(ctx context.Context, c access.Caller, number int) ([]Minutes, error) {
	m, err := findMeeting(ctx, s.DB, c, number)
	if err != nil {
		return nil, err
	}
	return queryMinutes(ctx, s.DB, c, "mm.meeting_id = $1", access.Args{m.ID})
}

// GetMinutes returns one version the caller may see.
func (s *Service) GetMinutes(ctx context.Context, c access.Caller, id int64) (Minutes, error) {
	ms, err := queryMinutes(ctx, s.DB, c, "mm.id = $1", access.Args{id})
	if err != nil {
		return Minutes{}, err
	}
	if len(ms) == 0 {
		return Minutes{}, errs.NotFoundf("minutes", id)
	}
	return ms[0], nil
}

// GenerateMinutes writes the first version of both sets of minutes of a
// held meeting from its items, for the secretariat to edit.
func (s *Service) GenerateMinutes(ctx context.Context, c access.Caller, number int) ([]Minutes, error) {
	if err := mustManage(c); err != nil {
		return nil, err
	}
	m, err := s.Get(ctx, access.SystemCaller("minutes"), number)
	if err != nil {
		return nil, err
	}
	err = s.DB.Write(ctx, c, func(tx *store.Tx) error {
		if _, err := findMeeting(ctx, tx, c, number); err != nil {
			return err
		}
		if m.Status == sec.MeetingPlanned {
			return errs.E(errs.Conflict, "meeting %d has not been held: minutes are written after the meeting", number)
		}
		var n int
		tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM meeting_minutes WHERE meeting_id = $1", m.ID).Scan(&n)
		if n > 0 {
			return errs.E(errs.Conflict, "the minutes of meeting %d have been generated already: edit them instead", number)
		}
		for _, k := range []MinutesKind{DraftMinutes, ConfidentialMinutes} {
			var id int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO meeting_minutes (meeting_id, kind, version, classification, status, body, created_at, updated_at)
				VALUES ($1, $2, 1, $3, 'draft', $4, $5, $5) RETURNING id`, m.ID, string(k), string(k.classification()), MinutesText(m, k), tx.Now).Scan(&id); err != nil {
				return errs.Wrap(err, "write minutes")
			}
			if err := audit.Record(ctx, tx, "meeting_minutes.generate", KindMinutes, id, map[string]any{"meeting": number, "kind": k}); err != nil {
				return err
			}
		}
		return syncAudience(ctx, tx, m.ID)
	})
	if err != nil {
		return nil, err
	}
	return s.MinutesOf(ctx, c, number)
}

// MinutesText drafts one set of minutes from a meeting read in full.
func MinutesText(m Meeting, k MinutesKind) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s of the SSC meeting held on %s", m.Reference, k.Label(), uk.Day(m.HeldOn.Time()))
	if m.Starts != "" {
		fmt.Fprintf(&b, ", %s – %s", m.Starts, m.Ends)
	}
	fmt.Fprintf(&b, ", %s.\n\nClassification: %s.\n\nPresent: ", m.Place, k.classification())
	names := func(ps []Person) string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Name+" ("+p.Org+")")
		}
		if len(out) == 0 {
			return "none recorded"
		}
		return strings.Join(out, ", ")
	}
	fmt.Fprintf(&b, "%s.\nApologies: %s.\n", names(m.Present), names(m.Apologies))
	if len(m.Carried) > 0 {
		b.WriteString("\nMatters arising: actions carried from earlier meetings\n")
		for _, a := range m.Carried {
			if k == DraftMinutes && !sec.InDraftMinutes(a.Classification) {
				continue
			}
			fmt.Fprintf(&b, "- %s %s (owner: %s; %s)\n", a.Reference(), a.Text, a.Owner, a.Status)
		}
	}
	for _, it := range m.Items {
		if k == DraftMinutes && !sec.InDraftMinutes(it.Classification) {
			fmt.Fprintf(&b, "\n%d. Recorded in the Confidential Minutes (%s).\n", it.Position, it.Classification)
			continue
		}
		fmt.Fprintf(&b, "\n%d. %s (%s)\n", it.Position, it.Title, it.Classification)
		if it.Party != nil && k == ConfidentialMinutes {
			fmt.Fprintf(&b, "Subject: %s (%s)\n", it.Party.Name, it.Party.Code)
		}
		for _, t := range []string{it.Text, it.Discussion} {
			if t != "" {
				fmt.Fprintf(&b, "%s\n", t)
			}
		}
		for _, d := range it.Decisions {
			fmt.Fprintf(&b, "The SSC %s %s\n", d.Verb, d.Text)
		}
		for _, a := range it.Actions {
			due := ""
			if !a.Due.IsZero() {
				due = ", due " + uk.Day(a.Due.Time())
			}
			fmt.Fprintf(&b, "ACTION %s: %s (owner: %s%s)\n", a.Reference(), a.Text, a.Owner, due)
		}
	}
	return b.String()
}

// findMinutes reads a version the caller may see, for a change.
func findMinutes(ctx context.Context, tx *store.Tx, c access.Caller, id int64) (Minutes, int64, error) {
	ms, err := queryMinutes(ctx, tx, c, "mm.id = $1", access.Args{id})
	if err != nil {
		return Minutes{}, 0, err
	}
	if len(ms) == 0 {
		return Minutes{}, 0, errs.NotFoundf("minutes", id)
	}
	var meetingID int64
	err = tx.QueryRowContext(ctx, "SELECT meeting_id FROM meeting_minutes WHERE id = $1", id).Scan(&meetingID)
	return ms[0], meetingID, errs.Wrap(err, "read minutes")
}

// EditMinutes replaces the text of a draft version. Approved minutes never
// change.
func (s *Service) EditMinutes(ctx context.Context, c access.Caller, id int64, body string) (Minutes, error) {
	var fields []errs.Field
	body = checkText(&fields, "body", body, true)
	if len(fields) > 0 {
		return Minutes{}, errs.Fields("the minutes are not valid", fields...)
	}
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		mn, _, err := findMinutes(ctx, tx, c, id)
		if err != nil {
			return err
		}
		if _, err := sec.MinutesLifecycle.Next(mn.Status, sec.MinutesEventEdit, actors(c)...); err != nil {
			if mn.Status == sec.MinutesApproved {
				return errs.E(errs.Conflict, "the %s of meeting %d version %d are approved and cannot be edited: make a correction (a new version with a reason)",
					mn.Label, mn.Meeting, mn.Version)
			}
			return transitionError(err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE meeting_minutes SET body = $1, updated_at = $2 WHERE id = $3", body, tx.Now, id); err != nil {
			return errs.Wrap(err, "edit minutes")
		}
		return audit.Record(ctx, tx, "meeting_minutes.edit", KindMinutes, id, map[string]any{"body": audit.Digest(body)})
	})
	if err != nil {
		return Minutes{}, err
	}
	return s.GetMinutes(ctx, c, id)
}

// ApproveMinutes approves a draft version at a later meeting, through that
// meeting's minutes-approval item, which records the decision. When both
// sets of a meeting's minutes are approved, so is the meeting.
func (s *Service) ApproveMinutes(ctx context.Context, c access.Caller, id, itemID int64) (Minutes, error) {
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		mn, meetingID, err := findMinutes(ctx, tx, c, id)
		if err != nil {
			return err
		}
		if mn.Status == sec.MinutesApproved {
			return errs.E(errs.Conflict, "the %s of meeting %d version %d were approved already (at meeting %d)", mn.Label, mn.Meeting, mn.Version, mn.ApprovedAtMeeting)
		}
		if _, err := sec.MinutesLifecycle.Next(mn.Status, sec.MinutesEventApprove, actors(c)...); err != nil {
			return transitionError(err)
		}
		it, err := findItem(ctx, tx, c, itemID)
		if err != nil {
			return errs.FieldError("item_id", "no agenda item %d", itemID)
		}
		var heldOn sec.Date
		tx.QueryRowContext(ctx, "SELECT held_on FROM meetings WHERE id = $1", meetingID).Scan(&heldOn)
		switch {
		case it.itemType != sec.ItemMinutesApproval:
			return errs.FieldError("item_id", "item %d is a %s item: minutes are approved under a minutes-approval item", itemID, it.itemType.Label())
		case !it.heldOn.After(heldOn):
			return errs.FieldError("item_id", "minutes are approved by a later meeting; meeting %d is not later than meeting %d", it.number, mn.Meeting)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE meeting_minutes SET status = 'approved', approved_by_item = $1, approved_at = $2, updated_at = $2 WHERE id = $3",
			itemID, tx.Now, id); err != nil {
			return errs.Wrap(err, "approve minutes")
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO meeting_decisions (item_id, verb, body, created_at, created_by) VALUES ($1, 'APPROVED', $2, $3, $4)",
			itemID, fmt.Sprintf("the %s of meeting %d (version %d).", mn.Label, mn.Meeting, mn.Version), tx.Now, c.Name); err != nil {
			return errs.Wrap(err, "record decision")
		}
		if err := touch(ctx, tx, it.meetingID); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, "meeting_minutes.approve", KindMinutes, id, map[string]any{"item": itemID}); err != nil {
			return err
		}
		return meetingApproved(ctx, tx, c, meetingID)
	})
	if err != nil {
		return Minutes{}, err
	}
	return s.GetMinutes(ctx, c, id)
}

// meetingApproved moves a held meeting on once both sets of its minutes have
// had a version approved (a later correction does not undo the approval).
func meetingApproved(ctx context.Context, tx *store.Tx, c access.Caller, meetingID int64) error {
	var kinds int
	var status sec.MeetingState
	tx.QueryRowContext(ctx, "SELECT COUNT(DISTINCT kind) FROM meeting_minutes WHERE meeting_id = $1 AND approved_at IS NOT NULL", meetingID).Scan(&kinds)
	tx.QueryRowContext(ctx, "SELECT status FROM meetings WHERE id = $1", meetingID).Scan(&status)
	if kinds < 2 || status != sec.MeetingHeld {
		return nil
	}
	next, err := sec.MeetingLifecycle.Next(status, sec.MeetingEventApproveMinutes, actors(c)...)
	if err != nil {
		return transitionError(err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE meetings SET status = $1, updated_at = $2 WHERE id = $3", string(next), tx.Now, meetingID); err != nil {
		return errs.Wrap(err, "move meeting")
	}
	return audit.Record(ctx, tx, "meeting.approve_minutes", KindMeeting, meetingID, map[string]any{"to": next})
}

// CorrectMinutes supersedes an approved version with a new draft version
// carrying the reason; the approved text is kept as it was.
func (s *Service) CorrectMinutes(ctx context.Context, c access.Caller, id int64, body, reason string) (Minutes, error) {
	var fields []errs.Field
	body = checkText(&fields, "body", body, true)
	reason = checkText(&fields, "reason", reason, true)
	if len(fields) > 0 {
		return Minutes{}, errs.Fields("the correction is not valid", fields...)
	}
	var newID int64
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		mn, meetingID, err := findMinutes(ctx, tx, c, id)
		if err != nil {
			return err
		}
		next, err := sec.MinutesLifecycle.Next(mn.Status, sec.MinutesEventCorrect, actors(c)...)
		if err != nil {
			return transitionError(err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE meeting_minutes SET status = $1, updated_at = $2 WHERE id = $3", string(next), tx.Now, id); err != nil {
			return errs.Wrap(err, "correct minutes")
		}
		var v int
		tx.QueryRowContext(ctx, "SELECT MAX(version) FROM meeting_minutes WHERE meeting_id = $1 AND kind = $2", meetingID, string(mn.Kind)).Scan(&v)
		if err := tx.QueryRowContext(ctx, `INSERT INTO meeting_minutes (meeting_id, kind, version, classification, status, body, reason, created_at, updated_at)
			VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, $7) RETURNING id`, meetingID, string(mn.Kind), v+1, string(mn.Classification), body, reason, tx.Now).Scan(&newID); err != nil {
			return errs.Wrap(err, "correct minutes")
		}
		if err := syncAudience(ctx, tx, meetingID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "meeting_minutes.correct", KindMinutes, newID, map[string]any{"corrects": id, "reason": reason})
	})
	if err != nil {
		return Minutes{}, err
	}
	return s.GetMinutes(ctx, c, newID)
}
