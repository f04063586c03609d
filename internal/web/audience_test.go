package web_test

import (
	"strconv"
	"testing"

	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

func TestAudienceDecidesWhoSeesAmberAndRed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorldOn(t, db)
		amber := strconv.FormatInt(w.ids[marker("party", "PAMBER")], 10)
		red := strconv.FormatInt(w.ids[marker("party", "PRED")], 10)
		runAPICases(t, w, []apiCase{
			{Name: "supplierB cannot see the AMBER entry", As: "supplierB", Method: "GET", URL: "/api/v1/parties/PAMBER", Status: 404},
			{Name: "only the SSC names", As: "supplierA", Method: "PUT", URL: "/api/v1/audience/party/" + amber, Body: `{"orgs": ["SUPB"]}`, Status: 403},
			{Name: "unknown kind", As: "ssc", Method: "PUT", URL: "/api/v1/audience/spaceship/" + amber, Body: `{}`, Status: 422, Contains: []string{"unknown record kind"}},
			{Name: "unknown org", As: "ssc", Method: "PUT", URL: "/api/v1/audience/party/" + amber, Body: `{"orgs": ["NOPE"], "users": []}`, Status: 422, Contains: []string{"no organisation has the code NOPE"}},
			{Name: "a Supplier user is not cleared for RED", As: "ssc", Method: "PUT", URL: "/api/v1/audience/party/" + red, Body: `{"orgs": [], "users": ["suppliera@supa.example.org"]}`, Status: 422, Contains: []string{"not cleared"}},
			{Name: "RED not naming ssc2 stays hidden from them", As: "ssc2", Method: "GET", URL: "/api/v1/audience/party/" + red, Status: 404},
			{Name: "name supplierB on the AMBER entry", As: "ssc", Method: "PUT", URL: "/api/v1/audience/party/" + amber, Body: `{"orgs": ["SUPA", "SUPB"], "users": []}`, Status: 200, Contains: []string{`"SUPB"`}, Writes: true},
			{Name: "now supplierB sees it", As: "supplierB", Method: "GET", URL: "/api/v1/parties/PAMBER", Status: 200},
			{Name: "name the User CIO (cleared) on RED", As: "ssc", Method: "PUT", URL: "/api/v1/audience/party/" + red, Body: `{"orgs": [], "users": ["ssc@ssc.example.org", "cio@ucio.example.org"]}`, Status: 200, Writes: true},
			{Name: "now the CIO sees it", As: "cio", Method: "GET", URL: "/api/v1/parties/PRED", Status: 200},
		})
	})
}
