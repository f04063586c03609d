package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/advisory"
	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/uk"
	"github.com/metersec/metersec/internal/vuln"
)

// Pages.

type vulnsData struct {
	Items      []vuln.Summary
	List       listView
	Req        listing.Request
	States     []sec.VulnState
	Severities []string
	Classes    []sec.Classification
	MayReport  bool
	IsSSC      bool
	CSRF       string
}

// mayReport asks the vulnerability service whether the caller may report.
func mayReport(r *http.Request) bool { return vuln.MayReport(callerOf(r)) }

func (s *Server) vulnsPage(w http.ResponseWriter, r *http.Request) error {
	req, err := vuln.ListSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return writeExport(w, req, "vulnerabilities", vuln.CSVHeader, func(lw listing.Writer) error {
			return s.Vulns.Export(r.Context(), callerOf(r), req, lw)
		})
	}
	pg := s.newPage(r, "Vulnerabilities", nil)
	data, err := s.vulnsData(r, req, pg.CSRF)
	if err != nil {
		return err
	}
	data.IsSSC = vuln.MayOversee(callerOf(r))
	pg.Data = data
	return s.render(w, r, http.StatusOK, "vulns", pg)
}

// vulnsData is one page of the vulnerability list for req.
func (s *Server) vulnsData(r *http.Request, req listing.Request, csrf string) (vulnsData, error) {
	p, err := s.Vulns.Page(r.Context(), callerOf(r), req)
	if err != nil {
		return vulnsData{}, err
	}
	return vulnsData{Items: p.Items, List: newListView(r, "/vulnerabilities", vuln.ListSpec, req, p, "vulnerability", "vulnerabilities"),
		Req: req, States: sec.VulnLifecycle.States(), Severities: vuln.Severities, Classes: sec.Classifications,
		MayReport: mayReport(r), CSRF: csrf}, nil
}

// vulnFormData fills the report and edit forms.
type vulnFormData struct {
	CSRF           string
	New            bool
	Ref            string
	Title          string
	Description    string
	Mitigation     string
	Manufacturer   string
	Affected       string
	CVSS           string
	CVEs           string
	Material       string // "", "true", "false"
	Rationale      string
	Classification string
	DiscoveredOn   string
	Reason         string
	Classes        []sec.Classification
	IsManufacturer bool
}

func (s *Server) newVulnPage(w http.ResponseWriter, r *http.Request) error {
	if !mayReport(r) {
		return errs.E(errs.Forbidden, "vulnerabilities are reported by manufacturers, Suppliers, the DCC and the SSC")
	}
	pg := s.newPage(r, "Report a vulnerability", nil)
	pg.Data = vulnFormData{CSRF: pg.CSRF, New: true, Classification: "AMBER", Classes: sec.Classifications,
		IsManufacturer: vuln.ReportsOwnProducts(callerOf(r))}
	return s.render(w, r, http.StatusOK, "vuln_form", pg)
}

func formData(r *http.Request) vulnFormData {
	r.ParseForm()
	g := r.PostFormValue
	return vulnFormData{Title: g("title"), Description: g("description"), Mitigation: g("mitigation"), Manufacturer: g("manufacturer"),
		Affected: g("affected"), CVSS: g("cvss"), CVEs: g("cves"), Material: g("material"), Rationale: g("materiality_rationale"),
		Classification: g("classification"), DiscoveredOn: g("discovered_on"), Reason: g("reason"), Classes: sec.Classifications,
		IsManufacturer: vuln.ReportsOwnProducts(callerOf(r))}
}

