package arrangement

import (
	"context"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/meeting"
	"github.com/metersec/metersec/internal/store"
)

// Agenda items link arrangements by reference; the item shows the link only
// to those who may see the arrangement.
func init() {
	meeting.RegisterLink("arrangement", func(ctx context.Context, db *store.DB, c access.Caller, key string) (meeting.Linked, error) {
		a, err := NewService(db).Get(ctx, c, key)
		if err != nil {
			return meeting.Linked{}, err
		}
		title := a.Reference
		if t := strings.TrimSpace(a.Title); t != "" {
			title += ": " + t
		}
		return meeting.Linked{Title: title, Href: "/arrangements/" + a.Reference}, nil
	})
}
