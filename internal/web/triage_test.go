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
