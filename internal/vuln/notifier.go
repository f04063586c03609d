package vuln

import (
	"context"

	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/store"
)

// Notifier writes notices in the caller's transaction, so a notice is sent
// if and only if the change that causes it commits. It must be idempotent by
// Key and OrgID: Tick and retried requests send the same key again.
type Notifier interface {
	Notify(ctx context.Context, tx *store.Tx, n delivery.Notice) error
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, tx *store.Tx, n delivery.Notice) error

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, tx *store.Tx, n delivery.Notice) error {
	return f(ctx, tx, n)
}
