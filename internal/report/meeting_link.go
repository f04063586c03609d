package report

import (
	"context"
	"strconv"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/meeting"
	"github.com/metersec/metersec/internal/store"
)

// Agenda items link stored reports by id (a standing report is noted at
// every meeting); the item shows the link only to those who may see the
// report.
func init() {
	meeting.RegisterLink("report", func(ctx context.Context, db *store.DB, c access.Caller, key string) (meeting.Linked, error) {
		id, err := strconv.ParseInt(key, 10, 64)
		if err != nil || id <= 0 {
			return meeting.Linked{}, errs.NotFoundf("report", key)
		}
		r, err := NewService(db).Get(ctx, c, id)
		if err != nil {
			return meeting.Linked{}, err
		}
		return meeting.Linked{Title: r.Reference + ": " + r.Title, Href: "/reports/" + key}, nil
	})
}
