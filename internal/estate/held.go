package estate

import (
	"context"
	"fmt"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// This file is the estate as another area's service sees it when it acts on
// Devices in its own transaction: a Triage Facility receiving, updating and
// releasing Devices (MP203). The calling service has decided that its caller
// may act; these functions read and change Devices whatever the caller could
// see, under the status lifecycle's system actor, and keep the portfolio
// exact and the audit trail written in the same transaction.

// Held is a Device with the ids another area needs to keep its own
// visibility columns (the Responsible Supplier, the model).
type Held struct {
	Device
	ModelID, FirmwareID, SupplierID, MapID int64
}

// HeldDevices reads the Devices with the ids (without history), whoever may
// see them; ids not in the estate are absent from the map.
func HeldDevices(ctx context.Context, q store.Querier, ids []DeviceID) (map[DeviceID]Held, error) {
	out := make(map[DeviceID]Held, len(ids))
	size := store.ListChunk(q)
	for start := 0; start < len(ids); start += size {
		chunk := ids[start:min(start+size, len(ids))]
		var args access.Args
		marks := make([]string, len(chunk))
		for i, id := range chunk {
			marks[i] = args.Add(id.Int64())
		}
		rows, err := q.QueryContext(ctx, deviceSelect+" WHERE d.id IN ("+strings.Join(marks, ", ")+")", args...)
		if err != nil {
			return nil, errs.Wrap(err, "read devices")
		}
		for rows.Next() {
			r, err := scanDeviceRow(rows)
			if err != nil {
				rows.Close()
				return nil, errs.Wrap(err, "read devices")
			}
			out[r.ID] = heldOf(r)
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return nil, errs.Wrap(err, "read devices")
		}
		rows.Close()
	}
	return out, nil
}

func heldOf(r deviceRow) Held {
	return Held{Device: r.Device, ModelID: r.modelID, FirmwareID: r.firmwareID, SupplierID: r.supplierID, MapID: r.mapID}
}

// SetStatusesIn moves every Device in held (as HeldDevices read them in the
// same transaction) to status st by the status lifecycle, as the system, in
// tx: the Devices' rows, the portfolio groups they leave or join, and one
// audit record (one per Device when there is one, one for the batch
// otherwise). A Device already in st, or one the table does not let move
// there, fails the whole call.
func SetStatusesIn(ctx context.Context, tx *store.Tx, held []Held, st Status) error {
	ev, ok := eventTo[st]
	if !ok {
		return errs.FieldError("status", "%q is not a status: want installed, removed, in_triage or disposed", st)
	}
	type groupKey struct{ supplier, model, firmware, mapID int64 }
	type inhKey struct {
		supplier, model, mapID int64
		start                  sec.Date
	}
	port := map[groupKey]deviceRow{}
	portDelta := map[groupKey]int64{}
	inh := map[inhKey]deviceRow{}
	inhDelta := map[inhKey]int64{}
	type enrKey struct {
		supplier, model, mapID int64
		enrolled               sec.Date
		inherited              bool
		start                  sec.Date
	}
	enr := map[enrKey]deviceRow{}
	enrDelta := map[enrKey]int64{}
	ids := make([]DeviceID, 0, len(held))
	for _, h := range held {
		if h.Status == st {
			return errs.E(errs.Conflict, "Device %s is already %s", h.ID, st)
		}
		if _, err := StatusLifecycle.Next(h.Status, ev, sec.ActorSystem); err != nil {
			return errs.E(errs.Conflict, "Device %s cannot go from %s to %s: %v", h.ID, h.Status, st, err)
		}
		ids = append(ids, h.ID)
		delta := int64(0)
		switch {
		case st == Installed:
			delta = 1
		case h.Status == Installed:
			delta = -1
		}
		if delta == 0 || h.SupplierID == 0 {
			continue
		}
		r := deviceRow{Device: h.Device, modelID: h.ModelID, firmwareID: h.FirmwareID, supplierID: h.SupplierID, mapID: h.MapID}
		k := groupKey{h.SupplierID, h.ModelID, h.FirmwareID, h.MapID}
		port[k] = r
		portDelta[k] += delta
		if h.Inherited {
			ik := inhKey{h.SupplierID, h.ModelID, h.MapID, h.SupplyStart}
			inh[ik] = r
			inhDelta[ik] += delta
		}
		if h.Generation == sec.SMETS1 {
			// portfolio_enrolled counts SMETS1 Devices by enrolment day and
			// inheritance: kept exact here as SetStatus keeps it.
			ek := enrKey{h.SupplierID, h.ModelID, h.MapID, h.EnrolledOn, h.Inherited, h.SupplyStart}
			enr[ek] = r
			enrDelta[ek] += delta
		}
	}
	size := store.ListChunk(tx)
	for start := 0; start < len(ids); start += size {
		chunk := ids[start:min(start+size, len(ids))]
		args := access.Args{string(st)}
		marks := make([]string, len(chunk))
		for i, id := range chunk {
			marks[i] = args.Add(id.Int64())
		}
		if _, err := tx.ExecContext(ctx, "UPDATE devices SET status = $1 WHERE id IN ("+strings.Join(marks, ", ")+")", args...); err != nil {
			return errs.Wrap(err, "set device status")
		}
	}
	for k, r := range port {
		if d := portDelta[k]; d != 0 {
			if err := addDevicePortfolio(ctx, tx, r, r.firmwareID, d); err != nil {
				return err
			}
		}
	}
	for k, r := range inh {
		if d := inhDelta[k]; d != 0 {
			if err := addInherited(ctx, tx, r, d); err != nil {
				return err
			}
		}
	}
	for k, r := range enr {
		if d := enrDelta[k]; d != 0 {
			if err := addEnrolled(ctx, tx, r, d); err != nil {
				return err
			}
		}
	}
	switch len(held) {
	case 0:
		return nil
	case 1:
		return audit.Record(ctx, tx, "device.status", KindDevice, held[0].ID.String(),
			map[string]any{"status": st, "previous": held[0].Status})
	}
	return audit.Record(ctx, tx, "device.status.batch", KindDevice, fmt.Sprintf("%d Devices", len(held)),
		map[string]any{"status": st, "devices": ids})
}

// UpgradeFirmwareIn records, in tx and as the system, that Device id runs
// firmware from day (UpgradeFirmware's rules: a catalogue version of its
// model, recorded in order), returning the Device with its history.
func (s *Service) UpgradeFirmwareIn(ctx context.Context, tx *store.Tx, id DeviceID, firmware string, day sec.Date) (Device, error) {
	firmware = strings.TrimSpace(firmware)
	if firmware == "" {
		return Device{}, errs.FieldError("firmware", "is required: a firmware version of the Device's model, as the catalogue lists it")
	}
	sys := access.SystemCaller("estate")
	r, err := loadDevice(ctx, tx, sys, id, true)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return Device{}, errs.E(errs.NotFound, "Device %s is not in the estate", id)
		}
		return Device{}, err
	}
	if day.IsZero() {
		day = s.today(tx)
	}
	return upgradeFirmware(ctx, tx, sys, r, firmware, day)
}
