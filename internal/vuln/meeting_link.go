package vuln

import (
	"context"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/meeting"
	"github.com/metersec/metersec/internal/store"
)

// Agenda items link vulnerabilities by reference (MSV-2026-0001); the item
// shows the link only to those who may see the vulnerability.
func init() {
	meeting.RegisterLink("vulnerability", func(ctx context.Context, db *store.DB, c access.Caller, key string) (meeting.Linked, error) {
		v, err := NewService(db, nil).Get(ctx, c, key)
		if err != nil {
			return meeting.Linked{}, err
		}
		return meeting.Linked{Title: v.Ref + ": " + v.Title, Href: "/vulnerabilities/" + v.Ref}, nil
	})
}
