package listing_test

import (
	"cmp"
	"net/url"
	"slices"
	"testing"

	"github.com/metersec/metersec/internal/listing"
)

type row struct {
	id   int64
	name string
	n    int64
}

// TestSliceWalksLikeSQL: every page forwards and back, in both directions,
// covers the rows once in order, and a cursor whose row is gone still finds
// its place.
func TestSliceWalksLikeSQL(t *testing.T) {
	var all []row
	for i := int64(1); i <= 23; i++ {
		all = append(all, row{id: i, name: string(rune('a' + (i*7)%26)), n: i % 4})
	}
	key := func(x row) (any, int64) { return x.n, x.id }
	order := func(a, b row) int { return cmp.Compare(a.n, b.n) }
	for _, sort := range []string{"n", "-n"} {
		want := slices.Clone(all)
		slices.SortFunc(want, func(a, b row) int {
			c := cmp.Or(cmp.Compare(a.n, b.n), cmp.Compare(a.id, b.id))
			if sort == "-n" {
				return -c
			}
			return c
		})
		var got []row
		var pages []listing.Page[row]
		q := url.Values{"sort": {sort}, "limit": {"5"}}
		for {
			r, err := spec.Parse(q)
			if err != nil {
				t.Fatal(err)
			}
			p := listing.Slice(r, all, key, order)
			if p.Total != int64(len(all)) {
				t.Fatalf("total %d", p.Total)
			}
			got = append(got, p.Items...)
			pages = append(pages, p)
			if p.NextCursor == "" {
				break
			}
			q.Set("cursor", p.NextCursor)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s: forwards %v, want %v", sort, got, want)
		}
		// Back from the last page, page by page, to the first.
		for i := len(pages) - 1; i > 0; i-- {
			q.Set("cursor", pages[i].PrevCursor)
			r, _ := spec.Parse(q)
			p := listing.Slice(r, all, key, order)
			if !slices.Equal(p.Items, pages[i-1].Items) {
				t.Errorf("%s: back from page %d: %v, want %v", sort, i, p.Items, pages[i-1].Items)
			}
		}
		// The row a cursor was made from is deleted: the next page is the
		// same.
		q.Set("cursor", pages[0].NextCursor)
		r, _ := spec.Parse(q)
		gone := slices.DeleteFunc(slices.Clone(all), func(x row) bool { return x.id == pages[0].Items[4].id })
		if p := listing.Slice(r, gone, key, order); !slices.Equal(p.Items, pages[1].Items) {
			t.Errorf("%s: after a deleted row: %v, want %v", sort, p.Items, pages[1].Items)
		}
	}
	r, _ := spec.Parse(url.Values{"sort": {"n"}})
	if p := listing.Slice(r.Export(), all, key, order); len(p.Items) != len(all) || p.NextCursor != "" {
		t.Errorf("export: %d rows, next %q", len(p.Items), p.NextCursor)
	}
}
