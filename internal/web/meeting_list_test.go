package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/listing/listingtest"
	"github.com/metersec/metersec/internal/meeting"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// Issue 15: the meeting lists (meetings, the action tracker, standing
// items) page on the shared core, stable under new rows in every order, on
// both engines.
func TestMeetingListsPageStably(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorldOn(t, db)
		ctx := context.Background()
		svc := w.srv.Meetings
		ssc := w.byRole["ssc"].Caller
		n := 0
		// Meetings share days and places, and actions owners and due days
		// (some none), so every sort has ties the id must break.
		plan := func() {
			number := 1000 + n
			day := sec.NewDate(2026, 1, 1).AddDays(7 * (n % 4))
			if _, err := svc.Create(ctx, w.sys, meeting.NewMeeting{Number: number, HeldOn: day.String(), Place: []string{"London", "Teleconference"}[n%2]}); err != nil {
				t.Fatal(err)
			}
			it, err := svc.AddItem(ctx, w.sys, number, meeting.NewItem{Type: "query", Classification: "GREEN", Title: fmt.Sprintf("Query %d", n)})
			if err != nil {
				t.Fatal(err)
			}
			due := ""
			if n%3 > 0 {
				due = day.AddDays(14 * (n % 3)).String()
			}
			if _, err := svc.AddAction(ctx, w.sys, it.ID, meeting.NewAction{Text: fmt.Sprintf("Action %d", n), Owner: []string{"DCC", "SECAS"}[n%2], Due: due}); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.ReportStanding(ctx, w.sys, meeting.NewStandingItem{Kind: string(meeting.StandingKinds[n%3]), Party: "SUPA",
				Title: fmt.Sprintf("Incident %d", n%4), What: "x", OccurredOn: day.String()}); err != nil {
				t.Fatal(err)
			}
			n++
		}
		for range 7 {
			plan()
		}
		insert := func() {
			if n < 20 {
				plan()
			}
		}
		listingtest.Stable(t, meeting.MeetingSpec, nil, 3, func(r listing.Request) (listing.Page[meeting.Meeting], error) {
			return svc.MeetingPage(ctx, ssc, r)
		}, func(m meeting.Meeting) int64 { return m.ID }, insert)
		day := svc.ActionDay()
		listingtest.Stable(t, meeting.ActionSpec, nil, 3, func(r listing.Request) (listing.Page[meeting.Action], error) {
			return svc.ActionPage(ctx, ssc, r, day)
		}, func(a meeting.Action) int64 { return a.ID }, insert)
		listingtest.Stable(t, meeting.StandingSpec, nil, 3, func(r listing.Request) (listing.Page[meeting.StandingItem], error) {
			return svc.StandingPage(ctx, ssc, r)
		}, func(s meeting.StandingItem) int64 { return s.ID }, insert)

		// Filters: a meeting by its reference, the actions of one owner
		// due in a range, the standing items of one party.
		req := func(spec *listing.Spec, q url.Values) listing.Request {
			r, err := spec.Parse(q)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		p, err := svc.MeetingPage(ctx, ssc, req(meeting.MeetingSpec, url.Values{"q": {"SSC_1003_2201"}}))
		if err != nil || p.Total != 1 || p.Items[0].Number != 1003 {
			t.Fatalf("q=SSC_1003: %+v %v", p, err)
		}
		as, err := svc.ActionPage(ctx, ssc, req(meeting.ActionSpec, url.Values{"owner": {"dcc"}, "from": {"2026-01-01"}, "to": {"2026-02-28"}, "limit": {"500"}}), day)
		if err != nil || as.Total == 0 {
			t.Fatalf("owner=dcc: %+v %v", as, err)
		}
		for _, a := range as.Items {
			if a.Owner != "DCC" || a.Due.IsZero() || a.Due.Time().Month() > 2 {
				t.Errorf("owner=dcc from January to February: %+v", a)
			}
		}
		st, err := svc.StandingPage(ctx, ssc, req(meeting.StandingSpec, url.Values{"party": {"SUPA"}, "limit": {"500"}}))
		if err != nil || st.Total < 20 {
			t.Fatalf("party=SUPA: %d %v", st.Total, err)
		}
		// A Supplier may not see another's party entry: filtering by it
		// finds nothing, as its items do not name it.
		other, err := svc.StandingPage(ctx, w.byRole["supplierB"].Caller, req(meeting.StandingSpec, url.Values{"party": {"SUPA"}}))
		if err != nil || other.Total != 0 {
			t.Fatalf("SUPB filters by SUPA: %d %v", other.Total, err)
		}
	})
}

