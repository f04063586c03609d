// Package impracticable keeps the records by which a Supplier says that an
// arrangement with a manufacturer is not practicable: G3.20 binds each User
// "wherever it is practicable to do so" (seeds/001). A Supplier records, per
// manufacturer, why, with evidence files; the SSC accepts or rejects it
// (sec.ImpracticableLifecycle); the Supplier may withdraw it. Coverage reads
// the accepted ones (Standing) and shows them as their own status.
//
// Classification: RED. The record is the Supplier's admission about its own
// compliance, with the SSC's judgment on it: the people it names are the
// Supplier's users cleared for RED, the SSC members and the secretariat. The
// manufacturer is not named: coverage, of which this is part, is a Supplier's
// compliance and is not shown to manufacturers (internal/coverage), and the
// reason often describes the manufacturer's commercial stance, which is the
// Supplier's to tell the SSC, not the manufacturer's to read. Should the SSC
// mark a record AMBER, the Supplier's organisation sees it (by its column).
//
// It owns the tables impracticabilities and impracticability_evidence.
package impracticable

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audience"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/evidence"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/validate"
)

// RecordKind names these records in the audience tables and the audit trail.
const RecordKind = "impracticability"

func init() {
	audience.Kinds[RecordKind] = audience.Kind{Table: "impracticabilities", OrgColumns: []string{"r.supplier_id"}}
}

// Org is an organisation as a record names it: its name only where the
// caller may see its directory entry.
type Org struct {
	Code string `json:"code"`
	Name string `json:"name,omitempty"`
}

// Record is a record that an arrangement is not practicable.
type Record struct {
	ID             int64                  `json:"id"`
	Reference      string                 `json:"reference"`
	Supplier       Org                    `json:"supplier"`
	Manufacturer   Org                    `json:"manufacturer"`
	Reason         string                 `json:"reason"`
	State          sec.ImpracticableState `json:"state"`
	StateLabel     string                 `json:"state_label"`
	Classification sec.Classification     `json:"classification"`
	RecordedOn     sec.Date               `json:"recorded_on"`
	DecidedOn      sec.Date               `json:"decided_on,omitzero"`
	DecidedBy      string                 `json:"decided_by,omitempty"`
	DecisionNote   string                 `json:"decision_note,omitempty"`
	WithdrawnOn    sec.Date               `json:"withdrawn_on,omitzero"`
	CreatedAt      time.Time              `json:"created_at"`
	CreatedBy      string                 `json:"created_by"`
	UpdatedAt      time.Time              `json:"updated_at"`
	Evidence       []evidence.Stored      `json:"evidence"`
	// Events are the moves the caller may make now (from the lifecycle
	// table), for the buttons and the CLI.
	Events     []sec.ImpracticableEvent `json:"events"`
	supplierID int64
}

// Service keeps the records.
type Service struct {
	DB *store.DB
	// Today is the day for a time (the UK date by default); tests fix it.
	Today func(time.Time) sec.Date
}

func (s *Service) today(now time.Time) sec.Date {
	if s.Today != nil {
		return s.Today(now)
	}
	return sec.DateOf(now)
}

// Filter narrows a listing.
type Filter struct {
	Supplier     string
	Manufacturer string
	State        string
}

const columns = `i.id, i.reference, s.code, CASE WHEN %[1]s THEN s.name ELSE '' END, m.code, CASE WHEN %[2]s THEN m.name ELSE '' END,
	i.reason, i.state, i.classification, i.recorded_on, i.decided_on, i.decided_by, i.decision_note, i.withdrawn_on,
	i.created_at, i.created_by, i.updated_at, i.supplier_id`

const from = ` FROM impracticabilities i JOIN organisations s ON s.id = i.supplier_id
		JOIN organisations m ON m.id = i.manufacturer_id`

// selectColumns is the column list, naming organisations only where the
// caller may see their directory entries.
func selectColumns(c access.Caller, args *access.Args) string {
	return fmt.Sprintf(columns, c.Visible(args, party.Kind, "s", "s.id"), c.Visible(args, party.Kind, "m", "m.id"))
}

// query builds a SELECT of records the caller may see.
func query(c access.Caller, args *access.Args, where ...string) string {
	cols := selectColumns(c, args)
	where = append(where, c.Visible(args, RecordKind, "i", "i.supplier_id"))
	return "SELECT " + cols + from + " WHERE " + strings.Join(where, " AND ")
}

func scan(rows *sql.Rows, err error) ([]Record, error) {
	if err != nil {
		return nil, errs.Wrap(err, "read records of impracticability")
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, errs.Wrap(err, "read records of impracticability")
		}
		out = append(out, r)
	}
	return out, errs.Wrap(rows.Err(), "read records of impracticability")
}

