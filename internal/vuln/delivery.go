package vuln

import (
	"context"

	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/store"
)

// Delivery is the Notifier that writes notices to delivery's outbox in the
// caller's transaction: the organisation's inbox, an email per current
// security contact, a webhook call per endpoint, each sent once per key.
var Delivery Notifier = NotifierFunc(func(ctx context.Context, tx *store.Tx, n delivery.Notice) error {
	_, err := delivery.Notify(ctx, tx, n)
	return err
})

// deliveredAt is when the first email or webhook about a recipient row
// reached its organisation; deliveryState sums up its jobs (delivery's
// StateSQL). The jobs are delivery's table, read through its expressions.
var (
	deliveredAt   = delivery.DeliveredAtSQL(RecipientKind, "r.id")
	deliveryState = delivery.StateSQL(RecipientKind, "r.id", "r.first_notified_at")
)
