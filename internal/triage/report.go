package triage

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// StepCount is how many entries of one step a record holds.
type StepCount struct {
	Step  sec.TriageStep `json:"step"`
	Count int64          `json:"count"`
}

// StateCount is how many Devices stand in one triage state.
type StateCount struct {
	State   sec.TriageState `json:"state"`
	Devices int64           `json:"devices"`
}

// Breach is a boundary check that found a breach, and why triage went on.
type Breach struct {
	Seq      int64           `json:"seq"`
	At       time.Time       `json:"at"`
	DeviceID estate.DeviceID `json:"device_id"`
	Outer    sec.Boundary    `json:"outer"`
	Inner    sec.Boundary    `json:"inner"`
	Reason   string          `json:"reason,omitempty"`
}

// FacilityReport is a facility's throughput: entries by step, Devices by
// where they stand (the outcome for those done), seals issued, and the
// breaches with their reasons (the newest maxBreaches).
type FacilityReport struct {
	FacilityID int64             `json:"facility_id"`
	Facility   string            `json:"facility"`
	Provider   string            `json:"provider"`
	Status     sec.FacilityState `json:"status"`
	Entries    int64             `json:"entries"`
	Steps      []StepCount       `json:"steps"`
	States     []StateCount      `json:"states"`
	Seals      int64             `json:"seals"`
	Breaches   int64             `json:"breaches"`
	Recent     []Breach          `json:"recent_breaches"`
}

const maxBreaches = 200

// Report is facility id's report, for its provider and the SSC.
func (s *Service) Report(ctx context.Context, c access.Caller, id int64) (FacilityReport, error) {
	var rep FacilityReport
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		f, err := findFacility(ctx, tx, c, id)
		if err != nil {
			return err
		}
		rep = FacilityReport{FacilityID: f.ID, Facility: f.Name, Provider: f.Provider, Status: f.Status, Entries: f.Entries,
			Steps: []StepCount{}, States: []StateCount{}, Recent: []Breach{}}
		if err := each(ctx, tx, "SELECT step, COUNT(*) FROM triage_entries WHERE facility_id = $1 GROUP BY step", []any{f.ID}, func(sc scanner) error {
			var c StepCount
			if err := sc.Scan(&c.Step, &c.Count); err != nil {
				return err
			}
			rep.Steps = append(rep.Steps, c)
			return nil
		}); err != nil {
			return err
		}
		sortSteps(rep.Steps)
		if err := each(ctx, tx, "SELECT state, COUNT(*) FROM triage_devices WHERE facility_id = $1 GROUP BY state", []any{f.ID}, func(sc scanner) error {
			var c StateCount
			if err := sc.Scan(&c.State, &c.Devices); err != nil {
				return err
			}
			rep.States = append(rep.States, c)
			return nil
		}); err != nil {
			return err
		}
		sortStates(rep.States)
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM triage_seals WHERE facility_id = $1", f.ID).Scan(&rep.Seals); err != nil {
			return errs.Wrap(err, "count seals")
		}
		breached := "step = 'boundary_check' AND detail LIKE '%\"breached\"%'"
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM triage_entries WHERE facility_id = $1 AND "+breached, f.ID).Scan(&rep.Breaches); err != nil {
			return errs.Wrap(err, "count breaches")
		}
		return each(ctx, tx, "SELECT seq, at, device_id, detail FROM triage_entries WHERE facility_id = $1 AND "+breached+
			" ORDER BY seq DESC LIMIT "+strconv.Itoa(maxBreaches), []any{f.ID}, func(sc scanner) error {
			var b Breach
			var dev int64
			var detail string
			if err := sc.Scan(&b.Seq, &b.At, &dev, &detail); err != nil {
				return err
			}
			var d Detail
			if err := json.Unmarshal([]byte(detail), &d); err != nil {
				return err
			}
			b.DeviceID, b.At = estate.DeviceIDFromInt64(dev), b.At.UTC()
			b.Outer, b.Inner, b.Reason = d.Outer, d.Inner, d.BreachReason
			rep.Recent = append(rep.Recent, b)
			return nil
		})
	})
	return rep, err
}

// Overview is every facility the caller may see with its report: the SSC's
// view across facilities, or a provider's of its own.
func (s *Service) Overview(ctx context.Context, c access.Caller) ([]FacilityReport, error) {
	fs, err := s.Facilities(ctx, c)
	if err != nil {
		return nil, err
	}
	out := make([]FacilityReport, 0, len(fs))
	for _, f := range fs {
		rep, err := s.Report(ctx, c, f.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, rep)
	}
	return out, nil
}

// ModelOutcome is where the Devices of one model stand in triage, across
// every facility, with no Supplier named: what a manufacturer sees of its
// models.
type ModelOutcome struct {
	Manufacturer string       `json:"manufacturer"`
	Model        string       `json:"model"`
	Devices      int64        `json:"devices"`
	States       []StateCount `json:"states"`
	Breaches     int64        `json:"breaches"`

	modelID int64
}

// MaySeeOutcomes reports whether the caller holds triage outcomes by
// model: a manufacturer (its own models), the SSC and the system. Outcomes
// decides with it; the triage page asks it whether to show them.
func MaySeeOutcomes(c access.Caller) bool { return seesAllOutcomes(c) || ownOutcomes(c) }

func seesAllOutcomes(c access.Caller) bool { return c.System || c.IsSSC() }

func ownOutcomes(c access.Caller) bool { return c.Has(sec.RoleManufacturer) && c.OrgID != 0 }

// Outcomes is triage by model, every model the caller may see in the
// outcome list's default order: a manufacturer's own models, or every model
// for the SSC. Nobody else holds a model's outcomes.
func (s *Service) Outcomes(ctx context.Context, c access.Caller) ([]ModelOutcome, error) {
	if err := outcomesAllowed(c); err != nil {
		return nil, err
	}
	out := []ModelOutcome{}
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		return outcomeQuery(c).Each(ctx, tx, OutcomeSpec.First().Export(), func(o ModelOutcome) error { out = append(out, o); return nil })
	})
	return out, err
}

type scanner interface{ Scan(...any) error }

func each(ctx context.Context, q store.Querier, query string, args []any, fn func(scanner) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return errs.Wrap(err, "triage report")
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return errs.Wrap(err, "triage report")
		}
	}
	return errs.Wrap(rows.Err(), "triage report")
}

func sortSteps(cs []StepCount) {
	order := map[sec.TriageStep]int{}
	for i, s := range sec.TriageSteps {
		order[s] = i
	}
	sortBy(cs, func(c StepCount) int { return order[c.Step] })
}

func sortStates(cs []StateCount) {
	order := map[sec.TriageState]int{}
	for i, s := range sec.TriageLifecycle.States() {
		order[s] = i
	}
	sortBy(cs, func(c StateCount) int { return order[c.State] })
}

func sortBy[T any](xs []T, key func(T) int) {
	slices.SortStableFunc(xs, func(a, b T) int { return cmp.Compare(key(a), key(b)) })
}
