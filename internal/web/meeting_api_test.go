package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/meeting"
	"github.com/metersec/metersec/internal/report"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

func TestMeetingAPIScenarios(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorldOn(t, db)
		ctx := context.Background()
		ms, err := w.srv.Meetings.MinutesOf(ctx, w.sys, 901)
		if err != nil || len(ms) != 2 {
			t.Fatalf("minutes of 901: %v %v", ms, err)
		}
		draft, conf := itoa(ms[1].ID), itoa(ms[0].ID)
		if ms[1].Kind != meeting.DraftMinutes {
			draft, conf = conf, draft
		}
		m901, _ := w.srv.Meetings.Get(ctx, w.sys, 901)
		own := itoa(m901.Items[0].ID) // an item of 901 itself
		act := itoa(m901.Items[1].Actions[0].ID)
		big := strings.Repeat("a", meeting.MaxPaperSize+1)
		approval, err := w.srv.Meetings.AddItem(ctx, w.sys, 902, meeting.NewItem{Type: "minutes_approval", Classification: "GREEN", Title: "Minutes and Actions Outstanding"})
		if err != nil {
			t.Fatal(err)
		}
		item := itoa(approval.ID)
		runAPICases(t, w, []apiCase{
			{Name: "no credentials", Method: "GET", URL: "/api/v1/meetings", Status: 401},
			{Name: "a Supplier may not plan a meeting", As: "supplierA", Method: "POST", URL: "/api/v1/meetings", Body: `{"number": 903, "held_on": "2026-12-03", "place": "London"}`, Status: 403},
			{Name: "a bad meeting", As: "ssc", Method: "POST", URL: "/api/v1/meetings", Body: `{"number": 0, "held_on": "3 Dec", "place": "", "starts": "25:00"}`, Status: 422,
				Contains: []string{"number", "held_on", "place", "starts"}},
			{Name: "plan a meeting", As: "secretariat", Method: "POST", URL: "/api/v1/meetings", Body: `{"number": 903, "held_on": "2026-12-03", "place": "London", "starts": "10:00", "ends": "16:00"}`,
				Status: 201, Contains: []string{`"reference": "SSC_903_0312"`, `"status": "planned"`}, Writes: true},
			{Name: "a number taken", As: "ssc", Method: "POST", URL: "/api/v1/meetings", Body: `{"number": 903, "held_on": "2026-12-03", "place": "London"}`, Status: 409},
			{Name: "an item with no colour", As: "ssc", Method: "POST", URL: "/api/v1/meetings/903/items", Body: `{"type": "query", "title": "A query"}`, Status: 422, Contains: []string{"classification", "needs a colour"}},
			{Name: "an item of no known type", As: "ssc", Method: "POST", URL: "/api/v1/meetings/903/items", Body: `{"type": "gossip", "classification": "GREEN", "title": "x"}`, Status: 422, Contains: []string{"unknown item type"}},
			{Name: "an item about nobody", As: "ssc", Method: "POST", URL: "/api/v1/meetings/903/items", Body: `{"type": "query", "classification": "RED", "title": "x", "party": "NOPE"}`, Status: 422, Contains: []string{"party"}},
			{Name: "an item", As: "ssc", Method: "POST", URL: "/api/v1/meetings/903/items", Body: `{"type": "aob", "classification": "AMBER", "title": "AOB", "party": "SUPB"}`,
				Status: 201, Contains: []string{`"type_label": "Any Other Business (AOB)"`, `"position": 1`}, Writes: true},
			{Name: "a verb outside the list", As: "ssc", Method: "POST", URL: "/api/v1/meeting-items/" + own + "/decisions", Body: `{"verb": "REJECTED"}`, Status: 422, Contains: []string{"unknown decision verb", "APPROVED, AGREED, NOTED"}},
			{Name: "a paper over the limit", As: "ssc", Method: "POST", URL: "/api/v1/meeting-items/" + own + "/papers?name=big.txt", Body: big, ContentType: "text/plain", Status: 413},
			{Name: "a paper with no name", As: "ssc", Method: "POST", URL: "/api/v1/meeting-items/" + own + "/papers", Body: "x", ContentType: "text/plain", Status: 422, Contains: []string{"name"}},
			{Name: "a paper that is HTML", As: "ssc", Method: "POST", URL: "/api/v1/meeting-items/" + own + "/papers?name=x.html", Body: "<html><script>alert(1)</script></html>", ContentType: "text/plain", Status: 422},
			{Name: "a pseudonym clash", As: "ssc", Method: "PUT", URL: "/api/v1/pseudonyms/SUPB", Body: `{"label": "A"}`, Status: 409, Contains: []string{"clash"}},
			{Name: "a pseudonym from the code", As: "ssc", Method: "PUT", URL: "/api/v1/pseudonyms/MANA", Body: `{"label": "MAN"}`, Status: 422, Contains: []string{"derived from the party's code"}},
			{Name: "pseudonyms are stable", As: "ssc", Method: "PUT", URL: "/api/v1/pseudonyms/SUPA", Body: `{"label": "QQ"}`, Status: 409, Contains: []string{"stable"}},
			{Name: "a Supplier may not read the key to the pseudonyms", As: "supplierA", Method: "GET", URL: "/api/v1/pseudonyms", Status: 403},
			{Name: "approval under an item of the same meeting", As: "ssc", Method: "POST", URL: "/api/v1/meeting-minutes/" + draft + "/approve", Body: `{"item_id": ` + own + `}`, Status: 422, Contains: []string{"minutes-approval item"}},
			{Name: "approve the Draft Minutes", As: "ssc", Method: "POST", URL: "/api/v1/meeting-minutes/" + draft + "/approve", Body: `{"item_id": ` + item + `}`, Status: 200, Contains: []string{`"status": "approved"`, `"approved_at_meeting": 902`}, Writes: true},
			{Name: "approving minutes twice", As: "ssc", Method: "POST", URL: "/api/v1/meeting-minutes/" + draft + "/approve", Body: `{"item_id": ` + item + `}`, Status: 409, Contains: []string{"approved already"}},
			{Name: "editing approved minutes", As: "secretariat", Method: "PUT", URL: "/api/v1/meeting-minutes/" + draft, Body: `{"body": "rewritten"}`, Status: 409, Contains: []string{"cannot be edited"}},
			{Name: "a correction needs a reason", As: "secretariat", Method: "POST", URL: "/api/v1/meeting-minutes/" + draft + "/corrections", Body: `{"body": "corrected"}`, Status: 422, Contains: []string{"reason"}},
			{Name: "a correction is a new version", As: "secretariat", Method: "POST", URL: "/api/v1/meeting-minutes/" + draft + "/corrections", Body: `{"body": "corrected", "reason": "a typo in item 2"}`,
				Status: 201, Contains: []string{`"version": 2`, `"status": "draft"`, "a typo in item 2"}, Writes: true},
			{Name: "the Confidential Minutes may not be edited by the member who sent apologies", As: "ssc2", Method: "PUT", URL: "/api/v1/meeting-minutes/" + conf, Body: `{"body": "x"}`, Status: 404},
			{Name: "approve the Confidential Minutes", As: "ssc", Method: "POST", URL: "/api/v1/meeting-minutes/" + conf + "/approve", Body: `{"item_id": ` + item + `}`, Status: 200, Writes: true},
			{Name: "both approved: the meeting moves on", As: "ssc", Method: "GET", URL: "/api/v1/meetings/901", Status: 200, Contains: []string{`"status": "minutes_approved"`}},
			{Name: "an approved meeting's items are closed", As: "ssc", Method: "PATCH", URL: "/api/v1/meeting-items/" + own, Body: `{"text": "later"}`, Status: 409},
			{Name: "open actions are carried", As: "ssc", Method: "GET", URL: "/api/v1/meetings/902", Status: 200, Contains: []string{"VM~maction~901R~", "VM~maction~901G~"}},
			{Name: "complete an action", As: "secretariat", Method: "POST", URL: "/api/v1/meeting-actions/" + act + "/events", Body: `{"event": "complete"}`, Status: 200, Contains: []string{`"status": "done"`}, Writes: true},
			{Name: "closing a done action", As: "secretariat", Method: "POST", URL: "/api/v1/meeting-actions/" + act + "/events", Body: `{"event": "close", "note": "x"}`, Status: 409, Contains: []string{"cannot", "possible from"}},
			{Name: "the tracker filters", As: "ssc", Method: "GET", URL: "/api/v1/meeting-actions?status=done", Status: 200, Contains: []string{`"total": 1`}},
			{Name: "the tracker's bad status", As: "ssc", Method: "GET", URL: "/api/v1/meeting-actions?status=someday", Status: 422, Contains: []string{"status"}},
			{Name: "a page of meetings", As: "supplierA", Method: "GET", URL: "/api/v1/meetings?limit=1", Status: 200, Contains: []string{`"total": 3`, `"next_cursor"`, `"number": 903`}},
			{Name: "unknown public meeting", Method: "GET", URL: "/api/v1/public/meetings/999/headlines", Status: 404},
		})
		// The member who sent apologies reads the Draft Minutes, never the
		// Confidential ones; the member present reads both.
		for who, want := range map[string]int{"ssc2": 2, "ssc": 3} {
			got, err := w.srv.Meetings.MinutesOf(ctx, w.byRole[who].Caller, 901)
			if err != nil || len(got) != want {
				t.Errorf("%s reads %d versions of 901's minutes, want %d (%v)", who, len(got), want, err)
			}
			for _, mn := range got {
				if who == "ssc2" && mn.Kind == meeting.ConfidentialMinutes {
					t.Errorf("ssc2 reads the Confidential Minutes")
				}
			}
		}
	})
}

