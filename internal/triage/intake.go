package triage

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// IntakeHeader is the header of a batch intake file: one Device received per
// row, from whom, on which Triage Tool and Interface.
var IntakeHeader = []string{"device_id", "received_from", "tool", "interface"}

// IntakeRow is one row of a batch intake file.
type IntakeRow struct {
	DeviceID     estate.DeviceID
	ReceivedFrom string
	Tool         string
	Interface    string
}

// CheckIntakeHeader checks a batch intake file's header.
func CheckIntakeHeader(header []string) error { return catalogue.CheckHeader(header, IntakeHeader) }

// ParseIntakeRow reads one record of a batch intake file, reporting every
// problem with its field.
func ParseIntakeRow(rec []string) (IntakeRow, []catalogue.FieldError) {
	var r IntakeRow
	if len(rec) != len(IntakeHeader) {
		return r, []catalogue.FieldError{{Problem: fmt.Sprintf("has %d fields, want %d (%s)", len(rec), len(IntakeHeader), strings.Join(IntakeHeader, ","))}}
	}
	var fes []catalogue.FieldError
	id, err := estate.ParseDeviceID(strings.TrimSpace(rec[0]))
	if err != nil {
		// The parser's message quotes the value itself.
		fes = append(fes, catalogue.FieldError{Field: "device_id", Problem: strings.TrimPrefix(err.Error(), "device id ")})
	}
	r.DeviceID = id
	for i, dst := range []*string{&r.ReceivedFrom, &r.Tool, &r.Interface} {
		field := IntakeHeader[i+1]
		max := 64
		if field == "received_from" {
			max = 200
		}
		v, fe := cleanText(field, rec[i+1], max, true)
		if fe != nil {
			fes = append(fes, catalogue.FieldError{Field: field, Value: v, Problem: fe.Message})
		}
		*dst = v
	}
	return r, fes
}

// Record is the row as CSV fields.
func (r IntakeRow) Record() []string {
	return []string{r.DeviceID.String(), r.ReceivedFrom, r.Tool, r.Interface}
}

// IntakeResult says what a batch intake did.
type IntakeResult struct {
	FacilityID int64 `json:"facility_id"`
	Received   int64 `json:"received"`
	FirstSeq   int64 `json:"first_seq,omitempty"`
	LastSeq    int64 `json:"last_seq,omitempty"`
}

// maxIntakeRows bounds one batch intake file, which is held in memory while
// it is checked: a facility receives Devices by the pallet, not by the
// million.
const maxIntakeRows = 1_000_000

// Intake receives every Device of a batch intake file at the facility, as
// the calling operator: all rows or none, each problem reported with its line.
// Each Device becomes in triage in the estate and gets a receive entry, with
// its catalogue model and firmware and CPA status, as Record would write it.
func (s *Service) Intake(ctx context.Context, c access.Caller, facilityID int64, r io.Reader) (IntakeResult, error) {
	res := IntakeResult{FacilityID: facilityID}
	probs := &errs.Collector{}
	rows, lines, err := readIntake(r, probs)
	if err != nil {
		return res, err
	}
	err = s.DB.Write(ctx, c, func(tx *store.Tx) error {
		f, err := findFacility(ctx, tx, c, facilityID)
		if err != nil {
			return err
		}
		if err := operatorCheck(c, f); err != nil {
			return err
		}
		es, manufacturers, helds, err := s.intakeEntries(ctx, tx, c, f, rows, lines, probs)
		if err != nil {
			return err
		}
		if err := probs.Err("the intake file was not loaded: nothing was written"); err != nil {
			return err
		}
		if err := estate.SetStatusesIn(ctx, tx, helds, estate.InTriage); err != nil {
			return err
		}
		if err := appendEntries(ctx, tx, f.ID, es, manufacturers); err != nil {
			return err
		}
		if len(es) > 0 {
			res.Received, res.FirstSeq, res.LastSeq = int64(len(es)), es[0].Seq, es[len(es)-1].Seq
		}
		return audit.Record(ctx, tx, "triage.intake", KindFacility, f.ID,
			map[string]any{"received": res.Received, "first_seq": res.FirstSeq, "last_seq": res.LastSeq, "head": f.headHash})
	})
	return res, err
}

