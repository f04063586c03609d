package arrangement

import (
	"context"
	"strconv"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
)

// Expiring counts the active arrangements the caller may see that expire
// from today to today+days, the ones NotifyExpiring announces: one
// aggregate, for the dashboard. It is the count of the list's
// expiring_within facet (ExpiringLink), so the count and the list behind it
// hold the same rows.
func (s *Service) Expiring(ctx context.Context, c access.Caller, today sec.Date, days int) (int, error) {
	req := ListSpec.First()
	req.Facets["expiring_within"] = strconv.Itoa(days)
	n, err := s.listQuery(c, today, nil).Count(ctx, s.DB, req)
	return int(n), errs.Wrap(err, "expiring arrangements")
}
