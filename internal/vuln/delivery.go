package vuln

import (
	"context"

	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/store"
)

// Delivery is the Notifier that writes notices to delivery's outbox in the
// caller's transaction: the organisation's inbox, an email per current
// security contact, a webhook call per endpoint, each sent once per key.
var Delivery Notifier = NotifierFunc(func(ctx context.Context, tx *store.Tx, n Notice) error {
	_, err := delivery.Notify(ctx, tx, delivery.Notice{OrgID: n.OrgID, Kind: n.Kind, Title: n.Title, Body: n.Body, Link: n.Link,
		RecordKind: n.RecordKind, RecordID: n.RecordID, Classification: n.Classification, Data: n.Data, Key: n.Key})
	return err
})

// deliveredAt is when the first email or webhook about a recipient row
// reached its organisation; deliveryState sums up its jobs: delivered,
// retrying (failed attempts, still trying), failed (given up), pending, or
// in-app only (no contact or endpoint to send to). Job details (addresses,
// errors) are delivery's to show, to the recipient and the SSC only
// (delivery.Service.RecordDeliveries).
const (
	deliveredAt = `(SELECT MIN(j.delivered_at) FROM delivery_jobs j WHERE j.record_kind = 'vuln_recipient' AND j.record_id = r.id)`

	deliveryState = `CASE
		WHEN r.first_notified_at IS NULL THEN ''
		WHEN EXISTS (SELECT 1 FROM delivery_jobs j WHERE j.record_kind = 'vuln_recipient' AND j.record_id = r.id AND j.state = 'dead') THEN 'failed'
		WHEN EXISTS (SELECT 1 FROM delivery_jobs j WHERE j.record_kind = 'vuln_recipient' AND j.record_id = r.id AND j.state <> 'delivered' AND j.attempts > 0) THEN 'retrying'
		WHEN EXISTS (SELECT 1 FROM delivery_jobs j WHERE j.record_kind = 'vuln_recipient' AND j.record_id = r.id AND j.state <> 'delivered') THEN 'pending'
		WHEN EXISTS (SELECT 1 FROM delivery_jobs j WHERE j.record_kind = 'vuln_recipient' AND j.record_id = r.id) THEN 'delivered'
		ELSE 'in-app only' END`
)
