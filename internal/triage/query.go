package triage

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// entryVisible is the condition, on an entry e joined to its facility f,
// that the caller may read it: the facility's provider, the Supplier that
// was responsible for the Device when it was received (the triage history of
// its own Devices), the SSC, the secretariat and the system. A manufacturer
// reads outcomes of its models through the report, which names no Supplier.
func entryVisible(c access.Caller, args *access.Args) string {
	switch {
	case c.System || c.IsSSC():
		return "TRUE"
	case !c.SignedIn() || c.OrgID == 0:
		return "FALSE"
	}
	if !c.HasAny(sec.RoleTriage, sec.RoleSupplier) {
		return "FALSE"
	}
	var or []string
	org := args.Add(c.OrgID)
	if c.Has(sec.RoleTriage) {
		or = append(or, "f.provider_id = "+org)
	}
	if c.Has(sec.RoleSupplier) {
		or = append(or, "e.supplier_id = "+org)
	}
	return "(" + strings.Join(or, " OR ") + ")"
}

const entrySelect = `SELECT e.facility_id, e.seq, e.at, e.device_id, e.step, e.from_state, e.to_state, e.operator_id, e.operator,
	e.tool_id, e.interface_id, e.supplier_id, e.model_id, e.detail, e.prev_hash, e.hash,
	COALESCE(t.serial, ''), COALESCE(i.serial, '')
	FROM triage_entries e
	JOIN triage_facilities f ON f.id = e.facility_id
	LEFT JOIN triage_tools t ON t.id = e.tool_id
	LEFT JOIN triage_tools i ON i.id = e.interface_id`

func scanEntries(ctx context.Context, q store.Querier, query string, args []any) ([]Entry, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, errs.Wrap(err, "read triage entries")
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		var e Entry
		var dev int64
		if err := rows.Scan(&e.FacilityID, &e.Seq, &e.At, &dev, &e.Step, &e.From, &e.To, &e.operatorID, &e.Operator,
			&e.toolID, &e.interfaceID, &e.supplierID, &e.modelID, &e.detail, &e.PrevHash, &e.Hash, &e.Tool, &e.Interface); err != nil {
			return nil, errs.Wrap(err, "read triage entries")
		}
		e.DeviceID = estate.DeviceIDFromInt64(dev)
		e.At = e.At.UTC()
		if err := json.Unmarshal([]byte(e.detail), &e.Detail); err != nil {
			return nil, errs.Wrap(err, "read triage entry detail")
		}
		out = append(out, e)
	}
	return out, errs.Wrap(rows.Err(), "read triage entries")
}

// History is the triage of one Device as the caller may see it.
type History struct {
	DeviceID estate.DeviceID `json:"device_id"`
	// State is where the Device stands now, from the newest entry shown.
	State   sec.TriageState  `json:"state"`
	Entries []Entry          `json:"entries"`
	Next    []sec.TriageStep `json:"next"`
}

// maxHistory bounds one Device's history: a Device passes through triage a
// handful of times, each a dozen steps.
const maxHistory = 500

// DeviceHistory is every entry about Device id the caller may read, oldest
// first. A caller who may read none gets NotFound, the same as for a Device
// never triaged.
func (s *Service) DeviceHistory(ctx context.Context, c access.Caller, id estate.DeviceID) (History, error) {
	args := access.Args{id.Int64()}
	es, err := scanEntries(ctx, s.DB, entrySelect+" WHERE e.device_id = $1 AND "+entryVisible(c, &args)+
		" ORDER BY e.at, e.facility_id, e.seq LIMIT "+strconv.Itoa(maxHistory), args)
	if err != nil {
		return History{}, err
	}
	if len(es) == 0 {
		// The message does not repeat the ID, as the estate's does not.
		return History{}, errs.E(errs.NotFound, "no triage record of that Device that you may see")
	}
	h := History{DeviceID: id, Entries: es, State: es[len(es)-1].To}
	if c.Has(sec.RoleTriage) {
		h.Next = sec.TriageLifecycle.Events(h.State, sec.ActorOwner)
	}
	return h, nil
}

// EntryQuery pages through a facility's record, newest first.
type EntryQuery struct {
	Before int64 // entries numbered below this; 0 for the newest
	Limit  int   // at most MaxPage; DefaultPage when 0
	Device estate.DeviceID
}

// Page sizes.
const (
	DefaultPage = 100
	MaxPage     = 1000
)

// EntryPage is one page of a facility's record.
type EntryPage struct {
	Total   int64   `json:"total"`
	Entries []Entry `json:"entries"`
	// Next is the Before of the following page, 0 at the end.
	Next int64 `json:"next,omitempty"`
}

// Entries pages through facility id's record, if the caller may see the
// facility: its provider and the SSC see every entry; a Supplier reads its
// own Devices' through DeviceHistory.
func (s *Service) Entries(ctx context.Context, c access.Caller, id int64, q EntryQuery) (EntryPage, error) {
	limit := q.Limit
	switch {
	case limit <= 0:
		limit = DefaultPage
	case limit > MaxPage:
		return EntryPage{}, errs.FieldError("limit", "at most %d entries a page", MaxPage)
	}
	var page EntryPage
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		f, err := findFacility(ctx, tx, c, id)
		if err != nil {
			return err
		}
		args := access.Args{f.ID}
		where := "e.facility_id = $1 AND " + entryVisible(c, &args)
		if q.Device != 0 {
			where += " AND e.device_id = " + args.Add(q.Device.Int64())
		}
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM triage_entries e JOIN triage_facilities f ON f.id = e.facility_id WHERE "+where,
			args...).Scan(&page.Total); err != nil {
			return errs.Wrap(err, "count triage entries")
		}
		if q.Before > 0 {
			where += " AND e.seq < " + args.Add(q.Before)
		}
		page.Entries, err = scanEntries(ctx, tx, entrySelect+" WHERE "+where+" ORDER BY e.seq DESC LIMIT "+strconv.Itoa(limit+1), args)
		if err != nil {
			return err
		}
		if len(page.Entries) > limit {
			page.Entries = page.Entries[:limit]
			page.Next = page.Entries[limit-1].Seq
		}
		return nil
	})
	return page, err
}
