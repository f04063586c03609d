package estate

import (
	"errors"
	"fmt"
	"time"

	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Limits bound what the estate accepts from callers. They are settings, not
// law: each has a default a deployment may change (serve's --estate-* flags).
type Limits struct {
	// Earliest is the first day a supply period, a change of supplier or a
	// firmware may date from. The GB roll-out's Foundation Stage began in
	// 2011 (ASSUMPTION: no SMETS Device was in anyone's supply before); an
	// earlier date is a typing error, not history.
	Earliest sec.Date `json:"earliest"`
	// DaysAhead is how far past today such a date may lie: changes of supplier
	// are recorded ahead of the day they take effect, but not years ahead (a
	// supply start in 2999 was once accepted).
	DaysAhead int `json:"days_ahead"`
	// ClaimsPerDay is how many Devices of another Supplier one Supplier may
	// claim through the single-Device change of supplier in one day (UK
	// calendar day). Bulk moves go through the churn import, which is not
	// limited and tells the losing Suppliers once per file.
	ClaimsPerDay int `json:"claims_per_day"`
}

// DefaultLimits are the defaults.
func DefaultLimits() Limits {
	return Limits{Earliest: sec.NewDate(2011, 1, 1), DaysAhead: 366, ClaimsPerDay: 50}
}

// Validate reports every limit that makes no sense.
func (l Limits) Validate() error {
	var es []error
	if l.Earliest.IsZero() || l.Earliest.Before(sec.NewDate(2000, 1, 1)) {
		es = append(es, fmt.Errorf("earliest %s: want a day from 2000-01-01", l.Earliest))
	}
	if l.DaysAhead < 0 || l.DaysAhead > 3660 {
		es = append(es, fmt.Errorf("days_ahead %d: want 0 to 3660", l.DaysAhead))
	}
	if l.ClaimsPerDay < 0 || l.ClaimsPerDay > 1_000_000 {
		es = append(es, fmt.Errorf("claims_per_day %d: want 0 to 1000000", l.ClaimsPerDay))
	}
	return errors.Join(es...)
}

// CheckDate says what is wrong with d as the date of an estate change made on
// today: "" when it lies within [Earliest, today + DaysAhead], both days
// included.
func (l Limits) CheckDate(d, today sec.Date) string {
	switch latest := today.AddDays(l.DaysAhead); {
	case d.Before(l.Earliest):
		return fmt.Sprintf("%s is before %s, the earliest day the estate records", d, l.Earliest)
	case d.After(latest):
		return fmt.Sprintf("%s is more than %d days after today (%s): the latest day accepted is %s", d, l.DaysAhead, today, latest)
	}
	return ""
}

// dateCheck is CheckDate on the transaction's day, for dates read from a file
// as UTC midnights.
func (s *Service) dateCheck(tx *store.Tx) func(time.Time) string {
	l, today := s.limits(), s.today(tx)
	return func(t time.Time) string { return l.CheckDate(sec.DateOf(t), today) }
}
