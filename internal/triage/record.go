package triage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// StepInput is one Triage Activity to record. Which fields a step needs:
//
//	receive          received_from
//	boundary_check   outer, inner; reason when breached and the policy blocks
//	diagnose         note (the finding)
//	factory_reset    (note)
//	firmware_update  firmware (a catalogue version of the Device's model)
//	fit_seal         seal (never used before, at any facility)
//	release          released_to; estate_status installed (default) or removed
//	reject           reason
//	dispose          (reason)
//	return           released_to (to whom it goes back), (reason)
type StepInput struct {
	DeviceID     estate.DeviceID `json:"device_id"`
	Step         sec.TriageStep  `json:"step"`
	Tool         string          `json:"tool"`
	Interface    string          `json:"interface"`
	ReceivedFrom string          `json:"received_from,omitempty"`
	ReleasedTo   string          `json:"released_to,omitempty"`
	Outer        string          `json:"outer,omitempty"`
	Inner        string          `json:"inner,omitempty"`
	Reason       string          `json:"reason,omitempty"`
	Note         string          `json:"note,omitempty"`
	Firmware     string          `json:"firmware,omitempty"`
	Seal         string          `json:"seal,omitempty"`
	EstateStatus string          `json:"estate_status,omitempty"`
}

// deviceState is where a Device stands in triage, from triage_devices.
type deviceState struct {
	facilityID int64
	state      sec.TriageState
	supplierID int64
	modelID    int64
	maker      int64 // the model's manufacturer
}

// currentState reads Device id's triage state; TriageOut when never received.
func currentState(ctx context.Context, q store.Querier, id estate.DeviceID, forUpdate bool) (deviceState, error) {
	query := "SELECT facility_id, state, supplier_id, model_id, manufacturer_id FROM triage_devices WHERE device_id = $1"
	if forUpdate {
		query += store.ForUpdate(q, "")
	}
	var st deviceState
	err := q.QueryRowContext(ctx, query, id.Int64()).Scan(&st.facilityID, &st.state, &st.supplierID, &st.modelID, &st.maker)
	if errors.Is(err, sql.ErrNoRows) {
		return deviceState{state: sec.TriageOut}, nil
	}
	return st, errs.Wrap(err, "read triage state")
}

// atRest reports whether a Device in the state is not at any facility, so
// another facility may receive it.
func atRest(st sec.TriageState) bool {
	return st == sec.TriageOut || st == sec.TriageReleased || st == sec.TriageReturned
}

// operatorCheck refuses a caller who may not record at facility f: not one
// of its provider's Triage Facility Provider users, or the facility not
// approved.
func operatorCheck(c access.Caller, f Facility) error {
	if !isProvider(c, f.providerID) || c.UserID == 0 {
		return errs.E(errs.Forbidden, "only an operator of %s (a Triage Facility Provider user) may record Triage Activities at %s", f.Provider, f.Name)
	}
	if !sec.FacilityMayRecord(f.Status) {
		return errs.E(errs.Conflict, "%s is %s: only an approved facility may record Triage Activities (MP203)", f.Name, f.Status)
	}
	return nil
}

// tools resolves the tool and interface of a step and refuses an operator
// not allowed on either.
func stepTools(ctx context.Context, q store.Querier, c access.Caller, f Facility, tool, iface string) (toolRef, toolRef, error) {
	t, err := resolveTool(ctx, q, f.ID, CategoryTool, tool, c.UserID)
	if err != nil {
		return t, toolRef{}, err
	}
	i, err := resolveTool(ctx, q, f.ID, CategoryInterface, iface, c.UserID)
	if err != nil {
		return t, i, err
	}
	for _, r := range []toolRef{t, i} {
		if !r.allowed {
			return t, i, errs.E(errs.Forbidden, "%s is not allowed to use %s at %s: the provider grants each Triage Tool and Interface to its operators",
				c.Name, r.serial, f.Name)
		}
	}
	return t, i, nil
}

