package web

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"
)

// TestStreamedJSONIsTheSame: a listing written item by item is byte for
// byte what encoding/json writes for the whole value, for empty, nil, one
// and many items, nested values, HTML and non-ASCII text.
func TestStreamedJSONIsTheSame(t *testing.T) {
	type inner struct {
		Name string         `json:"name"`
		Tags []string       `json:"tags"`
		M    map[string]int `json:"m,omitempty"`
	}
	type report struct {
		Date  string  `json:"date"`
		Items []inner `json:"suppliers"`
		After string  `json:"after,omitempty"`
		N     int     `json:"n"`
	}
	whole := func(v any) string {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	written := func(v any) string {
		rec := httptest.NewRecorder()
		if err := writeJSON(rec, 200, v); err != nil {
			t.Fatal(err)
		}
		return rec.Body.String()
	}
	lists := [][]inner{nil, {}, {{Name: "<a&b>"}}, {{Name: "Café ☃", Tags: []string{"x", "y"}, M: map[string]int{"b": 2, "a": 1}}, {Name: "2"}, {}}}
	for _, items := range lists {
		if got, want := written(listOf(items)), whole(listOf(items)); got != want {
			t.Errorf("list %v:\n got %q\nwant %q", items, got, want)
		}
		if got, want := written(list[inner]{Items: items}), whole(list[inner]{Items: items}); got != want {
			t.Errorf("list %v (as given):\n got %q\nwant %q", items, got, want)
		}
		if items == nil {
			continue
		}
		full := report{Date: "2026-12-06", Items: items, After: "</script>", N: 3}
		head := full
		head.Items = []inner{}
		if got, want := written(spliced[inner]{head: head, field: "suppliers", items: items}), whole(full); got != want {
			t.Errorf("report %v:\n got %q\nwant %q", items, got, want)
		}
	}
}
