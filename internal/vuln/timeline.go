package vuln

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// EventKinds are the kinds of timeline entry.
var EventKinds = []string{"reported", "transition", "updated", "notified", "reminded", "seen", "acknowledged", "plan", "fanout"}

// TimelineSpec is what a vulnerability's timeline accepts (issue 15): newest
// first by default, a page at a time, filtered by the kind of entry and a
// range of days.
var TimelineSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "at", Label: "When", Expr: "e.at", Kind: listing.Time},
		{Name: "kind", Label: "What", Expr: "e.kind", Kind: listing.Text},
	},
	Default: "-at",
	ID:      "e.id",
	Facets: []listing.Facet{
		{Name: "kind", Description: "only entries of this kind", Enum: EventKinds},
	},
	Dates: "day of the entry (UTC)",
}

// TimelineHeader is the header of the timeline's CSV export.
var TimelineHeader = []string{"id", "at", "kind", "event", "from", "to", "actor", "recipient", "note"}

// CSV is the entry as a row of the export (ISO times).
func (e Event) CSV() []string {
	return []string{itoa64(e.ID), e.At.UTC().Format(time.RFC3339), e.Kind, e.Event, string(e.From), string(e.To), e.Actor, e.Recipient, e.Note}
}

// timelineQuery is a vulnerability's timeline as the caller may see it:
// entries tied to a recipient row or a plan the caller may not see are left
// out (private ones) or shown without their actor and note.
func timelineQuery(c access.Caller, ref string) listing.Query[Event] {
	// linked is the condition that the entry's recipient row and plan, if
	// any, are the caller's to see.
	linked := func(args *access.Args) string {
		recipOK := "EXISTS (SELECT 1 FROM vuln_recipients r WHERE r.id = e.recipient_id AND " + visibleRecipient(args, c, "r") + ")"
		planOK := "EXISTS (SELECT 1 FROM vuln_plans p WHERE p.id = e.plan_id AND " + visiblePlan(args, c, "p") + ")"
		return "((e.recipient_id IS NULL OR " + recipOK + ") AND (e.plan_id IS NULL OR " + planOK + "))"
	}
	return listing.Query[Event]{
		What: "timeline",
		Columns: func(args *access.Args) string {
			// The reporter's own events do not name it to those
			// reporterShown excludes: the part it played is shown instead.
			orgName := "CASE WHEN e.actor_org_id IS NULL OR e.actor_org_id <> v.reporter_id OR " + reporterShown(args, c, "v") +
				" THEN " + partyName(args, c, "o") + " ELSE '' END"
			recipName := "(SELECT ro.code FROM vuln_recipients r2 JOIN organisations ro ON ro.id = r2.org_id WHERE r2.id = e.recipient_id)"
			l := linked(args)
			self := "FALSE"
			if c.System || c.IsSSC() {
				self = "TRUE"
			} else if c.OrgID != 0 {
				self = "e.actor_org_id = " + args.Add(c.OrgID)
			}
			return `e.id, e.at, e.kind, e.event, e.from_state, e.to_state, CASE WHEN ` + l + ` THEN e.note ELSE '' END,
				e.actor_as, CASE WHEN ` + l + ` THEN ` + orgName + ` ELSE '' END,
				CASE WHEN ` + l + ` AND ` + self + ` THEN e.actor_name ELSE '' END,
				CASE WHEN ` + l + ` THEN COALESCE(` + recipName + `, '') ELSE '' END`
		},
		From: " FROM vuln_events e JOIN vulnerabilities v ON v.id = e.vuln_id LEFT JOIN organisations o ON o.id = e.actor_org_id",
		Where: func(args *access.Args, req listing.Request) string {
			where := []string{"v.ref = " + args.Add(normRef(ref)), visibleVuln(args, c, "v"), "(NOT e.private OR " + linked(args) + ")"}
			if k := req.Facet("kind"); k != "" {
				where = append(where, "e.kind = "+args.Add(k))
			}
			if !req.From.IsZero() {
				where = append(where, "e.at >= "+args.Add(req.From.Time()))
			}
			if !req.To.IsZero() {
				where = append(where, "e.at < "+args.Add(req.To.AddDays(1).Time()))
			}
			return strings.Join(where, " AND ")
		},
		Scan: func(r listing.Scanner) (Event, error) {
			var e Event
			var as, org, person string
			if err := r.Scan(&e.ID, &e.At, &e.Kind, &e.Event, &e.From, &e.To, &e.Note, &as, &org, &person, &e.Recipient); err != nil {
				return e, err
			}
			e.At = e.At.UTC()
			e.Actor = actorLabel(sec.Actor(as), org, person)
			return e, nil
		},
		Key: func(e Event, req listing.Request) (any, int64) {
			if req.Sort.Name == "kind" {
				return e.Kind, e.ID
			}
			return e.At, e.ID
		},
	}
}

// Timeline lists a vulnerability's whole history as the caller may see it,
// oldest first (timelineQuery).
func (s *Service) Timeline(ctx context.Context, c access.Caller, ref string) ([]Event, error) {
	req, err := TimelineSpec.Parse(url.Values{"sort": {"at"}})
	if err != nil {
		return nil, errs.Wrap(err, "timeline")
	}
	out := []Event{}
	err = timelineQuery(c, ref).Each(ctx, s.DB, req.Export(), func(e Event) error { out = append(out, e); return nil })
	return out, err
}

// TimelinePage is one page of a vulnerability's timeline (newest first by
// default) with the total the filters match; a vulnerability the caller
// may not see is not found.
func (s *Service) TimelinePage(ctx context.Context, c access.Caller, ref string, req listing.Request) (listing.Page[Event], error) {
	var page listing.Page[Event]
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		if _, err := findVuln(ctx, tx, c, ref, false); err != nil {
			return err
		}
		var err error
		page, err = timelineQuery(c, ref).Page(ctx, tx, req)
		return err
	})
	return page, err
}

// ExportTimeline writes every entry of the timeline the filters match to w,
// row by row.
func (s *Service) ExportTimeline(ctx context.Context, c access.Caller, ref string, req listing.Request, w listing.Writer) error {
	return s.DB.Read(ctx, c, func(tx *store.Tx) error {
		if _, err := findVuln(ctx, tx, c, ref, false); err != nil {
			return err
		}
		return timelineQuery(c, ref).Export(ctx, tx, req, w, Event.CSV)
	})
}