func splitCVEs(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

func (s *Server) reportVulnForm(w http.ResponseWriter, r *http.Request) error {
	fd := formData(r)
	fd.New = true
	in := vuln.NewVulnerability{Title: fd.Title, Description: fd.Description, Mitigation: fd.Mitigation, Manufacturer: fd.Manufacturer,
		CVSS: fd.CVSS, CVEs: splitCVEs(fd.CVEs), MaterialityRationale: fd.Rationale, Classification: fd.Classification}
	err := func() error {
		var err error
		if in.Affected, err = vuln.ParseAffectedLines(fd.Affected); err != nil {
			return err
		}
		if fd.Material != "" {
			m := fd.Material == "true"
			in.Material = &m
		}
		if fd.DiscoveredOn != "" {
			if in.DiscoveredOn, err = sec.ParseDate(fd.DiscoveredOn); err != nil {
				return errs.FieldError("discovered_on", "%v", err)
			}
		}
		v, err := s.Vulns.Report(r.Context(), callerOf(r), in)
		if err != nil {
			return err
		}
		return s.redirect(w, r, "/vulnerabilities/"+v.Ref, "Reported as "+v.Ref+".")
	}()
	if err == nil {
		return nil
	}
	if e := errs.As(err); e.Code != errs.Invalid {
		return err
	}
	pg := s.newPage(r, "Report a vulnerability", nil)
	fd.CSRF = pg.CSRF
	pg.Data = fd
	pg.formErrors(err)
	return s.render(w, r, s.problemFor(r, err).Status, "vuln_form", pg)
}

func (s *Server) editVulnPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.Vulns.Get(r.Context(), callerOf(r), r.PathValue("ref"))
	if err != nil {
		return err
	}
	if !vuln.MayEdit(v) {
		return errs.E(errs.Forbidden, "only the reporter, the manufacturer and the SSC may change %s, while it is open", v.Ref)
	}
	pg := s.newPage(r, "Change "+v.Ref, nil)
	pg.Data = vulnFormData{CSRF: pg.CSRF, Ref: v.Ref, Title: v.Title, Description: v.Description, Mitigation: v.Mitigation,
		Affected: vuln.FormatAffected(v.Affected), CVSS: cvssText(v.CVSS), CVEs: strings.Join(v.CVEs, ", "),
		Classification: string(v.Classification), DiscoveredOn: v.DiscoveredOn.String(), Classes: sec.Classifications}
	return s.render(w, r, http.StatusOK, "vuln_form", pg)
}

func cvssText(c *advisory.CVSS) string {
	if c == nil {
		return ""
	}
	return c.Vector
}

func (s *Server) updateVulnForm(w http.ResponseWriter, r *http.Request) error {
	ref := r.PathValue("ref")
	fd := formData(r)
	fd.Ref = ref
	err := func() error {
		affected, err := vuln.ParseAffectedLines(fd.Affected)
		if err != nil {
			return err
		}
		cves := splitCVEs(fd.CVEs)
		in := vuln.Update{Title: &fd.Title, Description: &fd.Description, Mitigation: &fd.Mitigation, CVSS: &fd.CVSS,
			CVEs: &cves, Classification: &fd.Classification, Reason: fd.Reason, Affected: &affected}
		if fd.DiscoveredOn != "" {
			d, err := sec.ParseDate(fd.DiscoveredOn)
			if err != nil {
				return errs.FieldError("discovered_on", "%v", err)
			}
			in.DiscoveredOn = &d
		}
		if _, err := s.Vulns.Update(r.Context(), callerOf(r), ref, in); err != nil {
			return err
		}
		return s.redirect(w, r, "/vulnerabilities/"+url.PathEscape(strings.ToUpper(ref)), "Saved.")
	}()
	if err == nil {
		return nil
	}
	if e := errs.As(err); e.Code != errs.Invalid {
		return err
	}
	pg := s.newPage(r, "Change "+ref, nil)
	fd.CSRF = pg.CSRF
	pg.Data = fd
	pg.formErrors(err)
	return s.render(w, r, s.problemFor(r, err).Status, "vuln_form", pg)
}

// action is a lifecycle button.
type action struct {
	Event     string
	Label     string
	NeedsNote bool
	// Everyone: the event tells every recipient, so the form asks for a
	// confirmation first.
	Everyone bool
}

var eventLabels = map[sec.VulnEvent]string{
	sec.VulnEventTriage:           "Judge material (triage)",
	sec.VulnEventMarkNotMaterial:  "Judge not material and close",
	sec.VulnEventNotifySSC:        "Record that the SSC has been notified",
	sec.VulnEventStartRemediation: "Start remediation",
	sec.VulnEventRectify:          "Mark rectified",
	sec.VulnEventMitigate:         "Mark mitigated",
	sec.VulnEventClose:            "Close",
	sec.VulnEventReopen:           "Reopen",
}

