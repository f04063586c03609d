package web

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/meeting"
	"github.com/metersec/metersec/internal/report"
	"github.com/metersec/metersec/internal/sec"
)

func (s *Server) meetingPageRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/meetings", Name: "meetingsPage", Summary: "SSC meetings.", Tag: "ui", Handle: s.meetingsPage},
		{Method: "GET", Path: "/meetings/{number}", Name: "meetingPage", Summary: "A meeting: agenda with colours, papers, decisions and actions.", Tag: "ui", Handle: s.meetingPage},
		{Method: "POST", Path: "/meetings/{number}/items", Name: "addItemForm", Summary: "Add an agenda item.", Tag: "ui", Handle: s.addItemForm},
		{Method: "POST", Path: "/meeting-items/{id}/decisions", Name: "addDecisionForm", Summary: "Record a decision on an item.", Tag: "ui", Handle: s.addDecisionForm},
		{Method: "POST", Path: "/meeting-items/{id}/actions", Name: "addActionForm", Summary: "Record an action on an item.", Tag: "ui", Handle: s.addActionForm},
		{Method: "GET", Path: "/meeting-actions", Name: "meetingActionsPage", Summary: "The action tracker across meetings.", Tag: "ui", Handle: s.meetingActionsPage},
		{Method: "GET", Path: "/meetings/{number}/minutes", Name: "minutesPage", Summary: "A meeting's minutes, with the editor for drafts.", Tag: "ui", Handle: s.minutesPage},
		{Method: "POST", Path: "/meeting-minutes/{id}", Name: "editMinutesForm", Summary: "Save a draft of the minutes.", Tag: "ui", Handle: s.editMinutesForm},

		{Method: "GET", Path: "/public/meetings", Name: "publicMeetingsPage", Summary: "Published SSC Meeting Headlines, for anyone.", Tag: "public", Access: Public, Handle: s.publicMeetingsPage},
		{Method: "GET", Path: "/public/meetings/{number}", Name: "publicHeadlinesPage", Summary: "A meeting's published headlines (WHITE), for anyone.", Tag: "public", Access: Public, Handle: s.publicHeadlinesPage},
		{Method: "GET", Path: "/public/meetings/{number}/headlines.pdf", Name: "publicHeadlinesPDF", Summary: "A meeting's published headlines as a PDF, for anyone.", Tag: "public", Access: Public, Handle: s.publicHeadlinesPDF},
	}
}

type meetingsData struct {
	Page   meeting.Page[meeting.Meeting]
	Public bool
}

// meetingListData is the page of the SSC's meetings, on the paging core.
type meetingListData struct {
	Items  []meeting.Meeting
	List   listView
	Req    listing.Request
	States []string
	Kinds  []sec.ItemType
}

func (s *Server) meetingsPage(w http.ResponseWriter, r *http.Request) error {
	req, err := meeting.MeetingSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportMeetings(w, r, req)
	}
	p, err := s.Meetings.MeetingPage(r.Context(), callerOf(r), req)
	if err != nil {
		return err
	}
	d := meetingListData{Items: p.Items, Req: req, List: newListView(r, "/meetings", meeting.MeetingSpec, req, p, "meeting", "meetings"),
		States: facetEnum(meeting.MeetingSpec, "state"), Kinds: sec.ItemTypes}
	return s.render(w, r, http.StatusOK, "meetings", s.newPage(r, "SSC meetings", d))
}

type meetingData struct {
	Meeting   meeting.Meeting
	MayManage bool
	Verbs     []sec.Verb
	Types     []sec.ItemType
	Colours   []sec.Classification
	// Open is the item shown unfolded (?item=, after a form on it).
	Open int64
	// Carried are the first carriedShown actions carried into the meeting;
	// CarriedMore how many more the tracker lists.
	Carried     []meeting.Action
	CarriedMore int
}

// carriedShown is how many carried actions a meeting's page lists before
// linking to the tracker filtered to them.
const carriedShown = 10

