package catalogue

import (
	"context"
	"fmt"
	"net/url"
	"testing"

	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/listing/listingtest"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// Issue 15: the catalogue's models page by keyset, so models added between
// two fetches neither repeat nor skip one, in every order; a manufacturer
// sees what it may.
func TestModelListPagesStablyUnderInserts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		n := 0
		add := func() {
			n++
			mfr := []string{"mfrA", "mfrB"}[n%2]
			f.model(mfr, ModelInput{Code: fmt.Sprintf("L%02d", n), Name: fmt.Sprintf("Meter %c", 'A'+rune(n%3)), DeviceType: []string{"ESME", "GSME", "CHF"}[n%3],
				Generation: "SMETS2+", Hardware: fmt.Sprintf("h%d", n%2)})
		}
		for range 7 {
			add()
		}
		fetch := func(r listing.Request) (listing.Page[Model], error) {
			return f.svc.ModelPage(context.Background(), f.as["ssc"], r)
		}
		insert := func() {
			if n < 30 {
				add()
			}
		}
		listingtest.Stable(t, ModelSpec, nil, 3, fetch, func(m Model) int64 { return m.ID }, insert)

		r, _ := ModelSpec.Parse(url.Values{"manufacturer": {"mana"}, "type": {"GSME"}, "q": {"meter"}, "limit": {"500"}})
		p, err := f.svc.ModelPage(context.Background(), f.as["ssc"], r)
		if err != nil {
			t.Fatal(err)
		}
		if p.Total == 0 || p.Total != int64(len(p.Items)) {
			t.Errorf("filtered: total %d, %d rows", p.Total, len(p.Items))
		}
		for _, m := range p.Items {
			if m.Manufacturer != "MANA" || m.DeviceType != "GSME" {
				t.Errorf("filtered: %+v", m)
			}
		}
	})
}
