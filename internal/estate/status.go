package estate

import (
	"context"
	"errors"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// StatusEvent is what happens to a Device to change its status.
type StatusEvent string

// The events, one per status they lead to.
const (
	EventInstall StatusEvent = "install"
	EventRemove  StatusEvent = "remove"
	EventTriage  StatusEvent = "triage"
	EventDispose StatusEvent = "dispose"
)

// eventTo is the event that leads to each status.
var eventTo = map[Status]StatusEvent{Installed: EventInstall, Removed: EventRemove, InTriage: EventTriage, Disposed: EventDispose}

// Statuses lists every status in lifecycle order.
var Statuses = []Status{Installed, Removed, InTriage, Disposed}

// ParseStatus accepts a status code.
func ParseStatus(s string) (Status, error) {
	for _, st := range Statuses {
		if string(st) == s {
			return st, nil
		}
	}
	return "", errs.FieldError("status", "%q is not a status: want installed, removed, in_triage or disposed", s)
}

// StatusLifecycle is the table of a Device's status changes. A Device comes
// off the wall (removed) or goes to a Triage Facility for investigation
// (in_triage); either may be put back (installed) or, once off the wall,
// disposed of, which is final. Only installed Devices count in the
// portfolio.
var StatusLifecycle = func() *sec.Lifecycle[Status, StatusEvent] {
	who := []sec.Actor{sec.ActorSupplier, sec.ActorSSC, sec.ActorSystem}
	l, err := sec.NewLifecycle("device status", Installed, []sec.Transition[Status, StatusEvent]{
		{From: Installed, Event: EventRemove, To: Removed, Who: who, Note: "taken off the wall; leaves the portfolio"},
		{From: Installed, Event: EventTriage, To: InTriage, Who: who, Note: "sent for investigation; leaves the portfolio"},
		{From: Removed, Event: EventInstall, To: Installed, Who: who, Note: "put back; joins the portfolio again"},
		{From: Removed, Event: EventTriage, To: InTriage, Who: who},
		{From: Removed, Event: EventDispose, To: Disposed, Who: who, Note: "final"},
		{From: InTriage, Event: EventInstall, To: Installed, Who: who, Note: "returned from triage; joins the portfolio again"},
		{From: InTriage, Event: EventRemove, To: Removed, Who: who},
		{From: InTriage, Event: EventDispose, To: Disposed, Who: who, Note: "final"},
	})
	if err != nil {
		panic(err)
	}
	return l
}()

// actors are the parts the caller plays for a Device it can see.
func actors(c access.Caller, r deviceRow) []sec.Actor {
	var out []sec.Actor
	if c.System {
		out = append(out, sec.ActorSystem)
	}
	if c.IsSSC() {
		out = append(out, sec.ActorSSC)
	}
	if c.Has(sec.RoleSupplier) && r.supplierID != 0 && r.supplierID == c.OrgID {
		out = append(out, sec.ActorSupplier)
	}
	return out
}

// StatusChoices lists the statuses the caller may move Device d to: the
// buttons a page shows.
func StatusChoices(c access.Caller, d Device) []Status {
	r := deviceRow{Device: d}
	if c.Has(sec.RoleSupplier) && d.Supplier != "" && d.Supplier == c.OrgCode {
		r.supplierID = c.OrgID
	}
	var out []Status
	for _, ev := range StatusLifecycle.Events(d.Status, actors(c, r)...) {
		for st, e := range eventTo {
			if e == ev {
				out = append(out, st)
			}
		}
	}
	return out
}

// MayChange reports whether the caller may record firmware or status for
// Device d (which it has been shown).
func MayChange(c access.Caller, d Device) bool {
	return c.System || c.IsSSC() || (c.Has(sec.RoleSupplier) && d.Supplier != "" && d.Supplier == c.OrgCode)
}

// MayChangeSupplier reports whether a Device's page offers the caller the
// change of Responsible Supplier: to those who may change the Device
// (MayChange: its Supplier, the SSC and the system). ChangeSupplier then
// lets a Supplier make only the changes that make it responsible.
func MayChangeSupplier(c access.Caller, d Device) bool { return MayChange(c, d) }

// SetStatus moves Device id to status st by the lifecycle table. Leaving or
// entering installed takes the Device out of or puts it into its portfolio
// group (and its inherited group) in the same transaction.
func (s *Service) SetStatus(ctx context.Context, c access.Caller, id DeviceID, st Status) (Device, error) {
	ev, ok := eventTo[st]
	if !ok {
		return Device{}, errs.FieldError("status", "%q is not a status: want installed, removed, in_triage or disposed", st)
	}
	var out Device
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		r, err := loadDevice(ctx, tx, c, id, true)
		if err != nil {
			return err
		}
		if r.Status == st {
			return errs.E(errs.Conflict, "Device %s is already %s", id, st)
		}
		if _, err := StatusLifecycle.Next(r.Status, ev, actors(c, r)...); err != nil {
			var te *sec.TransitionError
			if errors.As(err, &te) && errors.Is(err, sec.ErrNotPermitted) {
				return errs.E(errs.Forbidden, "only the Device's Responsible Supplier, the SSC and the secretariat may change its status")
			}
			return errs.E(errs.Conflict, "Device %s cannot go from %s to %s: %v", id, r.Status, st, err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE devices SET status = $1 WHERE id = $2", string(st), id.Int64()); err != nil {
			return errs.Wrap(err, "set device status")
		}
		delta := int64(0)
		switch {
		case st == Installed:
			delta = 1
		case r.Status == Installed:
			delta = -1
		}
		if delta != 0 && r.supplierID != 0 {
			if err := addDevicePortfolio(ctx, tx, r, r.firmwareID, delta); err != nil {
				return err
			}
			if r.Inherited {
				if err := addInherited(ctx, tx, r, delta); err != nil {
					return err
				}
			}
			if err := addEnrolled(ctx, tx, r, delta); err != nil {
				return err
			}
		}
		if err := audit.Record(ctx, tx, "device.status", KindDevice, id.String(),
			map[string]any{"status": st, "previous": r.Status}); err != nil {
			return err
		}
		r.Status = st
		out = r.Device
		return history(ctx, tx, c, &out)
	})
	return out, err
}
