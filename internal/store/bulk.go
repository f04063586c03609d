package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// insertBatch is how many rows go in one SQLite INSERT.
const insertBatch = 100

// InsertRows appends rows (each with one value per column of cols) to table
// within the transaction: COPY on PostgreSQL; on SQLite multi-row INSERTs
// with positional parameters, since SQLite finds a numbered parameter ($N)
// by a linear search of the statement's names, so a statement of 4,000 of
// them spent more time binding than inserting (2,000 triage entries: 1.9 s
// against 0.2 s). Any constraint violation fails the call.
func (tx *Tx) InsertRows(ctx context.Context, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if tx.Dialect == Postgres {
		return tx.Raw(func(dc any) error {
			conn, ok := dc.(*stdlib.Conn)
			if !ok {
				return fmt.Errorf("store: PostgreSQL connection is %T", dc)
			}
			n, err := conn.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
			if err != nil {
				return fmt.Errorf("copy into %s: %w", table, err)
			}
			if n != int64(len(rows)) {
				return fmt.Errorf("copy into %s: %d rows of %d", table, n, len(rows))
			}
			return nil
		})
	}
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	prefix := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES "
	statement := func(k int) string { return prefix + strings.TrimSuffix(strings.Repeat(row+",", k), ",") }
	stmt, err := tx.PrepareContext(ctx, statement(insertBatch))
	if err != nil {
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	defer stmt.Close()
	args := make([]any, 0, insertBatch*len(cols))
	for start := 0; start < len(rows); start += insertBatch {
		part := rows[start:min(start+insertBatch, len(rows))]
		args = args[:0]
		for _, r := range part {
			if len(r) != len(cols) {
				return fmt.Errorf("insert into %s: a row of %d values for %d columns", table, len(r), len(cols))
			}
			args = append(args, r...)
		}
		if len(part) == insertBatch {
			_, err = stmt.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, statement(len(part)), args...)
		}
		if err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return nil
}

// ListChunk is how many values to put in one IN (…) list of numbered
// parameters on the engine q runs on: SQLite finds each $N by a linear search
// of the statement's parameters, so long lists cost it quadratically (500 is
// about where the search and the per-statement cost balance); PostgreSQL
// pays a round trip per statement instead, so it takes 10,000 at a time
// (its limit is 65,535 parameters).
func ListChunk(q Querier) int {
	var d Dialect
	switch x := q.(type) {
	case *Tx:
		d = x.Dialect
	case *DB:
		d = x.Dialect
	}
	if d == Postgres {
		return 10_000
	}
	return 500
}