type vulnData struct {
	V          vuln.Vulnerability
	Summary    vuln.RecipientSummary
	Recipients vuln.RecipientPage
	Status     vuln.RecipientStatus // the filter of the recipient list
	Statuses   []vuln.RecipientStatus
	After      int64 // the recipient list's cursor, 0 on its first page
	Timeline   []timelineGroup
	Plans      []vuln.Plan
	Actions    []action
	Own        []vuln.Recipient // the caller's organisation's rows
	MayAck     bool
	MayPlan    bool
	OwnPlan    *vuln.Plan
	MayEdit    bool
	MayExport  bool // a Supplier's export of its own affected Devices
	// NextReminder is when the caller's organisation is next reminded to
	// acknowledge (the SEC sets no deadline; this is the nudge).
	NextReminder string
	// PlanDue and PlanUpdate are the earliest declared completion and next
	// update among the plans the caller may see that are not completed.
	PlanDue, PlanUpdate sec.Date
	// EmailServer: this server sends email; without one, pending email
	// waits in the queue and the page says why.
	EmailServer bool
	Statements  []vuln.Statement
	CSRF        string
	Today       string
}

// timelineGroup is a run of like entries shown as one line that opens to
// at most timelineShown of them, so a fan-out to thousands of
// organisations stays one line and a bounded page.
type timelineGroup struct {
	vuln.TimelineGroup
	Shown []vuln.Event
	More  int
}

const timelineShown = 25

// recipientsShown is one page of the recipient list: 25 rows keep the page
// within 5,000 px at 1366 px wide with the facts, plans and timeline above
// and below it.
const recipientsShown = 25

func (s *Server) vulnPage(w http.ResponseWriter, r *http.Request) error {
	return s.showVuln(w, r, http.StatusOK, nil)
}

func (s *Server) showVuln(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	c := callerOf(r)
	ref := r.PathValue("ref")
	q := r.URL.Query()
	var v vuln.Vulnerability
	var err error
	if formErr == nil {
		v, err = s.Vulns.Open(r.Context(), c, ref)
	} else {
		v, err = s.Vulns.Get(r.Context(), c, ref)
	}
	if err != nil {
		return err
	}
	now := time.Now()
	d := vulnData{V: v, Statements: vuln.Statements, Today: sec.UKDay(now).String(), Statuses: vuln.RecipientStatuses,
		EmailServer: s.EmailServer}
	if d.Status, err = vuln.ParseRecipientStatus(q.Get("status")); err != nil {
		return err
	}
	if a := q.Get("after"); a != "" {
		if d.After, err = strconv.ParseInt(a, 10, 64); err != nil || d.After < 0 {
			return errs.FieldError("after", "must be a recipient id from a next-page link")
		}
	}
	if d.Summary, err = s.Vulns.RecipientSummary(r.Context(), c, v.Ref, now); err != nil {
		return err
	}
	if d.Recipients, err = s.Vulns.RecipientsPaged(r.Context(), c, v.Ref, vuln.RecipientQuery{Status: d.Status, After: d.After, Limit: recipientsShown}, now); err != nil {
		return err
	}
	if d.Own, err = s.Vulns.OwnRecipients(r.Context(), c, v.Ref); err != nil {
		return err
	}
	timeline, err := s.Vulns.Timeline(r.Context(), c, v.Ref)
	if err != nil {
		return err
	}
	for _, g := range vuln.GroupTimeline(timeline, uk.London) {
		tg := timelineGroup{TimelineGroup: g, Shown: g.Entries}
		if len(g.Entries) > timelineShown {
			tg.Shown, tg.More = g.Entries[:timelineShown], len(g.Entries)-timelineShown
		}
		d.Timeline = append(d.Timeline, tg)
	}
	if d.Plans, err = s.Vulns.Plans(r.Context(), c, v.Ref); err != nil {
		return err
	}
	d.MayAck, d.MayPlan, d.MayEdit, d.MayExport = vuln.MayAcknowledge(v, d.Own), vuln.MayPlan(v), vuln.MayEdit(v), vuln.MayExportDevices(v)
	for _, rec := range d.Own {
		if rec.AwaitsAck && !v.State.IsClosed() {
			since := rec.NotifiedAt
			if rec.LastRemindedAt != nil {
				since = rec.LastRemindedAt
			}
			if since != nil {
				d.NextReminder = uk.Date(since.AddDate(0, 0, d.Summary.AckReminderDays))
			}
		}
	}
	for i := range d.Plans {
		p := &d.Plans[i]
		if p.Owner.Code == c.OrgCode {
			d.OwnPlan = p
		}
		if p.State == sec.PlanStateCompleted {
			continue
		}
		if !p.DeclaredCompletion.IsZero() && (d.PlanDue.IsZero() || p.DeclaredCompletion.Before(d.PlanDue)) {
			d.PlanDue = p.DeclaredCompletion
		}
		if !p.NextUpdateDue.IsZero() && (d.PlanUpdate.IsZero() || p.NextUpdateDue.Before(d.PlanUpdate)) {
			d.PlanUpdate = p.NextUpdateDue
		}
	}
	for _, e := range v.Events {
		d.Actions = append(d.Actions, action{Event: string(e), Label: eventLabels[e], NeedsNote: vuln.NeedsNote(e), Everyone: vuln.AffectsEveryone(e)})
	}
	pg := s.newPage(r, v.Ref+": "+v.Title, nil)
	d.CSRF = pg.CSRF
	pg.Data = d
	if formErr != nil {
		pg.formErrors(formErr)
	}
	return s.render(w, r, status, "vuln", pg)
}

