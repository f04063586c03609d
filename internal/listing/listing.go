// Package listing is the one shape of every list in metersec (issue 15): a
// request parsed from the query (cursor, limit, sort, q, facets, from/to,
// format), the keyset SQL fragment that pages it, the API envelope
// {"items", "total", "next_cursor"} and the streamed CSV and JSON exports
// with the same filters.
//
// Paging is by keyset, not OFFSET: a cursor carries the sort key and the id
// of the last row shown, and the next page is the rows after it in the same
// order. Rows inserted between two fetches therefore neither repeat nor push
// a row off the page it was due on, and a deep page costs what the first
// does (an OFFSET of 900,000 reads and throws away 900,000 rows).
//
// The package writes no SQL of its own beyond comparisons and ORDER BY over
// expressions the area gives it, so it is the same on both engines; the area
// keeps its tables, its visibility WHERE and its columns.
package listing

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
)

// DefaultLimit is the page size when the request gives none; MaxLimit is the
// largest a request may ask for (the OpenAPI document says so).
const (
	DefaultLimit = 50
	MaxLimit     = 500
	maxQuery     = 200
)

// Kind is the Go type of a sort column's values, which the cursor must
// restore to compare them in SQL.
type Kind int

// The kinds of sort column.
const (
	Text  Kind = iota // string
	Int               // int64
	Float             // float64
	Time              // time.Time, UTC
	Date              // a day, "YYYY-MM-DD" (sec.Date)
)

// Column is a column a list may be sorted by.
type Column struct {
	// Name is the value of ?sort= (and -Name for descending).
	Name string
	// Label is the column header on pages.
	Label string
	// Expr is the SQL expression sorted on. It must never be NULL (wrap it
	// in COALESCE): a NULL key compares as unknown and its row would fall
	// out of the keyset.
	Expr string
	Kind Kind
}

// Facet is a filter a list accepts besides q and from/to.
type Facet struct {
	Name, Description string
	// Enum is the closed set of values, if any.
	Enum []string
	// Type is the OpenAPI type: "string" (default), "boolean" or "integer".
	Type string
}

// Spec is what one list accepts: its sort columns, facets and whether it
// takes q and a date range.
type Spec struct {
	// Columns are the sortable columns; Default names the default sort
	// ("-reported_on").
	Columns []Column
	Default string
	// ID is the SQL of the row's unique integer id: the tie-breaker that
	// makes the order total.
	ID     string
	Facets []Facet
	// Search describes what q searches ("text in the reference or title");
	// empty when the list takes no q.
	Search string
	// Dates describes the date from/to filter on ("the day it was
	// reported"); empty when the list takes none.
	Dates string
	// Limit overrides MaxLimit when smaller (a list of heavy rows).
	Limit int
	// PageSize overrides DefaultLimit when smaller (a list that shares its
	// page with others).
	PageSize int
}

// Request is a parsed list request.
type Request struct {
	Limit  int
	Sort   Column
	Desc   bool
	Q      string
	Facets map[string]string
	// From and To bound the list's date, inclusive; zero when not given.
	From, To sec.Date
	// Format is "csv" or "json" for an export, "" for a page.
	Format string

	spec   *Spec
	after  *cursor
	export bool
}

// cursor is the position a page starts after (or, Back, before).
type cursor struct {
	Sort string `json:"s"`
	Key  any    `json:"k"`
	ID   int64  `json:"i"`
	Back bool   `json:"b,omitempty"`
}

