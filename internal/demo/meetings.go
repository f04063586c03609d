package demo

import (
	"context"
	"fmt"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/meeting"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/vuln"
)

// demoItem is an agenda item of a demo meeting, with what was decided and
// the actions that arose.
type demoItem struct {
	typ, colour, title, text, discussion, party string
	decisions                                   [][2]string // verb, words
	actions                                     []demoAction
	linkVuln                                    bool
}

type demoAction struct {
	text, owner string
	dueDays     int  // after the meeting
	done        bool // completed by the next meeting
}

// seedMeetings holds three past SSC meetings, a fortnight apart, with items
// of every colour and type in the style of seeds/003: the first two have
// their minutes approved by the next; the last's minutes are in draft; every
// meeting's headlines are published; some actions were done and some are
// open and carried. The chair and the secretariat were present (the readers
// of RED items); the other member sent apologies to the first.
func seedMeetings(ctx context.Context, db *store.DB, sys access.Caller, today sec.Date) error {
	svc := meeting.NewService(db)
	vulns, err := vuln.NewService(db, nil).List(ctx, sys, vuln.Filter{Open: true, Limit: 3})
	if err != nil {
		return err
	}
	meetings := []struct {
		number  int
		daysAgo int
		place   string
		items   []demoItem
	}{
		{301, 42, "Secretariat Office, London", []demoItem{
			{typ: "matters_arising", colour: "GREEN", title: "Supplier of Last Resort activities",
				text: "The DCC Representative provided an update on the Supplier of Last Resort activities following a Supplier's failure.", decisions: [][2]string{{"NOTED", "the update."}}},
			{typ: "minutes_approval", colour: "GREEN", title: "Minutes and Actions Outstanding",
				text: "No comments were received on the Draft Minutes of the previous meeting.", decisions: [][2]string{{"APPROVED", "the Draft Minutes and the Confidential Draft Minutes as written."}}},
			{typ: "fusa", colour: "RED", title: "Full User Security Assessment of Larkspur Energy", party: "LRKL",
				text: "The User CIO presented the FUSA report.", discussion: "Two findings on vulnerability management; the Supplier's response was considered.",
				decisions: [][2]string{{"AGREED", "the Assurance Status: Approved subject to a remediation plan."}},
				actions:   []demoAction{{text: "Send the Assurance Status letter to the Supplier.", owner: "Secretariat", dueDays: 7, done: true}}},
			{typ: "vusa", colour: "RED", title: "Verification User Security Assessment of Kestrel Markets", party: "KSTM",
				text: "The VUSA report was considered.", decisions: [][2]string{{"AGREED", "the Compliance Status."}}},
			{typ: "self_assessment", colour: "RED", title: "Security Self-Assessment of Aldermoor Energy", party: "ALDM",
				text: "The Self-Assessment declaration was considered.", decisions: [][2]string{{"NOTED", "the Self-Assessment."}}},
			{typ: "remediation_plan", colour: "RED", title: "Remediation Plan progress: Kestrel Markets", party: "KSTM",
				text: "Progress against the Remediation Plan was reviewed.", decisions: [][2]string{{"NOTED", "the contents."}, {"AGREED", "the date of the next progress update."}},
				actions: []demoAction{{text: "Kestrel Markets to provide the next progress update.", owner: "KSTM", dueDays: 56}}},
			{typ: "directors_letter", colour: "RED", title: "Directors' Letter: Larkspur Energy", party: "LRKL",
				text: "The SSC considered the Directors' Letter provided.", decisions: [][2]string{{"APPROVED", "the Directors' Letter."}}},
			{typ: "standing_report", colour: "RED", title: "Standing Agenda Items",
				text:      "Conditional CPA certificates; anomaly detection; shared resource notifications; security incidents and vulnerabilities.",
				decisions: [][2]string{{"NOTED", "the updates."}}, linkVuln: true},
			{typ: "query", colour: "RED", title: "Query from Aldermoor Energy on a second User System", party: "ALDM",
				text: "The Supplier asked whether a new User System needs notice to the SSC.", decisions: [][2]string{{"AGREED", "there were no security implications arising from the query."}}},
			{typ: "modification_update", colour: "WHITE", title: "SEC Modifications Update",
				text:      "The Working Group reviewed revised legal text for the weighting of domestic and non-domestic meters in the FUSA trigger.",
				decisions: [][2]string{{"NOTED", "the text."}, {"AGREED", "the revised legal text reflected the SSC view."}}},
			{typ: "aob", colour: "AMBER", title: "Anomaly detection thresholds for Aldermoor Energy", party: "ALDM",
				text:      "The DCC presented updates to the outstanding actions from the anomaly detection workshop.",
				decisions: [][2]string{{"NOTED", "the updates."}, {"AGREED", "next steps."}},
				actions:   []demoAction{{text: "DCC to circulate revised anomaly detection thresholds.", owner: "DCC", dueDays: 21}}},
		}},
		{302, 28, "Teleconference", []demoItem{
			{typ: "minutes_approval", colour: "GREEN", title: "Minutes and Actions Outstanding",
				text: "Outstanding actions were marked as complete or on target.", decisions: [][2]string{{"APPROVED", "the Draft Minutes and the Confidential Draft Minutes of meeting 301."}}},
			{typ: "self_assessment", colour: "GREEN", title: "Security Controls Framework: Self-Assessment questions",
				text:      "Revised questions for the Self-Assessment declaration form were reviewed: vulnerability management, personnel screening, security training, anomaly detection thresholds, duty to notify and to be notified.",
				decisions: [][2]string{{"AGREED", "to include the revised questions in the Security Controls Framework."}},
				actions:   []demoAction{{text: "Publish the revised Security Controls Framework.", owner: "Secretariat", dueDays: 30}}},
			{typ: "directors_letter", colour: "RED", title: "Directors' Letter: Kestrel Markets", party: "KSTM",
				text: "The SSC considered the Directors' Letter provided.", decisions: [][2]string{{"APPROVED", "the Directors' Letter."}}},
			{typ: "aob", colour: "AMBER", title: "SSC Risk Assessment likelihood definitions",
				text: "The SSC discussed the probability percentages assigned to the likelihood definitions.", decisions: [][2]string{{"NOTED", "the amendments."}}},
		}},
		{303, 14, "Secretariat Office, London", []demoItem{
			{typ: "minutes_approval", colour: "GREEN", title: "Minutes and Actions Outstanding",
				text: "No comments were received on the Draft Minutes of meeting 302.", decisions: [][2]string{{"APPROVED", "the Draft Minutes and the Confidential Draft Minutes of meeting 302."}}},
			{typ: "fusa", colour: "RED", title: "Full User Security Assessment of Aldermoor Energy", party: "ALDM",
				text: "The User CIO presented the FUSA report.", decisions: [][2]string{{"AGREED", "the Assurance Status."}},
				actions: []demoAction{{text: "Confirm the date of the follow-up assessment with the User CIO.", owner: "Secretariat", dueDays: 10}}},
			{typ: "standing_report", colour: "RED", title: "Standing Agenda Items",
				text: "The standing report was reviewed.", decisions: [][2]string{{"NOTED", "the updates."}}, linkVuln: true},
			{typ: "modification_update", colour: "GREEN", title: "Triage facility assurance (MP203)",
				text: "An update was given on the assurance of Triage Facilities under the November 2022 SEC release.", decisions: [][2]string{{"NOTED", "the update."}}},
		}},
	}
	var prev int
	for _, mt := range meetings {
		held := today.AddDays(-mt.daysAgo)
		if _, err := svc.Create(ctx, sys, meeting.NewMeeting{Number: mt.number, HeldOn: held.String(), Starts: "10:00", Ends: "16:00", Place: mt.place}); err != nil {
			return fmt.Errorf("demo meeting %d: %w", mt.number, err)
		}
		att := meeting.Attendance{Present: []string{"chair@ssc.example.org", "secretariat@secas.example.org"}, Apologies: []string{"member@ssc.example.org"}}
		if mt.number != 301 {
			att = meeting.Attendance{Present: []string{"chair@ssc.example.org", "member@ssc.example.org", "secretariat@secas.example.org"}}
		}
		if _, err := svc.SetAttendance(ctx, sys, mt.number, att); err != nil {
			return err
		}
		var approval int64
		var done []int64
		for _, di := range mt.items {
			it, err := svc.AddItem(ctx, sys, mt.number, meeting.NewItem{Type: di.typ, Classification: di.colour, Title: di.title,
				Text: di.text, Discussion: di.discussion, Party: di.party})
			if err != nil {
				return fmt.Errorf("demo meeting %d item %q: %w", mt.number, di.title, err)
			}
			if di.typ == "minutes_approval" {
				approval = it.ID
			}
			// A minutes-approval item's decisions are recorded by the
			// approval itself, except at the first meeting (whose previous
			// meeting is not in the demo).
			if di.typ != "minutes_approval" || prev == 0 {
				for _, d := range di.decisions {
					if _, err := svc.AddDecision(ctx, sys, it.ID, meeting.NewDecision{Verb: d[0], Text: d[1]}); err != nil {
						return err
					}
				}
			}
			for _, a := range di.actions {
				it, err = svc.AddAction(ctx, sys, it.ID, meeting.NewAction{Text: a.text, Owner: a.owner, Due: held.AddDays(a.dueDays).String()})
				if err != nil {
					return err
				}
				if a.done {
					done = append(done, it.Actions[len(it.Actions)-1].ID)
				}
			}
			if di.linkVuln {
				for _, v := range vulns {
					if _, err := svc.AddLink(ctx, sys, it.ID, meeting.NewLink{Kind: "vulnerability", Key: v.Ref}); err != nil {
						return err
					}
				}
			}
			if _, err := svc.AddPaper(ctx, sys, it.ID, paperName(mt.number, it.Position), strings.NewReader(
				fmt.Sprintf("SSC meeting %d, item %d: %s\n\n%s\n", mt.number, it.Position, di.title, di.text))); err != nil {
				return err
			}
		}
		if _, err := svc.Transition(ctx, sys, mt.number, sec.MeetingEventHold); err != nil {
			return err
		}
		if _, err := svc.GenerateMinutes(ctx, sys, mt.number); err != nil {
			return err
		}
		// The previous meeting's minutes are approved under this one's
		// minutes-approval item (which records the decisions).
		if prev != 0 {
			ms, err := svc.MinutesOf(ctx, sys, prev)
			if err != nil {
				return err
			}
			for _, mn := range ms {
				if _, err := svc.ApproveMinutes(ctx, sys, mn.ID, approval); err != nil {
					return err
				}
			}
		}
		for _, id := range done {
			if _, err := svc.MoveAction(ctx, sys, id, sec.ActionEventComplete, ""); err != nil {
				return err
			}
		}
		next := ""
		if mt.daysAgo > 14 {
			next = today.AddDays(-mt.daysAgo + 14).String()
		}
		if _, err := svc.Publish(ctx, sys, mt.number, next); err != nil {
			return err
		}
		prev = mt.number
	}
	// Standing items for the standing report and the meetings.
	for _, in := range []meeting.NewStandingItem{
		{Kind: "security_incident", Party: "LRKL", Title: "Phishing compromise of a support mailbox", What: "A support mailbox was accessed from abroad for two hours; no User System access was gained.",
			OccurredOn: today.AddDays(-20).String(), Impact: "Low: mailbox contents only"},
		{Kind: "anomaly_detection", Party: "DCC", Title: "Anomaly detection threshold breaches, last month", What: "Three Users exceeded their thresholds for Service Requests; all were explained as planned work.",
			OccurredOn: today.AddDays(-10).String(), Impact: "None"},
		{Kind: "shared_resource", Party: "ALDM", Title: "Shared Resource Provider six-monthly count", What: "Smart Metering Systems served through the shared resource, as G5.27 requires.",
			OccurredOn: today.AddDays(-5).String(), Classification: "GREEN"},
	} {
		if _, err := svc.ReportStanding(ctx, sys, in); err != nil {
			return fmt.Errorf("demo standing item %q: %w", in.Title, err)
		}
	}
	return nil
}

func paperName(meeting, position int) string {
	return fmt.Sprintf("SSC_%d_%02d_paper.txt", meeting, position)
}