// formResult re-renders the vulnerability page with the problem when a form
// was refused for its content or the state, and passes other errors on.
func (s *Server) formResult(w http.ResponseWriter, r *http.Request, err error, flash string) error {
	if err == nil {
		return s.redirect(w, r, "/vulnerabilities/"+url.PathEscape(strings.ToUpper(r.PathValue("ref"))), flash)
	}
	switch errs.CodeOf(err) {
	case errs.Invalid, errs.Conflict, errs.Forbidden:
		// The page shows only what the caller may see, and a 404 stays a
		// 404 (Get inside showVuln).
		return s.showVuln(w, r, s.problemFor(r, err).Status, err)
	}
	return err
}

// vulnConfirmData is the confirmation step of a state change that tells every
// recipient.
type vulnConfirmData struct {
	V       vuln.Vulnerability
	Action  action
	Note    string
	Summary vuln.RecipientSummary
	CSRF    string
}

func (s *Server) vulnEventForm(w http.ResponseWriter, r *http.Request) error {
	ev := sec.VulnEvent(r.PostFormValue("event"))
	if vuln.AffectsEveryone(ev) && r.PostFormValue("confirm") != "yes" {
		c := callerOf(r)
		v, err := s.Vulns.Get(r.Context(), c, r.PathValue("ref"))
		if err != nil {
			return err
		}
		if !slices.Contains(v.Events, ev) {
			_, err := s.Vulns.Transition(r.Context(), c, v.Ref, vuln.TransitionInput{Event: ev, Note: r.PostFormValue("note")})
			return s.formResult(w, r, err, "")
		}
		sum, err := s.Vulns.RecipientSummary(r.Context(), c, v.Ref, time.Now())
		if err != nil {
			return err
		}
		pg := s.newPage(r, "Confirm: "+eventLabels[ev], nil)
		pg.Data = vulnConfirmData{V: v, Action: action{Event: string(ev), Label: eventLabels[ev], NeedsNote: vuln.NeedsNote(ev), Everyone: true},
			Note: r.PostFormValue("note"), Summary: sum, CSRF: pg.CSRF}
		return s.render(w, r, http.StatusOK, "vuln_confirm", pg)
	}
	_, err := s.Vulns.Transition(r.Context(), callerOf(r), r.PathValue("ref"),
		vuln.TransitionInput{Event: sec.VulnEvent(r.PostFormValue("event")), Note: r.PostFormValue("note")})
	return s.formResult(w, r, err, "Done.")
}

func (s *Server) ackForm(w http.ResponseWriter, r *http.Request) error {
	_, err := s.Vulns.Acknowledge(r.Context(), callerOf(r), r.PathValue("ref"),
		vuln.AckInput{Statement: vuln.Statement(r.PostFormValue("statement")), Justification: r.PostFormValue("justification")})
	return s.formResult(w, r, err, "Acknowledged.")
}

func formDate(r *http.Request, field string) (sec.Date, error) {
	return optDate(field, r.PostFormValue(field))
}

func (s *Server) planForm(w http.ResponseWriter, r *http.Request) error {
	d, err := formDate(r, "declared_completion")
	if err == nil {
		_, err = s.Vulns.SavePlan(r.Context(), callerOf(r), r.PathValue("ref"),
			vuln.PlanInput{Steps: r.PostFormValue("steps"), DeclaredCompletion: d, Submit: r.PostFormValue("submit") == "true"})
	}
	flash := "Plan saved as a draft."
	if r.PostFormValue("submit") == "true" {
		flash = "Plan submitted to the SSC."
	}
	return s.formResult(w, r, err, flash)
}

