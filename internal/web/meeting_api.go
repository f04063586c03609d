package web

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/meeting"
	"github.com/metersec/metersec/internal/sec"
)

// MeetingEventRequest moves a meeting on.
type MeetingEventRequest struct {
	Event string `json:"event"`
}

// PublishRequest publishes a meeting's headlines.
type PublishRequest struct {
	NextMeeting string `json:"next_meeting,omitempty"`
}

// ActionEventRequest moves an action on.
type ActionEventRequest struct {
	Event string `json:"event"`
	Note  string `json:"note,omitempty"`
}

// ApproveRequest approves minutes under a later meeting's item.
type ApproveRequest struct {
	ItemID int64 `json:"item_id"`
}

// EditMinutesRequest replaces a draft's text.
type EditMinutesRequest struct {
	Body string `json:"body"`
}

// CorrectMinutesRequest corrects approved minutes.
type CorrectMinutesRequest struct {
	Body   string `json:"body"`
	Reason string `json:"reason"`
}

// PseudonymRequest sets a party's label by hand.
type PseudonymRequest struct {
	Label string `json:"label"`
}

func (s *Server) meetingRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/meetings", Name: "listMeetings", Summary: "SSC meetings the caller may see (without their items), newest first, a page at a time, with the total; sortable, filtered by state, item type, publication, day held and text, exported as CSV or JSON. " +
			"Since issue 15 the page is {items, total, next_cursor} (formerly {items, total, next} with ?before=).",
			Tag: "meetings", API: true, Params: listParams(meeting.MeetingSpec), Response: listing.Page[meeting.Meeting]{}, Handle: s.apiListMeetings},
		{Method: "POST", Path: "/api/v1/meetings", Name: "createMeeting", Summary: "Plan a meeting (SSC and secretariat).",
			Tag: "meetings", API: true, Request: meeting.NewMeeting{}, Response: meeting.Meeting{}, Status: http.StatusCreated, Handle: s.apiCreateMeeting},
		{Method: "GET", Path: "/api/v1/meetings/{number}", Name: "getMeeting", Summary: "A meeting with the items the caller may see (colour, title, text, decisions, actions, papers, links) and the actions carried into it.",
			Tag: "meetings", API: true, Response: meeting.Meeting{}, Handle: s.apiGetMeeting},
		{Method: "PUT", Path: "/api/v1/meetings/{number}/attendance", Name: "setAttendance", Summary: "Who was present (the readers of the RED items) and who sent apologies, by email.",
			Tag: "meetings", API: true, Request: meeting.Attendance{}, Response: meeting.Meeting{}, Handle: s.apiSetAttendance},
		{Method: "POST", Path: "/api/v1/meetings/{number}/events", Name: "moveMeeting", Summary: "Move a meeting through its lifecycle (event: hold).",
			Tag: "meetings", API: true, Request: MeetingEventRequest{}, Response: meeting.Meeting{}, Handle: s.apiMoveMeeting},
		{Method: "POST", Path: "/api/v1/meetings/{number}/publish", Name: "publishHeadlines", Summary: "Publish a held meeting's headlines: the meeting becomes WHITE and public.",
			Tag: "meetings", API: true, Request: PublishRequest{}, Response: meeting.Meeting{}, Handle: s.apiPublish},
		{Method: "GET", Path: "/api/v1/meetings/{number}/headlines", Name: "previewHeadlines", Summary: "The headlines of a meeting the caller may see, published or not (a preview).",
			Tag: "meetings", API: true, Response: meeting.Headlines{}, Handle: s.apiPreviewHeadlines},
		{Method: "POST", Path: "/api/v1/meetings/{number}/items", Name: "addItem", Summary: "Add an agenda item; its colour (classification) is required.",
			Tag: "meetings", API: true, Request: meeting.NewItem{}, Response: meeting.Item{}, Status: http.StatusCreated, Handle: s.apiAddItem},
		{Method: "GET", Path: "/api/v1/meeting-items/{id}", Name: "getItem", Summary: "An agenda item the caller may see.",
			Tag: "meetings", API: true, Response: meeting.Item{}, Handle: s.apiGetItem},
		{Method: "PATCH", Path: "/api/v1/meeting-items/{id}", Name: "updateItem", Summary: "Edit an item's title, text, discussion or colour.",
			Tag: "meetings", API: true, Request: meeting.ItemChange{}, Response: meeting.Item{}, Handle: s.apiUpdateItem},
		{Method: "POST", Path: "/api/v1/meeting-items/{id}/decisions", Name: "addDecision", Summary: "Record a decision: APPROVED, AGREED or NOTED, with its words.",
			Tag: "meetings", API: true, Request: meeting.NewDecision{}, Response: meeting.Item{}, Status: http.StatusCreated, Handle: s.apiAddDecision},
		{Method: "POST", Path: "/api/v1/meeting-items/{id}/actions", Name: "addAction", Summary: "Record an action (owner, due date); open actions are carried into later meetings.",
			Tag: "meetings", API: true, Request: meeting.NewAction{}, Response: meeting.Item{}, Status: http.StatusCreated, Handle: s.apiAddAction},
		{Method: "POST", Path: "/api/v1/meeting-items/{id}/links", Name: "addItemLink", Summary: "Link a record of another area (vulnerability, arrangement, report, …) the caller may see.",
			Tag: "meetings", API: true, Request: meeting.NewLink{}, Response: meeting.Item{}, Status: http.StatusCreated, Handle: s.apiAddLink},
		{Method: "POST", Path: "/api/v1/meeting-items/{id}/papers", Name: "addPaper", Summary: "Table a paper (the body; ?name= its file name; at most 10 MiB), stored with its SHA-256.",
			Tag: "meetings", API: true, Upload: true, StoredAsSent: true, Params: []Param{{Name: "name", Description: "the file name", Required: true}}, Response: meeting.Paper{}, Status: http.StatusCreated, Handle: s.apiAddPaper},
		{Method: "GET", Path: "/api/v1/meeting-papers/{id}", Name: "downloadPaper", Summary: "A paper, if the caller may see its item.",
			Tag: "meetings", API: true, Handle: s.apiDownloadPaper},
		{Method: "GET", Path: "/api/v1/meeting-actions", Name: "listMeetingActions", Summary: "The action tracker across meetings (or, with meeting=, of one), oldest first, a page at a time, with the total; sortable, filtered by state (open, overdue, done, closed), owner, meeting and due date, exported as CSV or JSON. " +
			"state=overdue lists exactly the actions the dashboard counts as overdue. Since issue 15 the page is {items, total, next_cursor} (formerly ?status= and ?after=).",
			Tag: "meetings", API: true, Params: listParams(meeting.ActionSpec), Response: listing.Page[meeting.Action]{}, Handle: s.apiListActions},
		{Method: "POST", Path: "/api/v1/meeting-actions/{id}/events", Name: "moveMeetingAction", Summary: "Complete, close (with a note) or reopen an action.",
			Tag: "meetings", API: true, Request: ActionEventRequest{}, Response: meeting.Action{}, Handle: s.apiMoveAction},
		{Method: "GET", Path: "/api/v1/meetings/{number}/minutes", Name: "listMinutes", Summary: "The versions of a meeting's minutes the caller may see (Confidential Minutes: RED, the people present), a page at a time, with the total; filtered by kind and state, exported as CSV or JSON.",
			Tag: "meetings", API: true, Params: listParams(meeting.MinutesSpec), Response: listing.Page[meeting.Minutes]{}, Handle: s.apiListMinutes},
		{Method: "POST", Path: "/api/v1/meetings/{number}/minutes", Name: "generateMinutes", Summary: "Generate the Draft Minutes and the Confidential Draft Minutes from the items.",
			Tag: "meetings", API: true, Response: listOf([]meeting.Minutes{}), Status: http.StatusCreated, Handle: s.apiGenerateMinutes},
		{Method: "PUT", Path: "/api/v1/meeting-minutes/{id}", Name: "editMinutes", Summary: "Replace a draft version's text; approved minutes never change.",
			Tag: "meetings", API: true, Request: EditMinutesRequest{}, Response: meeting.Minutes{}, Handle: s.apiEditMinutes},
		{Method: "POST", Path: "/api/v1/meeting-minutes/{id}/approve", Name: "approveMinutes", Summary: "Approve a draft version under a later meeting's minutes-approval item.",
			Tag: "meetings", API: true, Request: ApproveRequest{}, Response: meeting.Minutes{}, Handle: s.apiApproveMinutes},
		{Method: "POST", Path: "/api/v1/meeting-minutes/{id}/corrections", Name: "correctMinutes", Summary: "Correct approved minutes: a new draft version with a reason.",
			Tag: "meetings", API: true, Request: CorrectMinutesRequest{}, Response: meeting.Minutes{}, Status: http.StatusCreated, Handle: s.apiCorrectMinutes},
		{Method: "GET", Path: "/api/v1/pseudonyms", Name: "listPseudonyms", Summary: "The parties' pseudonyms in the public headlines (SSC and secretariat), a page at a time, with the total; sorted by label or organisation, searched, exported as CSV or JSON.",
			Tag: "meetings", API: true, Params: listParams(meeting.PseudonymSpec), Response: listing.Page[meeting.Pseudonym]{}, Handle: s.apiListPseudonyms},
		{Method: "PUT", Path: "/api/v1/pseudonyms/{code}", Name: "setPseudonym", Summary: "Give a party a pseudonym by hand (a clash with another party's is refused).",
			Tag: "meetings", API: true, Request: PseudonymRequest{}, Response: meeting.Pseudonym{}, Handle: s.apiSetPseudonym},

		{Method: "GET", Path: "/api/v1/public/meetings/{number}/headlines", Name: "publicHeadlines", Summary: "A meeting's published headlines (WHITE), without sign-in.",
			Tag: "public", API: true, Access: Public, Response: meeting.Headlines{}, Handle: s.apiPublicHeadlines},
	}
}

