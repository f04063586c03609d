package web_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// The facility page's upload form receives a batch intake file whole, or
// lists its problems by line and receives nothing.
func TestTriageIntakeForm(t *testing.T) {
	w := newWorld(t, store.SQLite)
	op := w.byRole["triage"]
	fac := strconv.FormatInt(w.ids[marker("tfacility", "F1")], 10)
	upload := func(csv string) (int, string, string) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", "intake.csv")
		io.WriteString(fw, csv)
		mw.Close()
		req, _ := http.NewRequest("POST", w.ts.URL+"/triage/facilities/"+fac+"/intake?csrf="+op.csrf, &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err := op.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Location"), string(b)
	}
	status, _, page := upload("device_id,received_from,tool,interface\n5EED000000000003,SUPB depot,TT1,TI1\n7E1A00000000AA01,SUPA,TT1,TI1\n")
	if status != http.StatusUnprocessableEntity || !strings.Contains(page, "line 3: device_id: Device 7E-1A-00-00-00-00-AA-01 is checked") {
		t.Fatalf("a file with a Device already received: %d\n%.2000s", status, page)
	}
	status, loc, _ := upload("device_id,received_from,tool,interface\n5EED000000000003,SUPB depot,TT1,TI1\n")
	if status != http.StatusSeeOther || loc != "/triage/facilities/"+fac {
		t.Fatalf("intake: %d to %q", status, loc)
	}
	code, body := w.do(op, "GET", "/api/v1/triage/devices/5EED000000000003", "")
	if code != http.StatusOK || !strings.Contains(body, `"state": "received"`) && !strings.Contains(body, `"state":"received"`) {
		t.Errorf("the Device after the intake: %d %s", code, body)
	}
}

// Issue 15: the triage lists are pages and endpoints on the paging core:
// the API answers the page envelope, sorted and filtered; a bad parameter
// is a 422 naming it; the exports stream CSV and JSON with the filters; the
// pages show the total before the table and link each Device to its
// history.
func TestTriageListsWeb(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) { triageListsWeb(t, engine) })
	}
}

func triageListsWeb(t *testing.T, engine store.Dialect) {
	w := newWorld(t, engine)
	op, ssc, supA, man := w.byRole["triage"], w.byRole["ssc"], w.byRole["supplierA"], w.byRole["manufacturer"]
	fac := strconv.FormatInt(w.ids[marker("tfacility", "F1")], 10)
	type check struct {
		who    *viewer
		path   string
		status int
		want   []string
	}
	for _, c := range []check{
		{ssc, "/api/v1/triage/facilities?sort=-name&limit=1", 200, []string{`"total": 2`, `"next_cursor"`, `"sort": "-name"`}},
		{op, "/api/v1/triage/facilities?state=operating", 200, []string{`"total": 1`, marker("tfacility", "F1")}},
		{ssc, "/api/v1/triage/facilities?state=open", 422, []string{"state"}},
		{ssc, "/api/v1/triage/facilities?sort=colour", 422, []string{"sort"}},
		{op, "/api/v1/triage/facilities/" + fac + "/tools?category=interface", 200, []string{`"total": 1`, `"TI1"`}},
		{op, "/api/v1/triage/facilities/" + fac + "/entries?step=boundary_check", 200, []string{`"total": 1`, "battery alert"}},
		{op, "/api/v1/triage/facilities/" + fac + "/entries?limit=1", 200, []string{`"total": 3`, `"next_cursor"`}},
		{op, "/api/v1/triage/facilities/" + fac + "/entries?device=zz", 422, []string{`"device"`}},
		{op, "/api/v1/triage/facilities/" + fac + "/entries?limit=100000", 422, []string{`"limit"`}},
		{supA, "/api/v1/triage/devices", 200, []string{`"total": 1`, "7E-1A-00-00-00-00-AA-01"}},
		{ssc, "/api/v1/triage/devices?supplier=SUPB", 200, []string{`"total": 1`, "7E-1A-00-00-00-00-AA-02"}},
		{ssc, "/api/v1/triage/devices?state=sideways", 422, []string{"state"}},
		{man, "/api/v1/triage/outcomes", 200, []string{`"total": 1`, "TRI-MOD-1"}},
		{ssc, "/api/v1/triage/outcomes?outcome=released", 200, []string{`"total": 0`}},
		{supA, "/api/v1/triage/outcomes", 403, nil},
		{ssc, "/api/v1/triage/overview?state=operating", 200, []string{`"total": 1`, `"breaches": 1`}},
		{op, "/triage", 200, []string{`href="/triage/facilities"`, `href="/triage/devices"`}},
		{op, "/triage/facilities?sort=-applied", 200, []string{"1 facility", `aria-sort="descending"`, marker("tfacility", "F1")}},
		{op, "/triage/facilities/" + fac, 200, []string{"Scan a Device", "The whole record: 3 entries", `href="/triage/devices/7E-1A-00-00-00-00-AA-01"`}},
		{ssc, "/triage/facilities/" + fac, 200, []string{"Look up a Device at this facility", `/scan"`, "battery alert"}},
		{op, "/triage/facilities/" + fac + "/record?step=receive&sort=device", 200, []string{"2 entries", `aria-sort="ascending"`, `href="/triage/devices/7E-1A-00-00-00-00-AA-01"`}},
		{op, "/triage/facilities/" + fac + "/record?step=jump", 422, []string{"step"}},
		{op, "/triage/facilities/" + fac + "/tools?sort=-uses", 200, []string{"2 tools and interfaces", "TT1"}},
		{supA, "/triage/devices", 200, []string{"1 Device", `href="/triage/devices/7E-1A-00-00-00-00-AA-01"`}},
		{man, "/triage/outcomes", 200, []string{"1 model", "TRI-MOD-1"}},
	} {
		status, body := w.do(c.who, "GET", c.path, "")
		if status != c.status {
			t.Errorf("%s %s: %d, want %d: %.400s", c.who.Name, c.path, status, c.status, body)
			continue
		}
		for _, s := range c.want {
			if !strings.Contains(body, s) {
				t.Errorf("%s %s: no %q in %.1500s", c.who.Name, c.path, s, body)
			}
		}
	}
	for _, path := range []string{"/api/v1/triage/facilities/" + fac + "/entries", "/triage/facilities/" + fac + "/record"} {
		status, body := w.do(op, "GET", path+"?format=csv&step=receive", "")
		if lines := strings.Split(strings.TrimSpace(body), "\n"); status != 200 || len(lines) != 3 || !strings.HasPrefix(lines[0], "facility_id,seq,at,device_id") {
			t.Errorf("%s CSV: %d %q", path, status, body)
		}
	}
	for _, path := range []string{"/api/v1/triage/devices", "/triage/devices", "/api/v1/triage/outcomes", "/triage/facilities", "/api/v1/triage/overview",
		"/triage/facilities/" + fac + "/tools"} {
		status, body := w.do(ssc, "GET", path+"?format=json", "")
		if status != 200 || !strings.HasPrefix(strings.TrimSpace(body), "[") {
			t.Errorf("%s JSON export: %d %.300s", path, status, body)
		}
	}
}