// scanRecord reads one row of columns.
func scanRecord(row interface{ Scan(...any) error }) (Record, error) {
	var r Record
	err := row.Scan(&r.ID, &r.Reference, &r.Supplier.Code, &r.Supplier.Name, &r.Manufacturer.Code, &r.Manufacturer.Name,
		&r.Reason, &r.State, &r.Classification, &r.RecordedOn, &r.DecidedOn, &r.DecidedBy, &r.DecisionNote, &r.WithdrawnOn,
		&r.CreatedAt, &r.CreatedBy, &r.UpdatedAt, &r.supplierID)
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	r.StateLabel = r.State.Label()
	r.Evidence = []evidence.Stored{}
	return r, err
}

// actors are the parts the caller plays for a record: the Supplier that
// owns it (a user of its organisation), the SSC.
func actors(c access.Caller, r Record) []sec.Actor {
	var out []sec.Actor
	if c.UserID != 0 && c.OrgID == r.supplierID {
		out = append(out, sec.ActorOwner)
	}
	if c.IsSSC() {
		out = append(out, sec.ActorSSC)
	}
	return out
}

// List returns the records the caller may see, newest first.
func (s *Service) List(ctx context.Context, c access.Caller, f Filter) ([]Record, error) {
	if !c.SignedIn() {
		return nil, errs.E(errs.Unauthenticated, "sign in to see records of impracticability")
	}
	var args access.Args
	var where []string
	if f.Supplier != "" {
		where = append(where, "s.code = "+args.Add(strings.ToUpper(strings.TrimSpace(f.Supplier))))
	}
	if f.Manufacturer != "" {
		where = append(where, "m.code = "+args.Add(strings.ToUpper(strings.TrimSpace(f.Manufacturer))))
	}
	if f.State != "" {
		st := sec.ImpracticableState(strings.ToLower(strings.TrimSpace(f.State)))
		if !validState(st) {
			return nil, errs.FieldError("state", "unknown state %q (one of recorded, accepted, rejected, withdrawn)", f.State)
		}
		where = append(where, "i.state = "+args.Add(string(st)))
	}
	q := query(c, &args, where...) + " ORDER BY i.id DESC"
	out, err := scan(s.DB.QueryContext(ctx, q, args...))
	for i := range out {
		out[i].Events = sec.ImpracticableLifecycle.Events(out[i].State, actors(c, out[i])...)
	}
	return out, err
}

func validState(st sec.ImpracticableState) bool {
	for _, x := range sec.ImpracticableStates {
		if x == st {
			return true
		}
	}
	return false
}

// Get returns one record with its evidence, if the caller may see it.
func (s *Service) Get(ctx context.Context, c access.Caller, ref string) (Record, error) {
	return s.get(ctx, s.DB, c, ref)
}

func (s *Service) get(ctx context.Context, q store.Querier, c access.Caller, ref string) (Record, error) {
	if !c.SignedIn() {
		return Record{}, errs.E(errs.Unauthenticated, "sign in to see records of impracticability")
	}
	var args access.Args
	rs, err := scan(q.QueryContext(ctx, query(c, &args, "i.reference = "+args.Add(strings.ToUpper(strings.TrimSpace(ref)))), args...))
	if err != nil {
		return Record{}, err
	}
	if len(rs) == 0 {
		return Record{}, errs.NotFoundf("record of impracticability", ref)
	}
	r := rs[0]
	ev, err := evidence.ScanStored(q.QueryContext(ctx, "SELECT "+evidence.StoredColumns+
		" FROM impracticability_evidence WHERE impracticability_id = $1 ORDER BY id", r.ID))
	if err != nil {
		return r, err
	}
	if ev != nil {
		r.Evidence = ev
	}
	r.Events = sec.ImpracticableLifecycle.Events(r.State, actors(c, r)...)
	return r, nil
}

// NewRecord is what a Supplier records.
type NewRecord struct {
	// Supplier is the recording Supplier's code: the caller's own
	// organisation by default; only the system (an operator's command, the
	// demo) names another.
	Supplier     string `json:"supplier,omitempty"`
	Manufacturer string `json:"manufacturer"`
	Reason       string `json:"reason"`
}