func (s *Server) apiListMeetings(w http.ResponseWriter, r *http.Request) error {
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
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiCreateMeeting(w http.ResponseWriter, r *http.Request) error {
	var in meeting.NewMeeting
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := s.Meetings.Create(r.Context(), callerOf(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, m)
}

func (s *Server) apiGetMeeting(w http.ResponseWriter, r *http.Request) error {
	n, err := meetingNumber(r)
	if err != nil {
		return err
	}
	m, err := s.Meetings.Get(r.Context(), callerOf(r), n)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, m)
}

func (s *Server) apiSetAttendance(w http.ResponseWriter, r *http.Request) error {
	n, err := meetingNumber(r)
	if err != nil {
		return err
	}
	var in meeting.Attendance
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := s.Meetings.SetAttendance(r.Context(), callerOf(r), n, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, m)
}

func (s *Server) apiMoveMeeting(w http.ResponseWriter, r *http.Request) error {
	n, err := meetingNumber(r)
	if err != nil {
		return err
	}
	var in MeetingEventRequest
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := s.Meetings.Transition(r.Context(), callerOf(r), n, sec.MeetingEvent(in.Event))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, m)
}

func (s *Server) apiPublish(w http.ResponseWriter, r *http.Request) error {
	n, err := meetingNumber(r)
	if err != nil {
		return err
	}
	var in PublishRequest
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := s.Meetings.Publish(r.Context(), callerOf(r), n, in.NextMeeting)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, m)
}

