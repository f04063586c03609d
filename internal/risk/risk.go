// Package risk is the SSC's risk register: risks with an owner, likelihood
// and impact (score = likelihood × impact, in a band), treatment and review
// date; the Likelihood Definitions and scoring bands, which are data the SSC
// edits (seed 003: the SSC "discussed the probability percentages assigned to
// the Likelihood Definitions"); and the history of every change. The register
// is AMBER to the SSC: every query carries access.Caller.Visible. It owns the
// tables of migration 0920 and touches no other area's.
package risk

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audience"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Kind names risks in the audience tables and the audit trail.
const Kind = "risk"

func init() { audience.Kinds[Kind] = audience.Kind{Table: "ssc_risks"} }

// Service runs the register.
type Service struct{ DB *store.DB }

// Risk is one entry of the register.
type Risk struct {
	ID             int64              `json:"id"`
	Title          string             `json:"title"`
	Description    string             `json:"description,omitempty"`
	Owner          string             `json:"owner"`
	Likelihood     int                `json:"likelihood"`
	Impact         int                `json:"impact"`
	Score          int                `json:"score"`
	Band           string             `json:"band"`
	Treatment      string             `json:"treatment,omitempty"`
	ReviewDate     sec.Date           `json:"review_date"`
	Classification sec.Classification `json:"classification"`
	MeetingItemID  int64              `json:"meeting_item_id,omitempty"`
	UpdatedAt      time.Time          `json:"updated_at"`
}

// Likelihood is one Likelihood Definition: a level 1 to 5 with its label,
// description and probability band [MinPct, MaxPct) per year.
type Likelihood struct {
	Level       int     `json:"level"`
	Label       string  `json:"label"`
	Description string  `json:"description"`
	MinPct      float64 `json:"min_pct"`
	MaxPct      float64 `json:"max_pct"`
}

// Band is a range of scores with a name and a colour.
type Band struct {
	Name     string `json:"name"`
	MinScore int    `json:"min_score"`
	MaxScore int    `json:"max_score"`
	Colour   string `json:"colour"`
}

// Change is one entry of the register's history.
type Change struct {
	At    time.Time  `json:"at"`
	Actor string     `json:"actor"`
	Kind  ChangeKind `json:"kind"`
	Item  string     `json:"item"`
	Field string     `json:"field"`
	Old   string     `json:"old"`
	New   string     `json:"new"`
}

// Definitions are the register's scales and their history.
type Definitions struct {
	Likelihoods []Likelihood `json:"likelihoods"`
	Bands       []Band       `json:"bands"`
	History     []Change     `json:"history"`
}

// Register is the risks the caller may see, with the scales to read them.
type Register struct {
	Total       int          `json:"total"`
	Risks       []Risk       `json:"risks"`
	Likelihoods []Likelihood `json:"likelihoods"`
	Bands       []Band       `json:"bands"`
}

// BandOf names the band a score falls in.
func BandOf(bands []Band, score int) Band {
	for _, b := range bands {
		if score >= b.MinScore && score <= b.MaxScore {
			return b
		}
	}
	return Band{Name: "unbanded", Colour: "#757575"}
}

// MayEdit reports whether the caller keeps the risk register and its
// definitions: the SSC, its secretariat and the system. Every write and
// Definitions decide with it; the register page asks it whether to offer the
// forms and the definitions.
func MayEdit(c access.Caller) bool { return c.System || c.IsSSC() }

// List returns the register as the caller may see it: every risk whose
// classification admits the caller (AMBER: the SSC and named organisations),
// ordered by score, highest first.
func (s *Service) List(ctx context.Context, c access.Caller) (Register, error) {
	reg := Register{Risks: []Risk{}}
	if !c.SignedIn() {
		return reg, errs.E(errs.Unauthenticated, "sign in to see the risk register")
	}
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		var err error
		if reg.Likelihoods, reg.Bands, err = scales(ctx, tx); err != nil {
			return err
		}
		var args access.Args
		rows, err := tx.QueryContext(ctx, `SELECT r.id, r.title, r.description, r.owner, r.likelihood, r.impact, r.treatment, r.review_date,
			r.classification, r.meeting_item_id, r.updated_at FROM ssc_risks r WHERE `+c.Visible(&args, Kind, "r")+
			` ORDER BY r.likelihood * r.impact DESC, r.id`, args...)
		if err != nil {
			return errs.Wrap(err, "risks")
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanRisk(rows, reg.Bands)
			if err != nil {
				return errs.Wrap(err, "risks")
			}
			reg.Risks = append(reg.Risks, r)
		}
		reg.Total = len(reg.Risks)
		return errs.Wrap(rows.Err(), "risks")
	})
	return reg, err
}

