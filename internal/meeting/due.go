package meeting

import (
	"context"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
)

// DueActions counts the open actions of the action tracker the caller may
// see, and those of them past their due date on day: one aggregate.
func (s *Service) DueActions(ctx context.Context, c access.Caller, day sec.Date) (open, overdue int, err error) {
	var args access.Args
	late := overdueCond(&args, day)
	cond := c.Visible(&args, KindItem, "i", "i.party_id") + " AND a.status = " + args.Add(string(sec.ActionOpen))
	// The overdue half is the action tracker's ?state=overdue filter, so the
	// dashboard's count is exactly the rows its link lists.
	err = s.DB.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(SUM(CASE WHEN "+late+
		" THEN 1 ELSE 0 END), 0) FROM meeting_actions a JOIN meeting_items i ON i.id = a.item_id WHERE "+cond, args...).Scan(&open, &overdue)
	return open, overdue, errs.Wrap(err, "due actions")
}
