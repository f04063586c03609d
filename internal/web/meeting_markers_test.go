package web_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/meeting"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/report"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// secretFields are the fields of a RED or AMBER item that must never reach a
// public output; each gets its own marker so a leak names its field.
var secretFields = []string{"title", "text", "discussion", "decision", "action", "partyname", "partycode", "paper"}

func secret(class sec.Classification, field string) string {
	return "ZQX" + strings.ToUpper(string(class)[:1]) + strings.ToUpper(field) + "Q"
}

// plantSecrets adds meeting 950 (published) to a world: a RED and an AMBER
// item with a marker in every field, each about a party of its own whose
// name and code carry markers and linked to every seeded arrangement, and a
// GREEN item whose text is public. Meeting 952 is held but not published.
func plantSecrets(t *testing.T, w *world) {
	ctx := context.Background()
	svc, sys := w.srv.Meetings, w.sys
	if _, err := svc.Create(ctx, sys, meeting.NewMeeting{Number: 950, HeldOn: "2026-11-20", Place: "Teleconference"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetAttendance(ctx, sys, 950, meeting.Attendance{Present: []string{w.byRole["ssc"].Caller.Name}}); err != nil {
		t.Fatal(err)
	}
	parties := &party.Service{DB: w.db}
	for _, class := range []sec.Classification{sec.Red, sec.Amber} {
		code := secret(class, "partycode")
		if _, err := parties.Create(ctx, sys, party.NewParty{Code: code, Name: "Party " + secret(class, "partyname"), Roles: []string{"small_supplier"}}); err != nil {
			t.Fatal(err)
		}
		it, err := svc.AddItem(ctx, sys, 950, meeting.NewItem{Type: "fusa", Classification: string(class), Title: "Title " + secret(class, "title"),
			Text: "Text " + secret(class, "text"), Discussion: "Discussion " + secret(class, "discussion"), Party: code})
		if err != nil {
			t.Fatal(err)
		}
		for _, verb := range []string{"AGREED", "NOTED"} {
			if _, err := svc.AddDecision(ctx, sys, it.ID, meeting.NewDecision{Verb: verb, Text: "the " + secret(class, "decision")}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := svc.AddAction(ctx, sys, it.ID, meeting.NewAction{Text: "Do " + secret(class, "action"), Owner: "SSC"}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddPaper(ctx, sys, it.ID, secret(class, "paper")+".txt", strings.NewReader("a paper\n")); err != nil {
			t.Fatal(err)
		}
		for _, k := range w.keys["arrangement"] {
			if _, err := svc.AddLink(ctx, sys, it.ID, meeting.NewLink{Kind: "arrangement", Key: k.Key}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := svc.AddItem(ctx, sys, 950, meeting.NewItem{Type: "self_assessment", Classification: "GREEN", Title: "Security Controls Framework",
		Text: "Revised questions ZQXPUBLICQ for the declaration form."}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Transition(ctx, sys, 950, sec.MeetingEventHold); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.GenerateMinutes(ctx, sys, 950); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Publish(ctx, sys, 950, "2026-12-10"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Create(ctx, sys, meeting.NewMeeting{Number: 952, HeldOn: "2026-11-27", Place: "London"}); err != nil {
		t.Fatal(err)
	}
}

// leaks lists every secret marker, and every world marker the public may
// not see, in a public output.
func leaks(w *world, body string) []string {
	var out []string
	for _, class := range []sec.Classification{sec.Red, sec.Amber} {
		for _, f := range secretFields {
			if m := secret(class, f); strings.Contains(body, m) {
				out = append(out, m)
			}
		}
	}
	for _, m := range w.markersIn(body) {
		if rec, ok := w.records[m]; !ok || !sec.CanSee(sec.Viewer{}, rec.Class, rec.Aud) {
			out = append(out, m)
		}
	}
	return out
}

// TestMeetingMarkers is the marker test of issue 12: no RED or AMBER text,
// party name or code, linked record title or paper name reaches any public
// response (pages, PDF, JSON, lists, errors), whoever asks for it; the SSC
// member present reads it all.
func TestMeetingMarkers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorldOn(t, db)
		plantSecrets(t, w)
		public := []string{
			"/public/meetings", "/public/meetings?limit=1", "/public/meetings/950", "/public/meetings/950/headlines.pdf",
			"/api/v1/public/meetings/950/headlines", "/public/meetings/952", "/public/meetings/951", "/public/meetings/abc",
			"/api/v1/public/meetings/952/headlines", "/api/v1/public/meetings/951/headlines", "/api/v1/public/meetings/-1/headlines",
			"/public/meetings/952/headlines.pdf", "/public/meetings/901", "/public/meetings/901/headlines.pdf",
		}
		for _, who := range []string{"public", "supplierB", "ssc"} {
			v := w.viewers[0]
			if who != "public" {
				v = w.byRole[who]
			}
			for _, path := range public {
				status, body := w.do(v, "GET", path, "")
				if status >= 500 {
					t.Errorf("%s as %s: %d", path, who, status)
				}
				if l := leaks(w, body); len(l) > 0 {
					t.Errorf("LEAK: %s as %s shows %v", path, who, l)
				}
			}
		}
		// The search works: the public GREEN text is there, in every format.
		for _, path := range []string{"/public/meetings/950", "/public/meetings/950/headlines.pdf", "/api/v1/public/meetings/950/headlines"} {
			if _, body := w.do(w.viewers[0], "GET", path, ""); !strings.Contains(body, "ZQXPUBLICQ") {
				t.Errorf("%s lacks the public GREEN text", path)
			}
		}
		// A meeting not published answers exactly as one that does not exist.
		s1, b1 := w.do(w.viewers[0], "GET", "/api/v1/public/meetings/952/headlines", "")
		s2, b2 := w.do(w.viewers[0], "GET", "/api/v1/public/meetings/951/headlines", "")
		if s1 != 404 || s2 != 404 || problemDetail(b1) != strings.ReplaceAll(problemDetail(b2), "951", "952") {
			t.Errorf("unpublished %d %s; absent %d %s", s1, b1, s2, b2)
		}
		// The headlines keep what seeds/003 keeps: subject, colour, statement, verbs.
		h, err := w.srv.Meetings.PublicHeadlines(context.Background(), 950)
		if err != nil {
			t.Fatal(err)
		}
		red := h.Items[0]
		if !red.Withheld || red.Classification != sec.Red || !strings.HasPrefix(red.Heading, "Full User Security Assessment - Small Supplier '") ||
			red.Sentence() != "The SSC AGREED and NOTED." || red.Statement != "The Agenda Item was marked as RED and therefore recorded in the Confidential Minutes." {
			t.Errorf("RED headline: %+v", red)
		}
		// Every format the CLI offers renders the same headlines.
		js, _ := json.Marshal(h)
		html, _ := h.HTML()
		pdf, err := report.HeadlinesPDF(h, h.HeldOn.Time())
		if err != nil {
			t.Fatal(err)
		}
		for f, out := range map[string]string{"text": h.Text(), "json": string(js), "html": string(html), "pdf": string(pdf)} {
			if l := leaks(w, out); len(l) > 0 {
				t.Errorf("LEAK: headlines as %s show %v", f, l)
			}
			if !strings.Contains(out, "ZQXPUBLICQ") {
				t.Errorf("headlines as %s lack the public text", f)
			}
		}
		// The SSC member present reads every field (the test can fail).
		_, body := w.do(w.byRole["ssc"], "GET", "/api/v1/meetings/950", "")
		for _, class := range []sec.Classification{sec.Red, sec.Amber} {
			for _, f := range secretFields {
				if !strings.Contains(body, secret(class, f)) {
					t.Errorf("the SSC member present does not see %s", secret(class, f))
				}
			}
		}
		// Links show each viewer only the arrangements it may see.
		for _, v := range w.viewers[1:] {
			_, body := w.do(v, "GET", "/api/v1/meetings/950", "")
			for _, m := range w.markersIn(body) {
				if rec := w.records[m]; !sec.CanSee(v.Caller.Viewer(), rec.Class, rec.Aud) {
					t.Errorf("LEAK: meeting 950 as %s shows %s (%s)", v.Name, m, rec)
				}
			}
		}
	})
}

func problemDetail(body string) string {
	var p struct {
		Status int    `json:"status"`
		Title  string `json:"title"`
		Detail string `json:"detail"`
	}
	json.Unmarshal([]byte(body), &p)
	return p.Title + "|" + p.Detail
}
