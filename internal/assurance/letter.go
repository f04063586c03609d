package assurance

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audience"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/evidence"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Letter is a Directors' Letter: the director-signed cover letter that goes
// with a remediation plan for the SSC's approval, a PDF kept with its hash.
type Letter struct {
	ID             int64              `json:"id"`
	PlanID         int64              `json:"plan_id"`
	Director       string             `json:"director"`
	State          sec.LetterState    `json:"state"`
	Classification sec.Classification `json:"classification"`
	Name           string             `json:"name"`
	Size           int64              `json:"size"`
	SHA256         string             `json:"sha256"`
	Note           string             `json:"note,omitempty"`
	DecidedAt      *time.Time         `json:"decided_at,omitempty"`
	DecidedBy      string             `json:"decided_by,omitempty"`
	MeetingItemID  int64              `json:"meeting_item_id,omitempty"`
	UploadedAt     time.Time          `json:"uploaded_at"`
	UploadedBy     string             `json:"uploaded_by"`
	Events         []sec.LetterEvent  `json:"events,omitempty"`

	partyID int64
}

// LetterMove is the SSC's decision on a letter.
type LetterMove struct {
	Event         sec.LetterEvent `json:"event"`
	Note          string          `json:"note,omitempty"` // why it is returned (required then)
	MeetingItemID int64           `json:"meeting_item_id,omitempty"`
}

func letterVisible(c access.Caller, args *access.Args) string {
	return c.Visible(args, KindLetter, "l", "l.party_id")
}

const letterCols = `l.id, l.plan_id, l.party_id, l.director, l.state, l.classification, l.name, l.size, l.sha256, l.note,
	l.decided_at, l.decided_by, l.meeting_item_id, l.uploaded_at, l.uploaded_by`

func scanLetter(r scanner) (Letter, error) {
	var l Letter
	var decided sql.NullTime
	var meeting sql.NullInt64
	err := r.Scan(&l.ID, &l.PlanID, &l.partyID, &l.Director, &l.State, &l.Classification, &l.Name, &l.Size, &l.SHA256, &l.Note,
		&decided, &l.DecidedBy, &meeting, &l.UploadedAt, &l.UploadedBy)
	if decided.Valid {
		t := decided.Time.UTC()
		l.DecidedAt = &t
	}
	l.MeetingItemID = meeting.Int64
	l.UploadedAt = l.UploadedAt.UTC()
	return l, err
}

func lettersOf(ctx context.Context, q store.Querier, c access.Caller, planID int64) ([]Letter, error) {
	var args access.Args
	rows, err := q.QueryContext(ctx, "SELECT "+letterCols+" FROM directors_letters l WHERE l.plan_id = "+args.Add(planID)+
		" AND "+letterVisible(c, &args)+" ORDER BY l.id", args...)
	if err != nil {
		return nil, errs.Wrap(err, "letters")
	}
	defer rows.Close()
	var out []Letter
	for rows.Next() {
		l, err := scanLetter(rows)
		if err != nil {
			return nil, errs.Wrap(err, "letters")
		}
		l.Events = sec.LetterLifecycle.Events(l.State, actorsFor(c, Assessment{partyID: l.partyID})...)
		out = append(out, l)
	}
	return out, errs.Wrap(rows.Err(), "letters")
}