func (s *Spec) column(name string) (Column, bool) {
	for _, c := range s.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// SortNames are the values ?sort= accepts: every column ascending and
// descending, for the OpenAPI enum.
func (s *Spec) SortNames() []string {
	var out []string
	for _, c := range s.Columns {
		out = append(out, c.Name, "-"+c.Name)
	}
	return out
}

// MaxPage is the largest limit the list takes.
func (s *Spec) MaxPage() int {
	if s.Limit > 0 && s.Limit < MaxLimit {
		return s.Limit
	}
	return MaxLimit
}

// DefaultPage is the limit when the request gives none.
func (s *Spec) DefaultPage() int {
	if s.PageSize > 0 && s.PageSize < DefaultLimit {
		return s.PageSize
	}
	return DefaultLimit
}

// Facet returns the facet named name.
func (s *Spec) Facet(name string) (Facet, bool) {
	for _, f := range s.Facets {
		if f.Name == name {
			return f, true
		}
	}
	return Facet{}, false
}

// Parse reads a request from query values. Each bad value is an
// errs.FieldError naming its parameter.
func (s *Spec) Parse(q url.Values) (Request, error) {
	r := Request{spec: s, Limit: s.DefaultPage(), Facets: map[string]string{}}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > s.MaxPage() {
			return r, errs.FieldError("limit", "must be a whole number from 1 to %d", s.MaxPage())
		}
		r.Limit = n
	}
	sortName := q.Get("sort")
	if sortName == "" {
		sortName = s.Default
	}
	name, desc := strings.CutPrefix(sortName, "-")
	col, ok := s.column(name)
	if !ok {
		return r, errs.FieldError("sort", "must be one of %s", strings.Join(s.SortNames(), ", "))
	}
	r.Sort, r.Desc = col, desc
	if v := strings.TrimSpace(q.Get("q")); v != "" {
		if s.Search == "" {
			return r, errs.FieldError("q", "this list takes no text search")
		}
		if len(v) > maxQuery {
			return r, errs.FieldError("q", "must be at most %d characters", maxQuery)
		}
		r.Q = v
	}
	for _, f := range s.Facets {
		v := strings.TrimSpace(q.Get(f.Name))
		if v == "" {
			continue
		}
		switch {
		case len(f.Enum) > 0:
			if !slices.Contains(f.Enum, v) {
				return r, errs.FieldError(f.Name, "must be one of %s", strings.Join(f.Enum, ", "))
			}
		case f.Type == "boolean":
			if v != "true" && v != "false" {
				return r, errs.FieldError(f.Name, "must be true or false")
			}
		case f.Type == "integer":
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				return r, errs.FieldError(f.Name, "must be a whole number")
			}
		default:
			if len(v) > maxQuery {
				return r, errs.FieldError(f.Name, "must be at most %d characters", maxQuery)
			}
		}
		r.Facets[f.Name] = v
	}
	for _, p := range []struct {
		name string
		to   *sec.Date
	}{{"from", &r.From}, {"to", &r.To}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		if s.Dates == "" {
			return r, errs.FieldError(p.name, "this list takes no date range")
		}
		d, err := sec.ParseDate(v)
		if err != nil {
			return r, errs.FieldError(p.name, "must be a date as YYYY-MM-DD")
		}
		*p.to = d
	}
	if !r.From.IsZero() && !r.To.IsZero() && r.To.Before(r.From) {
		return r, errs.FieldError("to", "must not be before from (%s)", r.From)
	}
	switch f := q.Get("format"); f {
	case "", "csv", "json":
		r.Format = f
	default:
		return r, errs.FieldError("format", "must be csv or json")
	}
	if v := q.Get("cursor"); v != "" {
		c, err := s.decodeCursor(v, sortName)
		if err != nil {
			return r, err
		}
		r.after = c
	}
	return r, nil
}

// First is the first page of the list in its default order, for callers
// that have no query (a CLI, a test, an export of everything).
func (s *Spec) First() Request {
	r, err := s.Parse(url.Values{})
	if err != nil {
		panic("listing: default request: " + err.Error())
	}
	return r
}

// Export is the request for all rows with the same filters and order: no
// cursor, no limit.
func (r Request) Export() Request {
	r.after, r.export = nil, true
	return r
}

// Exporting reports whether the request asks for an export (format=csv or
// json).
func (r Request) Exporting() bool { return r.Format != "" }

// Paged reports whether the request starts after a cursor (it is not the
// first page).
func (r Request) Paged() bool { return r.after != nil }

// Facet is the value of a facet, "" when not given.
func (r Request) Facet(name string) string { return r.Facets[name] }

// Bool is a boolean facet: nil when not given.
func (r Request) Bool(name string) *bool {
	switch r.Facets[name] {
	case "true":
		t := true
		return &t
	case "false":
		f := false
		return &f
	}
	return nil
}

// SortName is the sort as ?sort= spells it.
func (r Request) SortName() string {
	if r.Desc {
		return "-" + r.Sort.Name
	}
	return r.Sort.Name
}

// Args adds values and returns their placeholders (access.Args does).
type Args interface{ Add(v any) string }

// Keyset returns the SQL that pages the request: a condition to AND into the
// list's WHERE ("TRUE" on a first page), the ORDER BY list (without the
// keywords) and the LIMIT to fetch (one more than the page, so Finish can
// tell whether there is a next page; 0 for an export: no limit).
func (r Request) Keyset(args Args) (where, orderBy string, limit int) {
	desc := r.Desc
	if r.after != nil && r.after.Back {
		desc = !desc // walk backwards from the cursor, then Finish reverses
	}
	dir, op := " ASC", ">"
	if desc {
		dir, op = " DESC", "<"
	}
	orderBy = r.Sort.Expr + dir + ", " + r.spec.ID + dir
	where = "TRUE"
	if r.after != nil {
		k, id := args.Add(r.after.Key), args.Add(r.after.ID)
		where = "(" + r.Sort.Expr + " " + op + " " + k + " OR (" + r.Sort.Expr + " = " + k + " AND " + r.spec.ID + " " + op + " " + id + "))"
	}
	if r.export {
		return where, orderBy, 0
	}
	return where, orderBy, r.Limit + 1
}