// TestReleaseCaveats: an answer resting on a release date that is not from a
// public source says so, in JSON and on the page; one resting on a public
// date does not.
func TestReleaseCaveats(t *testing.T) {
	w := newWorld(t, store.SQLite)
	ssc := w.byRole["ssc"]
	status, body := w.do(ssc, "GET", "/api/v1/coverage?date=2021-12-01", "")
	if status != 200 || !strings.Contains(body, `"sec_version": "6.3"`) || !strings.Contains(body, "is not from a public source") {
		t.Errorf("coverage on an invented date: %d %.400s", status, body)
	}
	status, body = w.do(ssc, "GET", "/api/v1/coverage?date=2022-11-03", "")
	if status != 200 || !strings.Contains(body, `"sec_version": "6.6"`) || strings.Contains(body, "sec_version_caveat") {
		t.Errorf("coverage on the public date of the November 2022 release: %d %.400s", status, body)
	}
	if status, body := w.do(ssc, "GET", "/coverage?date=2021-12-01", ""); status != 200 || !strings.Contains(body, "is not from a public source") {
		t.Errorf("coverage page: %d", status)
	}
	status, body = w.do(ssc, "GET", "/api/v1/sec/releases", "")
	if status != 200 || !strings.Contains(body, `"shipped": true`) || !strings.Contains(body, "MP203") {
		t.Errorf("releases: %d %.300s", status, body)
	}
	if status, _ := w.do(w.byRole["supplierA"], "PUT", "/api/v1/sec/releases?reason=x", "version,effective,public,source,note\n"); status != 403 {
		t.Errorf("a Supplier's import: %d", status)
	}
}

