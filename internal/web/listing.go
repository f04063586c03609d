package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/uk"
)

// This file is the web side of internal/listing, shared by every list page
// and list endpoint: the OpenAPI parameters of a list, the streamed export
// response and the view the listing.partial.html partials render.

// listParams documents a list's query parameters, from its spec: paging
// (cursor, limit with its maximum, sort as an enum), q, the facets typed,
// the date range and the export format; extra are the list's own.
func listParams(spec *listing.Spec, extra ...Param) []Param {
	ps := []Param{
		{Name: "cursor", Type: "string", Description: "the next_cursor (or prev_cursor) of the previous page; opaque, and tied to the sort it was made for"},
		{Name: "limit", Description: fmt.Sprintf("rows per page (default %d, at most %d)", spec.DefaultPage(), spec.MaxPage()),
			Schema: map[string]any{"type": "integer", "minimum": 1, "maximum": spec.MaxPage(), "default": spec.DefaultPage()}},
		{Name: "sort", Description: "the column to sort by; -column for descending (default " + spec.Default + ")", Enum: spec.SortNames()},
	}
	if spec.Search != "" {
		ps = append(ps, Param{Name: "q", Description: spec.Search, Schema: map[string]any{"type": "string", "maxLength": 200}})
	}
	for _, f := range spec.Facets {
		p := Param{Name: f.Name, Description: f.Description, Enum: f.Enum, Type: f.Type}
		if len(f.Enum) == 0 && f.Type == "" {
			p.Schema = map[string]any{"type": "string", "maxLength": 200}
		}
		ps = append(ps, p)
	}
	if spec.Dates != "" {
		ps = append(ps, Param{Name: "from", Type: "date", Description: "only rows whose " + spec.Dates + " is on or after this day"},
			Param{Name: "to", Type: "date", Description: "only rows whose " + spec.Dates + " is on or before this day"})
	}
	ps = append(ps, Param{Name: "format", Enum: []string{"csv", "json"},
		Description: "csv or json: every row the filters match (not one page), streamed as a file, in the same order"})
	return append(ps, extra...)
}

// exportable reports whether a route is a list that exports (it takes
// format=csv|json).
func exportable(rt Route) bool {
	for _, p := range rt.Params {
		if p.Name == "format" && len(p.Enum) == 2 && p.Enum[0] == "csv" {
			return true
		}
	}
	return false
}

// writeExport streams a list's export: run writes each row to the writer as
// it scans it. name is the file's name without the extension.
func writeExport(w http.ResponseWriter, req listing.Request, name string, header []string, run func(listing.Writer) error) error {
	w.Header().Set("Content-Type", listing.ContentType(req.Format))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name+"-"+uk.Now(time.Now()).Format(time.DateOnly)+"."+req.Format))
	lw, err := listing.NewWriter(w, req.Format, header)
	if err != nil {
		return err
	}
	if err := run(lw); err != nil {
		return err
	}
	return lw.Close()
}

// listView is what the list partials render: the total before the table,
// sortable headers, the pager and the export links.
type listView struct {
	Total       int64
	Shown       int
	Noun, Nouns string
	// Headers are the sortable columns by name.
	Headers map[string]listHeader
	// Keep are the query's filters, for the hidden fields of a form that
	// changes one of them.
	Keep            url.Values
	Sort            string
	Limit           int
	Next, Prev      template.URL
	First           template.URL
	CSV, JSON       template.URL
	Filtered, Paged bool
	Path            string
}

// listHeader is one sortable column header.
type listHeader struct {
	Label string
	Href  template.URL
	// Aria is the aria-sort value: ascending, descending or none.
	Aria string
}

// newListView describes a page of a list at path for the partials.
func newListView[T any](r *http.Request, path string, spec *listing.Spec, req listing.Request, p listing.Page[T], noun, nouns string) listView {
	q := r.URL.Query()
	keep := url.Values{}
	for k, v := range q {
		if k != "cursor" && k != "format" && v[0] != "" {
			keep[k] = v
		}
	}
	link := func(set map[string]string) template.URL {
		u := url.Values{}
		for k, v := range keep {
			u[k] = v
		}
		for k, v := range set {
			if v == "" {
				u.Del(k)
			} else {
				u.Set(k, v)
			}
		}
		if len(u) == 0 {
			return template.URL(path)
		}
		return template.URL(path + "?" + u.Encode())
	}
	v := listView{Total: p.Total, Shown: len(p.Items), Noun: noun, Nouns: nouns, Headers: map[string]listHeader{},
		Keep: keep, Sort: req.SortName(), Limit: req.Limit, Paged: req.Paged(), Path: path}
	for _, c := range spec.Columns {
		h := listHeader{Label: c.Label, Aria: "none"}
		next := c.Name
		if req.Sort.Name == c.Name {
			if req.Desc {
				h.Aria = "descending"
			} else {
				h.Aria, next = "ascending", "-"+c.Name
			}
		}
		h.Href = link(map[string]string{"sort": next})
		v.Headers[c.Name] = h
	}
	if p.NextCursor != "" {
		v.Next = link(map[string]string{"cursor": p.NextCursor})
	}
	if p.PrevCursor != "" {
		v.Prev = link(map[string]string{"cursor": p.PrevCursor})
	}
	v.First = link(nil)
	v.CSV = link(map[string]string{"format": "csv", "limit": ""})
	v.JSON = link(map[string]string{"format": "json", "limit": ""})
	for k := range keep {
		if k != "sort" && k != "limit" && k != "view" {
			v.Filtered = true
		}
	}
	return v
}

// Plural is the count with its noun: "1 vulnerability", "1,234 vulnerabilities".
func (v listView) Plural() string {
	if v.Total == 1 {
		return "1 " + v.Noun
	}
	return thousands(fmt.Sprint(v.Total)) + " " + v.Nouns
}

// More reports whether the list is longer than this page.
func (v listView) More() bool { return int64(v.Shown) < v.Total }

// Header is the header of the sortable column name.
func (v listView) Header(name string) listHeader { return v.Headers[name] }

// KeepExcept are the kept filters other than names, for hidden fields.
func (v listView) KeepExcept(names ...string) url.Values {
	out := url.Values{}
	for k, vs := range v.Keep {
		skip := false
		for _, n := range names {
			skip = skip || k == n
		}
		if !skip {
			out[k] = vs
		}
	}
	return out
}

// facetEnum is the closed set of a list's facet, for a filter form.
func facetEnum(spec *listing.Spec, name string) []string {
	f, _ := spec.Facet(name)
	return f.Enum
}
