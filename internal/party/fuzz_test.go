package party

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
)

// FuzzReadCSV feeds arbitrary text to the parties file parser: it must never
// panic, and every row it accepts must be valid.
func FuzzReadCSV(f *testing.F) {
	header := strings.Join(CSVHeader, ",") + "\n"
	f.Add(header + "BWE,Brightwater Energy,large_supplier,Priya,psirt@bwe.example.org,+44 161 496 0300\n")
	f.Add(header + "ARDM,Ardent,manufacturer;map,,,\n")
	f.Add(header + "x,,wizard,A,bad,\n\"unterminated")
	f.Add("code,name\n")
	f.Add("\ufeff" + header + "A1,B,dcc,,,\n")
	f.Fuzz(func(t *testing.T, in string) {
		rows, err := readCSV(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, r := range rows {
			if r.party.Code == "" || r.party.Name == "" || len(r.party.roles) == 0 || r.line < 2 {
				t.Fatalf("accepted an invalid row: %+v", r)
			}
		}
	})
}

// FuzzParseList feeds arbitrary query strings to the directory's request
// parser: it must never panic, and a request it accepts holds a role and
// marking from their closed sets.
func FuzzParseList(f *testing.F) {
	for _, s := range []string{"role=Large+Supplier", "role=map&classification=AMBER&q=x", "sort=-updated&limit=500", "cursor=e30", "role=%00", "q=" + strings.Repeat("a", 201)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		q, err := url.ParseQuery(in)
		if err != nil {
			return
		}
		r, err := ParseList(q)
		if err != nil {
			return
		}
		if v := r.Facet("role"); v != "" && !slices.Contains(listing.Enum(sec.OrgRoles), v) {
			t.Fatalf("accepted role %q", v)
		}
		if v := r.Facet("classification"); v != "" && !slices.Contains(listing.Enum(sec.Classifications), v) {
			t.Fatalf("accepted classification %q", v)
		}
	})
}
