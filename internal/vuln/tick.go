package vuln

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// maxReminders is how many times an unacknowledged recipient is reminded,
// every Settings.AckReminderDays. After that the SSC's overview shows it as
// not acknowledged; more email would be noise, not oversight.
const maxReminders = 3

// TickResult says what one Tick did.
type TickResult struct {
	Open          int `json:"open"`        // open vulnerabilities looked at
	Refanned      int `json:"refanned"`    // whose recipients changed
	Notified      int `json:"notified"`    // recipients told for the first time (or again after returning)
	Reminded      int `json:"reminded"`    // reminders sent
	MarkedOverdue int `json:"overdue"`     // plans marked overdue and escalated
	Firmware      int `json:"firmware"`    // vulnerabilities whose affected firmware changed with the catalogue
	Errors        int `json:"errors"`      // vulnerabilities that failed (retried next tick)
	Skipped       int `json:"skipped_red"` // RED vulnerabilities held from fan-out
}

// Tick is the periodic work the server runs every minute (schedule.Task):
// re-fan-out of every open vulnerability from the portfolio aggregates (a
// Supplier that churned in is told, one that left is made inactive), the
// affected firmware kept in step with the catalogue, reminders to recipients
// that have not acknowledged, and rectification plans past their dates
// marked overdue and escalated.
//
// It is idempotent and safe to run concurrently with itself (several
// servers on one database): each vulnerability is handled in its own
// transaction holding its row, every notice has a key, and a second run
// finds nothing left to do.
func (s *Service) Tick(ctx context.Context, now time.Time) error {
	_, err := s.TickReport(ctx, now)
	return err
}

// TickReport is Tick, saying what it did.
func (s *Service) TickReport(ctx context.Context, now time.Time) (TickResult, error) {
	var res TickResult
	sys := access.SystemCaller("vulnerability tick")
	today := s.today(now)
	ids, err := s.ids(ctx, "SELECT id FROM vulnerabilities WHERE state NOT IN ('closed', 'closed_not_material') ORDER BY id")
	if err != nil {
		return res, err
	}
	var failures []error
	for _, id := range ids {
		res.Open++
		// Look first, without the write lock: most minutes nothing changed.
		pending := false
		err := s.DB.Read(ctx, sys, func(tx *store.Tx) error {
			var v vulnRow
			if err := v.scan(tx.QueryRowContext(ctx, "SELECT "+vulnColumns+" FROM vulnerabilities v WHERE v.id = $1", id)); err != nil {
				return errs.Wrap(err, "read vulnerability")
			}
			rs, err := storedRanges(ctx, tx, v.ID)
			if err != nil {
				return err
			}
			if pending, err = firmwarePending(ctx, tx, v.ID, rs); err != nil || pending {
				return err
			}
			pending, err = s.fanoutPending(ctx, tx, v, today)
			return err
		})
		if err != nil {
			res.Errors++
			failures = append(failures, fmt.Errorf("vulnerability %d: %w", id, err))
			continue
		}
		if !pending {
			continue
		}
		var one TickResult
		err = s.DB.Write(ctx, sys, func(tx *store.Tx) error {
			one = TickResult{}
			v, err := lockVulnByID(ctx, tx, id)
			if err != nil || v.State.IsClosed() {
				return err
			}
			rs, err := storedRanges(ctx, tx, v.ID)
			if err != nil {
				return err
			}
			changed, err := syncFirmware(ctx, tx, v.ID, rs)
			if err != nil {
				return err
			}
			if changed {
				one.Firmware++
				if err := addEvent(ctx, tx, v.ID, eventInput{Kind: "fanout", Event: "firmware", ActorAs: sec.ActorSystem,
					Note: "The catalogue changed: the affected firmware was recomputed from the ranges."}); err != nil {
					return err
				}
				if err := audit.Record(ctx, tx, "vuln.firmware", Kind, v.ID, rs); err != nil {
					return err
				}
			}
			fr, err := s.fanout(ctx, tx, v)
			if err != nil {
				return err
			}
			if fr.changed() {
				one.Refanned++
			}
			one.Notified += fr.Notified
			if v.Classification == sec.Red && v.State == sec.VulnStateTriaged {
				one.Skipped++
			}
			return s.completeNotify(ctx, tx, &v)
		})
		if err != nil {
			res.Errors++
			failures = append(failures, fmt.Errorf("vulnerability %d: %w", id, err))
			continue
		}
		res.Firmware += one.Firmware
		res.Refanned += one.Refanned
		res.Notified += one.Notified
		res.Skipped += one.Skipped
	}
	n, err := s.remind(ctx, sys, today)
	res.Reminded = n
	if err != nil {
		failures = append(failures, err)
	}
	n, err = s.markOverdue(ctx, sys, today)
	res.MarkedOverdue = n
	if err != nil {
		failures = append(failures, err)
	}
	return res, errors.Join(failures...)
}

func (s *Service) ids(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := s.DB.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, errs.Wrap(err, "tick")
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, errs.Wrap(err, "tick")
		}
		out = append(out, id)
	}
	return out, errs.Wrap(rows.Err(), "tick")
}

