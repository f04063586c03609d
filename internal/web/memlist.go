package web

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
)

// Lists computed whole in memory from the aggregates (the certificate
// report) page here, still by keyset: the cursor carries the row a page
// ends on, and the next page starts at the first row after it in the
// list's total order, wherever rows were added meanwhile. The request is
// parsed by the list's listing.Spec (limit, sort, q, facets, format) so the
// page, the API and the OpenAPI document are those of every other list.

// memCursor is a cursor of an in-memory list: the sort, and the row itself.
type memCursor struct {
	Sort string          `json:"s"`
	Row  json.RawMessage `json:"r"`
	Back bool            `json:"b,omitempty"`
}

// parseMemList parses a request of an in-memory list; the cursor is kept
// apart, for pageMemList.
func parseMemList(spec *listing.Spec, q url.Values) (listing.Request, string, error) {
	cursor := q.Get("cursor")
	rest := url.Values{}
	for k, v := range q {
		if k != "cursor" {
			rest[k] = v
		}
	}
	req, err := spec.Parse(rest)
	return req, cursor, err
}

// pageMemList sorts rows by compare (a total order for the request's sort)
// and cuts the page after (or before) the cursor's row.
func pageMemList[T any](req listing.Request, cursor string, rows []T, compare func(a, b T) int) (listing.Page[T], error) {
	slices.SortFunc(rows, compare)
	p := listing.Page[T]{Total: int64(len(rows)), Limit: req.Limit, Sort: req.SortName()}
	start, end := 0, min(req.Limit, len(rows))
	if cursor != "" {
		var c memCursor
		var at T
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || json.Unmarshal(b, &c) != nil || c.Sort != req.SortName() || json.Unmarshal(c.Row, &at) != nil {
			return p, errs.FieldError("cursor", "is not a cursor this list gave (start again from the first page)")
		}
		i, found := slices.BinarySearchFunc(rows, at, compare)
		if c.Back {
			start, end = max(0, i-req.Limit), i
		} else {
			if found {
				i++
			}
			start, end = i, min(i+req.Limit, len(rows))
		}
	}
	p.Items = rows[start:end]
	if p.Items == nil {
		p.Items = []T{}
	}
	encode := func(row T, back bool) string {
		r, _ := json.Marshal(row)
		b, _ := json.Marshal(memCursor{Sort: req.SortName(), Row: r, Back: back})
		return base64.RawURLEncoding.EncodeToString(b)
	}
	if start > 0 && len(p.Items) > 0 {
		p.PrevCursor = encode(p.Items[0], true)
	}
	if end < len(rows) && len(p.Items) > 0 {
		p.NextCursor = encode(p.Items[len(p.Items)-1], false)
	}
	return p, nil
}