func (s *Server) apiPreviewHeadlines(w http.ResponseWriter, r *http.Request) error {
	n, err := meetingNumber(r)
	if err != nil {
		return err
	}
	h, err := s.Meetings.HeadlinesFor(r.Context(), callerOf(r), n)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h)
}

func (s *Server) apiAddItem(w http.ResponseWriter, r *http.Request) error {
	n, err := meetingNumber(r)
	if err != nil {
		return err
	}
	var in meeting.NewItem
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	it, err := s.Meetings.AddItem(r.Context(), callerOf(r), n, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, it)
}

func (s *Server) apiGetItem(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	it, err := s.Meetings.Item(r.Context(), callerOf(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, it)
}

func (s *Server) apiUpdateItem(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in meeting.ItemChange
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	it, err := s.Meetings.UpdateItem(r.Context(), callerOf(r), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, it)
}

func (s *Server) apiAddDecision(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in meeting.NewDecision
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	it, err := s.Meetings.AddDecision(r.Context(), callerOf(r), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, it)
}

func (s *Server) apiAddAction(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in meeting.NewAction
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	it, err := s.Meetings.AddAction(r.Context(), callerOf(r), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, it)
}

func (s *Server) apiAddLink(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in meeting.NewLink
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	it, err := s.Meetings.AddLink(r.Context(), callerOf(r), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, it)
}

func (s *Server) apiAddPaper(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	body := http.MaxBytesReader(w, r.Body, meeting.MaxPaperSize+1)
	defer body.Close()
	p, err := s.Meetings.AddPaper(r.Context(), callerOf(r), id, r.URL.Query().Get("name"), body)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, p)
}