// Record records one Triage Activity at facility facilityID, as the calling
// operator, with the tool and interface named: the step must be the next the
// lifecycle allows for the Device, and everything it changes (the Device's
// estate status or firmware, the seal register, the record) commits together
// or not at all.
func (s *Service) Record(ctx context.Context, c access.Caller, facilityID int64, in StepInput) (Entry, error) {
	var out Entry
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		f, err := findFacility(ctx, tx, c, facilityID)
		if err != nil {
			return err
		}
		if err := operatorCheck(c, f); err != nil {
			return err
		}
		tool, iface, err := stepTools(ctx, tx, c, f, in.Tool, in.Interface)
		if err != nil {
			return err
		}
		cur, err := currentState(ctx, tx, in.DeviceID, true)
		if err != nil {
			return err
		}
		if cur.facilityID != 0 && cur.facilityID != f.ID && !atRest(cur.state) {
			return errs.E(errs.Conflict, "Device %s is in triage at another facility", in.DeviceID)
		}
		next, err := sec.TriageLifecycle.Next(cur.state, in.Step, sec.ActorOwner)
		if err != nil {
			return errs.E(errs.Conflict, "Device %s is %s: %v", in.DeviceID, cur.state, err)
		}
		e := Entry{DeviceID: in.DeviceID, Step: in.Step, From: cur.state, To: next, Operator: c.Name,
			operatorID: c.UserID, toolID: tool.id, interfaceID: iface.id, Tool: tool.serial, Interface: iface.serial,
			supplierID: cur.supplierID, modelID: cur.modelID}
		manufacturers := map[int64]int64{cur.modelID: cur.maker}
		if err := s.apply(ctx, tx, f, &e, in, manufacturers); err != nil {
			return err
		}
		b, err := json.Marshal(e.Detail)
		if err != nil {
			return errs.Wrap(err, "encode triage detail")
		}
		e.detail = string(b)
		es := []Entry{e}
		if err := appendEntries(ctx, tx, f.ID, es, manufacturers); err != nil {
			return err
		}
		if in.Step == sec.StepFitSeal {
			if err := fitSeal(ctx, tx, f, es[0]); err != nil {
				return err
			}
		}
		if err := audit.Record(ctx, tx, "triage."+string(in.Step), KindEntry, fmt.Sprintf("%d/%d", f.ID, es[0].Seq),
			map[string]any{"facility": f.ID, "seq": es[0].Seq, "hash": es[0].Hash}); err != nil {
			return err
		}
		out = es[0]
		return nil
	})
	return out, err
}

