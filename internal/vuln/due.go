package vuln

import (
	"context"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
)

// DueSoonDays is how far ahead the dashboard looks for a plan's declared
// completion or next update: a fortnight, the SSC's meeting cycle.
const DueSoonDays = 14

// Due is what the caller's organisation must act on among vulnerabilities,
// as counts for the dashboard. Each count is over rows the caller may see
// (permissions in the SQL); a count that does not apply to the caller's
// roles is left at zero and its flag says so.
type Due struct {
	// Told: the organisation can be told of vulnerabilities (it has an
	// organisation); the counts of its own recipient rows apply.
	Told bool `json:"told"`
	// Unacknowledged is the organisation's notices of open vulnerabilities
	// it must acknowledge and has not (G3.18 "as soon as reasonably
	// practicable": the reminder cycle nudges, it sets no deadline).
	Unacknowledged int `json:"unacknowledged"`
	// PlansToWrite is open material vulnerabilities the organisation was
	// told of as a Supplier or the DCC and has submitted no plan for
	// (G3.18, G3.9: the steps and the timetable go to the SSC).
	PlansToWrite int `json:"plans_to_write"`
	// PlansDueSoon is plans the caller may see, not completed, whose
	// declared completion or next update falls within DueSoonDays.
	PlansDueSoon int `json:"plans_due_soon"`
	// OverduePlans is plans the caller may see marked overdue, on open
	// vulnerabilities.
	OverduePlans int `json:"overdue_plans"`
	// Oversight: the caller oversees every vulnerability (the SSC, the
	// secretariat); the two counts below apply.
	Oversight bool `json:"oversight"`
	// PlansToReview is plans submitted or revised that the SSC has not yet
	// noted or agreed.
	PlansToReview int `json:"plans_to_review"`
	// AwaitingAcknowledgement is every recipient, of any organisation, that
	// must acknowledge an open vulnerability and has not.
	AwaitingAcknowledgement int `json:"awaiting_acknowledgement"`
}

// openVuln is the SQL condition that vulnerability v is open.
const openVuln = "v.state NOT IN ('closed', 'closed_not_material')"

// awaitsAck is the SQL condition that recipient row r must acknowledge and
// has not: the rule Role.acks and scanRecipient apply in Go.
const awaitsAck = "r.active AND r.first_notified_at IS NOT NULL AND r.acknowledged_at IS NULL AND r.role IN ('supplier', 'dcc', 'manufacturer')"

// Due counts what the caller's organisation must act on. Every count is one
// aggregate over indexed vulnerability tables, never the estate: its cost
// does not grow with the number of Devices.
func (s *Service) Due(ctx context.Context, c access.Caller, now time.Time) (Due, error) {
	out := Due{Told: c.OrgID != 0, Oversight: c.System || c.IsSSC()}
	today := s.today(now)
	var args access.Args
	count := func(dst *int, query string) error {
		err := s.DB.QueryRowContext(ctx, query, args...).Scan(dst)
		args = access.Args{}
		return errs.Wrap(err, "due")
	}
	if out.Told {
		own := args.Add(c.OrgID)
		if err := count(&out.Unacknowledged, `SELECT count(*) FROM vuln_recipients r JOIN vulnerabilities v ON v.id = r.vuln_id
			WHERE r.org_id = `+own+` AND `+awaitsAck+` AND `+openVuln+` AND `+visibleVuln(&args, c, "v")+` AND `+visibleRecipient(&args, c, "r")); err != nil {
			return out, err
		}
		own = args.Add(c.OrgID)
		if err := count(&out.PlansToWrite, `SELECT count(*) FROM vuln_recipients r JOIN vulnerabilities v ON v.id = r.vuln_id
			WHERE r.org_id = `+own+` AND r.active AND r.first_notified_at IS NOT NULL AND r.role IN ('supplier', 'dcc')
			AND v.material AND `+openVuln+` AND `+visibleVuln(&args, c, "v")+` AND `+visibleRecipient(&args, c, "r")+`
			AND NOT EXISTS (SELECT 1 FROM vuln_plans p WHERE p.vuln_id = v.id AND p.org_id = r.org_id AND p.state <> 'draft')`); err != nil {
			return out, err
		}
	}
	// The lists of plans filter with the same conditions (due=soon,
	// due=overdue), so the dashboard's links show exactly these rows.
	if err := count(&out.PlansDueSoon, `SELECT count(*) FROM vuln_plans p JOIN vulnerabilities v ON v.id = p.vuln_id
		WHERE `+planDueSoon(&args, today)+` AND `+visibleVuln(&args, c, "v")+` AND `+visiblePlan(&args, c, "p")); err != nil {
		return out, err
	}
	if err := count(&out.OverduePlans, `SELECT count(*) FROM vuln_plans p JOIN vulnerabilities v ON v.id = p.vuln_id
		WHERE `+planOverdue+` AND `+visibleVuln(&args, c, "v")+` AND `+visiblePlan(&args, c, "p")); err != nil {
		return out, err
	}
	if out.Oversight {
		if err := count(&out.PlansToReview, `SELECT count(*) FROM vuln_plans p JOIN vulnerabilities v ON v.id = p.vuln_id
			WHERE p.state IN ('`+string(sec.PlanStateSubmitted)+`', '`+string(sec.PlanStateRevised)+`') AND `+openVuln+` AND `+
			visibleVuln(&args, c, "v")+` AND `+visiblePlan(&args, c, "p")); err != nil {
			return out, err
		}
		if err := count(&out.AwaitingAcknowledgement, `SELECT count(*) FROM vuln_recipients r JOIN vulnerabilities v ON v.id = r.vuln_id
			WHERE `+awaitsAck+` AND `+openVuln+` AND `+visibleVuln(&args, c, "v")+` AND `+visibleRecipient(&args, c, "r")); err != nil {
			return out, err
		}
	}
	return out, nil
}
