package coverage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Explanation answers, for one Device on one day, who carries each duty,
// under which SEC version, the arrangement that covers it, and why.
type Explanation struct {
	DeviceID    string      `json:"device_id"`
	Date        sec.Date    `json:"date"`
	SECVersion  sec.Version `json:"sec_version"`
	VersionNote string      `json:"sec_version_note"`
	Device      DeviceFacts `json:"device"`
	// Supplier is the Responsible Supplier on the day, as far as the caller
	// may know it; nil when there was none.
	Supplier *SupplyFacts `json:"supplier,omitempty"`
	Duties   []DutyView   `json:"duties"`
	// Coverage is how the Supplier's G3.20(b) duty is met for this Device,
	// when the Supplier carries it and the caller may see its coverage.
	Coverage     *PartView `json:"coverage,omitempty"`
	CoverageNote string    `json:"coverage_note,omitempty"`
}

// DeviceFacts are the Device's catalogue and estate facts.
type DeviceFacts struct {
	Type         sec.DeviceType `json:"device_type"`
	TypeLabel    string         `json:"device_type_label"`
	Generation   sec.Generation `json:"generation"`
	Manufacturer Org            `json:"manufacturer"`
	Model        ModelInfo      `json:"model"`
	MAP          *Org           `json:"map,omitempty"`
	Status       string         `json:"status"`
	// EnrolledOn is a SMETS1 Device's enrolment onto the DCC, when it has one.
	EnrolledOn sec.Date `json:"enrolled_on,omitzero"`
}

// SupplyFacts describe the supply period the day falls in.
type SupplyFacts struct {
	// Label names the Supplier as far as the caller may know it: in full to
	// the Supplier itself and the SSC, by code to the Device's MAP and
	// manufacturer (who are told which Suppliers operate their Devices), and
	// as "another Supplier" to a later Supplier looking at the past.
	Label     string   `json:"label"`
	Since     sec.Date `json:"since"`
	Until     sec.Date `json:"until,omitzero"` // the last day, for a closed period
	Inherited bool     `json:"inherited"`
	id        int64
}

// DutyView is one clause's answer.
type DutyView struct {
	Clause      string         `json:"clause"`
	Holder      sec.DutyHolder `json:"holder"`
	HolderLabel string         `json:"holder_label"`
	Party       string         `json:"party"`
	Reason      string         `json:"reason"`
	KnownGap    bool           `json:"known_gap,omitempty"`
}

// Explain answers for one Device, which the caller must be entitled to see
// (its current Supplier, MAP or manufacturer, or the SSC). version, when not
// empty, replaces the release in force on the day.
func (s *Service) Explain(ctx context.Context, c access.Caller, deviceID string, d sec.Date, version string) (Explanation, error) {
	id, err := estate.ParseDeviceID(strings.TrimSpace(deviceID))
	if err != nil {
		return Explanation{}, errs.FieldError("device_id", "%v", err)
	}
	if d.IsZero() {
		d = s.today()
	}
	ex := Explanation{DeviceID: id.String(), Date: d}
	inForce, ierr := s.versions().InForce(d)
	if strings.TrimSpace(version) != "" {
		rel, err := s.versions().Lookup(version)
		if err != nil {
			return ex, errs.FieldError("sec_version", "%v", err)
		}
		ex.SECVersion = rel.Version
		ex.VersionNote = fmt.Sprintf("v%s as asked", rel.Version)
		if ierr == nil && inForce.Version != rel.Version {
			ex.VersionNote += fmt.Sprintf(" (v%s was in force on %s)", inForce.Version, d)
		}
	} else {
		if ierr != nil {
			return ex, errs.FieldError("date", "%v", ierr)
		}
		ex.SECVersion = inForce.Version
		ex.VersionNote = fmt.Sprintf("v%s, the release in force on %s (effective %s)", inForce.Version, d, inForce.Effective)
	}
	if caveat := s.versions().Caveat(ex.SECVersion); caveat != "" {
		ex.VersionNote += "; NOTE: " + caveat
	}
	err = s.DB.Read(ctx, c, func(tx *store.Tx) error { return s.explain(ctx, tx, c, int64(id), &ex) })
	return ex, err
}

