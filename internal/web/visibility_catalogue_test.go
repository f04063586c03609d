package web_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/sec"
)

func init() {
	register(map[string]visibilityCase{
		"GET /api/v1/catalogue/models":                      {calls: one("GET", "/api/v1/catalogue/models", ""), complete: true, Kind: "catmodel"},
		"POST /api/v1/catalogue/models":                     {calls: one("POST", "/api/v1/catalogue/models", `{}`)},
		"GET /api/v1/catalogue/models/{id}":                 {calls: each("catmodel", "GET", "/api/v1/catalogue/models/{}", "")},
		"PATCH /api/v1/catalogue/models/{id}":               {calls: each("catmodel", "PATCH", "/api/v1/catalogue/models/{}", `{}`)},
		"GET /api/v1/catalogue/models/{id}/firmware":        {calls: each("catmodel", "GET", "/api/v1/catalogue/models/{}/firmware?date=2024-06-01", "")},
		"POST /api/v1/catalogue/models/{id}/firmware":       {calls: each("catmodel", "POST", "/api/v1/catalogue/models/{}/firmware", `{"version": "1..2"}`)},
		"PATCH /api/v1/catalogue/firmware/{id}":             {calls: each("catfw", "PATCH", "/api/v1/catalogue/firmware/{}", `{}`)},
		"GET /api/v1/catalogue/models/{id}/certificates":    {calls: each("catmodel", "GET", "/api/v1/catalogue/models/{}/certificates", "")},
		"POST /api/v1/catalogue/models/{id}/certificates":   {calls: each("catmodel", "POST", "/api/v1/catalogue/models/{}/certificates", `{"reference": "X"}`)},
		"PATCH /api/v1/catalogue/certificates/{id}":         {calls: each("catcert", "PATCH", "/api/v1/catalogue/certificates/{}", `{}`)},
		"POST /api/v1/catalogue/certificates/{id}/withdraw": {calls: each("catcert", "POST", "/api/v1/catalogue/certificates/{}/withdraw", `{"date": "bad"}`)},
		"POST /api/v1/catalogue/import":                     {calls: one("POST", "/api/v1/catalogue/import", "manufacturer,model\n")},
		"GET /api/v1/catalogue/export":                      {calls: one("GET", "/api/v1/catalogue/export", ""), complete: true, Kind: "catfw"},
		"GET /api/v1/catalogue/cert-report":                 {calls: one("GET", "/api/v1/catalogue/cert-report?date=2024-06-01", ""), complete: true, Kind: "catreport"},

		"GET /catalogue":                             {calls: one("GET", "/catalogue", ""), complete: true, Kind: "catmodel"},
		"GET /catalogue/new":                         {calls: one("GET", "/catalogue/new", "")},
		"POST /catalogue":                            {calls: one("POST", "/catalogue", "code=")},
		"GET /catalogue/models/{id}":                 {calls: each("catmodel", "GET", "/catalogue/models/{}", "")},
		"POST /catalogue/models/{id}":                {calls: each("catmodel", "POST", "/catalogue/models/{}", "name=&hardware_version=")},
		"POST /catalogue/models/{id}/firmware":       {calls: each("catmodel", "POST", "/catalogue/models/{}/firmware", "version=")},
		"POST /catalogue/firmware/{id}":              {calls: each("catfw", "POST", "/catalogue/firmware/{}", "released=bad")},
		"POST /catalogue/models/{id}/certificates":   {calls: each("catmodel", "POST", "/catalogue/models/{}/certificates", "reference=")},
		"POST /catalogue/certificates/{id}":          {calls: each("catcert", "POST", "/catalogue/certificates/{}", "issued=bad")},
		"POST /catalogue/certificates/{id}/withdraw": {calls: each("catcert", "POST", "/catalogue/certificates/{}/withdraw", "date=bad")},
		"GET /catalogue/import":                      {calls: one("GET", "/catalogue/import", "")},
		"POST /catalogue/import":                     {calls: one("POST", "/catalogue/import", "x=1")},
		"GET /catalogue/cert-report":                 {calls: one("GET", "/catalogue/cert-report?date=2024-06-01", ""), complete: true, Kind: "catreportui"},
	})
	seeders = append(seeders, seedCatalogue)
}

// catalogueSeed is what seedCatalogue made in a world, for the scenario
// tests.
type catalogueSeed struct {
	models   map[string]int64 // by "MANA/GREEN" etc.
	firmware map[string]int64 // by the same, the firmware with a certificate
	certs    map[string]int64
}

var (
	catalogueSeedsMu sync.Mutex
	catalogueSeeds   = map[*world]*catalogueSeed{}
)

// Device counts of the seeded certificate-report rows: numbers that appear in
// no other response, as JSON writes them and as the UI does.
var reportCounts = []struct {
	supplier, manufacturer, class string
	devices                       int64
	ui                            string
}{
	{"supplierA", "manufacturer", "GREEN", 7340033, "7,340,033"},
	{"supplierB", "manufacturerB", "GREEN", 6291469, "6,291,469"},
	{"supplierA", "manufacturerB", "AMBER", 5242883, "5,242,883"},
	{"supplierB", "manufacturer", "AMBER", 4194319, "4,194,319"},
}

