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
}

// Each calls yield with every row of the request's page (or, for an
// export request, every row), in order.
func (q Query[T]) Each(ctx context.Context, db Querier, req Request, yield func(T) error) error {
	var args access.Args
	cols := q.Columns(&args)
	where := q.Where(&args, req)
	page, order, limit := req.Keyset(&args)
	rows, err := db.QueryContext(ctx, "SELECT "+cols+q.From+" WHERE "+where+" AND "+page+" ORDER BY "+order+LimitSQL(limit), args...)
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
	var args access.Args
	where := q.Where(&args, req)
	var n int64
	err := db.QueryRowContext(ctx, "SELECT count(*)"+q.From+" WHERE "+where, args...).Scan(&n)
	return n, errs.Wrap(err, q.What)
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
	return Finish(req, items, total, func(x T) (any, int64) { return q.Key(x, req) }), nil
}

// Export writes every row the request's filters match, in its order, to w
// as csv makes each row's cells.
func (q Query[T]) Export(ctx context.Context, db Querier, req Request, w Writer, csv func(T) []string) error {
	return q.Each(ctx, db, req.Export(), func(x T) error { return w.Row(csv(x), x) })
}