// readIntake reads and parses a whole intake file, collecting problems.
func readIntake(r io.Reader, probs *errs.Collector) ([]IntakeRow, []int, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	h, err := cr.Read()
	switch {
	case errors.Is(err, io.EOF):
		return nil, nil, errs.E(errs.Invalid, "the file is empty: it needs the header %s", strings.Join(IntakeHeader, ","))
	case err != nil:
		return nil, nil, errs.E(errs.Invalid, "line 1: the file is not valid CSV: %v", err)
	}
	if err := CheckIntakeHeader(h); err != nil {
		return nil, nil, errs.E(errs.Invalid, "line 1: %v", err)
	}
	var rows []IntakeRow
	var lines []int
	seen := map[estate.DeviceID]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			probs.Add(errs.Field{Line: line, Message: "not valid CSV: " + err.Error()})
			break
		}
		line, _ := cr.FieldPos(0)
		if len(rows) >= maxIntakeRows {
			return nil, nil, errs.E(errs.TooLarge, "line %d: an intake file holds at most %d Devices: split it", line, maxIntakeRows)
		}
		row, fes := ParseIntakeRow(rec)
		for _, fe := range fes {
			msg := fe.Problem
			if fe.Value != "" {
				msg = fmt.Sprintf("%q: %s", fe.Value, fe.Problem)
			}
			probs.Add(errs.Field{Line: line, Field: fe.Field, Message: msg})
		}
		if len(fes) > 0 {
			continue
		}
		if first, dup := seen[row.DeviceID]; dup {
			probs.Add(errs.Field{Line: line, Field: "device_id", Message: fmt.Sprintf("Device %s is also on line %d: receive it once", row.DeviceID, first)})
			continue
		}
		seen[row.DeviceID] = line
		rows = append(rows, row)
		lines = append(lines, line)
	}
	if len(rows) == 0 && probs.Count() == 0 {
		return nil, nil, errs.E(errs.Invalid, "the file has no Devices: one row per Device received, under the header %s", strings.Join(IntakeHeader, ","))
	}
	return rows, lines, nil
}