// remind sends a reminder to each recipient that must acknowledge and has
// not, Settings.AckReminderDays after it was told or last reminded, at most
// maxReminders times. The SEC sets no deadline (G3.18 "as soon as
// reasonably practicable"): a reminder is a nudge, never a breach.
func (s *Service) remind(ctx context.Context, sys access.Caller, today sec.Date) (int, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT r.id, r.vuln_id, r.first_notified_at, r.last_reminded_at
		FROM vuln_recipients r JOIN vulnerabilities v ON v.id = r.vuln_id
		WHERE r.active AND r.first_notified_at IS NOT NULL AND r.acknowledged_at IS NULL
		AND r.role IN ('supplier', 'dcc', 'manufacturer') AND r.reminders < $1
		AND v.state NOT IN ('closed', 'closed_not_material') AND v.classification <> 'RED' ORDER BY r.id`, maxReminders)
	if err != nil {
		return 0, errs.Wrap(err, "reminders")
	}
	type due struct{ id, vuln int64 }
	var dues []due
	for rows.Next() {
		var d due
		var since time.Time
		var last *time.Time
		if err := rows.Scan(&d.id, &d.vuln, &since, &last); err != nil {
			rows.Close()
			return 0, errs.Wrap(err, "reminders")
		}
		if last != nil {
			since = *last
		}
		if s.Settings.AckReminderDue(s.today(since), today) {
			dues = append(dues, d)
		}
	}
	rows.Close()
	sent := 0
	var failures []error
	for _, d := range dues {
		did := false
		err := s.DB.Write(ctx, sys, func(tx *store.Tx) error {
			did = false
			v, err := lockVulnByID(ctx, tx, d.vuln)
			if err != nil {
				return err
			}
			var r storedRecipient
			var n int
			var acked, last *time.Time
			var since time.Time
			if err := tx.QueryRowContext(ctx, `SELECT org_id, role, devices, duty_devices, reminders, acknowledged_at, first_notified_at, last_reminded_at
				FROM vuln_recipients WHERE id = $1`, d.id).Scan(&r.Key.Org, &r.Key.Role, &r.Devices, &r.Duty, &n, &acked, &since, &last); err != nil {
				return errs.Wrap(err, "reminder")
			}
			if last != nil {
				since = *last
			}
			if acked != nil || n >= maxReminders || v.State.IsClosed() || !s.Settings.AckReminderDue(s.today(since), today) {
				return nil // acknowledged or reminded meanwhile (another tick)
			}
			notice, err := s.noticeFor(ctx, tx, v, r)
			if err != nil {
				return err
			}
			notice.Kind = "vulnerability.reminder"
			notice.Title = fmt.Sprintf("Reminder %d: please acknowledge %s", n+1, v.Ref)
			notice.OrgID, notice.RecordKind, notice.RecordID = r.Key.Org, RecipientKind, d.id
			notice.Key = fmt.Sprintf("vuln:%d:recipient:%d:reminder:%d", v.ID, d.id, n+1)
			if err := s.Notifier.Notify(ctx, tx, notice); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `UPDATE vuln_recipients SET reminders = $1, last_reminded_at = $2, notices = notices + 1
				WHERE id = $3 AND reminders = $4`, n+1, tx.Now, d.id, n)
			if err != nil {
				return errs.Wrap(err, "reminder")
			}
			if k, _ := res.RowsAffected(); k == 0 {
				return nil
			}
			if err := addEvent(ctx, tx, v.ID, eventInput{Kind: "reminded", RecipientID: d.id, Private: true, ActorAs: sec.ActorSystem,
				Note: fmt.Sprintf("Reminder %d of %d: not acknowledged.", n+1, maxReminders)}); err != nil {
				return err
			}
			did = true
			return audit.Record(ctx, tx, "vuln.remind", RecipientKind, d.id, struct {
				Ref      string
				Reminder int
			}{v.Ref, n + 1})
		})
		if err != nil {
			failures = append(failures, fmt.Errorf("reminder for recipient %d: %w", d.id, err))
		} else if did {
			sent++
		}
	}
	return sent, errors.Join(failures...)
}

// markOverdue marks each open plan whose declared completion or next update
// date has passed (sec.PlanOverdue) overdue, and escalates it to the SSC and
// the Supplier.
func (s *Service) markOverdue(ctx context.Context, sys access.Caller, today sec.Date) (int, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT p.id, p.vuln_id, p.declared_completion, p.next_update_due
		FROM vuln_plans p JOIN vulnerabilities v ON v.id = p.vuln_id
		WHERE p.state IN ('submitted', 'noted', 'agreed', 'revised') AND v.state NOT IN ('closed', 'closed_not_material') ORDER BY p.id`)
	if err != nil {
		return 0, errs.Wrap(err, "overdue plans")
	}
	type due struct{ id, vuln int64 }
	var dues []due
	for rows.Next() {
		var d due
		var declared, next sec.Date
		if err := rows.Scan(&d.id, &d.vuln, &declared, &next); err != nil {
			rows.Close()
			return 0, errs.Wrap(err, "overdue plans")
		}
		if sec.PlanOverdue(declared, next, today) {
			dues = append(dues, d)
		}
	}
	rows.Close()
	marked := 0
	var failures []error
	for _, d := range dues {
		did := false
		err := s.DB.Write(ctx, sys, func(tx *store.Tx) error {
			did = false
			v, err := lockVulnByID(ctx, tx, d.vuln)
			if err != nil {
				return err
			}
			p, err := lockPlan(ctx, tx, d.id, v.ID)
			if err != nil {
				return err
			}
			if !p.State.IsOpen() || p.State == sec.PlanStateOverdue || !sec.PlanOverdue(p.DeclaredCompletion, p.NextUpdateDue, today) {
				return nil // revised or completed meanwhile
			}
			did = true
			return s.planMove(ctx, tx, &v, p.ID, PlanEventInput{Event: sec.PlanEventMarkOverdue}, nil)
		})
		if err != nil {
			failures = append(failures, fmt.Errorf("overdue plan %d: %w", d.id, err))
		} else if did {
			marked++
		}
	}
	return marked, errors.Join(failures...)
}
