package demo

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/coverage"
	"github.com/metersec/metersec/internal/impracticable"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// seedImpracticable records where an arrangement is not practicable (G3.20
// "wherever it is practicable"): ALDM's cleared user records two, about the
// first two manufacturers whose models ALDM operates in a gap today, and the
// SSC chair accepts the first, so its Devices show as "Not practicable
// (accepted by the SSC)" while the second waits; LRKL's record (made for it
// by the demo, as LRKL has no user cleared for RED) is rejected.
func seedImpracticable(ctx context.Context, db *store.DB, callers map[string]access.Caller, today sec.Date) error {
	sys := access.SystemCaller("demo seed")
	svc := &impracticable.Service{DB: db, Today: func(time.Time) sec.Date { return today }}
	gapMfrs := func(supplier string) ([]string, error) {
		rep, err := coverage.NewService(db).Compute(ctx, sys, coverage.Query{Supplier: supplier, Date: today})
		if err != nil {
			return nil, err
		}
		var out []string
		for _, sc := range rep.Suppliers {
			for _, mc := range sc.Models {
				if mc.Status == coverage.Gap && !slices.Contains(out, mc.Manufacturer.Code) {
					out = append(out, mc.Manufacturer.Code)
				}
			}
		}
		slices.Sort(out)
		return out, nil
	}
	aldm, err := gapMfrs("ALDM")
	if err != nil {
		return err
	}
	lrkl, err := gapMfrs("LRKL")
	if err != nil {
		return err
	}
	if len(aldm) < 2 || len(lrkl) < 1 {
		return fmt.Errorf("demo records of impracticability: ALDM has gaps with %v and LRKL with %v: the demo world changed", aldm, lrkl)
	}
	supplier, chair := callers["security@aldm.example"], callers["chair@ssc.example.org"]
	for _, r := range []struct {
		as           access.Caller
		supplier     string
		mfr, reason  string
		event        sec.ImpracticableEvent
		note         string
		evidenceText string
	}{
		{supplier, "", aldm[0], "The manufacturer ceased trading in the UK; its administrators decline any new contract, and no MAP of ours holds one with it. Letters attached.",
			sec.ImpracticableAccept, "The SSC has seen the administrators' letter: no arrangement is practicable while the manufacturer is in administration. Review at the next FUSA.",
			"Letter from the administrators, declining any notification arrangement.\n"},
		{supplier, "", aldm[1], "The manufacturer will only contract through a MAP that no longer serves our region; our letters of the last six months are unanswered.",
			"", "", "Our three letters to the manufacturer and the MAP, with no reply.\n"},
		{sys, "LRKL", lrkl[0], "The manufacturer's terms cost more than we think reasonable.",
			sec.ImpracticableReject, "Cost alone does not make an arrangement impracticable: sign the SSC's suggested contract wording or a Letter of Intent.", ""},
	} {
		rec, err := svc.Create(ctx, r.as, impracticable.NewRecord{Supplier: r.supplier, Manufacturer: r.mfr, Reason: r.reason})
		if err != nil {
			return fmt.Errorf("demo record of impracticability %s/%s: %w", r.supplier, r.mfr, err)
		}
		if r.evidenceText != "" {
			if _, err := svc.AddEvidence(ctx, r.as, rec.Reference, "correspondence.txt", strings.NewReader(r.evidenceText)); err != nil {
				return err
			}
		}
		if r.event != "" {
			if _, err := svc.Act(ctx, chair, rec.Reference, impracticable.Move{Event: r.event, Note: r.note}); err != nil {
				return fmt.Errorf("demo decision on %s: %w", rec.Reference, err)
			}
		}
	}
	return nil
}