// TestStandingItemsInStandingReport: the standing report carries the
// standing items up to AMBER, never a RED one (it names its own readers).
func TestStandingItemsInStandingReport(t *testing.T) {
	w := newWorld(t, store.SQLite)
	rs, err := w.srv.Reports.List(context.Background(), w.sys, report.Filter{Kind: report.StandingKind})
	if err != nil || len(rs) == 0 {
		t.Fatalf("standing reports: %v %v", rs, err)
	}
	for _, f := range []string{"json", "html", "pdf"} {
		status, body := w.do(w.byRole["ssc"], "GET", "/api/v1/reports/"+itoa(rs[0].ID)+"/files/"+f, "")
		if status != 200 || !strings.Contains(body, marker("stditem", "SA")) || !strings.Contains(body, marker("stditem", "SG")) || strings.Contains(body, marker("stditem", "SR")) {
			t.Errorf("standing report as %s: %d", f, status)
		}
	}
	runAPICases(t, w, []apiCase{
		{Name: "a Supplier reports another's incident", As: "supplierA", Method: "POST", URL: "/api/v1/standing-items",
			Body: `{"kind": "security_incident", "party": "SUPB", "title": "x", "what": "y", "occurred_on": "2026-11-01"}`, Status: 403},
		{Name: "a Supplier may not mark RED", As: "supplierA", Method: "POST", URL: "/api/v1/standing-items",
			Body: `{"kind": "security_incident", "title": "x", "what": "y", "occurred_on": "2026-11-01", "classification": "RED"}`, Status: 422},
		{Name: "a bad standing item", As: "ssc", Method: "POST", URL: "/api/v1/standing-items", Body: `{"kind": "weather", "occurred_on": "soon"}`, Status: 422,
			Contains: []string{"kind", "title", "what", "occurred_on"}},
		{Name: "a shared resource notification", As: "secretariat", Method: "POST", URL: "/api/v1/standing-items",
			Body: `{"kind": "shared_resource", "party": "SUPB", "title": "SRP count", "what": "Six-monthly count", "occurred_on": "2026-11-01"}`, Status: 201,
			Contains: []string{`"kind_label": "Shared resource notification"`, `"classification": "AMBER"`}, Writes: true},
		{Name: "the other Supplier does not see it", As: "supplierA", Method: "GET", URL: "/api/v1/standing-items?kind=shared_resource", Status: 200, Contains: []string{`"total": 0`}},
	})
}
