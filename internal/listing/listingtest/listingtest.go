// Package listingtest checks a list built on internal/listing the same way
// for every area: pages walked through their cursors, forwards and back,
// with rows inserted between the fetches, never skip nor repeat a row.
package listingtest

import (
	"net/url"
	"strconv"
	"testing"

	"github.com/metersec/metersec/internal/listing"
)

// Fetch fetches one page of the list for a request.
type Fetch[T any] func(listing.Request) (listing.Page[T], error)

// Stable walks the list for every sort it offers, limit rows at a time
// (query adds filters), calling insert before each fetch after the first.
// It fails when a row that was there before the walk is skipped, when any
// row comes twice, when total disagrees with the rows of the first page's
// filters, or when walking back from the last page does not retrace the
// pages. id gives a row's unique id.
func Stable[T any](t *testing.T, spec *listing.Spec, query url.Values, limit int, fetch Fetch[T], id func(T) int64, insert func()) {
	t.Helper()
	for _, sort := range spec.SortNames() {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("sort", sort)
		q.Set("limit", strconv.Itoa(spec.MaxPage())) // the whole list, as far as one page of it goes
		all := parse(t, spec, q)
		before, err := fetch(all)
		if err != nil {
			t.Fatalf("sort=%s: %v", sort, err)
		}
		if int64(len(before.Items)) != before.Total {
			t.Fatalf("sort=%s: %d rows but total %d", sort, len(before.Items), before.Total)
		}
		q.Set("limit", strconv.Itoa(limit))
		seen := map[int64]bool{}
		var pages [][]int64
		cursor := ""
		for n := 0; ; n++ {
			if n > 0 && insert != nil {
				insert()
			}
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			p, err := fetch(parse(t, spec, q))
			if err != nil {
				t.Fatalf("sort=%s page %d: %v", sort, n, err)
			}
			if len(p.Items) > limit {
				t.Fatalf("sort=%s page %d: %d rows, limit %d", sort, n, len(p.Items), limit)
			}
			var ids []int64
			for _, x := range p.Items {
				i := id(x)
				if seen[i] {
					t.Fatalf("sort=%s page %d: row %d again", sort, n, i)
				}
				seen[i] = true
				ids = append(ids, i)
			}
			pages = append(pages, ids)
			if p.NextCursor == "" {
				break
			}
			if n > 10000 {
				t.Fatalf("sort=%s: no end", sort)
			}
			cursor = p.NextCursor
			// Back from here retraces the page just read.
			if n == 0 {
				bq := cloneWith(q, "cursor", p.NextCursor)
				next, err := fetch(parse(t, spec, bq))
				if err != nil {
					t.Fatalf("sort=%s: %v", sort, err)
				}
				if next.PrevCursor == "" {
					t.Fatalf("sort=%s: the second page offers no way back", sort)
				}
				back, err := fetch(parse(t, spec, cloneWith(q, "cursor", next.PrevCursor)))
				if err != nil {
					t.Fatalf("sort=%s: back: %v", sort, err)
				}
				if len(back.Items) != len(ids) {
					t.Fatalf("sort=%s: back to the first page gives %d rows, want %d", sort, len(back.Items), len(ids))
				}
				for k, x := range back.Items {
					if id(x) != ids[k] {
						t.Fatalf("sort=%s: back to the first page: row %d is %d, want %d", sort, k, id(x), ids[k])
					}
				}
				if back.PrevCursor != "" {
					t.Errorf("sort=%s: the first page, reached going back, offers a page before it", sort)
				}
			}
		}
		for _, x := range before.Items {
			if !seen[id(x)] {
				t.Fatalf("sort=%s: row %d skipped while paging %d at a time (pages %v)", sort, id(x), limit, pages)
			}
		}
	}
}

func parse(t *testing.T, spec *listing.Spec, q url.Values) listing.Request {
	t.Helper()
	r, err := spec.Parse(q)
	if err != nil {
		t.Fatalf("parse %s: %v", q.Encode(), err)
	}
	return r
}

func cloneWith(q url.Values, k, v string) url.Values {
	out := url.Values{}
	for kk, vv := range q {
		out[kk] = vv
	}
	out.Set(k, v)
	return out
}