type scanner interface{ Scan(...any) error }

func scanRisk(r scanner, bands []Band) (Risk, error) {
	var k Risk
	var meeting sql.NullInt64
	if err := r.Scan(&k.ID, &k.Title, &k.Description, &k.Owner, &k.Likelihood, &k.Impact, &k.Treatment, &k.ReviewDate,
		&k.Classification, &meeting, &k.UpdatedAt); err != nil {
		return k, err
	}
	k.MeetingItemID = meeting.Int64
	k.UpdatedAt = k.UpdatedAt.UTC()
	k.Score = k.Likelihood * k.Impact
	k.Band = BandOf(bands, k.Score).Name
	return k, nil
}

func scales(ctx context.Context, q store.Querier) ([]Likelihood, []Band, error) {
	rows, err := q.QueryContext(ctx, "SELECT level, label, description, min_pct, max_pct FROM risk_likelihoods ORDER BY level")
	if err != nil {
		return nil, nil, errs.Wrap(err, "likelihoods")
	}
	var ls []Likelihood
	for rows.Next() {
		var l Likelihood
		if err := rows.Scan(&l.Level, &l.Label, &l.Description, &l.MinPct, &l.MaxPct); err != nil {
			rows.Close()
			return nil, nil, errs.Wrap(err, "likelihoods")
		}
		ls = append(ls, l)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, "SELECT name, min_score, max_score, colour FROM risk_bands ORDER BY min_score")
	if err != nil {
		return nil, nil, errs.Wrap(err, "bands")
	}
	defer rows.Close()
	var bs []Band
	for rows.Next() {
		var b Band
		if err := rows.Scan(&b.Name, &b.MinScore, &b.MaxScore, &b.Colour); err != nil {
			return nil, nil, errs.Wrap(err, "bands")
		}
		bs = append(bs, b)
	}
	return ls, bs, errs.Wrap(rows.Err(), "bands")
}

// Input is a new risk, or a risk's new values.
type Input struct {
	Title          string `json:"title"`
	Description    string `json:"description,omitempty"`
	Owner          string `json:"owner"`
	Likelihood     int    `json:"likelihood"`
	Impact         int    `json:"impact"`
	Treatment      string `json:"treatment,omitempty"`
	ReviewDate     string `json:"review_date"`
	Classification string `json:"classification,omitempty"`
	MeetingItemID  int64  `json:"meeting_item_id,omitempty"`
}

type checked struct {
	title, desc, owner, treatment string
	l, i                          int
	review                        sec.Date
	class                         sec.Classification
}

func check(in Input) (checked, error) {
	var c checked
	var fields []errs.Field
	text := func(field, v string, required bool) string {
		v = strings.TrimSpace(v)
		if required && v == "" {
			fields = append(fields, errs.Field{Field: field, Message: "required"})
		} else if !utf8.ValidString(v) {
			fields = append(fields, errs.Field{Field: field, Message: "is not valid UTF-8"})
		} else if strings.ContainsRune(v, 0) {
			fields = append(fields, errs.Field{Field: field, Message: "contains a NUL character"})
		} else if utf8.RuneCountInString(v) > 4000 {
			fields = append(fields, errs.Field{Field: field, Message: "is too long (at most 4000 characters)"})
		}
		return v
	}
	c.title, c.desc, c.owner, c.treatment = text("title", in.Title, true), text("description", in.Description, false),
		text("owner", in.Owner, true), text("treatment", in.Treatment, false)
	if in.Likelihood < 1 || in.Likelihood > 5 {
		fields = append(fields, errs.Field{Field: "likelihood", Message: "want 1 (rare) to 5 (almost certain)"})
	}
	if in.Impact < 1 || in.Impact > 5 {
		fields = append(fields, errs.Field{Field: "impact", Message: "want 1 to 5"})
	}
	c.l, c.i = in.Likelihood, in.Impact
	d, err := sec.ParseDate(in.ReviewDate)
	if err != nil {
		fields = append(fields, errs.Field{Field: "review_date", Message: "required: the date of the next review (YYYY-MM-DD)"})
	}
	c.review = d
	c.class = sec.Amber
	if in.Classification != "" {
		if c.class, err = sec.ParseClassification(in.Classification); err != nil {
			fields = append(fields, errs.Field{Field: "classification", Message: err.Error()})
		}
	}
	if len(fields) > 0 {
		return c, errs.Fields("the risk is not valid", fields...)
	}
	return c, nil
}