// The meeting pages and list endpoints answer pages in the envelope, sort,
// filter, refuse a bad parameter naming it and export with the filters; the
// dashboard's overdue actions link to a list of exactly those rows.
func TestMeetingListPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) { testMeetingListPages(t, newWorldOn(t, db)) })
}

func testMeetingListPages(t *testing.T, w *world) {
	runAPICases(t, w, []apiCase{
		{Name: "meetings, a page", As: "ssc", Method: "GET", URL: "/api/v1/meetings?limit=1&sort=held_on", Status: 200,
			Contains: []string{`"total": 2`, `"next_cursor"`, `"number": 901`, `"sort": "held_on"`}},
		{Name: "meetings by state", As: "ssc", Method: "GET", URL: "/api/v1/meetings?state=planned", Status: 200, Contains: []string{`"total": 0`}},
		{Name: "meetings published", As: "ssc", Method: "GET", URL: "/api/v1/meetings?published=true", Status: 200, Contains: []string{`"total": 1`, `"number": 901`}},
		{Name: "meetings held in November", As: "ssc", Method: "GET", URL: "/api/v1/meetings?from=2026-11-01&to=2026-11-30", Status: 200, Contains: []string{`"total": 1`, `"number": 902`}},
		{Name: "meetings with a query item", As: "supplierA", Method: "GET", URL: "/api/v1/meetings?kind=query", Status: 200, Contains: []string{`"total": 2`}},
		{Name: "meetings with an AOB item", As: "supplierA", Method: "GET", URL: "/api/v1/meetings?kind=aob", Status: 200, Contains: []string{`"total": 0`}},
		{Name: "a meeting's number", As: "ssc", Method: "GET", URL: "/api/v1/meetings?q=902", Status: 200, Contains: []string{`"total": 1`, `"number": 902`}},
		{Name: "a bad meeting state", As: "ssc", Method: "GET", URL: "/api/v1/meetings?state=adjourned", Status: 422, Contains: []string{`"field":"state"`}},
		{Name: "a bad meeting sort", As: "ssc", Method: "GET", URL: "/api/v1/meetings?sort=title", Status: 422, Contains: []string{`"field":"sort"`}},
		{Name: "meetings as CSV", As: "ssc", Method: "GET", URL: "/api/v1/meetings?format=csv&published=false", Status: 200,
			Contains: []string{"number,reference,held_on", "902,SSC_902_0511,2026-11-05"}},
		{Name: "actions overdue", As: "ssc", Method: "GET", URL: "/api/v1/meeting-actions?state=overdue&sort=-due", Status: 200, Contains: []string{`"items"`, `"status": "open"`}},
		{Name: "actions of one meeting", As: "ssc", Method: "GET", URL: "/api/v1/meeting-actions?meeting=902&limit=500", Status: 200, Contains: []string{`"meeting": 902`}},
		{Name: "a bad action state", As: "ssc", Method: "GET", URL: "/api/v1/meeting-actions?state=late", Status: 422, Contains: []string{`"field":"state"`}},
		{Name: "a bad due date", As: "ssc", Method: "GET", URL: "/api/v1/meeting-actions?from=1+Dec", Status: 422, Contains: []string{`"field":"from"`}},
		{Name: "actions as JSON", As: "ssc", Method: "GET", URL: "/api/v1/meeting-actions?format=json&owner=secretariat", Status: 200, Contains: []string{`"owner":"Secretariat"`}},
		{Name: "standing items, a page", As: "ssc", Method: "GET", URL: "/api/v1/standing-items?limit=1", Status: 200, Contains: []string{`"total"`, `"limit": 1`}},
		{Name: "a bad standing kind", As: "ssc", Method: "GET", URL: "/api/v1/standing-items?kind=weather", Status: 422, Contains: []string{`"field":"kind"`}},
		{Name: "minutes, a page", As: "ssc", Method: "GET", URL: "/api/v1/meetings/901/minutes?kind=draft", Status: 200, Contains: []string{`"total": 1`, `"kind": "draft"`}},
		{Name: "minutes of a meeting the caller may not see", As: "ssc", Method: "GET", URL: "/api/v1/meetings/999/minutes?format=csv", Status: 404},
		{Name: "minutes as CSV", As: "ssc", Method: "GET", URL: "/api/v1/meetings/901/minutes?format=csv", Status: 200, Contains: []string{"id,meeting,kind,version"}},
		{Name: "pseudonyms, a page", As: "ssc", Method: "GET", URL: "/api/v1/pseudonyms?sort=org&limit=1", Status: 200, Contains: []string{`"total"`, `"sort": "org"`}},
		{Name: "pseudonyms as CSV, refused to a Supplier", As: "supplierA", Method: "GET", URL: "/api/v1/pseudonyms?format=csv", Status: 403},
		{Name: "questionnaire versions, a page", As: "supplierA", Method: "GET", URL: "/api/v1/questionnaire-templates?limit=1", Status: 200, Contains: []string{`"total"`, `"limit": 1`, `"sort": "-version"`}},
		{Name: "questionnaire versions, a bad sort", As: "supplierA", Method: "GET", URL: "/api/v1/questionnaire-templates?sort=questions", Status: 422, Contains: []string{`"field":"sort"`}},
		{Name: "questionnaire versions as CSV", As: "supplierA", Method: "GET", URL: "/api/v1/questionnaire-templates?format=csv", Status: 200, Contains: []string{"version,title,created_at,created_by"}},
		{Name: "the meetings page", As: "ssc", Method: "GET", URL: "/meetings?sort=-held_on&q=Teleconference", Status: 200,
			Contains: []string{"2 meetings", `aria-sort="descending"`, "SSC_902_0511", "Download all"}},
		{Name: "the meetings page's export", As: "ssc", Method: "GET", URL: "/meetings?format=csv", Status: 200, Contains: []string{"SSC_901_0110"}},
		{Name: "the action tracker", As: "ssc", Method: "GET", URL: "/meeting-actions?state=open&sort=owner", Status: 200, Contains: []string{`aria-sort="ascending"`, "Owner"}},
		{Name: "the action tracker's export", As: "ssc", Method: "GET", URL: "/meeting-actions?format=csv", Status: 200, Contains: []string{"id,reference,meeting"}},
	})

	// A page answers a bad parameter with a page naming it.
	for path, field := range map[string]string{"/meetings?published=maybe": "published", "/meeting-actions?meeting=x": "meeting"} {
		status, body := w.do(w.byRole["ssc"], "GET", path, "")
		if status != 422 || !strings.Contains(body, field+": must be") {
			t.Errorf("%s: %d, want 422 naming %s", path, status, field)
		}
	}

	// The dashboard's overdue actions are the rows its link lists, for
	// every role that sees the count.
	for _, who := range []string{"ssc", "secretariat", "supplierA", "supplierB", "cio"} {
		v := w.byRole[who]
		status, body := w.do(v, "GET", "/api/v1/dashboard", "")
		if status != 200 {
			t.Fatalf("%s: dashboard %d %s", who, status, body)
		}
		var d struct {
			Items []struct {
				Key   string `json:"key"`
				Count int64  `json:"count"`
				Link  string `json:"link"`
			} `json:"items"`
		}
		if err := json.Unmarshal([]byte(body), &d); err != nil {
			t.Fatal(err)
		}
		for _, it := range d.Items {
			if it.Key != "meeting_actions_overdue" && it.Key != "meeting_actions_open" {
				continue
			}
			path, query, _ := strings.Cut(it.Link, "?")
			if path != "/meeting-actions" {
				t.Fatalf("%s: %s links to %s", who, it.Key, it.Link)
			}
			status, body := w.do(v, "GET", "/api/v1/meeting-actions?limit=500&"+query, "")
			var p struct {
				Total int64             `json:"total"`
				Items []json.RawMessage `json:"items"`
			}
			if status != 200 || json.Unmarshal([]byte(body), &p) != nil {
				t.Fatalf("%s: %s: %d %s", who, it.Link, status, body)
			}
			if p.Total != it.Count || int64(len(p.Items)) != it.Count {
				t.Errorf("%s: the dashboard counts %d %s, its link lists %d (total %d)", who, it.Count, it.Key, len(p.Items), p.Total)
			}
			if it.Key == "meeting_actions_overdue" && who == "ssc" && it.Count == 0 {
				t.Errorf("ssc: no overdue action in the seeded world (due 1 Dec 2026): the test checks nothing")
			}
			status, page := w.do(v, "GET", it.Link, "")
			if status != 200 || !strings.Contains(page, fmt.Sprint(it.Count)) {
				t.Errorf("%s: the page %s: %d", who, it.Link, status)
			}
		}
	}
}
