package vuln_test

import (
	"testing"
	"time"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
	"github.com/metersec/metersec/internal/vuln"
)

// TestDueAndRecipientSummary: the dashboard's counts and the vulnerability
// page's summary follow acknowledgements and plans, each over what the
// caller may see (a Supplier its own row, the SSC all of them), and the
// paged list behind the summary neither skips nor repeats a row.
func TestDueAndRecipientSummary(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		v := f.report("MANA", e1Report(yes())) // material: told at once
		due := func(who string) vuln.Due {
			t.Helper()
			d, err := f.svc.Due(f.ctx, f.as[who], f.clock)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		sum := func(who string) vuln.RecipientSummary {
			t.Helper()
			s, err := f.svc.RecipientSummary(f.ctx, f.as[who], v.Ref, f.clock)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		// G3.18: a told Supplier owes an acknowledgement and a plan.
		if d := due("SUPA"); !d.Told || d.Oversight || d.Unacknowledged != 1 || d.PlansToWrite != 1 || d.PlansDueSoon != 0 {
			t.Errorf("SUPA due %+v", d)
		}
		// A MAP is told for information: it owes nothing.
		if d := due("MAPA"); d.Unacknowledged != 0 || d.PlansToWrite != 0 {
			t.Errorf("MAPA due %+v", d)
		}
		// The SSC oversees: SUPA, SUPB and the DCC must acknowledge.
		if d := due("SSC"); !d.Oversight || d.AwaitingAcknowledgement != 3 || d.PlansToReview != 0 {
			t.Errorf("SSC due %+v", d)
		}
		if s := sum("SSC"); s.Recipients != 6 || s.Told != 6 || s.Awaiting != 3 || s.Acknowledged != 0 || s.Overdue != 0 || s.Devices != 2000 {
			t.Errorf("SSC summary %+v", s)
		}
		if s := sum("SUPA"); s.Recipients != 1 || s.Awaiting != 1 || s.Devices != 1000 {
			t.Errorf("SUPA summary %+v: a Supplier sees its own row only", s)
		}

		if _, err := f.svc.Acknowledge(f.ctx, f.as["SUPA"], v.Ref, vuln.AckInput{Statement: vuln.StatementAffected}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SavePlan(f.ctx, f.as["SUPA"], v.Ref, vuln.PlanInput{Steps: "Roll out 2.0.", Submit: true,
			DeclaredCompletion: sec.MustParseDate("2026-03-12")}); err != nil {
			t.Fatal(err)
		}
		if d := due("SUPA"); d.Unacknowledged != 0 || d.PlansToWrite != 0 || d.PlansDueSoon != 1 {
			t.Errorf("SUPA due after ack and plan %+v", d)
		}
		if d := due("SUPB"); d.PlansDueSoon != 0 || d.PlansToWrite != 1 {
			t.Errorf("SUPB due %+v: another Supplier's plan is not its own", d)
		}
		if d := due("SSC"); d.AwaitingAcknowledgement != 2 || d.PlansToReview != 1 || d.PlansDueSoon != 1 {
			t.Errorf("SSC due after SUPA %+v", d)
		}
		// Past the reminder cycle, the two still awaited are overdue.
		f.clock = f.clock.Add(time.Duration(f.svc.Settings.AckReminderDays+1) * 24 * time.Hour)
		if s := sum("SSC"); s.Acknowledged != 1 || s.Affected != 1 || s.Awaiting != 2 || s.Overdue != 2 {
			t.Errorf("SSC summary later %+v", s)
		}

		// The list behind the summary, a row at a time.
		seen := map[int64]bool{}
		q := vuln.RecipientQuery{Limit: 2}
		for pages := 0; ; pages++ {
			p, err := f.svc.RecipientsPaged(f.ctx, f.as["SSC"], v.Ref, q, f.clock)
			if err != nil {
				t.Fatal(err)
			}
			if p.Total != 6 || pages > 3 {
				t.Fatalf("page %d: total %d", pages, p.Total)
			}
			for _, r := range p.Items {
				if seen[r.ID] {
					t.Errorf("row %d repeated", r.ID)
				}
				seen[r.ID] = true
			}
			if p.Next == "" {
				break
			}
			q.After = mustInt(t, p.Next)
		}
		if len(seen) != 6 {
			t.Errorf("paged through %d rows, want 6", len(seen))
		}
		for st, want := range map[vuln.RecipientStatus]int{vuln.RecipientsAcknowledged: 1, vuln.RecipientsOverdue: 2, vuln.RecipientsAffected: 1, vuln.RecipientsInactive: 0} {
			p, err := f.svc.RecipientsPaged(f.ctx, f.as["SSC"], v.Ref, vuln.RecipientQuery{Status: st}, f.clock)
			if err != nil || p.Total != want || len(p.Items) != want {
				t.Errorf("status %s: %d rows (total %d), want %d; %v", st, len(p.Items), p.Total, want, err)
			}
		}
		if _, err := vuln.ParseRecipientStatus("late"); errs.CodeOf(err) != errs.Invalid {
			t.Errorf("status late: %v", err)
		}
		// Someone who may not see it learns nothing: no rows, and 0 counts.
		if s := sum("SUPC"); s.Recipients != 0 || s.Told != 0 {
			t.Errorf("SUPC summary %+v", s)
		}
	})
}

// TestGroupTimeline: a fan-out to many organisations on one day is one
// group; a different kind or day starts another.
func TestGroupTimeline(t *testing.T) {
	at := func(day, hour int) time.Time { return time.Date(2026, 3, day, hour, 0, 0, 0, time.UTC) }
	es := []vuln.Event{{At: at(2, 9), Kind: "reported"}, {At: at(2, 9), Kind: "notified"}, {At: at(2, 9), Kind: "notified"},
		{At: at(2, 10), Kind: "notified"}, {At: at(3, 9), Kind: "notified"}, {At: at(3, 10), Kind: "acknowledged"}}
	gs := vuln.GroupTimeline(es, nil)
	want := []int{1, 3, 1, 1}
	if len(gs) != len(want) {
		t.Fatalf("%d groups, want %d: %+v", len(gs), len(want), gs)
	}
	for i, g := range gs {
		if len(g.Entries) != want[i] {
			t.Errorf("group %d (%s) has %d entries, want %d", i, g.Kind, len(g.Entries), want[i])
		}
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("cursor %q", s)
		}
		n = n*10 + int64(c-'0')
	}
	return n
}