// Create records that an arrangement with a manufacturer is not
// practicable. A Supplier's user cleared for RED records it for its own
// organisation (the record is RED: one who could not read it may not write
// it); a Supplier keeps at most one open record per manufacturer.
func (s *Service) Create(ctx context.Context, c access.Caller, in NewRecord) (Record, error) {
	if !c.SignedIn() {
		return Record{}, errs.E(errs.Unauthenticated, "sign in to record that an arrangement is not practicable")
	}
	if !MayRecord(c) {
		return Record{}, errs.E(errs.Forbidden, "only a Supplier records that an arrangement is not practicable (G3.20 binds it)")
	}
	var fields []errs.Field
	in.Reason = strings.TrimSpace(in.Reason)
	if m := validate.Text(in.Reason, 4000); m != "" {
		fields = append(fields, errs.Field{Field: "reason", Message: m})
	}
	in.Manufacturer = strings.ToUpper(strings.TrimSpace(in.Manufacturer))
	if in.Manufacturer == "" {
		fields = append(fields, errs.Field{Field: "manufacturer", Message: "required: the code of the manufacturer no arrangement is practicable with"})
	}
	in.Supplier = strings.ToUpper(strings.TrimSpace(in.Supplier))
	if !c.System {
		if in.Supplier != "" && in.Supplier != c.OrgCode {
			fields = append(fields, errs.Field{Field: "supplier", Message: "a Supplier records for its own organisation only (" + c.OrgCode + ")"})
		}
		in.Supplier = c.OrgCode
	} else if in.Supplier == "" {
		fields = append(fields, errs.Field{Field: "supplier", Message: "required: the Supplier's code"})
	}
	if len(fields) > 0 {
		return Record{}, errs.Fields("the record is not valid", fields...)
	}
	var ref string
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		if !c.System {
			var cleared bool
			if err := tx.QueryRowContext(ctx, "SELECT red_cleared FROM users WHERE id = $1", c.UserID).Scan(&cleared); err != nil {
				return errs.Wrap(err, "read user")
			}
			if !sec.MayBeNamedOnRed(c.Roles, cleared) {
				return errs.E(errs.Forbidden, "a record of impracticability is RED: only a user cleared for RED records (signing in with a second factor) may make one")
			}
		}
		ix, err := party.LoadIndex(ctx, tx)
		if err != nil {
			return err
		}
		sup, ok := ix.Code(in.Supplier)
		if !ok || !sup.IsSupplier() {
			return errs.FieldError("supplier", "%s is not a registered Supplier", in.Supplier)
		}
		mfr, ok := ix.Code(in.Manufacturer)
		if !ok || !mfr.Has(sec.Manufacturer) {
			return errs.FieldError("manufacturer", "%s is not a registered manufacturer", in.Manufacturer)
		}
		var open string
		err = tx.QueryRowContext(ctx, `SELECT reference FROM impracticabilities WHERE supplier_id = $1 AND manufacturer_id = $2
			AND state IN ('recorded', 'accepted')`, sup.ID, mfr.ID).Scan(&open)
		if err == nil {
			return errs.E(errs.Conflict, "%s already has an open record for %s (%s): withdraw it first", sup.Code, mfr.Code, open)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return errs.Wrap(err, "open records")
		}
		var n int64
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM impracticabilities").Scan(&n); err != nil {
			return errs.Wrap(err, "number the record")
		}
		ref = fmt.Sprintf("IMP-%04d", n+1)
		var id int64
		err = tx.QueryRowContext(ctx, `INSERT INTO impracticabilities (reference, supplier_id, manufacturer_id, reason, state, classification,
			recorded_on, created_at, created_by, updated_at) VALUES ($1, $2, $3, $4, $5, 'RED', $6, $7, $8, $7) RETURNING id`,
			ref, sup.ID, mfr.ID, in.Reason, string(sec.ImpracticableLifecycle.Initial()), s.today(tx.Now), tx.Now, tx.Actor.Name).Scan(&id)
		if store.IsUniqueViolation(err) {
			return errs.E(errs.Conflict, "another record was made at the same time: try again")
		}
		if err != nil {
			return errs.Wrap(err, "store record")
		}
		if err := nameAudience(ctx, tx, id, sup.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "impracticability.record", RecordKind, ref, struct {
			Supplier, Manufacturer, Reason string
		}{sup.Code, mfr.Code, in.Reason})
	})
	if err != nil {
		return Record{}, err
	}
	return s.Get(ctx, c, ref)
}