func (s *Server) meetingPage(w http.ResponseWriter, r *http.Request) error {
	n, err := meetingNumber(r)
	if err != nil {
		return err
	}
	c := callerOf(r)
	m, err := s.Meetings.Get(r.Context(), c, n)
	if err != nil {
		return err
	}
	d := meetingData{Meeting: m, MayManage: meeting.MayManage(c), Verbs: sec.Verbs, Types: sec.ItemTypes, Colours: sec.Classifications, Carried: m.Carried}
	d.Open, _ = strconv.ParseInt(r.URL.Query().Get("item"), 10, 64)
	if len(d.Carried) > carriedShown {
		d.Carried, d.CarriedMore = d.Carried[:carriedShown], len(d.Carried)-carriedShown
	}
	return s.render(w, r, http.StatusOK, "meeting", s.newPage(r, "SSC meeting "+strconv.Itoa(n), d))
}

// formProblem sends a form back to the page it came from with the problem,
// for the errors a person can fix; anything else is an error page.
func (s *Server) formProblem(w http.ResponseWriter, r *http.Request, back string, err error) error {
	if e := errs.As(err); e.Code == errs.Invalid || e.Code == errs.Conflict {
		return s.redirect(w, r, back, "Not saved: "+e.Error())
	}
	return err
}

func (s *Server) addItemForm(w http.ResponseWriter, r *http.Request) error {
	n, err := meetingNumber(r)
	if err != nil {
		return err
	}
	back := "/meetings/" + strconv.Itoa(n)
	in := meeting.NewItem{Type: r.PostFormValue("type"), Classification: r.PostFormValue("classification"), Title: r.PostFormValue("title"),
		Text: r.PostFormValue("text"), Discussion: r.PostFormValue("discussion"), Party: r.PostFormValue("party")}
	it, err := s.Meetings.AddItem(r.Context(), callerOf(r), n, in)
	if err != nil {
		return s.formProblem(w, r, back, err)
	}
	return s.redirect(w, r, itemHref(n, it.ID), "Item "+strconv.Itoa(it.Position)+" added.")
}

func (s *Server) addDecisionForm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c := callerOf(r)
	it, err := s.Meetings.AddDecision(r.Context(), c, id, meeting.NewDecision{Verb: r.PostFormValue("verb"), Text: r.PostFormValue("text")})
	if err != nil {
		if cur, gerr := s.Meetings.Item(r.Context(), c, id); gerr == nil {
			return s.formProblem(w, r, itemHref(cur.Meeting, id), err)
		}
		return err
	}
	return s.redirect(w, r, itemHref(it.Meeting, id), "Decision recorded on item "+strconv.Itoa(it.Position)+".")
}

func (s *Server) addActionForm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c := callerOf(r)
	it, err := s.Meetings.AddAction(r.Context(), c, id, meeting.NewAction{Text: r.PostFormValue("text"), Owner: r.PostFormValue("owner"), Due: r.PostFormValue("due")})
	if err != nil {
		if cur, gerr := s.Meetings.Item(r.Context(), c, id); gerr == nil {
			return s.formProblem(w, r, itemHref(cur.Meeting, id), err)
		}
		return err
	}
	return s.redirect(w, r, itemHref(it.Meeting, id), "Action recorded on item "+strconv.Itoa(it.Position)+".")
}

// itemHref is an item on its meeting's page, unfolded.
func itemHref(number int, item int64) string {
	id := strconv.FormatInt(item, 10)
	return "/meetings/" + strconv.Itoa(number) + "?item=" + id + "#item-" + id
}

type actionsData struct {
	Items  []meeting.Action
	List   listView
	Req    listing.Request
	States []string
	Today  sec.Date
}

