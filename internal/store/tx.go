package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/metersec/metersec/internal/access"
)

// Tx is a transaction that knows when it happens and who is acting, so a
// change and its audit record carry the same time and actor and commit
// together or not at all.
type Tx struct {
	*sql.Tx
	Now     time.Time
	Actor   access.Caller
	Dialect Dialect
	conn    *sql.Conn
	db      *DB
	after   []func()
}

// Raw runs fn with the driver connection the transaction is on (a
// *stdlib.Conn on PostgreSQL), for bulk loading with COPY inside the
// transaction.
func (tx *Tx) Raw(fn func(driverConn any) error) error { return tx.conn.Raw(fn) }

// DB is the database the transaction belongs to.
func (tx *Tx) DB() *DB { return tx.db }

// AfterCommit runs fn once the transaction has committed (for example to wake
// a worker); it never runs if the transaction rolls back.
func (tx *Tx) AfterCommit(fn func()) { tx.after = append(tx.after, fn) }

// Write runs fn in a write transaction as actor, committing if fn returns nil.
// A transaction that fails only because another got in its way is retried a
// few times, so fn must not have effects outside the database.
func (db *DB) Write(ctx context.Context, actor access.Caller, fn func(tx *Tx) error) error {
	var err error
	for attempt := range 4 {
		err = db.run(ctx, actor, false, fn)
		if err == nil || !isRetryable(err) {
			return err
		}
		time.Sleep(time.Duration(10<<attempt) * time.Millisecond)
	}
	return err
}

// Read runs fn in a read-only transaction, for reads that need one consistent
// view across several queries.
func (db *DB) Read(ctx context.Context, actor access.Caller, fn func(tx *Tx) error) error {
	return db.run(ctx, actor, true, fn)
}

func (db *DB) run(ctx context.Context, actor access.Caller, readOnly bool, fn func(tx *Tx) error) (err error) {
	pool := db.w
	if readOnly {
		pool = db.r
	}
	conn, err := pool.Conn(ctx)
	if err != nil {
		return fmt.Errorf("database connection: %w", err)
	}
	defer conn.Close()
	var opts *sql.TxOptions
	if readOnly && db.Dialect == Postgres {
		opts = &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}
	}
	stx, err := conn.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	tx := &Tx{Tx: stx, Now: db.Now(), Actor: actor, Dialect: db.Dialect, conn: conn, db: db}
	defer func() {
		if p := recover(); p != nil {
			stx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		if rerr := stx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			return errors.Join(err, rerr)
		}
		return err
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	for _, f := range tx.after {
		f()
	}
	return nil
}

// Querier is what both *DB and *Tx offer for reads, so a lookup can run
// inside a transaction or outside one.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