func (s *Server) planEventForm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in := vuln.PlanEventInput{Event: sec.PlanEvent(r.PostFormValue("event")), Steps: r.PostFormValue("steps"),
		Reason: r.PostFormValue("reason"), Note: r.PostFormValue("note")}
	if in.DeclaredCompletion, err = formDate(r, "declared_completion"); err == nil {
		if in.NextUpdateDue, err = formDate(r, "next_update_due"); err == nil {
			_, err = s.Vulns.PlanTransition(r.Context(), callerOf(r), r.PathValue("ref"), id, in)
		}
	}
	return s.formResult(w, r, err, "Plan "+strings.ReplaceAll(string(in.Event), "_", " ")+": done.")
}

func (s *Server) importCSAFForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, advisory.MaxCSAFSize+64<<10)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		if mbe := new(http.MaxBytesError); errors.As(err, &mbe) {
			return errs.E(errs.TooLarge, "the file is larger than %d MiB", advisory.MaxCSAFSize>>20)
		}
		return errs.E(errs.Invalid, "send the advisory as a file in a form")
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		return errs.FieldError("file", "choose a CSAF JSON file")
	}
	defer file.Close()
	body, err := openUpload(file, true)
	if err != nil {
		return err
	}
	opt := vuln.ImportOptions{Manufacturer: r.FormValue("manufacturer")}
	res, err := s.Vulns.ImportCSAF(r.Context(), callerOf(r), body, opt)
	if err != nil {
		if c := errs.CodeOf(err); c == errs.Invalid || c == errs.TooLarge {
			pg := s.newPage(r, "Vulnerabilities", nil)
			data, lerr := s.vulnsData(r, vuln.ListSpec.First(), pg.CSRF)
			if lerr != nil {
				return lerr
			}
			data.IsSSC = vuln.MayOversee(callerOf(r))
			pg.Data = data
			pg.formErrors(err)
			return s.render(w, r, s.problemFor(r, err).Status, "vulns", pg)
		}
		return err
	}
	msg := "Imported as " + res.Vulnerability.Ref + "."
	if n := len(res.Report.Unmapped); n > 0 {
		msg += " " + strconv.Itoa(n) + " products could not be mapped: see the import report."
	}
	return s.redirect(w, r, "/vulnerabilities/"+res.Vulnerability.Ref, msg)
}

// overviewShown is how many overdue plans and open vulnerabilities the
// overview shows before linking to the rest.
const overviewShown = 10

// overviewData is the SSC's overview: counts first, the most pressing
// overdue plans and open vulnerabilities, and the acknowledgements awaited
// as a paged list.
type overviewData struct {
	vuln.Overview
	// Overdue and OpenShown are the first overviewShown of each.
	Overdue   []vuln.OverduePlan
	OpenShown []vuln.Summary
	OpenTotal int64
	Awaiting  listing.Page[vuln.Unacknowledged]
	List      listView
	Req       listing.Request
	Roles     []vuln.Role
}

func (s *Server) vulnOverviewPage(w http.ResponseWriter, r *http.Request) error {
	c, now := callerOf(r), time.Now()
	req, err := vuln.AwaitingSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return writeExport(w, req, "acknowledgements-awaited", vuln.AwaitingCSVHeader, func(lw listing.Writer) error {
			return s.Vulns.ExportAwaiting(r.Context(), c, req, now, lw)
		})
	}
	o, err := s.Vulns.Overview(r.Context(), c, now)
	if err != nil {
		return err
	}
	d := overviewData{Overview: o, Req: req, Roles: []vuln.Role{vuln.RoleSupplier, vuln.RoleDCC, vuln.RoleManufacturer}}
	d.Overdue = o.OverduePlans[:min(len(o.OverduePlans), overviewShown)]
	d.OpenShown = o.Open[:min(len(o.Open), overviewShown)]
	for _, st := range sec.VulnLifecycle.States() {
		if !st.IsClosed() {
			d.OpenTotal += int64(o.ByState[string(st)])
		}
	}
	if d.Awaiting, err = s.Vulns.AwaitingPage(r.Context(), c, req, now); err != nil {
		return err
	}
	d.List = newListView(r, "/vulnerabilities/overview", vuln.AwaitingSpec, req, d.Awaiting, "acknowledgement awaited", "acknowledgements awaited")
	return s.render(w, r, http.StatusOK, "vuln_overview", s.newPage(r, "Vulnerability overview", d))
}