// seedCatalogue adds, for each of the two manufacturers, a model of every
// classification with a firmware version and a conditional certificate, and
// certificate-report rows of supplierA and supplierB on both manufacturers'
// models. Model names and certificate conditions carry markers; firmware
// versions and Device counts are literals.
func seedCatalogue(w *world) {
	ctx := context.Background()
	svc := &catalogue.Service{DB: w.db}
	seed := &catalogueSeed{models: map[string]int64{}, firmware: map[string]int64{}, certs: map[string]int64{}}
	catalogueSeedsMu.Lock()
	catalogueSeeds[w] = seed
	catalogueSeedsMu.Unlock()
	supA := w.byRole["supplierA"].Caller.OrgID
	ssc := w.byRole["ssc"].Caller.UserID
	n := 0
	for _, who := range []string{"manufacturer", "manufacturerB"} {
		mfr := w.byRole[who].Caller
		for _, class := range sec.Classifications {
			n++
			create := class
			if class == sec.Red {
				create = sec.Green // the service refuses RED; set below
			}
			m, err := svc.CreateModel(ctx, w.sys, catalogue.ModelInput{Manufacturer: mfr.OrgCode, Code: fmt.Sprintf("M%s%d", class, n),
				DeviceType: "ESME", Generation: "SMETS2+", Hardware: "1.0", Classification: string(create)})
			if err != nil {
				w.t.Fatal(err)
			}
			id := strconv.FormatInt(m.ID, 10)
			w.exec("UPDATE device_models SET name = $1, classification = $2 WHERE id = $3", "Model "+marker("catmodel", id), string(class), m.ID)
			aud := sec.Audience{Orgs: []int64{mfr.OrgID}}
			switch {
			case class == sec.Amber && who == "manufacturer":
				// An AMBER model shared with a Supplier through the audience table.
				w.exec("INSERT INTO audience_orgs (record_kind, record_id, org_id) VALUES ($1, $2, $3)", catalogue.KindModel, m.ID, supA)
				aud.Orgs = append(aud.Orgs, supA)
			case class == sec.Red:
				w.exec("INSERT INTO audience_users (record_kind, record_id, user_id) VALUES ($1, $2, $3)", catalogue.KindModel, m.ID, ssc)
				aud.Users = []int64{ssc}
			}
			w.addRecord("catmodel", id, class, aud)

			version := fmt.Sprintf("0x5EED%04X", n)
			fw, err := svc.AddFirmware(ctx, w.sys, m.ID, catalogue.FirmwareInput{Version: version, Released: "2021-03-01"})
			if err != nil {
				w.t.Fatal(err)
			}
			w.addLiteral("catfw", strconv.FormatInt(fw.ID, 10), version, class, aud)
			// A second firmware version with no certificate, unmarked: the
			// report rows on AMBER models use it (a Supplier sees its own
			// Devices' firmware even on a model it may not look up).
			if _, err := svc.AddFirmware(ctx, w.sys, m.ID, catalogue.FirmwareInput{Version: "7.7.7"}); err != nil {
				w.t.Fatal(err)
			}
			c, err := svc.AddCertificate(ctx, w.sys, m.ID, catalogue.CertificateInput{Reference: fmt.Sprintf("CPA-%d", n), Issued: "2021-02-01",
				Kind: "lifetime", Renewal: "2029-02-01", Conditional: true, Conditions: "pending", ConditionsDue: "2022-02-01", Firmware: []string{version}})
			if err != nil {
				w.t.Fatal(err)
			}
			cid := strconv.FormatInt(c.ID, 10)
			w.exec("UPDATE cpa_certificates SET conditions = $1 WHERE id = $2", "Close "+marker("catcert", cid), c.ID)
			w.addRecord("catcert", cid, class, aud)
			key := mfr.OrgCode + "/" + string(class)
			seed.models[key], seed.firmware[key], seed.certs[key] = m.ID, fw.ID, c.ID
		}
	}
	for _, rc := range reportCounts {
		sup, mfr := w.byRole[rc.supplier].Caller, w.byRole[rc.manufacturer].Caller
		key := mfr.OrgCode + "/" + rc.class
		fwID := seed.firmware[key]
		if rc.class == "AMBER" {
			if err := w.db.QueryRowContext(ctx, "SELECT id FROM firmware_versions WHERE model_id = $1 AND version = '7.7.7'", seed.models[key]).Scan(&fwID); err != nil {
				w.t.Fatal(err)
			}
		}
		w.exec(`INSERT INTO portfolio (supplier_id, model_id, firmware_id, map_id, generation, device_type, devices)
			VALUES ($1, $2, $3, 0, 'SMETS2+', 'ESME', $4)`, sup.OrgID, seed.models[key], fwID, rc.devices)
		// The row is the Supplier's and the manufacturer's, and the SSC's.
		aud := sec.Audience{Orgs: []int64{sup.OrgID, mfr.OrgID}}
		k := rc.supplier + "-" + rc.manufacturer
		w.addLiteral("catreport", k, strconv.FormatInt(rc.devices, 10), sec.Amber, aud)
		w.addLiteral("catreportui", k, rc.ui, sec.Amber, aud)
	}
}
