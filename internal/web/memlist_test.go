package web

import (
	"cmp"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/listing"
)

type memRow struct {
	Name string `json:"name"`
	ID   int64  `json:"id"`
}

var memSpec = &listing.Spec{Columns: []listing.Column{{Name: "name", Label: "Name", Expr: "name", Kind: listing.Text}}, Default: "name", ID: "id"}

// TestMemListStableUnderInserts: an in-memory list (the certificate
// report's rows) pages by keyset too: rows added between two fetches,
// before, inside and after the pages, neither repeat a row nor skip one
// that was there, forwards in both orders, and a page's previous link
// retraces the page before it.
func TestMemListStableUnderInserts(t *testing.T) {
	for _, sort := range []string{"name", "-name"} {
		var rows []memRow
		n := int64(0)
		add := func() {
			n++
			rows = append(rows, memRow{Name: fmt.Sprintf("row %c", 'a'+rune((n*7)%11)), ID: n}) // ties on name
		}
		for range 10 {
			add()
		}
		before := map[int64]bool{}
		for _, r := range rows {
			before[r.ID] = true
		}
		compare := func(a, b memRow) int {
			c := cmp.Or(strings.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
			if sort == "-name" {
				return -c
			}
			return c
		}
		seen := map[int64]bool{}
		cursor := ""
		var pages [][]int64
		for i := 0; i < 100; i++ {
			req, _, err := parseMemList(memSpec, url.Values{"sort": {sort}, "limit": {"3"}})
			if err != nil {
				t.Fatal(err)
			}
			p, err := pageMemList(req, cursor, append([]memRow(nil), rows...), compare)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, r := range p.Items {
				if seen[r.ID] {
					t.Fatalf("sort=%s: row %d again", sort, r.ID)
				}
				seen[r.ID] = true
				ids = append(ids, r.ID)
			}
			pages = append(pages, ids)
			if i == 1 {
				// Back from the second page is the first.
				back, err := pageMemList(req, p.PrevCursor, append([]memRow(nil), rows...), compare)
				if err != nil || fmt.Sprint(idsOf(back.Items)) != fmt.Sprint(pages[0]) {
					t.Errorf("sort=%s: back gives %v, want %v (%v)", sort, idsOf(back.Items), pages[0], err)
				}
			}
			if p.NextCursor == "" {
				break
			}
			cursor = p.NextCursor
			if n < 30 {
				add()
				add()
			}
		}
		for id := range before {
			if !seen[id] {
				t.Errorf("sort=%s: row %d skipped", sort, id)
			}
		}
	}
	req, _, _ := parseMemList(memSpec, url.Values{})
	if _, err := pageMemList(req, "nonsense", []memRow{{"a", 1}}, func(a, b memRow) int { return cmp.Compare(a.ID, b.ID) }); err == nil {
		t.Error("a bad cursor is accepted")
	}
}

func idsOf(rows []memRow) []int64 {
	var out []int64
	for _, r := range rows {
		out = append(out, r.ID)
	}
	return out
}