// intakeEntries checks every row against the facility's tools, the Devices'
// triage states and the estate, and builds the receive entries.
func (s *Service) intakeEntries(ctx context.Context, tx *store.Tx, c access.Caller, f Facility, rows []IntakeRow, lines []int,
	probs *errs.Collector) ([]Entry, map[int64]int64, []estate.Held, error) {
	type pair struct{ tool, iface string }
	tools := map[pair][2]toolRef{}
	ids := make([]estate.DeviceID, len(rows))
	for i, r := range rows {
		ids[i] = r.DeviceID
		p := pair{r.Tool, r.Interface}
		if _, ok := tools[p]; ok {
			continue
		}
		t, in, err := stepTools(ctx, tx, c, f, r.Tool, r.Interface)
		if err != nil && errs.CodeOf(err) == errs.Internal {
			return nil, nil, nil, err
		}
		if err != nil {
			probs.Add(errs.Field{Line: lines[i], Message: errs.As(err).Message})
			t.id = 0
		}
		tools[p] = [2]toolRef{t, in}
	}
	states, err := currentStates(ctx, tx, ids)
	if err != nil {
		return nil, nil, nil, err
	}
	held, err := estate.HeldDevices(ctx, tx, ids)
	if err != nil {
		return nil, nil, nil, err
	}
	ix, err := catalogue.LoadIndex(ctx, tx)
	if err != nil {
		return nil, nil, nil, err
	}
	type fwKey struct{ model, fw int64 }
	cpa := map[fwKey]catalogue.Status{}
	today := s.today(tx.Now)
	manufacturers := map[int64]int64{}
	es := make([]Entry, 0, len(rows))
	helds := make([]estate.Held, 0, len(rows))
	for i, r := range rows {
		h, ok := held[r.DeviceID]
		if !ok {
			probs.Add(errs.Field{Line: lines[i], Field: "device_id", Message: fmt.Sprintf("Device %s is not in the estate: only Devices the estate knows may be received", r.DeviceID)})
			continue
		}
		if h.Status == estate.Disposed {
			probs.Add(errs.Field{Line: lines[i], Field: "device_id", Message: fmt.Sprintf("Device %s is disposed of in the estate: it cannot be triaged", r.DeviceID)})
			continue
		}
		cur, ok := states[r.DeviceID]
		if !ok {
			cur = deviceState{state: sec.TriageOut}
		}
		if cur.facilityID != 0 && cur.facilityID != f.ID && !atRest(cur.state) {
			probs.Add(errs.Field{Line: lines[i], Field: "device_id", Message: fmt.Sprintf("Device %s is in triage at another facility", r.DeviceID)})
			continue
		}
		next, err := sec.TriageLifecycle.Next(cur.state, sec.StepReceive, sec.ActorOwner)
		if err != nil {
			probs.Add(errs.Field{Line: lines[i], Field: "device_id", Message: fmt.Sprintf("Device %s is %s: %v", r.DeviceID, cur.state, err)})
			continue
		}
		tl := tools[pair{r.Tool, r.Interface}]
		if probs.Count() > 0 || tl[0].id == 0 {
			continue // only problems are gathered from here on
		}
		k := fwKey{h.ModelID, h.FirmwareID}
		st, ok := cpa[k]
		if !ok {
			if st, err = catalogue.FirmwareStatusOn(ctx, tx, h.ModelID, h.FirmwareID, today); err != nil {
				return nil, nil, nil, err
			}
			cpa[k] = st
		}
		m, _ := ix.ModelByID(h.ModelID)
		manufacturers[h.ModelID] = m.ManufacturerID
		d := Detail{ReceivedFrom: r.ReceivedFrom, Model: h.Manufacturer + "/" + h.Model, Firmware: h.Firmware, CPAStatus: st.Label(), CPAReason: st.Reason}
		b, err := json.Marshal(d)
		if err != nil {
			return nil, nil, nil, errs.Wrap(err, "encode triage detail")
		}
		es = append(es, Entry{DeviceID: r.DeviceID, Step: sec.StepReceive, From: cur.state, To: next, Operator: c.Name,
			operatorID: c.UserID, toolID: tl[0].id, interfaceID: tl[1].id, Tool: tl[0].serial, Interface: tl[1].serial,
			supplierID: h.SupplierID, modelID: h.ModelID, Detail: d, detail: string(b)})
		if h.Status != estate.InTriage {
			helds = append(helds, h)
		}
	}
	return es, manufacturers, helds, nil
}

// currentStates reads the triage state of each Device that has one.
func currentStates(ctx context.Context, q store.Querier, ids []estate.DeviceID) (map[estate.DeviceID]deviceState, error) {
	out := map[estate.DeviceID]deviceState{}
	chunk := store.ListChunk(q)
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		var args access.Args
		marks := make([]string, len(part))
		for i, id := range part {
			marks[i] = args.Add(id.Int64())
		}
		rows, err := q.QueryContext(ctx, "SELECT device_id, facility_id, state, supplier_id, model_id, manufacturer_id FROM triage_devices WHERE device_id IN ("+
			strings.Join(marks, ", ")+")", args...)
		if err != nil {
			return nil, errs.Wrap(err, "read triage states")
		}
		for rows.Next() {
			var id int64
			var st deviceState
			if err := rows.Scan(&id, &st.facilityID, &st.state, &st.supplierID, &st.modelID, &st.maker); err != nil {
				rows.Close()
				return nil, errs.Wrap(err, "read triage states")
			}
			out[estate.DeviceIDFromInt64(id)] = st
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return nil, errs.Wrap(err, "read triage states")
		}
		rows.Close()
	}
	return out, nil
}