func (s *Server) meetingActionsPage(w http.ResponseWriter, r *http.Request) error {
	req, err := meeting.ActionSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportMeetingActions(w, r, req)
	}
	today := s.Meetings.ActionDay()
	p, err := s.Meetings.ActionPage(r.Context(), callerOf(r), req, today)
	if err != nil {
		return err
	}
	d := actionsData{Items: p.Items, Req: req, List: newListView(r, "/meeting-actions", meeting.ActionSpec, req, p, "action", "actions"),
		States: facetEnum(meeting.ActionSpec, "state"), Today: today}
	return s.render(w, r, http.StatusOK, "meeting_actions", s.newPage(r, "Meeting actions", d))
}

type minutesData struct {
	Meeting   meeting.Meeting
	Minutes   []meeting.Minutes
	MayManage bool
}

func (s *Server) minutesPage(w http.ResponseWriter, r *http.Request) error {
	n, err := meetingNumber(r)
	if err != nil {
		return err
	}
	c := callerOf(r)
	m, err := s.Meetings.Get(r.Context(), c, n)
	if err != nil {
		return err
	}
	ms, err := s.Meetings.MinutesOf(r.Context(), c, n)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "meeting_minutes", s.newPage(r, "Minutes of SSC meeting "+strconv.Itoa(n), minutesData{Meeting: m, Minutes: ms, MayManage: meeting.MayManage(c)}))
}

func (s *Server) editMinutesForm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c := callerOf(r)
	cur, err := s.Meetings.GetMinutes(r.Context(), c, id)
	if err != nil {
		return err
	}
	back := "/meetings/" + strconv.Itoa(cur.Meeting) + "/minutes"
	if _, err := s.Meetings.EditMinutes(r.Context(), c, id, r.PostFormValue("body")); err != nil {
		return s.formProblem(w, r, back, err)
	}
	return s.redirect(w, r, back, cur.Label+" saved.")
}

func (s *Server) publicMeetingsPage(w http.ResponseWriter, r *http.Request) error {
	f, err := meetingListFilter(r)
	if err != nil {
		return err
	}
	p, err := s.Meetings.PublicList(r.Context(), f)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "public_meetings", s.newPage(r, "SSC Meeting Headlines", meetingsData{Page: p, Public: true}))
}

func (s *Server) publicHeadlinesPage(w http.ResponseWriter, r *http.Request) error {
	n, err := meetingNumber(r)
	if err != nil {
		return errs.NotFoundf("meeting", r.PathValue("number"))
	}
	h, err := s.Meetings.PublicHeadlines(r.Context(), n)
	if err != nil {
		return err
	}
	p := s.newPage(r, h.Title(), h)
	if p.Signed || p.Flash != "" {
		return s.render(w, r, http.StatusOK, "public_headlines", p)
	}
	// Everyone who is not signed in gets the same page: render it once per
	// revision.
	b, err := s.rendered("html", h, func() ([]byte, error) {
		var buf bytes.Buffer
		err := s.pages.byName["public_headlines"].ExecuteTemplate(&buf, "layout", p)
		return buf.Bytes(), err
	})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(b)
	return err
}

func (s *Server) publicHeadlinesPDF(w http.ResponseWriter, r *http.Request) error {
	n, err := meetingNumber(r)
	if err != nil {
		return errs.NotFoundf("meeting", r.PathValue("number"))
	}
	h, err := s.Meetings.PublicHeadlines(r.Context(), n)
	if err != nil {
		return err
	}
	b, err := s.cachedHeadlinesPDF(h)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="`+h.Reference+`_Headlines.pdf"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, err = w.Write(b)
	return err
}

// cachedHeadlinesPDF renders a meeting's headlines PDF once per revision.
func (s *Server) cachedHeadlinesPDF(h meeting.Headlines) ([]byte, error) {
	return s.rendered("pdf", h, func() ([]byte, error) { return headlinesPDF(h) })
}

// headlinesPDF is the headlines printed by the reports' PDF writer.
func headlinesPDF(h meeting.Headlines) ([]byte, error) {
	at := time.Now().UTC()
	if h.Published {
		at = h.HeldOn.Time()
	}
	return report.HeadlinesPDF(h, at)
}