// apiDownloadPaper serves a paper as an attachment of the type its content
// was recognised as, never rendered by the browser.
func (s *Server) apiDownloadPaper(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, content, err := s.Meetings.PaperFile(r.Context(), callerOf(r), id)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", p.MediaType)
	h.Set("Content-Disposition", `attachment; filename="paper-`+strconv.FormatInt(p.ID, 10)+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(content)))
	_, err = w.Write(content)
	return err
}

func (s *Server) apiListActions(w http.ResponseWriter, r *http.Request) error {
	req, err := meeting.ActionSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportMeetingActions(w, r, req)
	}
	p, err := s.Meetings.ActionPage(r.Context(), callerOf(r), req, s.Meetings.ActionDay())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiMoveAction(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in ActionEventRequest
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	a, err := s.Meetings.MoveAction(r.Context(), callerOf(r), id, sec.ActionEvent(in.Event), in.Note)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

func (s *Server) apiListMinutes(w http.ResponseWriter, r *http.Request) error {
	n, err := meetingNumber(r)
	if err != nil {
		return err
	}
	req, err := meeting.MinutesSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportMinutes(w, r, n, req)
	}
	p, err := s.Meetings.MinutesPage(r.Context(), callerOf(r), n, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiGenerateMinutes(w http.ResponseWriter, r *http.Request) error {
	n, err := meetingNumber(r)
	if err != nil {
		return err
	}
	ms, err := s.Meetings.GenerateMinutes(r.Context(), callerOf(r), n)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, listOf(ms))
}

func (s *Server) apiEditMinutes(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in EditMinutesRequest
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := s.Meetings.EditMinutes(r.Context(), callerOf(r), id, in.Body)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, m)
}

func (s *Server) apiApproveMinutes(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in ApproveRequest
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := s.Meetings.ApproveMinutes(r.Context(), callerOf(r), id, in.ItemID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, m)
}

func (s *Server) apiCorrectMinutes(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in CorrectMinutesRequest
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := s.Meetings.CorrectMinutes(r.Context(), callerOf(r), id, in.Body, in.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, m)
}

func (s *Server) apiListPseudonyms(w http.ResponseWriter, r *http.Request) error {
	req, err := meeting.PseudonymSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	c := callerOf(r)
	if req.Exporting() {
		return writeExport(w, req, "pseudonyms", meeting.PseudonymCSVHeader, func(lw listing.Writer) error {
			return s.Meetings.ExportPseudonyms(r.Context(), c, req, lw)
		})
	}
	p, err := s.Meetings.PseudonymPage(r.Context(), c, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiSetPseudonym(w http.ResponseWriter, r *http.Request) error {
	var in PseudonymRequest
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.Meetings.SetPseudonym(r.Context(), callerOf(r), r.PathValue("code"), in.Label)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiPublicHeadlines(w http.ResponseWriter, r *http.Request) error {
	n, err := meetingNumber(r)
	if err != nil {
		return err
	}
	h, err := s.Meetings.PublicHeadlines(r.Context(), n)
	if err != nil {
		return err
	}
	b, err := s.rendered("json", h, func() ([]byte, error) {
		b, err := json.MarshalIndent(h, "", "  ")
		return append(b, '\n'), err
	})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(b)
	return err
}
