package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"runtime"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// loadBatch is how many rows one SQLite INSERT of Load writes: 9 columns ×
// 256 rows is 2,304 parameters.
const loadBatch = 256

// Load appends the rows next writes (into row, one value a column of cols;
// false at the end) to table, streaming, and returns how many. It is Stage
// for the biggest loads (a first load of the estate: tens of millions of
// rows), and next may not use the transaction. On PostgreSQL it is one COPY;
// on SQLite prepared multi-row INSERTs handed to the driver directly, not
// through database/sql, whose checks and conversion of each of the values
// cost more than SQLite took to store them (BENCHMARKS.md, issue 16). The
// values are int64, string, bool, nil or a Dialect.Date; any constraint
// violation fails the call, and on SQLite a row that went in without error
// but was not written (INSERT OR IGNORE meeting a key already there) too.
func (tx *Tx) Load(ctx context.Context, table string, cols []string, next func(row []any) (bool, error)) (int64, error) {
	if tx.Dialect == Postgres {
		var n int64
		err := tx.Raw(func(dc any) error {
			conn, ok := dc.(*stdlib.Conn)
			if !ok {
				return fmt.Errorf("store: PostgreSQL connection is %T", dc)
			}
			src := &loadSource{next: next, row: make([]any, len(cols))}
			var err error
			n, err = conn.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, src)
			return err
		})
		return n, err
	}
	// OR IGNORE, as in Stage, spares SQLite a statement journal where no
	// other constraint needs one; the count of rows changed shows a row
	// ignored.
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	prefix := fmt.Sprintf("INSERT OR IGNORE INTO %s (%s) VALUES ", table, strings.Join(cols, ", "))
	statement := func(k int) string { return prefix + strings.TrimSuffix(strings.Repeat(row+",", k), ",") }
	var n int64
	err := tx.Raw(func(dc any) error {
		prep, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return fmt.Errorf("store: SQLite connection is %T", dc)
		}
		exec := func(st driver.Stmt, args []driver.NamedValue) error {
			ex, ok := st.(driver.StmtExecContext)
			if !ok {
				return fmt.Errorf("store: SQLite statement is %T", st)
			}
			res, err := ex.ExecContext(ctx, args)
			if err != nil {
				return err
			}
			got, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if k := int64(len(args) / len(cols)); got != k {
				return fmt.Errorf("wrote %d rows of %d: a key already there", got, k)
			}
			n += got
			return nil
		}
		full, err := prep.PrepareContext(ctx, statement(loadBatch))
		if err != nil {
			return err
		}
		defer full.Close()
		args := make([]driver.NamedValue, loadBatch*len(cols))
		for i := range args {
			args[i].Ordinal = i + 1
		}
		vals := make([]any, len(cols))
		k := 0
		for {
			more, err := next(vals)
			if err != nil {
				return err
			}
			if !more {
				break
			}
			for i, v := range vals {
				args[k*len(cols)+i].Value = v
			}
			if k++; k == loadBatch {
				if err := exec(full, args); err != nil {
					return err
				}
				k = 0
				if err := ctx.Err(); err != nil {
					return err
				}
			}
		}
		if k == 0 {
			return nil
		}
		part, err := prep.PrepareContext(ctx, statement(k))
		if err != nil {
			return err
		}
		defer part.Close()
		return exec(part, args[:k*len(cols)])
	})
	if err != nil {
		return n, fmt.Errorf("load %s: %w", table, err)
	}
	return n, nil
}

// loadSource feeds COPY from Load's next, one row buffer reused: pgx
// encodes each row before asking for the next.
type loadSource struct {
	next func(row []any) (bool, error)
	row  []any
	err  error
}

func (s *loadSource) Next() bool {
	if s.err != nil {
		return false
	}
	var more bool
	more, s.err = s.next(s.row)
	return s.err == nil && more
}

func (s *loadSource) Values() ([]any, error) { return s.row, nil }
func (s *loadSource) Err() error             { return s.err }

// ParallelSort lets the engine sort with worker threads for the rest of
// this transaction's bulk work (building indexes, mostly) and returns the
// function that stops it. SQLite sorts on the calling thread unless told
// (PRAGMA threads); PostgreSQL already builds a B-tree index with parallel
// workers (max_parallel_maintenance_workers): there it does nothing.
func (tx *Tx) ParallelSort(ctx context.Context) (restore func(), err error) {
	if tx.Dialect != SQLite {
		return func() {}, nil
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA threads = %d", runtime.GOMAXPROCS(0))); err != nil {
		return nil, fmt.Errorf("sort threads: %w", err)
	}
	return func() { tx.ExecContext(ctx, "PRAGMA threads = 0") }, nil
}
