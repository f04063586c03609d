package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/impracticable"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

func init() {
	register(map[string]visibilityCase{
		"GET /api/v1/impracticabilities":                     {calls: one("GET", "/api/v1/impracticabilities", ""), complete: true, Kind: "impracticability"},
		"POST /api/v1/impracticabilities":                    {calls: one("POST", "/api/v1/impracticabilities", `{"manufacturer": ""}`)},
		"GET /api/v1/impracticabilities/{ref}":               {calls: each("impracticability", "GET", "/api/v1/impracticabilities/{}", "")},
		"POST /api/v1/impracticabilities/{ref}/transitions":  {calls: each("impracticability", "POST", "/api/v1/impracticabilities/{}/transitions", `{"event": ""}`)},
		"POST /api/v1/impracticabilities/{ref}/evidence":     {calls: each("impracticability", "POST", "/api/v1/impracticabilities/{}/evidence?name=x.pdf", "MZ")},
		"GET /api/v1/impracticabilities/{ref}/evidence/{id}": {calls: each("impevidence", "GET", "/api/v1/impracticabilities/{}", "")},
		"GET /impracticabilities":                            {calls: one("GET", "/impracticabilities", ""), complete: true, Kind: "impracticability"},
		"POST /impracticabilities":                           {calls: one("POST", "/impracticabilities", "manufacturer=")},
		"GET /impracticabilities/{ref}":                      {calls: each("impracticability", "GET", "/impracticabilities/{}", "")},
		"POST /impracticabilities/{ref}/transitions":         {calls: each("impracticability", "POST", "/impracticabilities/{}/transitions", "event=")},
		"POST /impracticabilities/{ref}/evidence":            {calls: each("impracticability", "POST", "/impracticabilities/{}/evidence", "x")},
		"GET /impracticabilities/{ref}/evidence/{id}":        {calls: each("impevidence", "GET", "/impracticabilities/{}", "")},
	})
	missingKeys["impracticability"] = "IMP-9999"
	missingKeys["impevidence"] = "IMP-9999/evidence/" + missingID
	writeNoRecord["POST /api/v1/impracticabilities"] = "records a Supplier's own record (its organisation's)"
	writeNoRecord["POST /impracticabilities"] = "records a Supplier's own record (as the API route)"
	seeders = append(seeders, seedImpracticable)
}

// seedImpracticable adds a user of SUPA cleared for RED (a record of
// impracticability is RED, so only such a user records one) and three
// records: SUPA's about MANA (pending, with an evidence file) and MANB
// (accepted by the SSC), and SUPB's about MANA, made for it by the system,
// whose own user is not cleared and so not named. Each names the SSC
// members, the secretariat and the Supplier's cleared users; the
// manufacturers are not named.
func seedImpracticable(w *world) {
	ctx := context.Background()
	u, err := account.NewService(w.db).AddUser(ctx, w.sys, account.NewUser{Email: "cleared@supa.example.org", Name: "supplierRed", Org: "SUPA",
		Roles: []string{string(sec.RoleSupplier)}, Password: "correct horse battery", RedCleared: true})
	if err != nil {
		w.t.Fatal(err)
	}
	v := w.signIn("cleared@supa.example.org", "correct horse battery")
	v.Name = "supplierRed"
	v.Caller.UserID, v.Caller.OrgID, v.Caller.OrgCode, v.Caller.Name, v.Caller.Roles, v.Caller.Via = u.ID, u.OrgID, u.OrgCode, u.Email, u.Roles, "session"
	w.viewers = append(w.viewers, v)
	w.byRole["supplierRed"] = v

	svc := &impracticable.Service{DB: w.db}
	ssc := []int64{w.byRole["ssc"].Caller.UserID, w.byRole["ssc2"].Caller.UserID, w.byRole["secretariat"].Caller.UserID}
	for _, r := range []struct {
		as       *viewer
		supplier string
		mfr      string
		accept   bool
		evidence bool
	}{{v, "", "MANA", false, true}, {v, "", "MANB", true, false}, {nil, "SUPB", "MANA", false, false}} {
		caller := w.sys
		users := ssc
		if r.as != nil {
			caller = r.as.Caller
			users = append(append([]int64{}, ssc...), u.ID)
		}
		rec, err := svc.Create(ctx, caller, impracticable.NewRecord{Supplier: r.supplier, Manufacturer: r.mfr, Reason: "placeholder"})
		if err != nil {
			w.t.Fatal(err)
		}
		w.exec("UPDATE impracticabilities SET reason = $1 WHERE id = $2", "No arrangement is practicable "+marker("impracticability", rec.Reference), rec.ID)
		aud := sec.Audience{Users: users}
		w.addRecord("impracticability", rec.Reference, sec.Red, aud)
		if r.accept {
			if _, err := svc.Act(ctx, w.byRole["ssc"].Caller, rec.Reference, impracticable.Move{Event: sec.ImpracticableAccept, Note: "Accepted."}); err != nil {
				w.t.Fatal(err)
			}
		}
		if r.evidence {
			lit := "IMP-EVIDENCE-OF-" + rec.Reference + "-QX"
			ev, err := svc.AddEvidence(ctx, caller, rec.Reference, "refusal.txt", strings.NewReader("Refusal letter. "+lit+"\n"))
			if err != nil {
				w.t.Fatal(err)
			}
			w.addLiteral("impevidence", fmt.Sprintf("%s/evidence/%d", rec.Reference, ev.ID), lit, sec.Red, aud)
		}
	}
}

