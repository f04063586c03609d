package web

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/coverage"
	"github.com/metersec/metersec/internal/meeting"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/uk"
)

// Dashboard is what the signed-in organisation must act on: counts from
// each area's service, over what the caller may see, each with the list
// behind it. Only the counts that fit the caller's roles are present (the
// services say which); the page and GET /api/v1/dashboard show the same.
type Dashboard struct {
	Organisation string          `json:"organisation"`
	Day          sec.Date        `json:"day"`
	Items        []DashboardItem `json:"items"`
}

// DashboardItem is one count and the filtered list it links to.
type DashboardItem struct {
	Key   DashboardKey `json:"key"`
	Area  string       `json:"area"`
	Label string       `json:"label"`
	Count int64        `json:"count"`
	Link  string       `json:"link"`
	// Note says what the count is measured against, when that is not
	// obvious (a snapshot's date, a look-ahead).
	Note string `json:"note,omitempty"`
}

// DashboardKey names a dashboard count, for API clients.
type DashboardKey string

// Dashboard counts.
const (
	KeyNoticesUnread           DashboardKey = "notices_unread"
	KeyVulnsUnacknowledged     DashboardKey = "vulnerabilities_unacknowledged"
	KeyPlansToWrite            DashboardKey = "plans_to_write"
	KeyPlansDueSoon            DashboardKey = "plans_due_soon"
	KeyPlansOverdue            DashboardKey = "plans_overdue"
	KeyPlansToReview           DashboardKey = "plans_to_review"
	KeyAcknowledgementsAwaited DashboardKey = "acknowledgements_awaited"
	KeyCoverageGaps            DashboardKey = "coverage_gaps"
	KeyArrangementsExpiring    DashboardKey = "arrangements_expiring"
	KeyResponsesDue            DashboardKey = "assessment_responses_due"
	KeyRemediationOverdue      DashboardKey = "remediation_overdue"
	KeyActionsOverdue          DashboardKey = "meeting_actions_overdue"
	KeyActionsOpen             DashboardKey = "meeting_actions_open"
)

// dashboard gathers the counts. Every service call is one aggregate
// query: none reads the estate's Device rows.
func (s *Server) dashboard(ctx context.Context, c access.Caller, now time.Time) (Dashboard, error) {
	today := sec.UKDay(now)
	d := Dashboard{Organisation: c.OrgCode, Day: today, Items: []DashboardItem{}}
	add := func(key DashboardKey, area, label string, n int64, link, note string) {
		d.Items = append(d.Items, DashboardItem{Key: key, Area: area, Label: label, Count: n, Link: link, Note: note})
	}
	if c.UserID != 0 && c.OrgID != 0 {
		n, err := s.Delivery.UnreadCount(ctx, c)
		if err != nil {
			return d, err
		}
		add(KeyNoticesUnread, "Inbox", "Unread notices", int64(n), "/inbox", "")
	}
	due, err := s.Vulns.Due(ctx, c, now)
	if err != nil {
		return d, err
	}
	if due.Told {
		// The inbox's vulnerabilities awaiting acknowledgement are exactly
		// the recipient rows Due counts (TestDashboardUnacknowledgedLink).
		add(KeyVulnsUnacknowledged, "Vulnerabilities", "Vulnerabilities to acknowledge", int64(due.Unacknowledged), "/inbox?view=vulnerabilities&awaiting=true", "")
		add(KeyPlansToWrite, "Vulnerabilities", "Rectification plans to write", int64(due.PlansToWrite), "/inbox", "")
	}
	// The plan lists filter with the counts' own conditions: each link
	// lists exactly the plans counted.
	add(KeyPlansDueSoon, "Vulnerabilities", "Plans due within two weeks", int64(due.PlansDueSoon), "/rectification-plans?due=soon", "declared completion or next update")
	add(KeyPlansOverdue, "Vulnerabilities", "Overdue rectification plans", int64(due.OverduePlans), "/rectification-plans?due=overdue", "")
	if due.Oversight {
		add(KeyPlansToReview, "Vulnerabilities", "Plans awaiting the SSC", int64(due.PlansToReview), "/vulnerabilities/overview", "submitted or revised")
		add(KeyAcknowledgementsAwaited, "Vulnerabilities", "Acknowledgements awaited", int64(due.AwaitingAcknowledgement), "/vulnerabilities/overview#unacked", "across every organisation")
	}
	gaps, err := s.Coverage.Gaps(ctx, c)
	if err != nil {
		return d, err
	}
	if gaps.Applies {
		link, note := "/coverage", "no snapshot yet"
		if gaps.Supplier != "" {
			link = "/coverage/" + url.PathEscape(gaps.Supplier)
		}
		if gaps.Month != "" {
			note = "models with a gap, snapshot of " + uk.Day(gaps.TakenOn.Time())
			// The count is the snapshot's: its link shows that day's gaps
			// (a Supplier's page of them; the SSC's heat map of that day).
			v := url.Values{"date": {gaps.TakenOn.String()}}
			if gaps.Supplier != "" {
				v.Set("status", "gap")
			}
			link += "?" + v.Encode()
		}
		add(KeyCoverageGaps, "G3.20", "Coverage gaps", int64(gaps.Models), link, note)
	}
	days := coverage.DefaultAlertSettings().ExpiryDays
	exp, err := s.Arrangements.Expiring(ctx, c, today, days)
	if err != nil {
		return d, err
	}
	add(KeyArrangementsExpiring, "G3.20", "Arrangements expiring", int64(exp), arrangement.ExpiringLink(days), "within "+strconv.Itoa(days)+" days")
	ad, err := s.Assurance.Due(ctx, c, now)
	if err != nil {
		return d, err
	}
	if ad.Applies {
		add(KeyResponsesDue, "Assurance", "Assessment responses due", int64(ad.ResponsesDue), "/assessments?state=response_due", "")
		add(KeyRemediationOverdue, "Assurance", "Remediation plans overdue", int64(ad.RemediationOverdue), "/remediation-plans?overdue=true", "")
	}
	// Counted on the meeting service's day, which the tracker's
	// state=overdue filter uses too: the count is the rows its link lists.
	open, overdue, err := s.Meetings.DueActions(ctx, c, s.Meetings.ActionDay())
	if err != nil {
		return d, err
	}
	if open > 0 || meeting.MayManage(c) {
		add(KeyActionsOverdue, "Meetings", "Meeting actions overdue", int64(overdue), "/meeting-actions?state=overdue", "")
		add(KeyActionsOpen, "Meetings", "Meeting actions open", int64(open), "/meeting-actions?state=open", "")
	}
	return d, nil
}
