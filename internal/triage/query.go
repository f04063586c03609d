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

// entryListCols are the columns scanListedEntry reads, from entryFrom.
const (
	entryListCols = `e.facility_id, e.seq, e.at, e.device_id, e.step, e.from_state, e.to_state, e.operator_id, e.operator,
	e.tool_id, e.interface_id, e.supplier_id, e.model_id, e.detail, e.prev_hash, e.hash,
	COALESCE(t.serial, ''), COALESCE(i.serial, '')`
	entryFrom = ` FROM triage_entries e
	JOIN triage_facilities f ON f.id = e.facility_id
	LEFT JOIN triage_tools t ON t.id = e.tool_id
	LEFT JOIN triage_tools i ON i.id = e.interface_id`
	entrySelect = "SELECT " + entryListCols + entryFrom
)

func scanEntries(ctx context.Context, q store.Querier, query string, args []any) ([]Entry, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, errs.Wrap(err, "read triage entries")
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		e, err := scanListedEntry(rows)
		if err != nil {
			return nil, errs.Wrap(err, "read triage entries")
		}
		out = append(out, e)
	}
	return out, errs.Wrap(rows.Err(), "read triage entries")
}

// scanListedEntry reads one row of entryListCols.
func scanListedEntry(row interface{ Scan(...any) error }) (Entry, error) {
	var e Entry
	var dev int64
	if err := row.Scan(&e.FacilityID, &e.Seq, &e.At, &dev, &e.Step, &e.From, &e.To, &e.operatorID, &e.Operator,
		&e.toolID, &e.interfaceID, &e.supplierID, &e.modelID, &e.detail, &e.PrevHash, &e.Hash, &e.Tool, &e.Interface); err != nil {
		return e, err
	}
	e.DeviceID = estate.DeviceIDFromInt64(dev)
	e.At = e.At.UTC()
	if err := json.Unmarshal([]byte(e.detail), &e.Detail); err != nil {
		return e, errs.Wrap(err, "read triage entry detail")
	}
	return e, nil
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