// TestImpracticableAPIScenarios: the Supplier records, attaches evidence and
// withdraws; the SSC decides; illegal moves are clear errors; a user not
// cleared for RED may not record.
func TestImpracticableAPIScenarios(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorldOn(t, db)
		runAPICases(t, w, []apiCase{
			{Name: "no credentials", Method: "GET", URL: "/api/v1/impracticabilities", Status: 401},
			{Name: "bad state filter", As: "ssc", Method: "GET", URL: "/api/v1/impracticabilities?state=maybe", Status: 422, Contains: []string{"state"}},
			{Name: "a manufacturer may not record", As: "manufacturer", Method: "POST", URL: "/api/v1/impracticabilities", Body: `{"manufacturer": "MANB", "reason": "x"}`, Status: 403},
			{Name: "a Supplier user not cleared for RED may not record", As: "supplierA", Method: "POST", URL: "/api/v1/impracticabilities", Body: `{"manufacturer": "PGREEN", "reason": "x"}`, Status: 403, Contains: []string{"cleared for RED"}},
			{Name: "missing fields", As: "supplierRed", Method: "POST", URL: "/api/v1/impracticabilities", Body: `{}`, Status: 422, Contains: []string{"manufacturer", "reason"}},
			{Name: "not a manufacturer", As: "supplierRed", Method: "POST", URL: "/api/v1/impracticabilities", Body: `{"manufacturer": "MAPA", "reason": "x"}`, Status: 422, Contains: []string{"not a registered manufacturer"}},
			{Name: "for another Supplier", As: "supplierRed", Method: "POST", URL: "/api/v1/impracticabilities", Body: `{"supplier": "SUPB", "manufacturer": "PGREEN", "reason": "x"}`, Status: 422, Contains: []string{"own organisation"}},
			{Name: "a second open record", As: "supplierRed", Method: "POST", URL: "/api/v1/impracticabilities", Body: `{"manufacturer": "MANA", "reason": "again"}`, Status: 409, Contains: []string{"IMP-0001"}},
			{Name: "records one", As: "supplierRed", Method: "POST", URL: "/api/v1/impracticabilities", Body: `{"manufacturer": "PGREEN", "reason": "PGREEN answers no letters"}`, Status: 201, Contains: []string{`"reference": "IMP-0004"`, `"state": "recorded"`, `"classification": "RED"`}, Writes: true},
			{Name: "the Supplier may not accept", As: "supplierRed", Method: "POST", URL: "/api/v1/impracticabilities/IMP-0004/transitions", Body: `{"event": "accept", "note": "yes"}`, Status: 403, Contains: []string{"SSC member or secretariat"}},
			{Name: "a decision needs a note", As: "ssc", Method: "POST", URL: "/api/v1/impracticabilities/IMP-0004/transitions", Body: `{"event": "reject"}`, Status: 422, Contains: []string{"note"}},
			{Name: "unknown event", As: "ssc", Method: "POST", URL: "/api/v1/impracticabilities/IMP-0004/transitions", Body: `{"event": "approve", "note": "x"}`, Status: 409, Contains: []string{"accept, reject"}},
			{Name: "the SSC rejects", As: "ssc", Method: "POST", URL: "/api/v1/impracticabilities/IMP-0004/transitions", Body: `{"event": "reject", "note": "Write to PGREEN's PSIRT first."}`, Status: 200, Contains: []string{`"state": "rejected"`, "PSIRT"}, Writes: true},
			{Name: "a rejected record is final", As: "supplierRed", Method: "POST", URL: "/api/v1/impracticabilities/IMP-0004/transitions", Body: `{"event": "withdraw"}`, Status: 409, Contains: []string{"nothing can happen"}},
			{Name: "the Supplier withdraws an accepted one", As: "supplierRed", Method: "POST", URL: "/api/v1/impracticabilities/IMP-0002/transitions", Body: `{"event": "withdraw"}`, Status: 200, Contains: []string{`"state": "withdrawn"`}, Writes: true},
			{Name: "evidence with a disguised name", As: "supplierRed", Method: "POST", URL: "/api/v1/impracticabilities/IMP-0001/evidence?name=a.pdf", Body: "plain words", ContentType: "application/octet-stream", Status: 422, Contains: []string{"disguised"}},
			{Name: "the manufacturer is not named", As: "manufacturer", Method: "GET", URL: "/api/v1/impracticabilities/IMP-0001", Status: 404},
		})
	})
}

