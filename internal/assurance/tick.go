package assurance

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// TickResult says what a periodic check did.
type TickResult struct {
	Overdue   int `json:"overdue"`   // plans marked overdue, their parties reminded
	Escalated int `json:"escalated"` // overdue plans the SSC was told of
}

// Tick is the periodic work: remediation plans whose agreed next update date
// has passed become overdue and their party is reminded; those still
// overdue EscalateAfterDays later are escalated to the SSC. Notices go
// through the delivery outbox in the same transaction, keyed by the plan and
// its next update date, so a rerun sends nothing twice.
func (s *Service) Tick(ctx context.Context, now time.Time) error {
	_, err := s.TickReport(ctx, now)
	return err
}

// TickReport is Tick, saying what it did.
func (s *Service) TickReport(ctx context.Context, now time.Time) (TickResult, error) {
	var res TickResult
	today := s.today(now)
	sys := access.SystemCaller("assurance tick")
	ids, err := planIDs(ctx, s.DB, "SELECT id FROM remediation_plans WHERE state = 'agreed' AND next_update < $1 ORDER BY id", today)
	if err != nil {
		return res, err
	}
	var failures []error
	for _, id := range ids {
		err := s.DB.Write(ctx, sys, func(tx *store.Tx) error {
			p, err := s.findPlan(ctx, tx, sys, id)
			if err != nil || p.State != sec.RemediationAgreed {
				return err
			}
			note := fmt.Sprintf("The progress update agreed for %s has not arrived.", p.NextUpdate)
			if err := s.movePlan(ctx, tx, p, sec.RemediationMarkOverdue, []sec.Actor{sec.ActorSystem}, note, sec.Date{}, 0); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "UPDATE remediation_plans SET reminded_for = $1 WHERE id = $2", p.NextUpdate, p.ID); err != nil {
				return errs.Wrap(err, "reminded")
			}
			_, err = delivery.Notify(ctx, tx, delivery.Notice{OrgID: p.partyID, Kind: "remediation.overdue",
				Title: fmt.Sprintf("Remediation plan %d: progress update overdue", p.ID),
				Body: fmt.Sprintf("The SSC agreed a progress update on your remediation plan by %s. It has not arrived: please send it.\n"+
					"The SSC is told if it is still missing %d days later.", p.NextUpdate, s.Settings.EscalateAfterDays),
				Link: fmt.Sprintf("/remediation-plans/%d", p.ID), RecordKind: KindPlan, RecordID: p.ID,
				Key: fmt.Sprintf("remediation:%d:overdue:%s", p.ID, p.NextUpdate)})
			return err
		})
		if err != nil {
			failures = append(failures, fmt.Errorf("plan %d: %w", id, err))
			continue
		}
		res.Overdue++
	}
	ids, err = planIDs(ctx, s.DB, `SELECT id FROM remediation_plans WHERE state = 'overdue' AND next_update < $1
		AND (escalated_for IS NULL OR escalated_for <> next_update) ORDER BY id`, today.AddDays(-s.Settings.EscalateAfterDays))
	if err != nil {
		return res, errors.Join(append(failures, err)...)
	}
	for _, id := range ids {
		err := s.DB.Write(ctx, sys, func(tx *store.Tx) error {
			p, err := s.findPlan(ctx, tx, sys, id)
			if err != nil {
				return err
			}
			sscOrgs, err := planIDs(ctx, tx, "SELECT DISTINCT org_id FROM organisation_roles WHERE role IN ('ssc', 'secretariat') ORDER BY org_id")
			if err != nil {
				return err
			}
			for _, org := range sscOrgs {
				if _, err := delivery.Notify(ctx, tx, delivery.Notice{OrgID: org, Kind: "remediation.escalated",
					Title: fmt.Sprintf("Remediation plan %d: progress update %d days overdue", p.ID, today.Sub(p.NextUpdate)),
					Body:  fmt.Sprintf("The progress update agreed for %s on remediation plan %d has not arrived; the party was reminded.", p.NextUpdate, p.ID),
					Link:  fmt.Sprintf("/remediation-plans/%d", p.ID), RecordKind: KindPlan, RecordID: p.ID,
					Key: fmt.Sprintf("remediation:%d:escalated:%s", p.ID, p.NextUpdate)}); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, "UPDATE remediation_plans SET escalated_for = next_update WHERE id = $1", p.ID); err != nil {
				return errs.Wrap(err, "escalated")
			}
			return addUpdate(ctx, tx, p.ID, "escalated", fmt.Sprintf("The SSC was told: the update due %s is %d days late.", p.NextUpdate, today.Sub(p.NextUpdate)))
		})
		if err != nil {
			failures = append(failures, fmt.Errorf("plan %d: %w", id, err))
			continue
		}
		res.Escalated++
	}
	return res, errors.Join(failures...)
}

func planIDs(ctx context.Context, db store.Querier, q string, args ...any) ([]int64, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, errs.Wrap(err, "plans due")
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, errs.Wrap(err, "plans due")
		}
		out = append(out, id)
	}
	return out, errs.Wrap(rows.Err(), "plans due")
}
