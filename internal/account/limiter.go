package account

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/store"
)

// limiter counts failures per key in a sliding window: too many failed
// sign-ins for one account or from one address lock that key out for a while.
//
// The failures are rows in the database, not memory, so that every server on
// one database counts the same ones: with the count in each process, N
// servers behind a load balancer gave an attacker N times the limit, and a
// restart forgot it. A failure costs one small write, which is the price of
// the limit holding; successes cost a read.
type limiter struct {
	db     *store.DB
	scope  string // "account", "address" or "mfa"
	max    int
	window time.Duration
}

func newLimiter(db *store.DB, scope string, max int, window time.Duration) *limiter {
	return &limiter{db: db, scope: scope, max: max, window: window}
}

// blocked reports whether key has reached its limit, and for how long: until
// the max-th newest failure in the window leaves it.
func (l *limiter) blocked(ctx context.Context, key string, now time.Time) (bool, time.Duration, error) {
	var at time.Time
	err := l.db.QueryRowContext(ctx, `SELECT at FROM signin_failures WHERE scope = $1 AND key = $2 AND at > $3
		ORDER BY at DESC LIMIT 1 OFFSET $4`, l.scope, key, now.Add(-l.window), l.max-1).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, errs.Wrap(err, "sign-in limit")
	}
	return true, at.Add(l.window).Sub(now), nil
}

// fail counts a failure for key, and prunes failures of this scope that have
// left the window, so the table holds at most a window's worth.
func (l *limiter) fail(ctx context.Context, key string, now time.Time) error {
	return l.db.Write(ctx, access.SystemCaller("sign-in limit"), func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO signin_failures (scope, key, at) VALUES ($1, $2, $3)", l.scope, key, now); err != nil {
			return errs.Wrap(err, "sign-in limit")
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM signin_failures WHERE scope = $1 AND at <= $2", l.scope, now.Add(-l.window))
		return errs.Wrap(err, "sign-in limit")
	})
}

// reset forgets key's failures, in tx (the successful sign-in's).
func (l *limiter) reset(ctx context.Context, tx *store.Tx, key string) error {
	_, err := tx.ExecContext(ctx, "DELETE FROM signin_failures WHERE scope = $1 AND key = $2", l.scope, key)
	return errs.Wrap(err, "sign-in limit")
}