// TestImpracticableForms: the Supplier records on the page, the SSC accepts
// on the record's page, the Supplier then sees it accepted and may withdraw
// it; a bad form answers 422 naming the field; coverage pages name the new
// status.
func TestImpracticableForms(t *testing.T) {
	w := newWorld(t, store.SQLite)
	red, ssc := w.byRole["supplierRed"], w.byRole["ssc"]
	if status, body := w.do(red, "GET", "/impracticabilities", ""); status != 200 || !strings.Contains(body, "Record that an arrangement is not practicable") {
		t.Fatalf("list page for the Supplier: %d", status)
	}
	if status, body := w.do(ssc, "GET", "/impracticabilities", ""); status != 200 || strings.Contains(body, `method="post" action="/impracticabilities"`) {
		t.Errorf("the SSC is offered the Supplier's form: %d", status)
	}
	if status, body := w.do(red, "POST", "/impracticabilities", "manufacturer=&reason="); status != 422 || !strings.Contains(body, "manufacturer") {
		t.Errorf("an empty form: %d", status)
	}
	if status, _ := w.do(red, "POST", "/impracticabilities", "manufacturer=PWHITE&reason=PWHITE+answers+no+letters"); status != 303 {
		t.Fatalf("record form: %d", status)
	}
	if status, body := w.do(ssc, "GET", "/impracticabilities/IMP-0004", ""); status != 200 || !strings.Contains(body, "Accept: not practicable") || !strings.Contains(body, "PWHITE answers no letters") {
		t.Fatalf("the SSC on the record's page: %d", status)
	}
	if status, body := w.do(ssc, "POST", "/impracticabilities/IMP-0004/transitions", "event=accept&note="); status != 422 || !strings.Contains(body, "note") {
		t.Errorf("accepting without a note: %d", status)
	}
	if status, _ := w.do(ssc, "POST", "/impracticabilities/IMP-0004/transitions", "event=accept&note=Seen+the+letters"); status != 303 {
		t.Fatalf("accept form: %d", status)
	}
	if status, body := w.do(red, "GET", "/impracticabilities/IMP-0004", ""); status != 200 || !strings.Contains(body, "Accepted by the SSC") || !strings.Contains(body, "Withdraw this record") || strings.Contains(body, "Accept: not practicable") {
		t.Errorf("the Supplier after acceptance: %d", status)
	}
	if status, _ := w.do(w.byRole["supplierA"], "GET", "/impracticabilities/IMP-0004", ""); status != 404 {
		t.Errorf("the Supplier's user not cleared for RED: %d, want 404", status)
	}
	if status, body := w.do(ssc, "GET", "/coverage", ""); status != 200 || !strings.Contains(body, "not practicable (accepted by the SSC)") {
		t.Errorf("the coverage matrix does not name the status: %d", status)
	}
}
