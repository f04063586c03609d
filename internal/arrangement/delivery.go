package arrangement

import (
	"context"

	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/store"
)

// Delivery is the Notifier the server uses: the notice goes through the
// delivery service (the organisation's inbox, an email to each current
// security contact, its signed webhooks) in the caller's transaction, and the
// in-app alert row the Alerts page lists is kept as well. Both are keyed by
// the notice's key, so a repeated run sends nothing twice.
type Delivery struct{}

// Notify writes the alert and hands the notice to delivery.
func (Delivery) Notify(ctx context.Context, tx *store.Tx, n delivery.Notice) error {
	if err := (InApp{}).Notify(ctx, tx, n); err != nil {
		return err
	}
	_, err := delivery.Notify(ctx, tx, n)
	return err
}
