package listing

import (
	"cmp"
	"slices"
	"time"

	"github.com/metersec/metersec/internal/sec"
)

// Slice pages a list whose rows are made in Go rather than read in order
// from SQL: a list bounded by its parent (one model's firmware, in the
// catalogue's version order, with statuses computed on a day). all holds
// every row the request's filters match, in any order; less orders two rows
// by the request's sort column, ascending. Slice adds the direction and the
// id tie-break, and answers the same envelope and cursors as a SQL list, so
// a client cannot tell the two apart.
//
// A cursor finds its place by the id of the row it was made from; should
// that row be gone, by its key (compared as the column's Kind, which for a
// column whose order is not its values' is only near the place).
func Slice[T any](r Request, all []T, key func(T) (any, int64), order func(a, b T) int) Page[T] {
	rows := slices.Clone(all)
	slices.SortStableFunc(rows, func(a, b T) int {
		c := order(a, b)
		if c == 0 {
			_, ia := key(a)
			_, ib := key(b)
			c = cmp.Compare(ia, ib)
		}
		if r.Desc {
			return -c
		}
		return c
	})
	total := int64(len(rows))
	if r.export || r.after == nil {
		if !r.export && len(rows) > r.Limit+1 {
			rows = rows[:r.Limit+1]
		}
		return Finish(r, rows, total, key)
	}
	// at is the index of the first row after the cursor, in the list's
	// order; before is the number of rows before it.
	at := slices.IndexFunc(rows, func(x T) bool { _, id := key(x); return id == r.after.ID })
	before := at
	if at >= 0 {
		at++
	} else {
		at = len(rows)
		for i, x := range rows {
			k, id := key(x)
			c := compareKey(k, r.after.Key)
			if c == 0 {
				c = cmp.Compare(id, r.after.ID)
			}
			if r.Desc {
				c = -c
			}
			if c > 0 {
				at = i
				break
			}
		}
		before = at
	}
	var page []T
	if r.after.Back {
		// The rows before the cursor, nearest first, as a backward walk in
		// SQL fetches them (Finish puts them back in order).
		for i := before - 1; i >= 0 && len(page) <= r.Limit; i-- {
			page = append(page, rows[i])
		}
	} else {
		page = rows[at:min(len(rows), at+r.Limit+1)]
	}
	return Finish(r, page, total, key)
}

// compareKey compares a row's key with a cursor's, as restored by
// decodeCursor (a Date as its text, a Time in UTC).
func compareKey(a, b any) int {
	switch x := a.(type) {
	case int64:
		y, _ := b.(int64)
		return cmp.Compare(x, y)
	case int:
		y, _ := b.(int64)
		return cmp.Compare(int64(x), y)
	case float64:
		y, _ := b.(float64)
		return cmp.Compare(x, y)
	case time.Time:
		y, _ := b.(time.Time)
		return x.Compare(y)
	case sec.Date:
		y, _ := b.(string)
		return cmp.Compare(x.String(), y)
	case string:
		y, _ := b.(string)
		return cmp.Compare(x, y)
	}
	return 0
}
