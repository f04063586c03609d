package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/triage"
)

// The demo's Triage Facility Provider (RTL) runs one approved facility with
// a Triage Tool and a Triage Interface, and has a second facility whose
// initial FUSA is under way.
const (
	demoOperator  = "facility@renew.example.org"
	demoTool      = "RT-TT-0001"
	demoInterface = "RT-IF-0001"
)

// triageStory is the steps one Device goes through; refuse is a step the
// facility refuses (and records nothing for) before the rest.
type triageStory struct {
	name   string
	steps  []triage.StepInput
	refuse *triage.StepInput
}

// seedTriage gives RTL its facilities and puts Devices of two Suppliers at
// every step of triage: received, checked, diagnosed, reset, updated,
// sealed, released, a legitimate breach (a battery failure alert) carried
// through to release, a breach refused for want of a reason and the Device
// rejected and disposed of, and a rejected Device returned.
func seedTriage(ctx context.Context, db *store.DB, users map[string]access.Caller, today sec.Date) error {
	svc := triage.NewService(db)
	svc.Today = func(_ time.Time) sec.Date { return today }
	ssc, op := users["chair@ssc.example.org"], users[demoOperator]
	f, err := svc.Apply(ctx, op, triage.NewFacility{Name: "Renew Triage Northampton", Address: "Unit 7, Brackmills Industrial Estate, Northampton NN4 7PB"})
	if err != nil {
		return fmt.Errorf("demo triage facility: %w", err)
	}
	for _, d := range []struct {
		who access.Caller
		d   triage.Decision
	}{
		{ssc, triage.Decision{Event: sec.FacilityBeginFUSA, Note: "Initial FUSA booked with the User CIO"}},
		{ssc, triage.Decision{Event: sec.FacilityApproveWithStep, Note: "Approved subject to CCTV over the seal store"}},
		{ssc, triage.Decision{Event: sec.FacilityConfirmSteps, Note: "CCTV fitted and evidenced"}},
		{op, triage.Decision{Event: sec.FacilityStartOperating}},
	} {
		if _, err := svc.Decide(ctx, d.who, f.ID, d.d); err != nil {
			return fmt.Errorf("demo triage decision %s: %w", d.d.Event, err)
		}
	}
	g, err := svc.Apply(ctx, op, triage.NewFacility{Name: "Renew Triage Leeds", Address: "Plot 3, Cross Green Way, Leeds LS9 0SE", BreachPolicy: "allow"})
	if err != nil {
		return err
	}
	if _, err := svc.Decide(ctx, ssc, g.ID, triage.Decision{Event: sec.FacilityBeginFUSA, Note: "Initial FUSA fieldwork next month"}); err != nil {
		return err
	}
	for _, t := range []triage.ToolInput{
		{Category: triage.CategoryTool, Serial: demoTool, Kind: "hand-held Triage Tool (diagnose, factory reset, firmware load)", Firmware: "2.3.1", Operators: []string{demoOperator}},
		{Category: triage.CategoryInterface, Serial: demoInterface, Kind: "optical port probe", Firmware: "1.0", Operators: []string{demoOperator}},
	} {
		if _, err := svc.RegisterTool(ctx, op, f.ID, t); err != nil {
			return fmt.Errorf("demo triage tool: %w", err)
		}
	}

	ids, err := triageCandidates(ctx, db, 10)
	if err != nil {
		return err
	}
	held, err := estate.HeldDevices(ctx, db, ids)
	if err != nil {
		return err
	}
	received := triage.StepInput{Step: sec.StepReceive, ReceivedFrom: "ALDM returns depot, Daventry"}
	intact := triage.StepInput{Step: sec.StepBoundaryCheck, Outer: "intact", Inner: "intact"}
	diagnosed := triage.StepInput{Step: sec.StepDiagnose, Note: "display fault; metrology and radio within limits"}
	reset := triage.StepInput{Step: sec.StepFactoryReset, Note: "CPA Use Case 004 reset completed"}
	seal := func(n int) triage.StepInput {
		return triage.StepInput{Step: sec.StepFitSeal, Seal: fmt.Sprintf("RTL-%s-%05d", today.Time().Format("0601"), n)}
	}
	release := triage.StepInput{Step: sec.StepRelease, ReleasedTo: "ALDM returns depot, Daventry", EstateStatus: string(estate.Removed)}
	stories := []triageStory{
		{name: "received", steps: []triage.StepInput{received}},
		{name: "checked", steps: []triage.StepInput{received, intact}},
		{name: "diagnosed", steps: []triage.StepInput{received, intact, diagnosed}},
		{name: "reset", steps: []triage.StepInput{received, intact, diagnosed, reset}},
		{name: "updated", steps: []triage.StepInput{received, intact, reset, {Step: sec.StepFirmwareUpdate}}},
		{name: "sealed", steps: []triage.StepInput{received, intact, reset, seal(1)}},
		{name: "released", steps: []triage.StepInput{received, intact, diagnosed, reset, seal(2), release}},
		{name: "legitimate breach", steps: []triage.StepInput{received,
			{Step: sec.StepBoundaryCheck, Outer: "breached", Inner: "intact", Reason: "tamper alert raised by a failing battery; outer case intact on inspection"},
			reset, seal(3), release}},
		{name: "refused breach", refuse: &triage.StepInput{Step: sec.StepBoundaryCheck, Outer: "breached", Inner: "breached"},
			steps: []triage.StepInput{received,
				{Step: sec.StepReject, Reason: "outer and inner tamper boundaries breached with no legitimate reason"},
				{Step: sec.StepDispose, Reason: "destroyed under WEEE with the case retained as evidence"}}},
		{name: "returned", steps: []triage.StepInput{received, intact, {Step: sec.StepReject, Reason: "hardware revision not covered by Use Case 004"},
			{Step: sec.StepReturn, ReleasedTo: "ALDM returns depot, Daventry"}}},
	}
	if len(ids) < len(stories) {
		return errs.E(errs.Conflict, "the demo estate has %d installed Devices for triage, want %d", len(ids), len(stories))
	}
	for i, st := range stories {
		id := ids[i]
		for j, in := range st.steps {
			in.DeviceID, in.Tool, in.Interface = id, demoTool, demoInterface
			if in.Step == sec.StepFirmwareUpdate {
				if in.Firmware, err = otherFirmware(ctx, db, held[id], today); err != nil {
					return err
				}
			}
			if j == 1 && st.refuse != nil {
				r := *st.refuse
				r.DeviceID, r.Tool, r.Interface = id, demoTool, demoInterface
				if _, err := svc.Record(ctx, op, f.ID, r); !errs.Is(err, errs.Invalid) {
					return fmt.Errorf("demo triage %s: the breach should be refused, got %v", st.name, err)
				}
			}
			if _, err := svc.Record(ctx, op, f.ID, in); err != nil {
				return fmt.Errorf("demo triage %s, %s: %w", st.name, in.Step, err)
			}
		}
	}
	return nil
}