// Create adds a risk (the SSC and its secretariat).
func (s *Service) Create(ctx context.Context, c access.Caller, in Input) (Risk, error) {
	if !MayEdit(c) {
		return Risk{}, errs.E(errs.Forbidden, "only SSC members and the secretariat keep the risk register")
	}
	k, err := check(in)
	if err != nil {
		return Risk{}, err
	}
	var id int64
	err = s.DB.Write(ctx, c, func(tx *store.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO ssc_risks (title, description, owner, likelihood, impact, treatment, review_date, classification,
			meeting_item_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id`,
			k.title, k.desc, k.owner, k.l, k.i, k.treatment, k.review, string(k.class), nullID(in.MeetingItemID), tx.Now).Scan(&id); err != nil {
			return errs.Wrap(err, "create risk")
		}
		if err := history(ctx, tx, ChangeRisk, strconv.FormatInt(id, 10), "created", "", k.title); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "risk.create", Kind, id, in)
	})
	if err != nil {
		return Risk{}, err
	}
	return s.Get(ctx, c, id)
}

// Get returns one risk the caller may see.
func (s *Service) Get(ctx context.Context, c access.Caller, id int64) (Risk, error) {
	var out Risk
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		var err error
		out, err = get(ctx, tx, c, id)
		return err
	})
	return out, err
}

func get(ctx context.Context, q store.Querier, c access.Caller, id int64) (Risk, error) {
	_, bands, err := scales(ctx, q)
	if err != nil {
		return Risk{}, err
	}
	var args access.Args
	row := q.QueryRowContext(ctx, `SELECT r.id, r.title, r.description, r.owner, r.likelihood, r.impact, r.treatment, r.review_date,
		r.classification, r.meeting_item_id, r.updated_at FROM ssc_risks r WHERE r.id = `+args.Add(id)+" AND "+c.Visible(&args, Kind, "r"), args...)
	k, err := scanRisk(row, bands)
	if err == sql.ErrNoRows {
		return k, errs.NotFoundf("risk", id)
	}
	return k, errs.Wrap(err, "risk")
}

// Update changes a risk, recording every changed field in the history.
func (s *Service) Update(ctx context.Context, c access.Caller, id int64, in Input) (Risk, error) {
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		// The lookup comes first, so that a risk the caller may not see
		// answers as a missing one whatever the request says: checked
		// first, an invalid change to it was refused for its fields.
		old, err := get(ctx, tx, c, id)
		if err != nil {
			return err
		}
		if !MayEdit(c) {
			return errs.E(errs.Forbidden, "only SSC members and the secretariat keep the risk register")
		}
		k, err := check(in)
		if err != nil {
			return err
		}
		item := strconv.FormatInt(id, 10)
		for _, ch := range []struct{ field, old, new string }{
			{"title", old.Title, k.title}, {"description", old.Description, k.desc}, {"owner", old.Owner, k.owner},
			{"likelihood", strconv.Itoa(old.Likelihood), strconv.Itoa(k.l)}, {"impact", strconv.Itoa(old.Impact), strconv.Itoa(k.i)},
			{"treatment", old.Treatment, k.treatment}, {"review_date", old.ReviewDate.String(), k.review.String()},
			{"classification", string(old.Classification), string(k.class)},
		} {
			if ch.old != ch.new {
				if err := history(ctx, tx, ChangeRisk, item, ch.field, ch.old, ch.new); err != nil {
					return err
				}
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE ssc_risks SET title = $1, description = $2, owner = $3, likelihood = $4, impact = $5,
			treatment = $6, review_date = $7, classification = $8, meeting_item_id = $9, updated_at = $10 WHERE id = $11`,
			k.title, k.desc, k.owner, k.l, k.i, k.treatment, k.review, string(k.class), nullID(in.MeetingItemID), tx.Now, id); err != nil {
			return errs.Wrap(err, "update risk")
		}
		return audit.Record(ctx, tx, "risk.update", Kind, id, in)
	})
	if err != nil {
		return Risk{}, err
	}
	return s.Get(ctx, c, id)
}

