package delivery

import (
	"context"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/secrets"
	"github.com/metersec/metersec/internal/store"
)

// ResealSecrets brings every webhook signing secret (current and old) under
// the key to: plain secrets stored before a key was given are sealed, ones
// sealed under a key in from are opened and sealed again; with to nil they
// go back to plain text. One transaction; it returns how many values
// changed. Only the system (serve at start, metersec secrets rotate) may.
func ResealSecrets(ctx context.Context, db *store.DB, c access.Caller, to *secrets.Box, from ...*secrets.Box) (int, error) {
	if !c.System {
		return 0, errs.E(errs.Forbidden, "only the system reseals secrets")
	}
	n := 0
	err := db.Write(ctx, c, func(tx *store.Tx) error {
		type row struct {
			id          int64
			secret, old string
		}
		rows, err := tx.QueryContext(ctx, "SELECT id, secret, old_secret FROM webhook_endpoints ORDER BY id")
		if err != nil {
			return errs.Wrap(err, "read webhook secrets")
		}
		var all []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.secret, &r.old); err != nil {
				rows.Close()
				return errs.Wrap(err, "read webhook secrets")
			}
			all = append(all, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return errs.Wrap(err, "read webhook secrets")
		}
		for _, r := range all {
			secret, c1, err := secrets.Reseal(r.secret, secrets.Webhook, to, from...)
			if err != nil {
				return errs.E(errs.Conflict, "the secret of webhook endpoint %d: %v", r.id, err)
			}
			old, c2, err := secrets.Reseal(r.old, secrets.Webhook, to, from...)
			if err != nil {
				return errs.E(errs.Conflict, "the old secret of webhook endpoint %d: %v", r.id, err)
			}
			if !c1 && !c2 {
				continue
			}
			if _, err := tx.ExecContext(ctx, "UPDATE webhook_endpoints SET secret = $1, old_secret = $2 WHERE id = $3", secret, old, r.id); err != nil {
				return errs.Wrap(err, "reseal webhook secret")
			}
			if c1 {
				n++
			}
			if c2 {
				n++
			}
		}
		if n == 0 {
			return nil
		}
		return audit.Record(ctx, tx, "secrets.reseal", "webhook_endpoint", "all", map[string]any{"key": to.ID(), "changed": n})
	})
	return n, err
}
