package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// The operations below are what the areas need of the engine where the two
// differ: row locks, per-transaction tuning, staging tables, bulk staging,
// and a few SQL spellings. The areas ask for the operation; only this
// package knows which engine it runs on (TestNoDialectBranchOutsideStore).

// ForUpdate is the clause that locks the rows a SELECT reads until q's
// transaction ends, of the table aliased of ("" for a single-table SELECT).
// PostgreSQL locks the rows; SQLite has one writer at a time, whose
// transaction already excludes every other, so it needs nothing (and outside
// a transaction there is nothing to lock on either engine).
func ForUpdate(q Querier, of string) string {
	tx, ok := q.(*Tx)
	if !ok || tx.Dialect != Postgres {
		return ""
	}
	if of == "" {
		return " FOR UPDATE"
	}
	return " FOR UPDATE OF " + of
}

// SkipLocked is ForUpdate for a queue: the rows it would lock that another
// transaction holds are passed over instead of waited for.
func SkipLocked(q Querier) string {
	if lock := ForUpdate(q, ""); lock != "" {
		return lock + " SKIP LOCKED"
	}
	return ""
}

// SetLocal sets one of PostgreSQL's planner or commit settings (work_mem,
// jit, enable_sort, synchronous_commit) for the rest of this transaction
// only. SQLite has no such settings: there it does nothing.
func (tx *Tx) SetLocal(ctx context.Context, name, value string) error {
	if tx.Dialect != Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("SET LOCAL %s = '%s'", name, strings.ReplaceAll(value, "'", "''"))); err != nil {
		return fmt.Errorf("set %s: %w", name, err)
	}
	return nil
}

// CapCache bounds SQLite's page cache, and with it its sorter, to kib KiB for
// a bulk change; restore puts the connection's size back. PostgreSQL's
// memory is the server's: there it does nothing.
func (tx *Tx) CapCache(ctx context.Context, kib int64) (restore func(), err error) {
	if tx.Dialect != SQLite {
		return func() {}, nil
	}
	var size int64
	if err := tx.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&size); err != nil {
		return nil, fmt.Errorf("cache size: %w", err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = %d", -kib)); err != nil {
		return nil, fmt.Errorf("cache size: %w", err)
	}
	return func() { tx.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = %d", size)) }, nil
}

// CreateStaging makes an empty staging table for this transaction. cols are
// its column definitions in BIGINT, TEXT and @date (a day: DATE on
// PostgreSQL, "YYYY-MM-DD" text on SQLite, as Dialect.Date gives it); key,
// when not empty, is the columns of a primary key that SQLite keeps the rows
// in (WITHOUT ROWID), so staging sorts them as it goes. PostgreSQL stages
// into a heap without a key (COPY is fastest so) in a TEMP table that goes at
// commit.
//
// On SQLite it is an ordinary table that DropStaging removes before commit
// (and a rollback never made): SQLite keeps TEMP tables in memory (this
// build's temp_store), where a staged file would grow the process by its
// size, 100 MB a million rows, whereas the main database pages through its
// bounded cache. No other connection sees it: SQLite has one writer and
// readers see only commits.
func (tx *Tx) CreateStaging(ctx context.Context, name, cols, key string) error {
	var q string
	if tx.Dialect == Postgres {
		q = fmt.Sprintf("CREATE TEMP TABLE %s (%s) ON COMMIT DROP", name, strings.ReplaceAll(cols, "@date", "DATE"))
	} else {
		if err := tx.DropStaging(ctx, name); err != nil {
			return err
		}
		cols = strings.ReplaceAll(strings.ReplaceAll(cols, "@date", "TEXT"), "BIGINT", "INTEGER")
		if key != "" {
			q = fmt.Sprintf("CREATE TABLE %s (%s, PRIMARY KEY (%s)) WITHOUT ROWID", name, cols, key)
		} else {
			q = fmt.Sprintf("CREATE TABLE %s (%s)", name, cols)
		}
	}
	if _, err := tx.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("staging table %s: %w", name, err)
	}
	return nil
}

// CreateStagingAs makes a staging table for this transaction holding what
// query selects (see CreateStaging).
func (tx *Tx) CreateStagingAs(ctx context.Context, name, query string) error {
	q := "CREATE TABLE " + name + " AS " + query
	if tx.Dialect == Postgres {
		q = "CREATE TEMP TABLE " + name + " ON COMMIT DROP AS " + query
	} else if err := tx.DropStaging(ctx, name); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("staging table %s: %w", name, err)
	}
	return nil
}

// DropStaging removes staging tables: on SQLite before commit, on
// PostgreSQL (which drops them at commit) when a table is made again in one
// transaction.
func (tx *Tx) DropStaging(ctx context.Context, names ...string) error {
	for _, n := range names {
		q := "DROP TABLE IF EXISTS main." + n
		if tx.Dialect == Postgres {
			q = "DROP TABLE IF EXISTS pg_temp." + n
		}
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("staging table %s: %w", n, err)
		}
	}
	return nil
}