type inboxData struct {
	// View is "notices" (grouped by subject, or one subject's notices when
	// Subject is set) or "vulnerabilities".
	View    string
	Subject string
	Vulns   vuln.InboxPage
	Groups  []delivery.NoticeGroup
	Notices []delivery.InboxNotice
	List    listView
	Req     listing.Request
	States  []sec.VulnState
	Unread  int
	CSRF    string
}

// inboxPage is the organisation's inbox (issue 15 point 3), one page at a
// time: its notices grouped by subject (delivery's, with the caller's read
// marks), one subject's notices, or the vulnerabilities it was told of with
// what it still owes.
func (s *Server) inboxPage(w http.ResponseWriter, r *http.Request) error {
	c := callerOf(r)
	q := r.URL.Query()
	d := inboxData{View: q.Get("view"), Subject: q.Get("subject"), States: sec.VulnLifecycle.States()}
	switch d.View {
	case "", "notices":
		d.View = "notices"
	case "vulnerabilities":
	default:
		return errs.FieldError("view", "must be notices or vulnerabilities")
	}
	var err error
	if d.View == "vulnerabilities" {
		if d.Req, err = vuln.InboxSpec.Parse(q); err != nil {
			return err
		}
		if d.Req.Exporting() {
			return writeExport(w, d.Req, "inbox-vulnerabilities", vuln.InboxCSVHeader, func(lw listing.Writer) error {
				return s.Vulns.ExportInbox(r.Context(), c, d.Req, lw)
			})
		}
		if d.Vulns, err = s.Vulns.Inbox(r.Context(), c, d.Req); err != nil {
			return err
		}
		d.List = newListView(r, "/inbox", vuln.InboxSpec, d.Req, d.Vulns.Page, "vulnerability", "vulnerabilities")
	} else if d.Vulns, err = s.Vulns.Inbox(r.Context(), c, vuln.InboxSpec.First()); err != nil {
		return err
	}
	if c.UserID != 0 && c.OrgID != 0 {
		box := s.Delivery
		if d.Unread, err = box.UnreadCount(r.Context(), c); err != nil {
			return err
		}
		switch {
		case d.View == "notices" && d.Subject != "":
			if d.Req, err = delivery.NoticeSpec.Parse(q); err != nil {
				return err
			}
			if d.Req.Exporting() {
				return writeExport(w, d.Req, "notices", delivery.NoticeCSVHeader, func(lw listing.Writer) error {
					return box.ExportNotices(r.Context(), c, d.Req, lw)
				})
			}
			p, err := box.Notices(r.Context(), c, d.Req)
			if err != nil {
				return err
			}
			d.Notices, d.List = p.Items, newListView(r, "/inbox", delivery.NoticeSpec, d.Req, p, "notice", "notices")
		case d.View == "notices":
			if d.Req, err = delivery.NoticeGroupSpec.Parse(q); err != nil {
				return err
			}
			if d.Req.Exporting() {
				return s.exportNoticesOf(w, r)
			}
			p, err := box.NoticeGroups(r.Context(), c, d.Req)
			if err != nil {
				return err
			}
			d.Groups, d.List = p.Items, newListView(r, "/inbox", delivery.NoticeGroupSpec, d.Req, p, "subject", "subjects")
		}
	}
	pg := s.newPage(r, "Inbox", nil)
	d.CSRF = pg.CSRF
	pg.Data = d
	return s.render(w, r, http.StatusOK, "vuln_inbox", pg)
}

func (s *Server) markAllReadForm(w http.ResponseWriter, r *http.Request) error {
	n, err := s.Delivery.MarkAllRead(r.Context(), callerOf(r))
	if err != nil {
		return err
	}
	return s.redirect(w, r, "/inbox", strconv.Itoa(n)+" notices marked read.")
}

func (s *Server) openNotice(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	box := s.Delivery
	n, err := box.Notice(r.Context(), callerOf(r), id)
	if err != nil {
		return err
	}
	if _, err := box.MarkRead(r.Context(), callerOf(r), id); err != nil {
		return err
	}
	to := n.Link
	if !strings.HasPrefix(to, "/") || strings.HasPrefix(to, "//") {
		to = "/inbox" // only links within metersec
	}
	return s.redirect(w, r, to, "")
}
