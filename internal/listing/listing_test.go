package listing_test

import (
	"bytes"
	"net/url"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
)

var spec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "name", Label: "Name", Expr: "x.name", Kind: listing.Text},
		{Name: "at", Label: "At", Expr: "x.at", Kind: listing.Time},
		{Name: "day", Label: "Day", Expr: "x.day", Kind: listing.Date},
		{Name: "n", Label: "N", Expr: "x.n", Kind: listing.Int},
	},
	Default: "-day",
	ID:      "x.id",
	Facets: []listing.Facet{
		{Name: "state", Enum: []string{"open", "closed"}},
		{Name: "open", Type: "boolean"},
		{Name: "org"},
	},
	Search: "text in the name",
	Dates:  "the day",
}

func TestParseNamesTheBadParameter(t *testing.T) {
	for q, field := range map[string]string{
		"limit=0": "limit", "limit=501": "limit", "limit=x": "limit", "sort=colour": "sort", "sort=-": "sort",
		"state=shut": "state", "open=yes": "open", "from=5 Dec 2026": "from", "to=2026-13-01": "to",
		"from=2026-12-05&to=2026-12-01": "to", "format=xml": "format", "cursor=!!": "cursor",
		"q=" + strings.Repeat("x", 201): "q",
	} {
		v, _ := url.ParseQuery(q)
		_, err := spec.Parse(v)
		if !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: %v, want invalid", q, err)
			continue
		}
		if f := errs.As(err).Fields; len(f) != 1 || f[0].Field != field {
			t.Errorf("%s: fields %v, want %s", q, f, field)
		}
	}
}

func TestParseDefaults(t *testing.T) {
	r, err := spec.Parse(url.Values{"state": {"open"}, "q": {"  Ab "}, "from": {"2026-12-01"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Limit != listing.DefaultLimit || r.SortName() != "-day" || r.Facet("state") != "open" || r.Q != "Ab" || r.From.String() != "2026-12-01" {
		t.Errorf("parsed %+v", r)
	}
	var args access.Args
	where, order, limit := r.Keyset(&args)
	if where != "TRUE" || order != "x.day DESC, x.id DESC" || limit != listing.DefaultLimit+1 || len(args) != 0 {
		t.Errorf("keyset %q %q %d %v", where, order, limit, args)
	}
}

// A cursor resumes after the last row shown, in the order it was made for;
// going back reverses the order and Finish puts the rows right.
func TestCursorRoundTrip(t *testing.T) {
	type row struct {
		id  int64
		day string
	}
	r, _ := spec.Parse(url.Values{"limit": {"2"}})
	rows := []row{{9, "2026-12-05"}, {7, "2026-12-04"}, {8, "2026-12-03"}}
	key := func(x row) (any, int64) { return x.day, x.id }
	p := listing.Finish(r, rows, 10, key)
	if len(p.Items) != 2 || p.NextCursor == "" || p.PrevCursor != "" || p.Total != 10 {
		t.Fatalf("first page %+v", p)
	}
	next, err := spec.Parse(url.Values{"limit": {"2"}, "cursor": {p.NextCursor}})
	if err != nil {
		t.Fatal(err)
	}
	var args access.Args
	where, order, _ := next.Keyset(&args)
	if where != "(x.day < $1 OR (x.day = $1 AND x.id < $2))" || order != "x.day DESC, x.id DESC" || args[0] != "2026-12-04" || args[1] != int64(7) {
		t.Errorf("next keyset %q %q %v", where, order, args)
	}
	p2 := listing.Finish(next, []row{{8, "2026-12-03"}}, 10, key)
	if p2.NextCursor != "" || p2.PrevCursor == "" {
		t.Fatalf("last page %+v", p2)
	}
	back, err := spec.Parse(url.Values{"limit": {"2"}, "cursor": {p2.PrevCursor}})
	if err != nil {
		t.Fatal(err)
	}
	args = nil
	where, order, _ = back.Keyset(&args)
	if where != "(x.day > $1 OR (x.day = $1 AND x.id > $2))" || order != "x.day ASC, x.id ASC" {
		t.Errorf("back keyset %q %q", where, order)
	}
	// The database answers ascending from the cursor: 7, then 9.
	p3 := listing.Finish(back, []row{{7, "2026-12-04"}, {9, "2026-12-05"}}, 10, key)
	if p3.Items[0].id != 9 || p3.Items[1].id != 7 || p3.PrevCursor != "" || p3.NextCursor == "" {
		t.Errorf("back page %+v", p3)
	}
	// A cursor made for another sort is refused, naming the cursor.
	if _, err := spec.Parse(url.Values{"sort": {"name"}, "cursor": {p.NextCursor}}); !errs.Is(err, errs.Invalid) || errs.As(err).Fields[0].Field != "cursor" {
		t.Errorf("cursor for another sort: %v", err)
	}
}

func TestExportStreams(t *testing.T) {
	var b bytes.Buffer
	w, err := listing.NewWriter(&b, "csv", []string{"ref", "title"})
	if err != nil {
		t.Fatal(err)
	}
	w.Row([]string{"A-1", "=cmd()"}, nil)
	w.Row([]string{"-2", "-x"}, nil)
	w.Close()
	if got, want := b.String(), "ref,title\nA-1,'=cmd()\n-2,'-x\n"; got != want {
		t.Errorf("csv %q, want %q", got, want)
	}
	b.Reset()
	w, _ = listing.NewWriter(&b, "json", nil)
	w.Close()
	if b.String() != "[]\n" {
		t.Errorf("empty json %q", b.String())
	}
	b.Reset()
	w, _ = listing.NewWriter(&b, "json", nil)
	w.Row(nil, map[string]int{"a": 1})
	w.Row(nil, map[string]int{"a": 2})
	w.Close()
	if b.String() != "[\n{\"a\":1},\n{\"a\":2}\n]\n" {
		t.Errorf("json %q", b.String())
	}
}