// Analyze gives PostgreSQL's planner the size of a table a bulk change has
// just filled: it never gathers statistics for temporary tables by itself,
// and for ordinary ones only when autovacuum comes round, so it would plan
// the next statements for the table as it was. SQLite plans without
// statistics here: nothing to do.
func (tx *Tx) Analyze(ctx context.Context, table string) error {
	if tx.Dialect != Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "ANALYZE "+table); err != nil {
		return fmt.Errorf("analyze %s: %w", table, err)
	}
	return nil
}

// stageBatch is how many rows one SQLite INSERT stages. 8 columns × 200 rows
// is 1,600 parameters, well under SQLite's limit of 32,766; larger batches
// measured no faster.
const stageBatch = 200

// Stage copies the rows next yields (nil at the end) into a staging table,
// streaming, and returns how many: on PostgreSQL through one COPY, on SQLite
// through a prepared multi-row INSERT (stageBatch rows to a statement, which
// is several times faster than one row to a statement because database/sql
// costs more per call than SQLite per row). Dates in the rows must be
// Dialect.Date's. An error of next ends the staging with that error.
func (tx *Tx) Stage(ctx context.Context, table string, cols []string, next func() ([]any, error)) (int64, error) {
	if tx.Dialect == Postgres {
		var n int64
		err := tx.Raw(func(dc any) error {
			conn, ok := dc.(*stdlib.Conn)
			if !ok {
				return fmt.Errorf("store: PostgreSQL connection is %T", dc)
			}
			var err error
			n, err = conn.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, &copySource{next: next})
			return err
		})
		return n, err
	}
	// OR IGNORE spares SQLite a statement journal: a multi-row INSERT that
	// may abort half way (a NOT NULL or key constraint) first copies every
	// page it touches to a journal of the statement, a temporary file,
	// which on 1M Devices was half the import's time. Staging keys are
	// unique by construction (they hold the line) and every value is set;
	// flush still checks that each row went in, so a row is never lost in
	// silence.
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	prefix := fmt.Sprintf("INSERT OR IGNORE INTO %s (%s) VALUES ", table, strings.Join(cols, ", "))
	full, err := tx.PrepareContext(ctx, prefix+strings.TrimSuffix(strings.Repeat(row+",", stageBatch), ","))
	if err != nil {
		return 0, err
	}
	defer full.Close()
	args := make([]any, 0, stageBatch*len(cols))
	var n int64
	flush := func() error {
		k := len(args) / len(cols)
		if k == 0 {
			return nil
		}
		var res sql.Result
		var err error
		if k == stageBatch {
			res, err = full.ExecContext(ctx, args...)
		} else {
			res, err = tx.ExecContext(ctx, prefix+strings.TrimSuffix(strings.Repeat(row+",", k), ","), args...)
		}
		if err != nil {
			return err
		}
		got, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if got != int64(k) {
			return fmt.Errorf("staged %d rows of %d", got, k)
		}
		n += int64(k)
		args = args[:0]
		return nil
	}
	for {
		vals, err := next()
		if err != nil {
			return n, err
		}
		if vals == nil {
			break
		}
		args = append(args, vals...)
		if len(args) == cap(args) {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	return n, flush()
}

// copySource feeds COPY from next.
type copySource struct {
	next func() ([]any, error)
	vals []any
	err  error
}

func (s *copySource) Next() bool {
	if s.err != nil {
		return false
	}
	s.vals, s.err = s.next()
	return s.err == nil && s.vals != nil
}

func (s *copySource) Values() ([]any, error) { return s.vals, nil }
func (s *copySource) Err() error             { return s.err }

// Date is a day as the engine takes it in a staged row or a parameter of a
// SELECT list: COPY encodes time.Time into DATE; SQLite keeps dates as
// "YYYY-MM-DD" text.
func (d Dialect) Date(t time.Time) any {
	if d == Postgres {
		return t
	}
	return t.Format(time.DateOnly)
}

// DateLiteral is the day ("YYYY-MM-DD") as a typed SQL literal.
func (d Dialect) DateLiteral(day string) string {
	if d == Postgres {
		return "DATE '" + day + "'"
	}
	return "'" + day + "'"
}

// DateParam is the parameter p (as "$3") in a SELECT list, where PostgreSQL
// needs its type spelt out and SQLite, which keeps dates as text, would have
// it spoiled by a CAST.
func (d Dialect) DateParam(p string) string {
	if d == Postgres {
		return "CAST(" + p + " AS DATE)"
	}
	return p
}

// AddDays is the day expression day moved by the integer expression days.
func (d Dialect) AddDays(day, days string) string {
	if d == Postgres {
		return fmt.Sprintf("(CAST(%s AS DATE) + CAST((%s) AS INTEGER))", day, days)
	}
	return fmt.Sprintf("date(%s, (%s) || ' days')", day, days)
}

// ByteOrder is the text expression compared byte by byte (SQLite's default;
// PostgreSQL's default follows the database's locale).
func (d Dialect) ByteOrder(expr string) string {
	if d == Postgres {
		return expr + ` COLLATE "C"`
	}
	return expr
}

// Series is a SELECT of one column, i, holding the integers lo to hi
// inclusive (each a number or a parameter), to use as a subquery.
func (d Dialect) Series(lo, hi string) string {
	if d == Postgres {
		return fmt.Sprintf("SELECT i FROM generate_series(CAST(%s AS BIGINT), CAST(%s AS BIGINT)) AS g(i)", lo, hi)
	}
	return fmt.Sprintf("WITH RECURSIVE g(i) AS (SELECT %s UNION ALL SELECT i + 1 FROM g WHERE i < %s) SELECT i FROM g", lo, hi)
}

// HashAggregates reports whether the engine groups rows by hashing: with it,
// a GROUP BY over millions of rows by a key no index holds is one pass;
// without it (SQLite) every row goes through a sort first.
func (db *DB) HashAggregates() bool { return db.Dialect == Postgres }

// ResetSequences sets the id sequences of tables that were filled with
// explicit ids past their highest id, so the next row numbered by the
// database does not clash. SQLite numbers from the highest id already: there
// it does nothing.
func (tx *Tx) ResetSequences(ctx context.Context, tables ...string) error {
	if tx.Dialect != Postgres {
		return nil
	}
	for _, t := range tables {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT MAX(id) FROM %s))", t, t)); err != nil {
			return fmt.Errorf("sequence of %s: %w", t, err)
		}
	}
	return nil
}

