package estate

import (
	"net/url"
	"testing"

	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/listing/listingtest"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// Issue 15: the portfolio pages by keyset over its aggregates, so groups
// that appear between two page fetches (an import, a change of supplier)
// neither repeat a row nor skip one, in every order; totals and filters
// count what they show.
func TestPortfolioPagesStablyUnderInserts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		var firmware []struct{ id, model int64 }
		rows, err := db.Writer().QueryContext(f.ctx, `SELECT f.id, f.model_id FROM firmware_versions f JOIN device_models m ON m.id = f.model_id
			WHERE m.code IN ('E1', 'C1') ORDER BY f.id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var fw struct{ id, model int64 }
			if err := rows.Scan(&fw.id, &fw.model); err != nil {
				t.Fatal(err)
			}
			firmware = append(firmware, fw)
		}
		rows.Close()
		n := 0
		add := func() {
			n++
			fw := firmware[n%len(firmware)]
			sup := f.orgs[[]string{"SUPA", "SUPB"}[n%2]]
			// A MAP id no organisation has: its group lists no MAP, so the
			// map order has ties for the id to break.
			f.exec(`INSERT INTO portfolio (supplier_id, model_id, firmware_id, map_id, generation, device_type, devices) VALUES ($1, $2, $3, $4, 'SMETS2+', 'ESME', $5)`,
				sup, fw.model, fw.id, 5000+n, 1+n%4)
		}
		for range 7 {
			add()
		}
		ssc := f.callers["SSC"]
		fetch := func(r listing.Request) (listing.Page[PortfolioRow], error) {
			p, _, err := f.svc.PortfolioPage(f.ctx, ssc, r)
			return p, err
		}
		insert := func() {
			if n < 40 {
				add()
			}
		}
		listingtest.Stable(t, PortfolioSpec, nil, 3, fetch, PortfolioRow.RowID, insert)

		// Filters narrow the rows and the sums; a Supplier sees its own.
		r, _ := PortfolioSpec.Parse(url.Values{"supplier": {"supa"}, "q": {"e1"}, "generation": {"SMETS2+"}, "limit": {"500"}})
		p, sums, err := f.svc.PortfolioPage(f.ctx, ssc, r)
		if err != nil {
			t.Fatal(err)
		}
		var devices int64
		for _, row := range p.Items {
			devices += row.Devices
			if row.Supplier != "SUPA" || row.Model != "E1" {
				t.Errorf("filtered row %+v", row)
			}
		}
		if p.Total == 0 || p.Total != int64(len(p.Items)) || sums.Rows != p.Total || sums.Devices != devices {
			t.Errorf("filtered: total %d, %d rows, sums %+v, %d Devices", p.Total, len(p.Items), sums, devices)
		}
		p, _, err = f.svc.PortfolioPage(f.ctx, f.callers["SUPB"], PortfolioSpec.First())
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range p.Items {
			if row.Supplier != "SUPB" {
				t.Errorf("SUPB sees %+v", row)
			}
		}
		if p, _, err := f.svc.PortfolioPage(f.ctx, f.callers["OTH"], PortfolioSpec.First()); err != nil || p.Total != 0 {
			t.Errorf("OTH sees %d, %v", p.Total, err)
		}
	})
}