// triageCandidates lists installed Devices of the demo's two Supplier users'
// organisations, alternately, for the triage stories.
func triageCandidates(ctx context.Context, db *store.DB, n int) ([]estate.DeviceID, error) {
	rows, err := db.QueryContext(ctx, `SELECT d.id FROM devices d JOIN organisations o ON o.id = d.supplier_id
		WHERE o.code IN ('ALDM', 'LRKL') AND d.status = 'installed' ORDER BY d.id LIMIT $1`, n)
	if err != nil {
		return nil, errs.Wrap(err, "demo triage candidates")
	}
	defer rows.Close()
	var out []estate.DeviceID
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, errs.Wrap(err, "demo triage candidates")
		}
		out = append(out, estate.DeviceIDFromInt64(id))
	}
	return out, errs.Wrap(rows.Err(), "demo triage candidates")
}

// otherFirmware is a catalogue firmware version of the Device's model other
// than the one it runs.
func otherFirmware(ctx context.Context, db *store.DB, h estate.Held, today sec.Date) (string, error) {
	fws, err := (&catalogue.Service{DB: db}).ListFirmware(ctx, access.SystemCaller("demo seed"), h.ModelID, today)
	if err != nil {
		return "", err
	}
	for i := len(fws) - 1; i >= 0; i-- {
		if v := fws[i].Version.String(); v != h.Firmware {
			return v, nil
		}
	}
	return "", errs.E(errs.Conflict, "model %s/%s has one firmware version: the demo cannot update it", h.Manufacturer, h.Model)
}
