package web_test

import (
	"context"
	"strconv"
	"strings"

	"github.com/metersec/metersec/internal/meeting"
	"github.com/metersec/metersec/internal/sec"
)

// eachMeeting calls path (with {} for the number) for every seeded meeting.
func eachMeeting(method, path, body string) func(w *world) []call {
	return each("meeting", method, path, body)
}

func init() {
	register(map[string]visibilityCase{
		"GET /api/v1/meetings":                           {calls: one("GET", "/api/v1/meetings", ""), complete: true, Kind: "meeting"},
		"POST /api/v1/meetings":                          {calls: one("POST", "/api/v1/meetings", `{}`)},
		"GET /api/v1/meetings/{number}":                  {calls: eachMeeting("GET", "/api/v1/meetings/{}", "")},
		"PUT /api/v1/meetings/{number}/attendance":       {calls: eachMeeting("PUT", "/api/v1/meetings/{}/attendance", `{"present": ["nobody@example.org"]}`)},
		"POST /api/v1/meetings/{number}/events":          {calls: eachMeeting("POST", "/api/v1/meetings/{}/events", `{"event": "adjourn"}`)},
		"POST /api/v1/meetings/{number}/publish":         {calls: eachMeeting("POST", "/api/v1/meetings/{}/publish", `{"next_meeting": "soon"}`)},
		"GET /api/v1/meetings/{number}/headlines":        {calls: eachMeeting("GET", "/api/v1/meetings/{}/headlines", "")},
		"POST /api/v1/meetings/{number}/items":           {calls: eachMeeting("POST", "/api/v1/meetings/{}/items", `{"title": "no colour"}`)},
		"GET /api/v1/meeting-items/{id}":                 {calls: eachID("mitem", "GET", "/api/v1/meeting-items/{}", "")},
		"PATCH /api/v1/meeting-items/{id}":               {calls: eachID("mitem", "PATCH", "/api/v1/meeting-items/{}", `{"classification": "PURPLE"}`)},
		"POST /api/v1/meeting-items/{id}/decisions":      {calls: eachID("mitem", "POST", "/api/v1/meeting-items/{}/decisions", `{"verb": "PONDERED"}`)},
		"POST /api/v1/meeting-items/{id}/actions":        {calls: eachID("mitem", "POST", "/api/v1/meeting-items/{}/actions", `{"text": ""}`)},
		"POST /api/v1/meeting-items/{id}/links":          {calls: eachID("mitem", "POST", "/api/v1/meeting-items/{}/links", `{"kind": "horoscope", "key": "1"}`)},
		"POST /api/v1/meeting-items/{id}/papers":         {calls: eachID("mitem", "POST", "/api/v1/meeting-items/{}/papers", "")},
		"GET /api/v1/meeting-papers/{id}":                {calls: eachID("mpaper", "GET", "/api/v1/meeting-papers/{}", "")},
		"GET /api/v1/meeting-actions":                    {calls: one("GET", "/api/v1/meeting-actions", ""), complete: true, Kind: "maction"},
		"POST /api/v1/meeting-actions/{id}/events":       {calls: eachID("maction", "POST", "/api/v1/meeting-actions/{}/events", `{"event": "postpone"}`)},
		"GET /api/v1/meetings/{number}/minutes":          {calls: eachMeeting("GET", "/api/v1/meetings/{}/minutes", "")},
		"POST /api/v1/meetings/{number}/minutes":         {calls: eachMeeting("POST", "/api/v1/meetings/{}/minutes", "")},
		"PUT /api/v1/meeting-minutes/{id}":               {calls: eachID("mminutes", "PUT", "/api/v1/meeting-minutes/{}", `{"body": ""}`)},
		"POST /api/v1/meeting-minutes/{id}/approve":      {calls: eachID("mminutes", "POST", "/api/v1/meeting-minutes/{}/approve", `{"item_id": 999999}`)},
		"POST /api/v1/meeting-minutes/{id}/corrections":  {calls: eachID("mminutes", "POST", "/api/v1/meeting-minutes/{}/corrections", `{"body": "", "reason": ""}`)},
		"GET /api/v1/standing-items":                     {calls: one("GET", "/api/v1/standing-items", ""), complete: true, Kind: "stditem"},
		"POST /api/v1/standing-items":                    {calls: one("POST", "/api/v1/standing-items", `{"kind": "weather"}`)},
		"POST /api/v1/standing-items/{id}/close":         {calls: eachID("stditem", "POST", "/api/v1/standing-items/{}/close", `{}`)},
		"GET /api/v1/pseudonyms":                         {calls: one("GET", "/api/v1/pseudonyms", "")},
		"PUT /api/v1/pseudonyms/{code}":                  {calls: one("PUT", "/api/v1/pseudonyms/NOPE", `{"label": "Q"}`)},
		"GET /api/v1/public/meetings/{number}/headlines": {calls: eachMeeting("GET", "/api/v1/public/meetings/{}/headlines", "")},

		"GET /meetings":                      {calls: one("GET", "/meetings", ""), complete: true, Kind: "meeting"},
		"GET /meetings/{number}":             {calls: eachMeeting("GET", "/meetings/{}", "")},
		"POST /meetings/{number}/items":      {calls: eachMeeting("POST", "/meetings/{}/items", "title=")},
		"POST /meeting-items/{id}/decisions": {calls: eachID("mitem", "POST", "/meeting-items/{}/decisions", "verb=PONDERED")},
		"POST /meeting-items/{id}/actions":   {calls: eachID("mitem", "POST", "/meeting-items/{}/actions", "text=")},
		"GET /meeting-actions":               {calls: one("GET", "/meeting-actions", ""), complete: true, Kind: "maction"},
		"GET /meetings/{number}/minutes":     {calls: eachMeeting("GET", "/meetings/{}/minutes", "")},
		"POST /meeting-minutes/{id}":         {calls: eachID("mminutes", "POST", "/meeting-minutes/{}", "body=")},
		"GET /public/meetings":               {calls: one("GET", "/public/meetings", "")},
		// The public list shows WHITE (published) meetings only: GREEN ones are for signed-in users at /meetings.
		"GET /public/meetings/{number}":               {calls: eachMeeting("GET", "/public/meetings/{}", "")},
		"GET /public/meetings/{number}/headlines.pdf": {calls: eachMeeting("GET", "/public/meetings/{}/headlines.pdf", "")},
	})
	seeders = append(seeders, seedMeetings, seedStandingItems)
}

