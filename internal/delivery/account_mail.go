package delivery

import (
	"context"

	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/store"
)

// Emails to one person from the account service (a password reset's link)
// go through the outbox like every other message. The job's body and link
// are never shown by the outbox's status pages or API (status.go), so the
// administrator who reset a password cannot read the link sent.
func init() {
	account.Outbox = func(ctx context.Context, tx *store.Tx, m account.Mail) error {
		_, err := Enqueue(ctx, tx, Message{Kind: m.Kind, Channel: Email, OrgID: m.OrgID, Email: m.To,
			Subject: m.Subject, Body: m.Body, Link: m.Link, RecordKind: "user", RecordID: m.UserID, Key: m.Key})
		return err
	}
}
