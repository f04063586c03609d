package arrangement

import (
	"context"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
)

// Expiring counts the active arrangements the caller may see that expire
// from today to today+days, the ones NotifyExpiring announces: one
// aggregate, for the dashboard.
func (s *Service) Expiring(ctx context.Context, c access.Caller, today sec.Date, days int) (int, error) {
	var args access.Args
	from, to := args.Add(today), args.Add(today.AddDays(days))
	var n int
	err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM arrangements a WHERE a.status = 'active' AND a.expires IS NOT NULL
		AND a.expires >= `+from+` AND a.expires <= `+to+` AND (a.ended IS NULL OR a.ended > a.expires) AND `+
		c.Visible(&args, RecordKind, "a", "a.supplier_id", "a.map_id", "a.manufacturer_id"), args...).Scan(&n)
	return n, errs.Wrap(err, "expiring arrangements")
}