func (s *Service) explain(ctx context.Context, tx *store.Tx, c access.Caller, id int64, ex *Explanation) error {
	var args access.Args
	var modelID, mfr int64
	var mapID, supplierID sql.NullInt64
	var start, enrolled sec.Date
	var inherited bool
	err := tx.QueryRowContext(ctx, `SELECT d.model_id, m.manufacturer_id, m.device_type, m.generation, d.map_id, d.status,
		d.supplier_id, d.supply_start, d.inherited, d.enrolled_on FROM devices d JOIN device_models m ON m.id = d.model_id
		WHERE d.id = `+args.Add(id)+` AND `+c.VisibleAs(&args, "device", "'AMBER'", "d.id", "d.supplier_id", "d.map_id", "m.manufacturer_id"),
		args...).Scan(&modelID, &mfr, &ex.Device.Type, &ex.Device.Generation, &mapID, &ex.Device.Status, &supplierID, &start, &inherited, &enrolled)
	if err == sql.ErrNoRows {
		// The message does not repeat the ID: whether a Device exists is
		// itself not for everyone to learn.
		return errs.E(errs.NotFound, "no Device with that ID that you may see")
	}
	if err != nil {
		return errs.Wrap(err, "read device")
	}
	n, err := loadNames(ctx, tx, c, ex.Date)
	if err != nil {
		return err
	}
	ex.Device.TypeLabel = ex.Device.Type.Label()
	ex.Device.EnrolledOn = enrolled
	ex.Device.Manufacturer = n.org(mfr)
	ex.Device.Model = n.models[modelID]
	// The MAP of the day, from the Device's MAP history (issue 13): its
	// chain of contracts is the one that counts then. Who may see the
	// Device is still decided by its current MAP, above.
	onDay, err := estate.MAPOn(ctx, tx, estate.DeviceIDFromInt64(id), ex.Date)
	if err != nil {
		return err
	}
	mapID = sql.NullInt64{Int64: onDay, Valid: onDay != 0}
	if mapID.Valid {
		o := n.org(mapID.Int64)
		ex.Device.MAP = &o
	}

	// The supply period the day falls in: the current one, or a closed one.
	var sp *SupplyFacts
	if !ex.Date.Before(start) {
		if supplierID.Valid {
			sp = &SupplyFacts{id: supplierID.Int64, Since: start, Inherited: inherited}
		}
	} else {
		var p SupplyFacts
		var end sec.Date
		err := tx.QueryRowContext(ctx, `SELECT sp.supplier_id, sp.start, sp."end",
			EXISTS (SELECT 1 FROM supply_periods e WHERE e.device_id = sp.device_id AND e."end" <= sp.start)
			FROM supply_periods sp WHERE sp.device_id = $1 AND sp.start <= $2 AND sp."end" > $2`, id, ex.Date).
			Scan(&p.id, &p.Since, &end, &p.Inherited)
		switch {
		case err == sql.ErrNoRows:
		case err != nil:
			return errs.Wrap(err, "read supply periods")
		default:
			p.Until = end.AddDays(-1)
			sp = &p
		}
	}
	seesSupplier := sp != nil && (c.System || c.IsSSC() || c.OrgID == sp.id)
	if sp != nil {
		o := n.org(sp.id)
		switch {
		case seesSupplier:
			sp.Label = o.Label()
		case c.OrgID != 0 && (mapID.Valid && c.OrgID == mapID.Int64 || c.OrgID == mfr):
			sp.Label = o.Code
		default:
			sp.Label = "another Supplier"
		}
		ex.Supplier = sp
	}

	notEnrolled := ex.Device.Generation == sec.SMETS1 && (enrolled.IsZero() || enrolled.After(ex.Date))
	ob, err := sec.WhoCarries(sec.DutyQuery{Type: ex.Device.Type, Generation: ex.Device.Generation, HasSupplier: sp != nil,
		Date: ex.Date, Version: ex.SECVersion, NotEnrolled: notEnrolled, EnrolledOn: enrolled}, s.settings())
	if err != nil {
		return errs.Wrap(err, "obligations")
	}
	for _, d := range []sec.Duty{ob.G317, ob.G320} {
		v := DutyView{Clause: d.Clause, Holder: d.Holder, HolderLabel: d.Holder.Label(), Reason: d.Reason, KnownGap: d.KnownGap}
		switch d.Holder {
		case sec.HolderSupplier:
			v.Party = sp.Label
		case sec.HolderDCC:
			v.Party = "DCC"
		default:
			v.Party = "No one"
		}
		ex.Duties = append(ex.Duties, v)
	}

	switch {
	case ob.G320.KnownGap && sp == nil:
		ex.CoverageNote = "DP087 gap: no clause binds anyone, and the Device had no Responsible Supplier on the day."
		return nil
	case ob.G320.KnownGap && !seesSupplier:
		ex.CoverageNote = "DP087 gap: no clause binds the Supplier; whether its arrangements cover this Device anyway is shown to that Supplier and the SSC only."
		return nil
	case ob.G320.Holder != sec.HolderSupplier && !ob.G320.KnownGap:
		ex.CoverageNote = "No Supplier arrangement is needed: " + ob.G320.Holder.Label() + " carries G3.20(b) for this Device."
		return nil
	case !seesSupplier:
		ex.CoverageNote = "How the Supplier meets G3.20(b) is shown to that Supplier and the SSC only."
		return nil
	}
	terms, err := loadTerms(ctx, tx, ex.Date)
	if err != nil {
		return err
	}
	models, err := loadModels(ctx, tx, ex.Date)
	if err != nil {
		return err
	}
	cell := Cell{Supplier: sp.id, Model: models[modelID], MAP: mapID.Int64, Devices: 1}
	if sp.Inherited && !sp.Since.Before(WindowOpenFrom(s.settings(), ex.Date)) {
		cell.InWindow, cell.WindowStart = 1, sp.Since
	}
	rules := NewRules(NewTerms(terms), s.settings(), ex.SECVersion, ex.Date)
	parts := rules.Evaluate(cell)
	if len(parts) == 0 {
		return nil
	}
	p := parts[0]
	used := map[int64]bool{}
	for _, t := range p.Terms {
		used[t] = true
	}
	rs, err := refs(ctx, tx, c, n, terms, used)
	if err != nil {
		return err
	}
	pv := PartView{Status: p.Status, Route: p.Route, Devices: 1, Until: p.Until, Arranged: arranged(p)}
	if p.MAP != 0 {
		o := n.org(p.MAP)
		pv.MAP = &o
	}
	for _, t := range p.Terms {
		pv.Arrangements = append(pv.Arrangements, rs[t])
	}
	mc := &ModelCoverage{Manufacturer: ex.Device.Manufacturer, Model: ex.Device.Model}
	pv.Reason, pv.KnownGap = describe(p, &pv, mc, rules)
	ex.Coverage = &pv
	if p.Status == DP087Gap {
		switch pv.Arranged {
		case Covered:
			ex.CoverageNote = "DP087 gap: no clause binds the Supplier, but its arrangements cover this Device anyway."
		case Steps:
			ex.CoverageNote = "DP087 gap: no clause binds the Supplier; it has reasonable steps (a Letter of Intent or MoU) for this Device anyway."
		default:
			ex.CoverageNote = "DP087 gap: no clause binds the Supplier, and no arrangement of its covers this Device."
		}
	}
	return nil
}