// nameAudience names a new record's RED audience: the SSC members, the
// secretariat, and the Supplier's users cleared for RED.
func nameAudience(ctx context.Context, tx *store.Tx, id, supplier int64) error {
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT u.id FROM users u JOIN user_roles r ON r.user_id = u.id
		WHERE u.disabled_at IS NULL AND (r.role IN ('ssc_member', 'secretariat') OR (u.red_cleared AND u.org_id = $1))
		ORDER BY u.id`, supplier)
	if err != nil {
		return errs.Wrap(err, "audience")
	}
	var users []int64
	for rows.Next() {
		var u int64
		if err := rows.Scan(&u); err != nil {
			rows.Close()
			return errs.Wrap(err, "audience")
		}
		users = append(users, u)
	}
	rows.Close()
	return audience.Write(ctx, tx, RecordKind, id, []int64{supplier}, users)
}

// Move is an event on a record: the SSC accepts or rejects (with a note
// saying why), the Supplier withdraws.
type Move struct {
	Event sec.ImpracticableEvent `json:"event"`
	Note  string                 `json:"note,omitempty"`
}

// Act fires an event on a record as the caller. The lifecycle table decides
// who may; the SSC's decision needs a note and is dated the day it is made.
func (s *Service) Act(ctx context.Context, c access.Caller, ref string, m Move) (Record, error) {
	if !c.SignedIn() {
		return Record{}, errs.E(errs.Unauthenticated, "sign in to act on a record of impracticability")
	}
	m.Note = strings.TrimSpace(m.Note)
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		r, err := s.get(ctx, tx, c, ref)
		if err != nil {
			return err
		}
		// After the lookup, so a record the caller may not see answers as
		// missing whatever the body.
		if m.Event == "" {
			return errs.FieldError("event", "required: accept, reject or withdraw")
		}
		decision := m.Event == sec.ImpracticableAccept || m.Event == sec.ImpracticableReject
		if decision {
			if msg := validate.Text(m.Note, 4000); msg != "" {
				return errs.FieldError("note", "the SSC's decision note: %s", msg)
			}
		} else if len(m.Note) > 4000 {
			return errs.FieldError("note", "at most 4000 characters")
		}
		to, err := sec.ImpracticableLifecycle.Next(r.State, m.Event, actors(c, r)...)
		if err != nil {
			return transitionError(err)
		}
		today := s.today(tx.Now)
		if decision {
			_, err = tx.ExecContext(ctx, `UPDATE impracticabilities SET state = $1, decided_on = $2, decided_by = $3, decision_note = $4, updated_at = $5
				WHERE id = $6`, string(to), today, tx.Actor.Name, m.Note, tx.Now, r.ID)
		} else {
			_, err = tx.ExecContext(ctx, "UPDATE impracticabilities SET state = $1, withdrawn_on = $2, updated_at = $3 WHERE id = $4",
				string(to), today, tx.Now, r.ID)
		}
		if err != nil {
			return errs.Wrap(err, "move record")
		}
		return audit.Record(ctx, tx, "impracticability."+string(m.Event), RecordKind, r.Reference, struct {
			From, To string
			On       sec.Date
			Note     string
		}{string(r.State), string(to), today, m.Note})
	})
	if err != nil {
		return Record{}, err
	}
	return s.Get(ctx, c, ref)
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

// AddEvidence attaches a file to an open record: the Supplier that owns it
// and the SSC may.
func (s *Service) AddEvidence(ctx context.Context, c access.Caller, ref, name string, body io.Reader) (evidence.Stored, error) {
	if !c.SignedIn() {
		return evidence.Stored{}, errs.E(errs.Unauthenticated, "sign in to add evidence")
	}
	f, err := evidence.Read(name, body)
	if err != nil {
		return evidence.Stored{}, err
	}
	ev := evidence.StoredOf(f)
	err = s.DB.Write(ctx, c, func(tx *store.Tx) error {
		r, err := s.get(ctx, tx, c, ref)
		if err != nil {
			return err
		}
		if len(actors(c, r)) == 0 && !c.System {
			return errs.E(errs.Forbidden, "only the Supplier that made %s and the SSC may add evidence to it", r.Reference)
		}
		if !r.State.IsOpen() {
			return errs.E(errs.Conflict, "%s is %s: evidence is added while it is recorded or accepted", r.Reference, r.State)
		}
		ev.UploadedAt, ev.UploadedBy = tx.Now, tx.Actor.Name
		err = tx.QueryRowContext(ctx, `INSERT INTO impracticability_evidence (impracticability_id, name, media_type, size, sha256, content, uploaded_at, uploaded_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, r.ID, ev.Name, ev.MediaType, ev.Size, ev.SHA256, f.Content, tx.Now, ev.UploadedBy).Scan(&ev.ID)
		if store.IsUniqueViolation(err) {
			return errs.E(errs.Conflict, "this file (SHA-256 %s) is already attached to %s", ev.SHA256, r.Reference)
		}
		if err != nil {
			return errs.Wrap(err, "store evidence")
		}
		return audit.Record(ctx, tx, "impracticability.evidence", RecordKind, r.Reference, ev)
	})
	return ev, err
}