func nullID(id int64) any {
	if id <= 0 {
		return nil
	}
	return id
}

// ChangeKind is what a change in the register's history is to: a risk, a
// Likelihood Definition or a scoring band.
type ChangeKind string

// The kinds of change.
const (
	ChangeRisk       ChangeKind = "risk"
	ChangeLikelihood ChangeKind = "likelihood"
	ChangeBand       ChangeKind = "band"
)

func history(ctx context.Context, tx *store.Tx, kind ChangeKind, item, field, old, new string) error {
	var riskID any
	if kind == ChangeRisk {
		id, _ := strconv.ParseInt(item, 10, 64)
		riskID = id
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO risk_history (at, actor, kind, item, risk_id, field, old_value, new_value) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		tx.Now, tx.Actor.Name, string(kind), item, riskID, field, old, new)
	return errs.Wrap(err, "risk history")
}

// Definitions returns the Likelihood Definitions, the bands and the history
// of the register. They are AMBER to the SSC (seed 003, item 14): only the
// SSC and its secretariat may read them.
func (s *Service) Definitions(ctx context.Context, c access.Caller) (Definitions, error) {
	if !MayEdit(c) {
		return Definitions{}, errs.E(errs.Forbidden, "the risk register's definitions are for SSC members and the secretariat")
	}
	var d Definitions
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		var err error
		if d.Likelihoods, d.Bands, err = scales(ctx, tx); err != nil {
			return err
		}
		// A risk's entries carry its text: they show only where the risk
		// itself may be seen.
		var args access.Args
		rows, err := tx.QueryContext(ctx, `SELECT h.at, h.actor, h.kind, h.item, h.field, h.old_value, h.new_value FROM risk_history h
			WHERE h.risk_id IS NULL OR EXISTS (SELECT 1 FROM ssc_risks r WHERE r.id = h.risk_id AND `+c.Visible(&args, Kind, "r")+`)
			ORDER BY h.id DESC LIMIT 500`, args...)
		if err != nil {
			return errs.Wrap(err, "history")
		}
		defer rows.Close()
		d.History = []Change{}
		for rows.Next() {
			var ch Change
			if err := rows.Scan(&ch.At, &ch.Actor, &ch.Kind, &ch.Item, &ch.Field, &ch.Old, &ch.New); err != nil {
				return errs.Wrap(err, "history")
			}
			ch.At = ch.At.UTC()
			d.History = append(d.History, ch)
		}
		return errs.Wrap(rows.Err(), "history")
	})
	return d, err
}