// SubmitLetter uploads a Directors' Letter for a plan: the party, as a
// signed PDF (at most evidence.MaxSize), with the director's name. A
// returned letter is replaced by a new one, never edited.
func (s *Service) SubmitLetter(ctx context.Context, c access.Caller, planID int64, director, name string, body io.Reader) (Letter, error) {
	director, f := checkText("director", director, true)
	if f != nil {
		f.Message = "required: the name of the director who signed the letter"
		return Letter{}, errs.Fields("the letter is not valid", *f)
	}
	file, err := evidence.Read(name, body)
	if err != nil {
		return Letter{}, err
	}
	if file.MediaType != evidence.PDF {
		return Letter{}, errs.FieldError("file", "a Directors' Letter must be a signed PDF; %s is %s", file.Name, file.MediaType)
	}
	var l Letter
	err = s.DB.Write(ctx, c, func(tx *store.Tx) error {
		p, err := s.findPlan(ctx, tx, c, planID)
		if err != nil {
			return err
		}
		if !slices.Contains(planActors(c, p), sec.ActorOwner) {
			return errs.E(errs.Forbidden, "only the party whose plan it is submits its Directors' Letter")
		}
		if !p.State.IsOpen() {
			return errs.E(errs.Conflict, "remediation plan %d is %s", p.ID, p.State)
		}
		var pending int
		tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM directors_letters WHERE plan_id = $1 AND state IN ('submitted', 'approved')", p.ID).Scan(&pending)
		if pending > 0 {
			return errs.E(errs.Conflict, "remediation plan %d already has a Directors' Letter submitted or approved", p.ID)
		}
		var id int64
		err = tx.QueryRowContext(ctx, `INSERT INTO directors_letters (plan_id, party_id, director, state, classification, name, media_type, size, sha256,
			content, uploaded_at, uploaded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
			p.ID, p.partyID, director, string(sec.LetterLifecycle.Initial()), string(p.Classification), file.Name, file.MediaType, file.Size,
			file.SHA256, file.Content, tx.Now, c.Name).Scan(&id)
		if err != nil {
			return errs.Wrap(err, "store letter")
		}
		if err := audience.Copy(ctx, tx, KindPlan, p.ID, KindLetter, id); err != nil {
			return errs.Wrap(err, "letter audience")
		}
		if err := addUpdate(ctx, tx, p.ID, "letter", fmt.Sprintf("Directors' Letter signed by %s (%s, SHA-256 %s)", director, file.Name, file.SHA256)); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, "letter.submit", KindLetter, id, struct {
			Plan                   int64
			Director, Name, SHA256 string
		}{p.ID, director, file.Name, file.SHA256}); err != nil {
			return err
		}
		l, err = scanLetter(tx.QueryRowContext(ctx, "SELECT "+letterCols+" FROM directors_letters l WHERE l.id = $1", id))
		return errs.Wrap(err, "read letter")
	})
	return l, err
}

// MoveLetter records the SSC's decision on a letter: approved, or returned
// with a reason.
func (s *Service) MoveLetter(ctx context.Context, c access.Caller, letterID int64, m LetterMove) (Letter, error) {
	note, f := checkText("note", m.Note, m.Event == sec.LetterReturn)
	if f != nil {
		f.Message = "required: why the letter is returned"
		return Letter{}, errs.Fields("the decision is not valid", *f)
	}
	var l Letter
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		var args access.Args
		var err error
		l, err = scanLetter(tx.QueryRowContext(ctx, "SELECT "+letterCols+" FROM directors_letters l WHERE l.id = "+args.Add(letterID)+
			" AND "+letterVisible(c, &args), args...))
		if err == sql.ErrNoRows {
			return errs.NotFoundf("Directors' Letter", letterID)
		}
		if err != nil {
			return errs.Wrap(err, "read letter")
		}
		to, err := sec.LetterLifecycle.Next(l.State, m.Event, actorsFor(c, Assessment{partyID: l.partyID})...)
		if err != nil {
			return transitionError(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE directors_letters SET state = $1, note = $2, decided_at = $3, decided_by = $4, meeting_item_id = $5
			WHERE id = $6`, string(to), note, tx.Now, c.Name, nullID(m.MeetingItemID), l.ID); err != nil {
			return errs.Wrap(err, "decide letter")
		}
		if err := addUpdate(ctx, tx, l.PlanID, "letter_"+string(m.Event), strings.TrimSpace("Directors' Letter "+string(to)+". "+note)); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, "letter."+string(m.Event), KindLetter, l.ID, struct{ From, To, Note string }{string(l.State), string(to), note}); err != nil {
			return err
		}
		l, err = scanLetter(tx.QueryRowContext(ctx, "SELECT "+letterCols+" FROM directors_letters l WHERE l.id = $1", l.ID))
		return errs.Wrap(err, "read letter")
	})
	return l, err
}

// LetterFile returns a letter's PDF, if the caller may see the letter.
func (s *Service) LetterFile(ctx context.Context, c access.Caller, letterID int64) (Letter, []byte, error) {
	var args access.Args
	var content []byte
	row := s.DB.QueryRowContext(ctx, "SELECT "+letterCols+", l.content FROM directors_letters l WHERE l.id = "+args.Add(letterID)+
		" AND "+letterVisible(c, &args), args...)
	var l Letter
	var decided sql.NullTime
	var meeting sql.NullInt64
	err := row.Scan(&l.ID, &l.PlanID, &l.partyID, &l.Director, &l.State, &l.Classification, &l.Name, &l.Size, &l.SHA256, &l.Note,
		&decided, &l.DecidedBy, &meeting, &l.UploadedAt, &l.UploadedBy, &content)
	if err == sql.ErrNoRows {
		return l, nil, errs.NotFoundf("Directors' Letter", letterID)
	}
	return l, content, errs.Wrap(err, "read letter")
}