// SettleBulkLoad brings the planner up to date after a bulk load outside
// the product's own paths (a benchmark world): on PostgreSQL VACUUM (ANALYZE),
// which also sets the visibility map that index-only scans need (autovacuum
// would get there in its own time); SQLite plans without statistics here:
// nothing to do.
func (db *DB) SettleBulkLoad(ctx context.Context) error {
	if db.Dialect != Postgres {
		return nil
	}
	if _, err := db.w.ExecContext(ctx, "VACUUM (ANALYZE)"); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	return nil
}

// EmptyForLoad reports whether table holds no rows, and if so keeps it that
// way for a bulk load by this transaction: on PostgreSQL it takes a lock
// that lets readers in and keeps other writers out until commit (a table
// found empty without it could fill before the load's rows go in); SQLite
// has one writer, this transaction.
func (tx *Tx) EmptyForLoad(ctx context.Context, table string) (bool, error) {
	empty := func() (bool, error) {
		var any bool
		err := tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM "+table+")").Scan(&any)
		return !any, err
	}
	ok, err := empty()
	if err != nil || !ok || tx.Dialect != Postgres {
		return ok, err
	}
	if _, err := tx.ExecContext(ctx, "LOCK TABLE "+table+" IN SHARE ROW EXCLUSIVE MODE"); err != nil {
		return false, fmt.Errorf("lock %s: %w", table, err)
	}
	return empty()
}

// DropSecondaryIndexes drops table's indexes other than its primary key and
// unique constraints, in this transaction, and returns the function that
// builds them again: a bulk load into an empty table then writes the table
// alone, and each index is built once, from sorted rows, instead of
// growing row by row. Until the transaction ends PostgreSQL keeps other
// transactions out of the table (DROP INDEX locks it); SQLite has one
// writer, and readers see the table as it was.
func (tx *Tx) DropSecondaryIndexes(ctx context.Context, table string) (rebuild func(context.Context) error, err error) {
	q := "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL ORDER BY name"
	if tx.Dialect == Postgres {
		q = `SELECT i.indexname, i.indexdef FROM pg_indexes i
			WHERE i.schemaname = current_schema() AND i.tablename = $1
			AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.connamespace = to_regnamespace(current_schema()))
			ORDER BY i.indexname`
	}
	rows, err := tx.QueryContext(ctx, q, table)
	if err != nil {
		return nil, fmt.Errorf("indexes of %s: %w", table, err)
	}
	var names, defs []string
	for rows.Next() {
		var n, d string
		if err := rows.Scan(&n, &d); err != nil {
			rows.Close()
			return nil, fmt.Errorf("indexes of %s: %w", table, err)
		}
		names, defs = append(names, n), append(defs, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("indexes of %s: %w", table, err)
	}
	for _, n := range names {
		if _, err := tx.ExecContext(ctx, "DROP INDEX "+n); err != nil {
			return nil, fmt.Errorf("drop index %s: %w", n, err)
		}
	}
	return func(ctx context.Context) error {
		for i, d := range defs {
			if _, err := tx.ExecContext(ctx, d); err != nil {
				return fmt.Errorf("index %s: %w", names[i], err)
			}
		}
		return nil
	}, nil
}

// ServerProcesses lists the operating-system processes of the database
// server serving this database (PostgreSQL's backends), for tools that tune
// them, such as the load test's priorities. SQLite runs inside this process:
// none.
func (db *DB) ServerProcesses(ctx context.Context) ([]int, error) {
	if db.Dialect != Postgres {
		return nil, nil
	}
	rows, err := db.r.QueryContext(ctx, "SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var pids []int
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			return nil, err
		}
		pids = append(pids, pid)
	}
	return pids, rows.Err()
}
