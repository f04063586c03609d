package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"sync"
)

// TryLock takes the named lock if no one holds it, returning a function that
// releases it; ok is false when another holder has it. It is for work that
// must run in one place at a time however many servers share the database
// (the scheduled tasks).
//
// PostgreSQL: a session advisory lock on a connection held for the
// duration, so the lock is the database's and a server that dies loses it
// with its connection. SQLite: one process serves a SQLite file, so a lock
// in this process's memory is the whole answer.
func (db *DB) TryLock(ctx context.Context, name string) (unlock func(), ok bool, err error) {
	if db.Dialect != Postgres {
		m := localLock(db.path + "\x00" + name)
		if !m.TryLock() {
			return nil, false, nil
		}
		return m.Unlock, true, nil
	}
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("lock %s: %w", name, err)
	}
	// Two keys: a constant naming metersec's locks (so they cannot collide
	// with another application's on the same server) and the name's hash.
	const space = 0x6d736563 // "msec"
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1, hashtext($2))", space, name).Scan(&ok); err != nil || !ok {
		conn.Close()
		if err != nil {
			return nil, false, fmt.Errorf("lock %s: %w", name, err)
		}
		return nil, false, nil
	}
	return func() {
		// A failed unlock leaves the lock with the connection: closing a
		// connection that may still hold it would return it to the pool
		// locked, so it is discarded instead.
		var released bool
		if err := conn.QueryRowContext(context.Background(), "SELECT pg_advisory_unlock($1, hashtext($2))", space, name).Scan(&released); err != nil || !released {
			conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
	}, true, nil
}

var (
	localMu    sync.Mutex
	localLocks = map[string]*sync.Mutex{}
)

func localLock(name string) *sync.Mutex {
	localMu.Lock()
	defer localMu.Unlock()
	m, ok := localLocks[name]
	if !ok {
		m = &sync.Mutex{}
		localLocks[name] = m
	}
	return m
}