// SetLikelihood changes one Likelihood Definition. Its probability band may
// not overlap another level's, and must keep the levels in order.
func (s *Service) SetLikelihood(ctx context.Context, c access.Caller, in Likelihood) (Definitions, error) {
	if !MayEdit(c) {
		return Definitions{}, errs.E(errs.Forbidden, "only SSC members and the secretariat edit the Likelihood Definitions")
	}
	var fields []errs.Field
	in.Label, in.Description = strings.TrimSpace(in.Label), strings.TrimSpace(in.Description)
	if in.Level < 1 || in.Level > 5 {
		return Definitions{}, errs.NotFoundf("likelihood level", in.Level)
	}
	if in.Label == "" || utf8.RuneCountInString(in.Label) > 100 {
		fields = append(fields, errs.Field{Field: "label", Message: "required, at most 100 characters"})
	}
	if math.IsNaN(in.MinPct) || math.IsNaN(in.MaxPct) || in.MinPct < 0 || in.MaxPct > 100 || in.MinPct >= in.MaxPct {
		fields = append(fields, errs.Field{Field: "min_pct", Message: fmt.Sprintf("the band %g%% to %g%% is not a range within 0 to 100", in.MinPct, in.MaxPct)})
	}
	if len(fields) > 0 {
		return Definitions{}, errs.Fields("the Likelihood Definition is not valid", fields...)
	}
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		ls, _, err := scales(ctx, tx)
		if err != nil {
			return err
		}
		var old Likelihood
		for _, l := range ls {
			if l.Level == in.Level {
				old = l
				continue
			}
			if in.MinPct < l.MaxPct && l.MinPct < in.MaxPct {
				return errs.FieldError("min_pct", "the band %g%% to %g%% overlaps level %d (%s, %g%% to %g%%)", in.MinPct, in.MaxPct, l.Level, l.Label, l.MinPct, l.MaxPct)
			}
			if (l.Level < in.Level && l.MinPct >= in.MaxPct) || (l.Level > in.Level && l.MaxPct <= in.MinPct) {
				return errs.FieldError("min_pct", "level %d must be more probable than level %d (%s, %g%% to %g%%)", max(in.Level, l.Level), min(in.Level, l.Level), l.Label, l.MinPct, l.MaxPct)
			}
		}
		item := strconv.Itoa(in.Level)
		for _, ch := range []struct{ field, old, new string }{
			{"label", old.Label, in.Label}, {"description", old.Description, in.Description},
			{"min_pct", fmt.Sprint(old.MinPct), fmt.Sprint(in.MinPct)}, {"max_pct", fmt.Sprint(old.MaxPct), fmt.Sprint(in.MaxPct)},
		} {
			if ch.old != ch.new {
				if err := history(ctx, tx, ChangeLikelihood, item, ch.field, ch.old, ch.new); err != nil {
					return err
				}
			}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE risk_likelihoods SET label = $1, description = $2, min_pct = $3, max_pct = $4 WHERE level = $5",
			in.Label, in.Description, in.MinPct, in.MaxPct, in.Level); err != nil {
			return errs.Wrap(err, "set likelihood")
		}
		return audit.Record(ctx, tx, "risk.likelihood", "risk_likelihood", in.Level, in)
	})
	if err != nil {
		return Definitions{}, err
	}
	return s.Definitions(ctx, c)
}

// SetBand changes the score range of a band. Bands may not overlap.
func (s *Service) SetBand(ctx context.Context, c access.Caller, in Band) (Definitions, error) {
	if !MayEdit(c) {
		return Definitions{}, errs.E(errs.Forbidden, "only SSC members and the secretariat edit the scoring bands")
	}
	if in.MinScore < 1 || in.MaxScore > 25 || in.MinScore > in.MaxScore {
		return Definitions{}, errs.FieldError("min_score", "the band %d to %d is not a range of scores within 1 to 25", in.MinScore, in.MaxScore)
	}
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		_, bs, err := scales(ctx, tx)
		if err != nil {
			return err
		}
		var old *Band
		for i, b := range bs {
			if b.Name == in.Name {
				old = &bs[i]
				continue
			}
			if in.MinScore <= b.MaxScore && b.MinScore <= in.MaxScore {
				return errs.FieldError("min_score", "the band %d to %d overlaps %s (%d to %d)", in.MinScore, in.MaxScore, b.Name, b.MinScore, b.MaxScore)
			}
		}
		if old == nil {
			return errs.NotFoundf("band", in.Name)
		}
		for _, ch := range []struct{ field, old, new string }{
			{"min_score", strconv.Itoa(old.MinScore), strconv.Itoa(in.MinScore)}, {"max_score", strconv.Itoa(old.MaxScore), strconv.Itoa(in.MaxScore)},
		} {
			if ch.old != ch.new {
				if err := history(ctx, tx, ChangeBand, in.Name, ch.field, ch.old, ch.new); err != nil {
					return err
				}
			}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE risk_bands SET min_score = $1, max_score = $2 WHERE name = $3", in.MinScore, in.MaxScore, in.Name); err != nil {
			return errs.Wrap(err, "set band")
		}
		return audit.Record(ctx, tx, "risk.band", "risk_band", in.Name, in)
	})
	if err != nil {
		return Definitions{}, err
	}
	return s.Definitions(ctx, c)
}
