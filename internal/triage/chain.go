package triage

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Entry is one Triage Activity in a facility's record.
type Entry struct {
	FacilityID int64           `json:"facility_id"`
	Seq        int64           `json:"seq"`
	At         time.Time       `json:"at"`
	DeviceID   estate.DeviceID `json:"device_id"`
	Step       sec.TriageStep  `json:"step"`
	From       sec.TriageState `json:"from"`
	To         sec.TriageState `json:"to"`
	Operator   string          `json:"operator"`
	Tool       string          `json:"tool"`
	Interface  string          `json:"interface"`
	Detail     Detail          `json:"detail"`
	PrevHash   string          `json:"prev_hash"`
	Hash       string          `json:"hash"`

	operatorID, toolID, interfaceID, supplierID, modelID int64
	detail                                               string // the stored (and hashed) JSON of Detail
}

// Detail is what an entry records beyond who, what and when; each step fills
// its own fields.
type Detail struct {
	// Received from (receive), released or returned to (release, return).
	ReceivedFrom string `json:"received_from,omitempty"`
	ReleasedTo   string `json:"released_to,omitempty"`
	// receive: the Device's catalogue model and firmware, and the CPA
	// certificate status of that firmware that day.
	Model     string `json:"model,omitempty"`
	Firmware  string `json:"firmware,omitempty"`
	CPAStatus string `json:"cpa_status,omitempty"`
	CPAReason string `json:"cpa_reason,omitempty"`
	// boundary_check: the outer and inner tamper boundary, and why a breach
	// is legitimate.
	Outer        sec.Boundary `json:"outer,omitempty"`
	Inner        sec.Boundary `json:"inner,omitempty"`
	BreachReason string       `json:"breach_reason,omitempty"`
	// firmware_update: from and to.
	FirmwareFrom string `json:"firmware_from,omitempty"`
	FirmwareTo   string `json:"firmware_to,omitempty"`
	// fit_seal.
	Seal string `json:"seal,omitempty"`
	// release, return, dispose: the Device's estate status afterwards.
	EstateStatus estate.Status `json:"estate_status,omitempty"`
	// reject, dispose, return: why; diagnose, factory_reset: the result.
	Reason string `json:"reason,omitempty"`
	Note   string `json:"note,omitempty"`
}

// Breached reports whether the entry found a boundary breached.
func (d Detail) Breached() bool {
	return d.Outer == sec.BoundaryBreached || d.Inner == sec.BoundaryBreached
}

// link is the entry's hash: every stored column, the previous link first.
func (e *Entry) link() string {
	return audit.Link(e.PrevHash, strconv.FormatInt(e.FacilityID, 10), strconv.FormatInt(e.Seq, 10),
		e.At.UTC().Format(time.RFC3339Nano), strconv.FormatInt(e.DeviceID.Int64(), 10), string(e.Step),
		string(e.From), string(e.To), strconv.FormatInt(e.operatorID, 10), e.Operator,
		strconv.FormatInt(e.toolID, 10), strconv.FormatInt(e.interfaceID, 10),
		strconv.FormatInt(e.supplierID, 10), strconv.FormatInt(e.modelID, 10), e.detail)
}

// entryCols are triage_entries' columns in insert order.
const entryCols = "facility_id, seq, at, device_id, step, from_state, to_state, operator_id, operator, tool_id, interface_id, supplier_id, model_id, detail, prev_hash, hash"

var entryColumns = strings.Split(entryCols, ", ")

// marks is $1, …, $n.
func marks(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(i))
	}
	return b.String()
}

// appendEntries chains es onto facility f's record in tx: it takes the
// facility's head (locking it until commit, so one facility's writers go in
// turn), numbers and links each entry, inserts them, moves the head and
// keeps triage_devices at each Device's latest state. manufacturers gives a
// model's manufacturer for triage_devices.
func appendEntries(ctx context.Context, tx *store.Tx, facilityID int64, es []Entry, manufacturers map[int64]int64) error {
	if len(es) == 0 {
		return nil
	}
	var seq int64
	var prev string
	if err := tx.QueryRowContext(ctx, "UPDATE triage_facilities SET head_seq = head_seq + $1 WHERE id = $2 RETURNING head_seq, head_hash",
		int64(len(es)), facilityID).Scan(&seq, &prev); err != nil {
		return errs.Wrap(err, "take triage record head")
	}
	seq -= int64(len(es))
	for i := range es {
		e := &es[i]
		seq++
		e.FacilityID, e.Seq, e.PrevHash = facilityID, seq, prev
		e.At = tx.Now
		e.Hash = e.link()
		prev = e.Hash
	}
	rows := make([][]any, len(es))
	for i, e := range es {
		rows[i] = []any{e.FacilityID, e.Seq, e.At, e.DeviceID.Int64(), string(e.Step), string(e.From), string(e.To),
			e.operatorID, e.Operator, e.toolID, e.interfaceID, e.supplierID, e.modelID, e.detail, e.PrevHash, e.Hash}
	}
	if err := tx.InsertRows(ctx, "triage_entries", entryColumns, rows); err != nil {
		return errs.Wrap(err, "append triage entries")
	}
	// The latest entry of each Device decides its state: its row is
	// replaced.
	last := map[estate.DeviceID]int{}
	for i, e := range es {
		last[e.DeviceID] = i
	}
	ids := make([]any, 0, len(last))
	rows = rows[:0]
	for i, e := range es {
		if last[e.DeviceID] == i {
			ids = append(ids, e.DeviceID.Int64())
			rows = append(rows, []any{e.DeviceID.Int64(), facilityID, string(e.To), e.supplierID, e.modelID, manufacturers[e.modelID], e.Seq, e.At})
		}
	}
	size := store.ListChunk(tx)
	for start := 0; start < len(ids); start += size {
		part := ids[start:min(start+size, len(ids))]
		if _, err := tx.ExecContext(ctx, "DELETE FROM triage_devices WHERE device_id IN ("+marks(len(part))+")", part...); err != nil {
			return errs.Wrap(err, "update triage devices")
		}
	}
	if err := tx.InsertRows(ctx, "triage_devices", []string{"device_id", "facility_id", "state", "supplier_id", "model_id",
		"manufacturer_id", "last_seq", "updated_at"}, rows); err != nil {
		return errs.Wrap(err, "update triage devices")
	}
	if _, err := tx.ExecContext(ctx, "UPDATE triage_facilities SET head_hash = $1 WHERE id = $2", prev, facilityID); err != nil {
		return errs.Wrap(err, "move triage record head")
	}
	return nil
}