// apply checks a step's own fields and makes its changes outside the record:
// the estate (status, firmware) and the detail to record.
func (s *Service) apply(ctx context.Context, tx *store.Tx, f Facility, e *Entry, in StepInput, manufacturers map[int64]int64) error {
	text := func(field, v string, max int, required bool) (string, error) {
		v, fe := cleanText(field, v, max, required)
		if fe != nil {
			if required && v == "" {
				fe.Message = "is required to " + strings.ReplaceAll(string(in.Step), "_", " ")
			}
			return v, errs.Fields("the "+strings.ReplaceAll(string(in.Step), "_", " ")+" entry is not valid", *fe)
		}
		return v, nil
	}
	var err error
	d := &e.Detail
	switch in.Step {
	case sec.StepReceive:
		if d.ReceivedFrom, err = text("received_from", in.ReceivedFrom, 200, true); err != nil {
			return err
		}
		held, err := estate.HeldDevices(ctx, tx, []estate.DeviceID{in.DeviceID})
		if err != nil {
			return err
		}
		h, ok := held[in.DeviceID]
		if !ok {
			return errs.FieldError("device_id", "Device %s is not in the estate: only Devices the estate knows may be received", in.DeviceID)
		}
		if err := s.receiveChecks(ctx, tx, h, d); err != nil {
			return err
		}
		if h.Status != estate.InTriage {
			if err := estate.SetStatusesIn(ctx, tx, []estate.Held{h}, estate.InTriage); err != nil {
				return err
			}
		}
		e.supplierID, e.modelID = h.SupplierID, h.ModelID
		ix, err := catalogue.LoadIndex(ctx, tx)
		if err != nil {
			return err
		}
		m, _ := ix.ModelByID(h.ModelID)
		manufacturers[h.ModelID] = m.ManufacturerID
	case sec.StepBoundaryCheck:
		var fields []errs.Field
		if d.Outer, err = sec.ParseBoundary(in.Outer); err != nil {
			fields = append(fields, errs.Field{Field: "outer", Message: err.Error()})
		}
		if d.Inner, err = sec.ParseBoundary(in.Inner); err != nil {
			fields = append(fields, errs.Field{Field: "inner", Message: err.Error()})
		}
		reason, fe := cleanText("reason", in.Reason, 500, false)
		if fe != nil {
			fields = append(fields, *fe)
		}
		if len(fields) > 0 {
			return errs.Fields("the boundary check is not valid", fields...)
		}
		if err := sec.CheckBoundary(d.Outer, d.Inner, reason, f.BreachPolicy); err != nil {
			return errs.Fields("the boundary check blocks triage", errs.Field{Field: "reason", Message: err.Error()})
		}
		if d.Breached() {
			d.BreachReason = reason
		}
	case sec.StepDiagnose:
		if d.Note, err = text("note", in.Note, 2000, true); err != nil {
			return err
		}
	case sec.StepFactoryReset:
		if d.Note, err = text("note", in.Note, 2000, false); err != nil {
			return err
		}
	case sec.StepFirmwareUpdate:
		fw, err := text("firmware", in.Firmware, 64, true)
		if err != nil {
			return err
		}
		before, err := estate.HeldDevices(ctx, tx, []estate.DeviceID{in.DeviceID})
		if err != nil {
			return err
		}
		dev, err := s.Estate.UpgradeFirmwareIn(ctx, tx, in.DeviceID, fw, s.today(tx.Now))
		if err != nil {
			return err
		}
		d.FirmwareFrom, d.FirmwareTo = before[in.DeviceID].Firmware, dev.Firmware
	case sec.StepFitSeal:
		seal, err := text("seal", in.Seal, 64, true)
		if err != nil {
			return err
		}
		d.Seal = strings.ToUpper(seal)
	case sec.StepRelease, sec.StepReturn, sec.StepDispose:
		st := estate.Disposed
		switch in.Step {
		case sec.StepRelease:
			if d.ReleasedTo, err = text("released_to", in.ReleasedTo, 200, true); err != nil {
				return err
			}
			st = estate.Installed
			switch strings.TrimSpace(in.EstateStatus) {
			case "", string(estate.Installed):
			case string(estate.Removed):
				st = estate.Removed
			default:
				return errs.FieldError("estate_status", "want installed (the default) or removed: the Device's estate status once released")
			}
		case sec.StepReturn:
			if d.ReleasedTo, err = text("released_to", in.ReleasedTo, 200, true); err != nil {
				return err
			}
			st = estate.Removed
		}
		if d.Reason, err = text("reason", in.Reason, 500, false); err != nil {
			return err
		}
		held, err := estate.HeldDevices(ctx, tx, []estate.DeviceID{in.DeviceID})
		if err != nil {
			return err
		}
		if h, ok := held[in.DeviceID]; ok && h.Status != st {
			if err := estate.SetStatusesIn(ctx, tx, []estate.Held{h}, st); err != nil {
				return err
			}
		}
		d.EstateStatus = st
	case sec.StepReject:
		if d.Reason, err = text("reason", in.Reason, 500, true); err != nil {
			return err
		}
	}
	return nil
}

// receiveChecks fills in what the catalogue says of a received Device: its
// model and firmware, and the firmware's CPA certificate status today. A
// Device disposed of in the estate cannot be received.
func (s *Service) receiveChecks(ctx context.Context, tx *store.Tx, h estate.Held, d *Detail) error {
	if h.Status == estate.Disposed {
		return errs.E(errs.Conflict, "Device %s is disposed of in the estate: it cannot be triaged", h.ID)
	}
	st, err := catalogue.FirmwareStatusOn(ctx, tx, h.ModelID, h.FirmwareID, s.today(tx.Now))
	if err != nil {
		return err
	}
	d.Model = h.Manufacturer + "/" + h.Model
	d.Firmware = h.Firmware
	d.CPAStatus, d.CPAReason = st.Label(), st.Reason
	return nil
}

// fitSeal registers the seal of entry e: a seal number is unique across all
// facilities and never reused, since the register is never deleted from.
func fitSeal(ctx context.Context, tx *store.Tx, f Facility, e Entry) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO triage_seals (seal, facility_id, device_id, seq, fitted_at) VALUES ($1, $2, $3, $4, $5)`,
		e.Detail.Seal, f.ID, e.DeviceID.Int64(), e.Seq, e.At)
	if store.IsUniqueViolation(err) {
		return errs.FieldError("seal", "seal %s has been fitted before: a seal number is used once, at any facility, and never again", e.Detail.Seal)
	}
	return errs.Wrap(err, "register seal")
}
