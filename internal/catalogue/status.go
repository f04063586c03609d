package catalogue

import (
	"fmt"

	"github.com/metersec/metersec/internal/sec"
)

// State is where a CPA certificate stands on a date.
type State string

// Certificate states, and Uncertified for firmware with no certificate in
// force. The report of Devices on bad certificates lists every state but
// Valid (and NotIssued, which never governs firmware: see FirmwareStatus).
const (
	Valid State = "valid"
	// Conditional: issued with conditions still open (DOMAIN.md §5: the SSC's
	// standing RED report lists conditional certificates). The conditions may
	// also be overdue; Status.ConditionsOverdue says so.
	Conditional State = "conditional"
	// RenewalOverdue: a lifetime certificate (MP209) past its renewal date.
	RenewalOverdue State = "renewal_overdue"
	// Expired: an expiring certificate on or after its expiry date.
	Expired State = "expired"
	// Withdrawn: on or after the day the certificate was withdrawn.
	Withdrawn State = "withdrawn"
	// NotIssued: the date is before the certificate was issued.
	NotIssued State = "not_issued"
	// Uncertified is not a certificate's state but firmware's: no certificate
	// of it was issued by the date.
	Uncertified State = "uncertified"
)

// States lists the states from the best to the worst, as FirmwareStatus ranks
// them; NotIssued and Uncertified come last.
var States = []State{Valid, Conditional, RenewalOverdue, Expired, Withdrawn, NotIssued, Uncertified}

var stateLabels = map[State]string{
	Valid:          "Valid",
	Conditional:    "Conditional",
	RenewalOverdue: "Renewal overdue",
	Expired:        "Expired",
	Withdrawn:      "Withdrawn",
	NotIssued:      "Not yet issued",
	Uncertified:    "No certificate",
}

// Label is the state for people.
func (s State) Label() string { return stateLabels[s] }

// Status is a certificate's standing on a date, with the reason in words.
type Status struct {
	State State `json:"state"`
	// ConditionsOverdue is set for a Conditional certificate whose conditions
	// were due before the date.
	ConditionsOverdue bool   `json:"conditions_overdue,omitempty"`
	Reason            string `json:"reason"`
}

// Label is the status for people: the state, and "(conditions overdue)".
func (s Status) Label() string {
	if s.ConditionsOverdue {
		return s.State.Label() + " (conditions overdue)"
	}
	return s.State.Label()
}

// Bad reports whether Devices on firmware with this status belong in the
// certificate report: every state but Valid.
func (s Status) Bad() bool { return s.State != Valid && s.State != NotIssued }

// CertificateStatus says where a certificate stands on date d. The rules, in
// the order they apply:
//
//  1. Before the issue date: NotIssued.
//  2. Withdrawn on or before d: Withdrawn, whatever else holds.
//  3. An expiring certificate is Expired from its expiry date on: the expiry
//     date is the first day it no longer covers (MP209's background: the
//     first certified Devices "expired 30 Aug 2022", that day).
//  4. A lifetime certificate (MP209, from 1 Aug 2022) has a renewal date
//     instead: it is due by that day and RenewalOverdue from the day after.
//     A renewed certificate has its renewal date moved on.
//  5. A conditional certificate is Conditional, with ConditionsOverdue from
//     the day after its conditions were due (ASSUMPTION, DOMAIN.md §5: the
//     conditions are closed by a date; closing them clears the flag).
//  6. Otherwise Valid.
func CertificateStatus(c Certificate, d sec.Date) Status {
	switch {
	case d.Before(c.Issued):
		return Status{State: NotIssued, Reason: fmt.Sprintf("issued %s, after %s", c.Issued, d)}
	case !c.Withdrawn.IsZero() && !d.Before(c.Withdrawn):
		return Status{State: Withdrawn, Reason: fmt.Sprintf("withdrawn on %s", c.Withdrawn)}
	case c.Kind == CPAExpiring && !c.Expiry.IsZero() && !d.Before(c.Expiry):
		return Status{State: Expired, Reason: fmt.Sprintf("expired on %s", c.Expiry)}
	case c.Kind == CPALifetime && !c.Renewal.IsZero() && d.After(c.Renewal):
		return Status{State: RenewalOverdue, Reason: fmt.Sprintf("lifetime certificate (MP209) due for renewal by %s", c.Renewal)}
	case c.Conditional && d.After(c.ConditionsDue):
		return Status{State: Conditional, ConditionsOverdue: true, Reason: fmt.Sprintf("conditions were due by %s and are not closed", c.ConditionsDue)}
	case c.Conditional:
		return Status{State: Conditional, Reason: fmt.Sprintf("conditions to close by %s", c.ConditionsDue)}
	}
	switch c.Kind {
	case CPALifetime:
		return Status{State: Valid, Reason: fmt.Sprintf("lifetime certificate, renewal due by %s", c.Renewal)}
	default:
		return Status{State: Valid, Reason: fmt.Sprintf("expires on %s", c.Expiry)}
	}
}

// rank orders statuses from the best (0, Valid) to the worst; the SQL of the
// certificate report computes the same ranks (rankSQL) and a test holds the
// two together.
func (s Status) rank() int {
	switch s.State {
	case Valid:
		return 0
	case Conditional:
		if s.ConditionsOverdue {
			return 2
		}
		return 1
	case RenewalOverdue:
		return 3
	case Expired:
		return 4
	case Withdrawn:
		return 5
	}
	return -1 // NotIssued, Uncertified: not ranked
}

// statusOfRank is the inverse of rank for the ranked states.
func statusOfRank(r int) Status {
	switch r {
	case 0:
		return Status{State: Valid}
	case 1:
		return Status{State: Conditional}
	case 2:
		return Status{State: Conditional, ConditionsOverdue: true}
	case 3:
		return Status{State: RenewalOverdue}
	case 4:
		return Status{State: Expired}
	case 5:
		return Status{State: Withdrawn}
	}
	return Status{State: Uncertified}
}

// FirmwareStatus is the standing on date d of firmware covered by certs: the
// best status among the certificates issued by d, since one certificate in
// force is enough to certify the firmware (a firmware re-certified under a new
// reference is covered although its first certificate expired). With no
// certificate issued by d the firmware is Uncertified.
func FirmwareStatus(certs []Certificate, d sec.Date) Status {
	best := Status{State: Uncertified, Reason: "no CPA certificate issued by " + d.String()}
	bestRank := 1 << 30
	for _, c := range certs {
		st := CertificateStatus(c, d)
		if r := st.rank(); r >= 0 && r < bestRank {
			best, bestRank = st, r
			best.Reason = c.Reference + ": " + st.Reason
		}
	}
	return best
}

// rankSQL is the SQL twin of Status.rank of CertificateStatus(c, d) for a row
// of cpa_certificates aliased c, where d is the placeholder of the date; the
// caller keeps only certificates issued by d. Dates are stored as
// YYYY-MM-DD, which compares correctly as text in SQLite and as DATE in
// PostgreSQL.
func rankSQL(d string) string {
	return `CASE
		WHEN c.withdrawn IS NOT NULL AND c.withdrawn <= ` + d + ` THEN 5
		WHEN c.kind = 'expiring' AND c.expires <= ` + d + ` THEN 4
		WHEN c.kind = 'lifetime' AND c.renewal < ` + d + ` THEN 3
		WHEN c.conditional AND c.conditions_due < ` + d + ` THEN 2
		WHEN c.conditional THEN 1
		ELSE 0 END`
}