// Break is the first place a facility's chain does not hold.
type Break struct {
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
}

// Report is what Verify found for one facility.
type Report struct {
	FacilityID int64  `json:"facility_id"`
	Facility   string `json:"facility"`
	Checked    int64  `json:"checked"`
	Head       int64  `json:"head"`
	Broken     *Break `json:"broken,omitempty"`
}

// OK reports whether the chain held.
func (r Report) OK() bool { return r.Broken == nil }

// Verify walks facility id's record in order and reports the first broken
// link: an entry whose columns no longer match its hash (edited), a missing
// number or a missing tail (deleted), or an entry that does not link to the
// one before it (deleted, inserted or reordered). The provider of the
// facility, the SSC and the system may verify it.
func (s *Service) Verify(ctx context.Context, c access.Caller, id int64) (Report, error) {
	var rep Report
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		f, err := findFacility(ctx, tx, c, id)
		if err != nil {
			return err
		}
		rep, err = verify(ctx, tx, f)
		return err
	})
	return rep, err
}

// VerifyAll verifies every facility the caller may see.
func (s *Service) VerifyAll(ctx context.Context, c access.Caller) ([]Report, error) {
	var out []Report
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		var args access.Args
		rows, err := tx.QueryContext(ctx, facilitySelect+" WHERE "+facilityVisible(c, &args)+" ORDER BY f.id", args...)
		if err != nil {
			return errs.Wrap(err, "list triage facilities")
		}
		var fs []Facility
		for rows.Next() {
			f, err := scanFacility(rows)
			if err != nil {
				rows.Close()
				return errs.Wrap(err, "list triage facilities")
			}
			fs = append(fs, f)
		}
		rows.Close()
		for _, f := range fs {
			rep, err := verify(ctx, tx, f)
			if err != nil {
				return err
			}
			out = append(out, rep)
		}
		return nil
	})
	return out, err
}

// verify checks f's chain, reading its entries in one ordered scan of the
// primary key and hashing each once: about a microsecond an entry.
func verify(ctx context.Context, q store.Querier, f Facility) (Report, error) {
	rep := Report{FacilityID: f.ID, Facility: f.Name, Head: f.Entries}
	rows, err := q.QueryContext(ctx, "SELECT "+entryCols+" FROM triage_entries WHERE facility_id = $1 ORDER BY seq", f.ID)
	if err != nil {
		return rep, errs.Wrap(err, "read triage record")
	}
	defer rows.Close()
	prev := Entry{Hash: audit.Genesis}
	var e Entry
	for rows.Next() {
		if err := scanEntry(rows, &e); err != nil {
			return rep, err
		}
		switch {
		case e.Seq != prev.Seq+1:
			rep.Broken = &Break{Seq: prev.Seq + 1, Reason: fmt.Sprintf("entry %d is missing (the next entry is %d): entries were deleted", prev.Seq+1, e.Seq)}
		case e.PrevHash != prev.Hash:
			rep.Broken = &Break{Seq: e.Seq, Reason: fmt.Sprintf("entry %d does not link to entry %d: entries were deleted, inserted or reordered", e.Seq, prev.Seq)}
		case e.link() != e.Hash:
			rep.Broken = &Break{Seq: e.Seq, Reason: fmt.Sprintf("entry %d does not match its hash: it was edited", e.Seq)}
		}
		if rep.Broken != nil {
			return rep, nil
		}
		rep.Checked++
		prev.Seq, prev.Hash = e.Seq, e.Hash
	}
	if err := rows.Err(); err != nil {
		return rep, errs.Wrap(err, "read triage record")
	}
	if prev.Seq != f.Entries || prev.Hash != f.headHash {
		rep.Broken = &Break{Seq: prev.Seq + 1, Reason: fmt.Sprintf("the record ends at entry %d but its head says %d: entries at the end were deleted", prev.Seq, f.Entries)}
	}
	return rep, nil
}

// scanEntry reads one row of entryCols into e.
func scanEntry(rows interface{ Scan(...any) error }, e *Entry) error {
	var dev int64
	if err := rows.Scan(&e.FacilityID, &e.Seq, &e.At, &dev, &e.Step, &e.From, &e.To, &e.operatorID, &e.Operator,
		&e.toolID, &e.interfaceID, &e.supplierID, &e.modelID, &e.detail, &e.PrevHash, &e.Hash); err != nil {
		return errs.Wrap(err, "read triage entry")
	}
	e.DeviceID = estate.DeviceIDFromInt64(dev)
	e.At = e.At.UTC()
	return nil
}