// LimitSQL is the LIMIT clause for limit as Keyset returns it ("" for none).
func LimitSQL(limit int) string {
	if limit <= 0 {
		return ""
	}
	return " LIMIT " + strconv.Itoa(limit)
}

// Page is the API's envelope of one page of a list.
type Page[T any] struct {
	Items []T `json:"items"`
	// Total counts every row the same filters match, on every page.
	Total int64 `json:"total"`
	// NextCursor fetches the page after this one; absent on the last page.
	NextCursor string `json:"next_cursor,omitempty"`
	// PrevCursor fetches the page before this one; absent on the first.
	PrevCursor string `json:"prev_cursor,omitempty"`
	// Limit is the page size the request asked for (or the default).
	Limit int `json:"limit"`
	// Sort is the order of the items, as ?sort= spells it.
	Sort string `json:"sort"`
}

// Finish turns the rows fetched with Keyset's limit into a page: it drops
// the extra row, puts a backward walk back in order and sets the cursors.
// key gives a row's sort key (as the column's Kind) and id.
func Finish[T any](r Request, rows []T, total int64, key func(T) (any, int64)) Page[T] {
	p := Page[T]{Items: rows, Total: total, Limit: r.Limit, Sort: r.SortName()}
	if p.Items == nil {
		p.Items = []T{}
	}
	if r.export {
		return p
	}
	back := r.after != nil && r.after.Back
	more := len(p.Items) > r.Limit
	if more {
		p.Items = p.Items[:r.Limit]
	}
	if back {
		slices.Reverse(p.Items)
	}
	if len(p.Items) == 0 {
		if r.after != nil && !back {
			// Past the end: offer the way back from where the caller was.
			p.PrevCursor = r.encode(r.after.Key, r.after.ID, true)
		}
		return p
	}
	first, last := p.Items[0], p.Items[len(p.Items)-1]
	if (back && more) || (!back && r.after != nil) {
		k, id := key(first)
		p.PrevCursor = r.encode(k, id, true)
	}
	if back || more {
		k, id := key(last)
		p.NextCursor = r.encode(k, id, false)
	}
	return p
}

func (r Request) encode(key any, id int64, back bool) string {
	switch k := key.(type) {
	case time.Time:
		key = k.UTC().Format(time.RFC3339Nano)
	case sec.Date:
		key = k.String()
	}
	b, _ := json.Marshal(cursor{Sort: r.SortName(), Key: key, ID: id, Back: back})
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor made for sort, restoring its key's type.
func (s *Spec) decodeCursor(v, sortName string) (*cursor, error) {
	bad := errs.FieldError("cursor", "is not a cursor this list gave (start again from the first page)")
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return nil, bad
	}
	var raw struct {
		Sort string          `json:"s"`
		Key  json.RawMessage `json:"k"`
		ID   int64           `json:"i"`
		Back bool            `json:"b"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, bad
	}
	if raw.Sort != sortName {
		return nil, errs.FieldError("cursor", "was made for sort=%s, not sort=%s (start again from the first page)", raw.Sort, sortName)
	}
	col, _ := s.column(strings.TrimPrefix(sortName, "-"))
	c := &cursor{Sort: raw.Sort, ID: raw.ID, Back: raw.Back}
	switch col.Kind {
	case Int:
		var n int64
		err = json.Unmarshal(raw.Key, &n)
		c.Key = n
	case Float:
		var f float64
		err = json.Unmarshal(raw.Key, &f)
		c.Key = f
	case Time:
		var t string
		if err = json.Unmarshal(raw.Key, &t); err == nil {
			var tt time.Time
			tt, err = time.Parse(time.RFC3339Nano, t)
			c.Key = tt.UTC()
		}
	case Date:
		var d string
		if err = json.Unmarshal(raw.Key, &d); err == nil {
			_, err = sec.ParseDate(d)
			c.Key = d
		}
	default:
		var t string
		err = json.Unmarshal(raw.Key, &t)
		c.Key = t
	}
	if err != nil {
		return nil, bad
	}
	return c, nil
}

// Like is the pattern that finds q anywhere in a lower-cased column.
func Like(q string) string {
	r := strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)
	return "%" + r.Replace(strings.ToLower(q)) + "%"
}

// String describes the request, for logs.
func (r Request) String() string {
	return fmt.Sprintf("sort=%s limit=%d q=%q facets=%v", r.SortName(), r.Limit, r.Q, r.Facets)
}

// Enum is a closed set of a string type as the values a facet's Enum
// lists (a lifecycle's states, the classifications, the Device types).
func Enum[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}
