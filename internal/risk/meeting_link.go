package risk

import (
	"context"
	"strconv"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/meeting"
	"github.com/metersec/metersec/internal/store"
)

// Agenda items link the SSC's risks by id (seed 003: "SSC Risk Assessment
// Completion and Likelihoods Definition"). The link shows only to those who
// may see the risk; to anyone else it is absent.
func init() {
	meeting.RegisterLink("risk", func(ctx context.Context, db *store.DB, c access.Caller, key string) (meeting.Linked, error) {
		id, err := strconv.ParseInt(key, 10, 64)
		if err != nil || id <= 0 {
			return meeting.Linked{}, errs.NotFoundf("risk", key)
		}
		r, err := (&Service{DB: db}).Get(ctx, c, id)
		if err != nil {
			return meeting.Linked{}, err
		}
		return meeting.Linked{Title: r.Title, Href: "/risks"}, nil
	})
}