// seedMeetings holds two held meetings, 901 (headlines published) and 902
// (not), each with an item of every colour carrying markers in every field.
// Present at both: the SSC member "ssc" and the secretariat (the readers of
// RED items); "ssc2" sent apologies. The AMBER item is about SUPA (which
// sees it), the RED item about SUPB (which does not: RED names people).
// Publishing makes the title, text and decisions of 901's GREEN item public
// (seeds/003: GREEN items appear in full), so those carry WHITE markers; its
// discussion, actions and papers stay GREEN.
func seedMeetings(w *world) {
	ctx := context.Background()
	svc := w.srv.Meetings
	sys := w.sys
	present := []int64{w.byRole["ssc"].Caller.UserID, w.byRole["secretariat"].Caller.UserID}
	supA, supB := w.byRole["supplierA"].Caller.OrgID, w.byRole["supplierB"].Caller.OrgID
	for _, mt := range []struct {
		number  int
		date    string
		publish bool
	}{{901, "2026-10-01", true}, {902, "2026-11-05", false}} {
		m, err := svc.Create(ctx, sys, meeting.NewMeeting{Number: mt.number, HeldOn: mt.date, Place: "Teleconference", Starts: "10:00", Ends: "12:00"})
		if err != nil {
			w.t.Fatal(err)
		}
		if _, err := svc.SetAttendance(ctx, sys, mt.number, meeting.Attendance{
			Present:   []string{w.byRole["ssc"].Caller.Name, w.byRole["secretariat"].Caller.Name},
			Apologies: []string{w.byRole["ssc2"].Caller.Name}}); err != nil {
			w.t.Fatal(err)
		}
		for _, class := range sec.Classifications {
			key := strconv.Itoa(mt.number) + string(class)[:1]
			aud := sec.Audience{}
			partyCode := ""
			switch class {
			case sec.Amber:
				partyCode, aud.Orgs = "SUPA", []int64{supA}
			case sec.Red:
				partyCode, aud.Users = "SUPB", present
				_ = supB
			}
			item := marker("mitem", key)
			published := item
			if mt.publish && class == sec.Green {
				published = marker("mpub", key)
				w.addRecord("mpub", key, sec.White, sec.Audience{})
			}
			it, err := svc.AddItem(ctx, sys, mt.number, meeting.NewItem{Type: "query", Classification: string(class),
				Title: "Title " + published, Text: "Text " + published, Discussion: "Discussion " + item, Party: partyCode})
			if err != nil {
				w.t.Fatal(err)
			}
			w.addRecord("mitem", key, class, aud)
			w.setID(item, it.ID)
			if _, err := svc.AddDecision(ctx, sys, it.ID, meeting.NewDecision{Verb: "AGREED", Text: "the " + published}); err != nil {
				w.t.Fatal(err)
			}
			act := marker("maction", key)
			it, err = svc.AddAction(ctx, sys, it.ID, meeting.NewAction{Text: "Do " + act, Owner: "Secretariat", Due: "2026-12-01"})
			if err != nil {
				w.t.Fatal(err)
			}
			w.addRecord("maction", key, class, aud)
			w.setID(act, it.Actions[0].ID)
			paper := marker("mpaper", key)
			p, err := svc.AddPaper(ctx, sys, it.ID, paper+".txt", strings.NewReader("Paper "+paper+"\n"))
			if err != nil {
				w.t.Fatal(err)
			}
			w.addRecord("mpaper", key, class, aud)
			w.setID(paper, p.ID)
		}
		if _, err := svc.Transition(ctx, sys, mt.number, sec.MeetingEventHold); err != nil {
			w.t.Fatal(err)
		}
		class := sec.Green
		if mt.publish {
			if _, err := svc.Publish(ctx, sys, mt.number, ""); err != nil {
				w.t.Fatal(err)
			}
			class = sec.White
		}
		w.addLiteral("meeting", strconv.Itoa(mt.number), m.Reference, class, sec.Audience{})
		ms, err := svc.GenerateMinutes(ctx, sys, mt.number)
		if err != nil {
			w.t.Fatal(err)
		}
		for _, mn := range ms {
			lit := m.Reference + ": " + mn.Label
			aud := sec.Audience{}
			if mn.Classification == sec.Red {
				aud.Users = present
			}
			w.addLiteral("mminutes", strconv.FormatInt(mn.ID, 10), lit, mn.Classification, aud)
			w.setID(lit, mn.ID)
		}
	}
}

// seedStandingItems records a standing item of every colour: the AMBER one
// is SUPA's own incident, the RED one names the SSC member who recorded it.
func seedStandingItems(w *world) {
	ctx := context.Background()
	ssc := w.byRole["ssc"].Caller
	for _, class := range sec.Classifications {
		key := "S" + string(class)[:1]
		m := marker("stditem", key)
		as, aud := w.sys, sec.Audience{}
		in := meeting.NewStandingItem{Kind: "security_incident", Title: "Incident " + m, What: "What " + m, Impact: "Impact " + m,
			OccurredOn: "2026-11-02", Classification: string(class)}
		switch class {
		case sec.Amber:
			as = w.byRole["supplierA"].Caller
			aud.Orgs = []int64{as.OrgID}
		case sec.Red:
			as = ssc
			aud.Users = []int64{ssc.UserID}
		}
		it, err := w.srv.Meetings.ReportStanding(ctx, as, in)
		if err != nil {
			w.t.Fatal(err)
		}
		w.addRecord("stditem", key, class, aud)
		w.setID(m, it.ID)
	}
}
