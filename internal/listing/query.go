package listing

import (
	"context"
	"database/sql"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
)

// Querier runs a list's statements: a store.DB, a store.Tx, an sql.DB.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Scanner reads one row's columns (an *sql.Rows is one).
type Scanner interface {
	Scan(dest ...any) error
}

// Query is one list's SQL, declared once by the area that owns its tables
// and run by the package for a page (with its total) and for an export:
//
//	SELECT <Columns> <From> WHERE <Where> AND <keyset> ORDER BY <sort>, <Spec.ID> LIMIT n
//	SELECT count(*) <From> WHERE <Where>
//
// The area keeps its tables, its visibility rule and its filters; the
// package keeps the paging, so no list repeats the scan loop.
type Query[T any] struct {
	// What names the list in errors ("list assessments").
	What string
	// Columns is the SELECT list Scan reads. It may add values to args (a
	// name shown only to some callers); it is not run for the count.
	Columns func(args *access.Args) string
	// From is " FROM table t JOIN …", shared by the rows and the count.
	From string
	// Where is the caller's visibility and the request's filters, ANDed.
	Where func(args *access.Args, req Request) string
	// Scan reads one row of Columns.
	Scan func(Scanner) (T, error)
	// Key is a row's value of the sort column req sorts on (as the
	// column's Kind) and its id, from which the cursors are made.
	Key func(row T, req Request) (any, int64)
	// Around, when set, is the statement run around the page's rows, for
	// a list whose rows add values read once for the page rather than once
	// per row (counts over a child table for just the rows shown):
	// Around is given the page's SELECT, which carries a last column
	// "rank" (the row's place in the page's order), and returns the
	// statement whose rows Scan reads, ordered by rank, such as
	//
	//	WITH page AS (<page>), c AS (SELECT … WHERE x IN (SELECT id FROM page) GROUP BY …)
	//	SELECT page.…, c.… FROM page LEFT JOIN c … ORDER BY page.rank
	//
	// The count is not wrapped. Nil runs the page's SELECT as it is.
	Around func(args *access.Args, page string) string
}

// Each calls yield with every row of the request's page (or, for an
// export request, every row), in order.
func (q Query[T]) Each(ctx context.Context, db Querier, req Request, yield func(T) error) error {
	var args access.Args
	cols := q.Columns(&args)
	where := q.Where(&args, req)
	page, order, limit := req.Keyset(&args)
	stmt := "SELECT " + cols
	if q.Around != nil {
		stmt += ", ROW_NUMBER() OVER (ORDER BY " + order + ") AS rank"
	}
	stmt += q.From + " WHERE " + where + " AND " + page + " ORDER BY " + order + LimitSQL(limit)
	if q.Around != nil {
		stmt = q.Around(&args, stmt)
	}
	rows, err := db.QueryContext(ctx, stmt, args...)
	if err != nil {
		return errs.Wrap(err, q.What)
	}
	defer rows.Close()
	for rows.Next() {
		x, err := q.Scan(rows)
		if err != nil {
			return errs.Wrap(err, q.What)
		}
		if err := yield(x); err != nil {
			return err
		}
	}
	return errs.Wrap(rows.Err(), q.What)
}

// Count is the number of rows the request's filters match, on every page.
func (q Query[T]) Count(ctx context.Context, db Querier, req Request) (int64, error) {
	var n int64
	err := q.Aggregate(ctx, db, req, "count(*)", &n)
	return n, err
}

// Aggregate reads aggregates over every row the request's filters match
// (exprs is a SELECT list such as "count(*), COALESCE(SUM(p.devices), 0)")
// into dest: a list's totals beside its count, in one statement.
func (q Query[T]) Aggregate(ctx context.Context, db Querier, req Request, exprs string, dest ...any) error {
	var args access.Args
	where := q.Where(&args, req)
	err := db.QueryRowContext(ctx, "SELECT "+exprs+q.From+" WHERE "+where, args...).Scan(dest...)
	return errs.Wrap(err, q.What)
}

// Finish makes the page of items (read by Each) with total (from Count or
// Aggregate), for a list whose page is more than its rows and total.
func (q Query[T]) Finish(req Request, items []T, total int64) Page[T] {
	return Finish(req, items, total, func(x T) (any, int64) { return q.Key(x, req) })
}

// Page is one page of the list with its total. Run both on one
// transaction (a store.Tx) when the total must agree with the rows.
func (q Query[T]) Page(ctx context.Context, db Querier, req Request) (Page[T], error) {
	var items []T
	if err := q.Each(ctx, db, req, func(x T) error { items = append(items, x); return nil }); err != nil {
		return Page[T]{}, err
	}
	total, err := q.Count(ctx, db, req)
	if err != nil {
		return Page[T]{}, err
	}
	return q.Finish(req, items, total), nil
}

// Export writes every row the request's filters match, in its order, to w
// as csv makes each row's cells.
func (q Query[T]) Export(ctx context.Context, db Querier, req Request, w Writer, csv func(T) []string) error {
	return q.Each(ctx, db, req.Export(), func(x T) error { return w.Row(csv(x), x) })
}
