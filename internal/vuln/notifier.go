package vuln

import (
	"context"

	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Notice is something one organisation must be told about a vulnerability:
// the delivery outbox turns it into an inbox entry, an email per security
// contact and a webhook call per endpoint.
type Notice struct {
	OrgID          int64
	Kind           string // e.g. "vulnerability.notified"
	Title          string
	Body           string
	Link           string // the vulnerability's page
	RecordKind     string // RecipientKind or PlanKind: deliveries are traced per recipient
	RecordID       int64
	Classification sec.Classification
	Data           any    // JSON for webhook receivers
	Key            string // idempotency: the same key and organisation is sent once
}

// Notifier writes notices in the caller's transaction, so a notice is sent
// if and only if the change that causes it commits. It must be idempotent by
// Key and OrgID: Tick and retried requests send the same key again.
type Notifier interface {
	Notify(ctx context.Context, tx *store.Tx, n Notice) error
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, tx *store.Tx, n Notice) error

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, tx *store.Tx, n Notice) error { return f(ctx, tx, n) }