// EvidenceFile returns one evidence file with its content, if the caller may
// see its record.
func (s *Service) EvidenceFile(ctx context.Context, c access.Caller, ref string, id int64) (evidence.Stored, []byte, error) {
	if !c.SignedIn() {
		return evidence.Stored{}, nil, errs.E(errs.Unauthenticated, "sign in to read evidence")
	}
	var args access.Args
	q := `SELECT e.id, e.name, e.media_type, e.size, e.sha256, e.uploaded_at, e.uploaded_by, e.content
		FROM impracticability_evidence e JOIN impracticabilities i ON i.id = e.impracticability_id
		WHERE e.id = ` + args.Add(id) + ` AND i.reference = ` + args.Add(strings.ToUpper(strings.TrimSpace(ref))) + ` AND ` +
		c.Visible(&args, RecordKind, "i", "i.supplier_id")
	var e evidence.Stored
	var content []byte
	err := s.DB.QueryRowContext(ctx, q, args...).Scan(&e.ID, &e.Name, &e.MediaType, &e.Size, &e.SHA256, &e.UploadedAt, &e.UploadedBy, &content)
	if errors.Is(err, sql.ErrNoRows) {
		return e, nil, errs.NotFoundf("evidence file", fmt.Sprintf("%s/%d", ref, id))
	}
	if err != nil {
		return e, nil, errs.Wrap(err, "read evidence")
	}
	e.UploadedAt = e.UploadedAt.UTC()
	return e, content, nil
}

// Standing is a record as coverage needs it, for one Supplier and
// manufacturer: the latest record between them, and whether an accepted one
// stands on the day.
type Standing struct {
	Supplier     int64
	Manufacturer int64
	// Reference is empty when the caller may not see the record.
	Reference string
	State     sec.ImpracticableState
	DecidedOn sec.Date
	// Stands: accepted by the SSC and in force on the day
	// (sec.ImpracticableStands).
	Stands bool
}

// ForCoverage reads, for each Supplier and manufacturer with a record made
// on or before d, the record that decides coverage on d: one that stands if
// any, else the latest. Coverage depends on the records whoever may see them
// (the status is the Supplier's coverage, AMBER); the reference comes only
// where the caller may see the record (in SQL).
func ForCoverage(ctx context.Context, q store.Querier, c access.Caller, d sec.Date) (map[[2]int64]Standing, error) {
	var args access.Args
	day := args.Add(d)
	rows, err := q.QueryContext(ctx, `SELECT i.supplier_id, i.manufacturer_id, CASE WHEN `+c.Visible(&args, RecordKind, "i", "i.supplier_id")+
		` THEN i.reference ELSE '' END, i.state, i.decided_on, i.withdrawn_on
		FROM impracticabilities i WHERE i.recorded_on <= `+day+` ORDER BY i.id`, args...)
	if err != nil {
		return nil, errs.Wrap(err, "records of impracticability")
	}
	defer rows.Close()
	out := map[[2]int64]Standing{}
	for rows.Next() {
		var st Standing
		var withdrawn sec.Date
		if err := rows.Scan(&st.Supplier, &st.Manufacturer, &st.Reference, &st.State, &st.DecidedOn, &withdrawn); err != nil {
			return nil, errs.Wrap(err, "records of impracticability")
		}
		// As the record stood on d: a decision or withdrawal after d had not
		// happened yet.
		if !st.DecidedOn.IsZero() && st.DecidedOn.After(d) {
			st.State, st.DecidedOn = sec.ImpracticableRecorded, sec.Date{}
		} else if !withdrawn.IsZero() && withdrawn.After(d) && st.State == sec.ImpracticableWithdrawn {
			st.State = sec.ImpracticableAccepted
			if st.DecidedOn.IsZero() {
				st.State = sec.ImpracticableRecorded
			}
		}
		st.Stands = sec.ImpracticableStands(st.State, st.DecidedOn, withdrawn, d)
		k := [2]int64{st.Supplier, st.Manufacturer}
		if prev, ok := out[k]; ok && prev.Stands && !st.Stands {
			continue
		}
		out[k] = st
	}
	return out, errs.Wrap(rows.Err(), "records of impracticability")
}

// MayRecord reports whether the caller may record that an arrangement is
// not practicable: a Supplier (G3.20 binds it), or the system. Create uses
// it, and the web layer asks it to decide whether to offer the form.
func MayRecord(c access.Caller) bool { return c.System || c.Has(sec.RoleSupplier) }
