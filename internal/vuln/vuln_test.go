package vuln_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
	"github.com/metersec/metersec/internal/vuln"
)

// e1Range is MANA's E1 below 2.0 and every CH: SUPA 1000 (MAPA's) on 1.1,
// SUPB 300 on 1.2, SUPB 700 SMETS2+ CHF (the DCC's); SUPA's 500 on 2.0 are
// fixed.
func e1Report(material *bool) vuln.NewVulnerability {
	why := ""
	if material != nil {
		why = "Remote join without credentials."
	}
	return vuln.NewVulnerability{
		Title: "HAN join replay", Description: "A replayed join request joins the HAN.", Manufacturer: "MANA",
		Affected: []vuln.AffectedInput{{Model: "E1", Introduced: "1.0", Fixed: "2.0"}, {Model: "CH"}},
		CVSS:     "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N", CVEs: []string{"cve-2026-31337"},
		Material: material, MaterialityRationale: why,
	}
}

func TestReportFansOutBilaterally(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		v := f.report("SUPA", e1Report(yes()))
		if v.Ref != "MSV-2026-0001" || v.State != sec.VulnStateNotified || v.CVSS == nil || v.CVSS.Score != 8.1 || v.CVEs[0] != "CVE-2026-31337" {
			t.Fatalf("reported %+v", v)
		}
		if v.Classification != sec.Amber {
			t.Errorf("classification %s, want AMBER by default", v.Classification)
		}
		// The SSC sees every recipient with its own counts.
		all := f.recipients("SSC", v.Ref)
		// seeds/000: manufacturers notify "all Suppliers which are operating
		// their Devices": SUPB counts its SMETS2+ hubs too (the DCC carries
		// their duties; SUPB's notice says so).
		want := map[string]int64{"MANA/manufacturer": 2000, "SUPA/supplier": 1000, "SUPB/supplier": 1000, "DCC/dcc": 700,
			"MAPA/map": 1000, "SSC/ssc": 2000, "SECAS/ssc": 2000}
		if got := keys(all); !slices.Equal(got, keys(want)) {
			t.Fatalf("recipients %v, want %v", got, keys(want))
		}
		for k, n := range want {
			if all[k].Devices != n || all[k].NotifiedAt == nil || !all[k].Active {
				t.Errorf("%s: %+v, want %d Devices, notified", k, all[k], n)
			}
		}
		// Each was told once, in the reporting transaction.
		for code := range map[string]bool{"MANA": true, "SUPA": true, "SUPB": true, "DCC": true, "MAPA": true, "SSC": true, "SECAS": true} {
			if n := len(f.note.to(f.org[code], "vulnerability.notified")); n != 1 {
				t.Errorf("%s got %d notices, want 1", code, n)
			}
		}
		if n := len(f.note.to(f.org["SUPC"], "")); n != 0 {
			t.Errorf("SUPC (no affected Device) got %d notices", n)
		}
		// A Supplier's notice names its own Devices and no one else, and
		// says which of them it carries a duty for.
		body := f.note.to(f.org["SUPB"], "")[0].Body
		if !strings.Contains(body, "you operate as Responsible Supplier: 1000") || !strings.Contains(body, "G3.17(b)/G3.20(b) for 300 of them; for the other 700") ||
			strings.Contains(body, "SUPA") {
			t.Errorf("SUPB's notice: %s", body)
		}
		if body := f.note.to(f.org["SUPA"], "")[0].Body; !strings.Contains(body, "G3.17(b)/G3.20(b) for all of them") {
			t.Errorf("SUPA's notice: %s", body)
		}

		// Bilateral: each Supplier sees only its own row; the manufacturer
		// sees all but the SSC's; the MAP its own.
		for who, rows := range map[string][]string{
			"SUPA": {"SUPA/supplier"}, "SUPB": {"SUPB/supplier"}, "MAPA": {"MAPA/map"}, "DCC": {"DCC/dcc"},
			"MANA": keys(want),
		} {
			if got := keys(f.recipients(who, v.Ref)); !slices.Equal(got, rows) {
				t.Errorf("%s sees recipients %v, want %v", who, got, rows)
			}
		}
		// Counts as the viewer may see them.
		for who, devices := range map[string]int64{"SUPA": 1000, "SUPB": 1000, "MANA": 2000, "SSC": 2000} {
			l, err := f.svc.List(f.ctx, f.as[who], vuln.Filter{})
			if err != nil || len(l) != 1 {
				t.Fatalf("%s list: %v %v", who, l, err)
			}
			if l[0].Devices != devices {
				t.Errorf("%s sees %d Devices, want %d", who, l[0].Devices, devices)
			}
		}
		// Others do not see an AMBER vulnerability at all.
		for _, who := range []string{"SUPC", "MANB", "UCIO"} {
			if _, err := f.svc.Get(f.ctx, f.as[who], v.Ref); !errs.Is(err, errs.NotFound) {
				t.Errorf("%s: %v, want not found", who, err)
			}
		}
		// SUPB's timeline never shows SUPA's entries, nor SUPA the reporter by
		// name (a Supplier's directory entry is AMBER).
		tl, err := f.svc.Timeline(f.ctx, f.as["SUPB"], v.Ref)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range tl {
			if e.Recipient != "" && e.Recipient != "SUPB" || strings.Contains(e.Actor, "SUPA") {
				t.Errorf("SUPB's timeline shows %+v", e)
			}
		}
		if g, _ := f.svc.Get(f.ctx, f.as["SUPB"], v.Ref); g.Reporter.Name != "" {
			t.Errorf("SUPB learns the reporter's name %q", g.Reporter.Name)
		}
	})
}

func TestLifecycleAckPlanOverdue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		v := f.report("MANA", e1Report(nil))
		if v.State != sec.VulnStateReported {
			t.Fatalf("state %s", v.State)
		}
		// Not judged: nobody but the reporter-manufacturer knows; no notices.
		if f.note.count() != 0 {
			t.Fatalf("notices before triage: %+v", f.note.sent)
		}
		// Illegal moves are clear errors.
		_, err := f.svc.Transition(f.ctx, f.as["MANA"], v.Ref, vuln.TransitionInput{Event: sec.VulnEventRectify})
		wantCode(t, err, errs.Conflict, "possible from \"reported\": triage, mark_not_material")
		_, err = f.svc.Transition(f.ctx, f.as["MANA"], v.Ref, vuln.TransitionInput{Event: sec.VulnEventTriage})
		wantCode(t, err, errs.Invalid, "rationale")
		_, err = f.svc.Transition(f.ctx, f.as["MANA"], v.Ref, vuln.TransitionInput{Event: "explode"})
		wantCode(t, err, errs.Invalid, "unknown event")
		_, err = f.svc.Transition(f.ctx, f.as["SUPA"], v.Ref, vuln.TransitionInput{Event: sec.VulnEventTriage, Note: "x"})
		wantCode(t, err, errs.NotFound) // SUPA has not been told

		v, err = f.svc.Transition(f.ctx, f.as["MANA"], v.Ref, vuln.TransitionInput{Event: sec.VulnEventTriage, Note: "Exploitable at scale."})
		if err != nil || v.State != sec.VulnStateNotified || v.Material == nil || !*v.Material {
			t.Fatalf("triage: %+v %v", v, err)
		}
		_, err = f.svc.Transition(f.ctx, f.as["SUPB"], v.Ref, vuln.TransitionInput{Event: sec.VulnEventClose})
		wantCode(t, err, errs.Conflict, "notify_ssc")
		_, err = f.svc.Transition(f.ctx, f.as["MAPA"], v.Ref, vuln.TransitionInput{Event: sec.VulnEventNotifySSC})
		wantCode(t, err, errs.Forbidden, "may be done only by")
		if rs := f.recipients("MANA", v.Ref); rs["MANA/manufacturer"].ID != 0 {
			t.Errorf("the reporting manufacturer is not its own recipient")
		}

		// Acknowledgement.
		_, err = f.svc.Acknowledge(f.ctx, f.as["SUPA"], v.Ref, vuln.AckInput{Statement: vuln.StatementNotAffected})
		wantCode(t, err, errs.Invalid, "justification")
		_, err = f.svc.Acknowledge(f.ctx, f.as["SUPA"], v.Ref, vuln.AckInput{Statement: "maybe"})
		wantCode(t, err, errs.Invalid, "statement")
		_, err = f.svc.Acknowledge(f.ctx, f.as["SUPC"], v.Ref, vuln.AckInput{Statement: vuln.StatementAffected})
		wantCode(t, err, errs.NotFound)
		before := f.auditCount()
		r, err := f.svc.Acknowledge(f.ctx, f.as["SUPA"], v.Ref, vuln.AckInput{Statement: vuln.StatementUnderInvestigation})
		if err != nil || r.AcknowledgedAt == nil || r.Statement != vuln.StatementUnderInvestigation || r.SeenAt == nil || r.AcknowledgedBy != "u@supa.example.org" {
			t.Fatalf("ack: %+v %v", r, err)
		}
		if f.auditCount() == before {
			t.Error("the acknowledgement was not audited")
		}
		// Seen: the first time a person of SUPB opens it.
		if _, err := f.svc.Open(f.ctx, f.as["SUPB"], v.Ref); err != nil {
			t.Fatal(err)
		}
		if rs := f.recipients("SSC", v.Ref); rs["SUPB/supplier"].SeenAt == nil || rs["SUPB/supplier"].AcknowledgedAt != nil {
			t.Errorf("SUPB seen/acked: %+v", rs["SUPB/supplier"])
		}

		// Plans: only a told Supplier writes one; submitting tells the SSC.
		_, err = f.svc.SavePlan(f.ctx, f.as["MAPA"], v.Ref, vuln.PlanInput{Steps: "x"})
		wantCode(t, err, errs.Forbidden)
		_, err = f.svc.SavePlan(f.ctx, f.as["SUPA"], v.Ref, vuln.PlanInput{Steps: "Roll out 2.0.", Submit: true})
		wantCode(t, err, errs.Invalid, "declared_completion")
		_, err = f.svc.SavePlan(f.ctx, f.as["SUPA"], v.Ref, vuln.PlanInput{Steps: "Roll out 2.0.", Submit: true, DeclaredCompletion: sec.MustParseDate("2026-01-01")})
		wantCode(t, err, errs.Invalid, "in the past")
		draft, err := f.svc.SavePlan(f.ctx, f.as["SUPA"], v.Ref, vuln.PlanInput{Steps: "Roll out 2.0 over the air."})
		if err != nil || draft.State != sec.PlanStateDraft {
			t.Fatalf("draft: %+v %v", draft, err)
		}
		if ps, _ := f.svc.Plans(f.ctx, f.as["SSC"], v.Ref); len(ps) != 0 {
			t.Errorf("the SSC sees a draft: %+v", ps)
		}
		p, err := f.svc.SavePlan(f.ctx, f.as["SUPA"], v.Ref, vuln.PlanInput{Steps: "Roll out 2.0 over the air.", Submit: true,
			DeclaredCompletion: sec.MustParseDate("2026-04-30")})
		if err != nil || p.State != sec.PlanStateSubmitted || p.Revision != 1 {
			t.Fatalf("submit: %+v %v", p, err)
		}
		if g, _ := f.svc.Get(f.ctx, f.as["SSC"], v.Ref); g.State != sec.VulnStateSSCNotified {
			t.Errorf("state %s after the first plan, want ssc_notified", g.State)
		}
		if len(f.note.to(f.org["SSC"], "vulnerability.plan.submit")) != 1 {
			t.Error("the SSC was not told of the plan")
		}
		// Plans are the owner's and the SSC's only.
		for who, n := range map[string]int{"SUPA": 1, "SSC": 1, "SECAS": 1, "SUPB": 0, "MANA": 0} {
			if ps, err := f.svc.Plans(f.ctx, f.as[who], v.Ref); err != nil || len(ps) != n {
				t.Errorf("%s sees %d plans (%v), want %d", who, len(ps), err, n)
			}
		}
		_, err = f.svc.PlanTransition(f.ctx, f.as["SUPB"], v.Ref, p.ID, vuln.PlanEventInput{Event: sec.PlanEventComplete})
		wantCode(t, err, errs.NotFound)
		_, err = f.svc.PlanTransition(f.ctx, f.as["SUPA"], v.Ref, p.ID, vuln.PlanEventInput{Event: sec.PlanEventAgree})
		wantCode(t, err, errs.Forbidden, "SSC")
		p, err = f.svc.PlanTransition(f.ctx, f.as["SSC"], v.Ref, p.ID, vuln.PlanEventInput{Event: sec.PlanEventAgree,
			Note: "Agreed.", NextUpdateDue: sec.MustParseDate("2026-03-20")})
		if err != nil || p.State != sec.PlanStateAgreed || p.NextUpdateDue.String() != "2026-03-20" {
			t.Fatalf("agree: %+v %v", p, err)
		}
		if len(f.note.to(f.org["SUPA"], "vulnerability.plan.agree")) != 1 {
			t.Error("SUPA was not told the SSC agreed")
		}

		// The next update date passes: Tick marks it overdue and escalates,
		// once.
		f.clock = f.clock.AddDate(0, 0, 19) // 21 March
		r1 := f.tick()
		r2 := f.tick()
		if r1.MarkedOverdue != 1 || r2.MarkedOverdue != 0 {
			t.Errorf("overdue marked %d then %d, want 1 then 0", r1.MarkedOverdue, r2.MarkedOverdue)
		}
		if n := len(f.note.to(f.org["SSC"], "vulnerability.plan.mark_overdue")); n != 1 {
			t.Errorf("SSC escalations %d, want 1", n)
		}
		if n := len(f.note.to(f.org["SUPA"], "vulnerability.plan.mark_overdue")); n != 1 {
			t.Errorf("SUPA escalations %d, want 1", n)
		}
		if g, _ := f.svc.Get(f.ctx, f.as["SSC"], v.Ref); !g.Overdue {
			t.Error("the vulnerability is not flagged overdue for the SSC")
		}
		if g, _ := f.svc.Get(f.ctx, f.as["SUPB"], v.Ref); g.Overdue {
			t.Error("SUPB learns SUPA's plan is overdue")
		}
		ov, err := f.svc.Overview(f.ctx, f.as["SSC"], f.clock)
		if err != nil || len(ov.OverduePlans) != 1 || ov.OverduePlans[0].Owner.Code != "SUPA" {
			t.Fatalf("overview: %+v %v", ov, err)
		}
		if _, err := f.svc.Overview(f.ctx, f.as["SUPA"], f.clock); !errs.Is(err, errs.Forbidden) {
			t.Errorf("SUPA reads the overview: %v", err)
		}
		// Revising leaves overdue, with a reason and a new date.
		_, err = f.svc.PlanTransition(f.ctx, f.as["SUPA"], v.Ref, p.ID, vuln.PlanEventInput{Event: sec.PlanEventRevise,
			DeclaredCompletion: sec.MustParseDate("2026-06-30")})
		wantCode(t, err, errs.Invalid, "reason")
		p, err = f.svc.PlanTransition(f.ctx, f.as["SUPA"], v.Ref, p.ID, vuln.PlanEventInput{Event: sec.PlanEventRevise,
			DeclaredCompletion: sec.MustParseDate("2026-06-30"), Reason: "Firmware signing delayed."})
		if err != nil || p.State != sec.PlanStateRevised || p.Revision != 2 || len(p.Revisions) != 4 {
			t.Fatalf("revise: %+v %v", p, err)
		}
		// The revision is the update the SSC asked for: not overdue until
		// its new date passes.
		if r := f.tick(); r.MarkedOverdue != 0 || !p.NextUpdateDue.IsZero() {
			t.Errorf("a revision is overdue at once: %+v, next update %s", r, p.NextUpdateDue)
		}
		f.clock = f.clock.AddDate(0, 3, 15) // 5 July
		if r := f.tick(); r.MarkedOverdue != 1 {
			t.Errorf("the revised date passed: %+v", r)
		}
		if n := len(f.note.to(f.org["SSC"], "vulnerability.plan.mark_overdue")); n != 2 {
			t.Errorf("SSC escalations %d, want 2 (one per missed date)", n)
		}
		f.clock = f.clock.AddDate(0, -3, -15)

		// The rest of the lifecycle.
		for _, step := range []struct {
			who string
			ev  sec.VulnEvent
			to  sec.VulnState
		}{
			{"SUPB", sec.VulnEventStartRemediation, sec.VulnStateInRemediation},
			{"MANA", sec.VulnEventMitigate, sec.VulnStateMitigated},
			{"SSC", sec.VulnEventRectify, sec.VulnStateRectified},
			{"SSC", sec.VulnEventClose, sec.VulnStateClosed},
		} {
			got, err := f.svc.Transition(f.ctx, f.as[step.who], v.Ref, vuln.TransitionInput{Event: step.ev})
			if err != nil || got.State != step.to {
				t.Fatalf("%s %s: %v %v", step.who, step.ev, got.State, err)
			}
		}
		if n := len(f.note.to(f.org["SUPB"], "vulnerability.updated")); n != 3 {
			t.Errorf("SUPB told of %d changes (mitigated, rectified, closed), want 3", n)
		}
		_, err = f.svc.Acknowledge(f.ctx, f.as["SUPB"], v.Ref, vuln.AckInput{Statement: vuln.StatementAffected})
		wantCode(t, err, errs.Conflict)
		// SUPB's start_remediation shows on SUPA's timeline without naming SUPB.
		tl, _ := f.svc.Timeline(f.ctx, f.as["SUPA"], v.Ref)
		found := false
		for _, e := range tl {
			if e.Event == string(sec.VulnEventStartRemediation) {
				found = true
				if strings.Contains(e.Actor, "SUPB") || e.Recipient != "" {
					t.Errorf("SUPA learns who started remediation: %+v", e)
				}
			}
		}
		if !found {
			t.Error("the state change is missing from SUPA's timeline")
		}
	})
}

func TestChurnAndReminders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		v := f.report("MANA", e1Report(yes()))
		sent := f.note.count()
		if r := f.tick(); r.Notified != 0 || r.Refanned != 0 || f.note.count() != sent {
			t.Fatalf("a tick with nothing new did something: %+v", r)
		}
		before := f.auditCount()
		f.tick()
		if f.auditCount() != before {
			t.Error("an idle tick wrote to the audit trail")
		}

		// SUPB's meters churn to SUPC; SUPB keeps its CHF (the DCC's).
		f.portfolio("SUPB", "E1@1.2", "", 0)
		f.portfolio("SUPC", "E1@1.2", "", 300)
		r := f.tick()
		if r.Notified != 1 || r.Refanned != 1 {
			t.Errorf("churn tick: %+v", r)
		}
		rs := f.recipients("SSC", v.Ref)
		if c := rs["SUPC/supplier"]; c.Devices != 300 || c.NotifiedAt == nil || !c.Active {
			t.Errorf("SUPC: %+v", c)
		}
		// seeds/000: manufacturers notify "all Suppliers which are operating
		// their Devices": SUPB still operates affected hubs, though the DCC
		// carries their duties, so it stays a recipient.
		if b := rs["SUPB/supplier"]; !b.Active || b.Devices != 700 {
			t.Errorf("SUPB operates 700 affected hubs and stays a recipient: %+v", b)
		}
		// Then its hubs churn to SUPC too: SUPB operates nothing affected.
		f.portfolio("SUPB", "CH@0x0100", "", 0)
		f.portfolio("SUPC", "CH@0x0100", "", 700)
		if r := f.tick(); r.Refanned != 1 {
			t.Errorf("second churn tick: %+v", r)
		}
		rs = f.recipients("SSC", v.Ref)
		if c := rs["SUPC/supplier"]; c.Devices != 1000 || !c.Active {
			t.Errorf("SUPC: %+v", c)
		}
		if b := rs["SUPB/supplier"]; b.Active || b.InactiveSince == nil || b.NotifiedAt == nil {
			t.Errorf("SUPB keeps its history, inactive: %+v", b)
		}
		if len(f.note.to(f.org["SUPC"], "vulnerability.notified")) != 1 {
			t.Error("SUPC was not told")
		}
		// SUPB still sees the vulnerability and its own row, but gets no more.
		if _, err := f.svc.Get(f.ctx, f.as["SUPB"], v.Ref); err != nil {
			t.Errorf("SUPB lost its history: %v", err)
		}
		// The affected ranges change: E1 2.0 joins; SUPA's count grows and
		// told recipients get the update.
		desc := "Also in 2.0."
		if _, err := f.svc.Update(f.ctx, f.as["MANA"], v.Ref, vuln.Update{Description: &desc,
			Affected: &[]vuln.AffectedInput{{Model: "E1", Introduced: "1.0"}, {Model: "CH"}}, Reason: "2.0 affected too"}); err != nil {
			t.Fatal(err)
		}
		if got := f.recipients("SUPA", v.Ref)["SUPA/supplier"].Devices; got != 1500 {
			t.Errorf("SUPA now answers for %d, want 1500", got)
		}
		if len(f.note.to(f.org["SUPA"], "vulnerability.updated")) != 1 || len(f.note.to(f.org["SUPB"], "vulnerability.updated")) != 0 {
			t.Error("the update went to the wrong recipients")
		}
		// A new firmware in range appears in the catalogue: Tick picks it up.
		fid := f.addFirmware("E1", "2.1")
		f.portfolio("SUPA", "E1@2.1", "", 5)
		_ = fid
		if r := f.tick(); r.Firmware != 1 {
			t.Errorf("catalogue change: %+v", r)
		}
		if got := f.recipients("SUPA", v.Ref)["SUPA/supplier"].Devices; got != 1505 {
			t.Errorf("SUPA now answers for %d, want 1505", got)
		}

		// Reminders: SUPA acknowledges; the others do not.
		if _, err := f.svc.Acknowledge(f.ctx, f.as["SUPA"], v.Ref, vuln.AckInput{Statement: vuln.StatementAffected}); err != nil {
			t.Fatal(err)
		}
		f.clock = f.clock.AddDate(0, 0, 4)
		if r := f.tick(); r.Reminded != 0 {
			t.Errorf("reminded after 4 days: %+v", r)
		}
		f.clock = f.clock.AddDate(0, 0, 1)
		r = f.tick()
		// Told and not acknowledged, asked to: SUPC, DCC. (MANA reported;
		// SUPB is inactive; MAPs and the SSC are not asked.)
		if r.Reminded != 2 {
			t.Errorf("reminders %d, want 2 (SUPC, DCC): %+v", r.Reminded, r)
		}
		if f.tick().Reminded != 0 {
			t.Error("a second tick the same day reminded again")
		}
		for range 10 {
			f.clock = f.clock.AddDate(0, 0, 5)
			f.tick()
		}
		if n := len(f.note.to(f.org["DCC"], "vulnerability.reminder")); n != 3 {
			t.Errorf("DCC reminded %d times, want at most 3", n)
		}
		ov, err := f.svc.Overview(f.ctx, f.as["SECAS"], f.clock)
		if err != nil {
			t.Fatal(err)
		}
		var who []string
		for _, u := range ov.Unacknowledged {
			who = append(who, u.Org.Code)
		}
		if slices.Sort(who); !slices.Equal(who, []string{"DCC", "SUPC"}) {
			t.Errorf("unacknowledged %v", who)
		}
	})
}

func (f *fixture) addFirmware(model, version string) int64 {
	f.t.Helper()
	var id int64
	if err := f.db.Writer().QueryRowContext(f.ctx, "INSERT INTO firmware_versions (model_id, version, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
		f.model[model], version, f.clock).Scan(&id); err != nil {
		f.t.Fatal(err)
	}
	f.fw[model+"@"+version] = id
	return id
}

func TestBadReports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		good := e1Report(nil)
		cases := []struct {
			name   string
			who    string
			mutate func(*vuln.NewVulnerability)
			code   errs.Code
			want   string
		}{
			{"malformed CVSS", "MANA", func(n *vuln.NewVulnerability) { n.CVSS = "CVSS:3.1/AV:X" }, errs.Invalid, "cvss"},
			{"CVSS v2", "MANA", func(n *vuln.NewVulnerability) { n.CVSS = "AV:N/AC:L/Au:N/C:C/I:C/A:C" }, errs.Invalid, "cvss"},
			{"reversed range", "MANA", func(n *vuln.NewVulnerability) {
				n.Affected = []vuln.AffectedInput{{Model: "E1", Introduced: "1.2", Fixed: "1.0"}}
			}, errs.Invalid, "reversed"},
			{"empty range", "MANA", func(n *vuln.NewVulnerability) {
				n.Affected = []vuln.AffectedInput{{Model: "E1", Introduced: "1.1", Fixed: "1.1"}}
			}, errs.Invalid, "empty"},
			{"range selecting nothing", "MANA", func(n *vuln.NewVulnerability) {
				n.Affected = []vuln.AffectedInput{{Model: "E1", Introduced: "5.0"}}
			}, errs.Invalid, "selects none"},
			{"both bounds", "MANA", func(n *vuln.NewVulnerability) {
				n.Affected = []vuln.AffectedInput{{Model: "E1", Fixed: "2.0", LastAffected: "1.2"}}
			}, errs.Invalid, "one or the other"},
			{"unknown model", "MANA", func(n *vuln.NewVulnerability) { n.Affected = []vuln.AffectedInput{{Model: "ZZ9"}} }, errs.Invalid, "no model \"ZZ9\""},
			{"another manufacturer's model", "MANA", func(n *vuln.NewVulnerability) { n.Affected = []vuln.AffectedInput{{Model: "B1"}} }, errs.Invalid, "no model \"B1\""},
			{"no products", "MANA", func(n *vuln.NewVulnerability) { n.Affected = nil }, errs.Invalid, "affected"},
			{"bad CVE", "MANA", func(n *vuln.NewVulnerability) { n.CVEs = []string{"CVE-26-1"} }, errs.Invalid, "not a CVE id"},
			{"no title", "MANA", func(n *vuln.NewVulnerability) { n.Title = " " }, errs.Invalid, "title"},
			{"material without rationale", "MANA", func(n *vuln.NewVulnerability) { n.Material = yes() }, errs.Invalid, "materiality_rationale"},
			{"discovered tomorrow", "MANA", func(n *vuln.NewVulnerability) { n.DiscoveredOn = sec.MustParseDate("2026-03-03") }, errs.Invalid, "future"},
			{"unknown manufacturer", "SUPA", func(n *vuln.NewVulnerability) { n.Manufacturer = "SUPB" }, errs.Invalid, "no Manufacturer has the code SUPB"},
			{"RED by a manufacturer", "MANA", func(n *vuln.NewVulnerability) { n.Classification = "RED" }, errs.Invalid, "RED"},
			{"a MAP does not report", "MAPA", func(*vuln.NewVulnerability) {}, errs.Forbidden, "reported by"},
			{"the CIO does not report", "UCIO", func(*vuln.NewVulnerability) {}, errs.Forbidden, "reported by"},
		}
		before := f.auditCount()
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				in := good
				in.Affected = slices.Clone(good.Affected)
				tc.mutate(&in)
				_, err := f.svc.Report(f.ctx, f.as[tc.who], in)
				wantCode(t, err, tc.code, tc.want)
			})
		}
		if f.auditCount() != before || f.note.count() != 0 {
			t.Error("a refused report wrote something")
		}
		var n int
		db.QueryRowContext(f.ctx, "SELECT count(*) FROM vulnerabilities").Scan(&n)
		if n != 0 {
			t.Errorf("%d vulnerabilities after refused reports", n)
		}
		// Several problems at once.
		in := good
		in.Title, in.CVSS = "", "nonsense"
		_, err := f.svc.Report(f.ctx, f.as["MANA"], in)
		if e := errs.As(err); len(e.Fields) < 2 {
			t.Errorf("want every problem listed: %v", err)
		}
	})
}

func TestRedIsHeldAndGreenIsVisible(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		in := e1Report(yes())
		in.Classification = "RED"
		red, err := f.svc.Report(f.ctx, f.as["SSC"], in)
		if err != nil {
			t.Fatal(err)
		}
		if red.State != sec.VulnStateTriaged || f.note.count() != 0 {
			t.Fatalf("RED: state %s, %d notices; want held at triaged", red.State, f.note.count())
		}
		for _, who := range []string{"SECAS", "MANA", "SUPA"} {
			if _, err := f.svc.Get(f.ctx, f.as[who], red.Ref); !errs.Is(err, errs.NotFound) {
				t.Errorf("%s sees the RED vulnerability: %v", who, err)
			}
		}
		if rs := f.recipients("SSC", red.Ref); len(rs) == 0 {
			t.Error("the named SSC member does not see who would be told")
		}
		// Marked AMBER by the SSC, it goes out.
		amber := "AMBER"
		if _, err := f.svc.Update(f.ctx, f.as["SSC"], red.Ref, vuln.Update{Classification: &amber, Reason: "Shareable now"}); err != nil {
			t.Fatal(err)
		}
		if g, _ := f.svc.Get(f.ctx, f.as["SSC"], red.Ref); g.State != sec.VulnStateNotified {
			t.Errorf("state %s after AMBER", g.State)
		}
		if len(f.note.to(f.org["SUPA"], "vulnerability.notified")) != 1 {
			t.Error("SUPA was not told")
		}

		// GREEN: every signed-in person sees it, but the recipient rows stay
		// bilateral.
		in = e1Report(yes())
		in.Classification = "GREEN"
		green := f.report("MANA", in)
		if _, err := f.svc.Get(f.ctx, f.as["SUPC"], green.Ref); err != nil {
			t.Errorf("SUPC cannot see a GREEN vulnerability: %v", err)
		}
		if rs := f.recipients("SUPC", green.Ref); len(rs) != 0 {
			t.Errorf("SUPC sees recipients of a GREEN vulnerability: %v", keys(rs))
		}
		_, err = f.svc.Acknowledge(f.ctx, f.as["SUPC"], green.Ref, vuln.AckInput{Statement: vuln.StatementAffected})
		wantCode(t, err, errs.Forbidden, "not told")
	})
}

func TestConcurrentTicks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		v := f.report("MANA", e1Report(yes()))
		f.portfolio("SUPB", "E1@1.2", "", 0)
		f.portfolio("SUPC", "E1@1.2", "", 300)
		f.clock = f.clock.Add(6 * 24 * time.Hour)
		errc := make(chan error, 4)
		for range 4 {
			go func() { errc <- f.svc.Tick(f.ctx, f.clock) }()
		}
		for range 4 {
			if err := <-errc; err != nil {
				t.Error(err, errs.As(err).Err)
			}
		}
		if n := len(f.note.to(f.org["SUPC"], "vulnerability.notified")); n != 1 {
			t.Errorf("SUPC told %d times", n)
		}
		rs := f.recipients("SSC", v.Ref)
		if rs["SUPC/supplier"].Reminders > 1 || rs["DCC/dcc"].Reminders != 1 {
			t.Errorf("reminders after concurrent ticks: SUPC %d, DCC %d", rs["SUPC/supplier"].Reminders, rs["DCC/dcc"].Reminders)
		}
		var rows int
		db.QueryRowContext(f.ctx, "SELECT count(*) FROM vuln_recipients").Scan(&rows)
		if rows != len(rs) {
			t.Errorf("%d recipient rows, %d distinct", rows, len(rs))
		}
	})
}

// TestDeliveryOutbox runs the fan-out through the real delivery outbox:
// one inbox notice and one email job per contact per recipient, written in
// the reporting transaction, nothing twice on Tick, and the recipient row
// showing when its email was delivered.
func TestDeliveryOutbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.svc.Notifier = vuln.Delivery
		v := f.report("MANA", e1Report(yes()))
		count := func(q string, args ...any) int {
			var n int
			if err := db.QueryRowContext(f.ctx, q, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		rs := f.recipients("SSC", v.Ref)
		notices := count("SELECT count(*) FROM notices WHERE record_kind = 'vuln_recipient'")
		jobs := count("SELECT count(*) FROM delivery_jobs WHERE record_kind = 'vuln_recipient' AND channel = 'email'")
		if notices != len(rs) || jobs != len(rs) {
			t.Fatalf("%d recipients, %d notices, %d email jobs", len(rs), notices, jobs)
		}
		if n := count("SELECT count(*) FROM notices WHERE org_id = $1 AND title LIKE $2", f.org["SUPB"], v.Ref+"%"); n != 1 {
			t.Errorf("SUPB's inbox holds %d notices of %s", n, v.Ref)
		}
		f.tick()
		if n := count("SELECT count(*) FROM notices"); n != notices {
			t.Errorf("tick wrote notices again: %d, was %d", n, notices)
		}
		supb := rs["SUPB/supplier"]
		if supb.Delivery != "pending" || supb.DeliveredAt != nil {
			t.Errorf("before the worker: %q %v", supb.Delivery, supb.DeliveredAt)
		}
		// The worker delivers SUPB's email.
		if _, err := db.Writer().ExecContext(f.ctx, "UPDATE delivery_jobs SET state = 'delivered', delivered_at = $1 WHERE record_kind = 'vuln_recipient' AND record_id = $2",
			f.clock.Add(time.Minute), supb.ID); err != nil {
			t.Fatal(err)
		}
		supb = f.recipients("SUPB", v.Ref)["SUPB/supplier"]
		if supb.Delivery != "delivered" || supb.DeliveredAt == nil || !supb.DeliveredAt.Equal(f.clock.Add(time.Minute)) {
			t.Errorf("after delivery: %q %v", supb.Delivery, supb.DeliveredAt)
		}
	})
}

// TestFanOutReachesEveryOperatingSupplier: seeds/000, manufacturers notify
// "all Suppliers which are operating their Devices". SUPC operates only In-Home
// Displays, outside the Smart Metering System (no G3.17(b)/G3.20(b) duty by
// default), and is still told; its notice says it carries no duty for them.
func TestFanOutReachesEveryOperatingSupplier(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		v := f.report("MANA", vuln.NewVulnerability{
			Title: "IHD pairing flaw", Description: "An IHD pairs with any HAN.", Manufacturer: "MANA",
			Affected: []vuln.AffectedInput{{Model: "IHD"}}, Material: yes(), MaterialityRationale: "Pairs without consent.",
		})
		rs := f.recipients("SSC", v.Ref)
		c, ok := rs["SUPC/supplier"]
		if !ok || !c.Active || c.Devices != 50 || c.NotifiedAt == nil {
			t.Fatalf("SUPC operates 50 affected IHDs and must be told: %+v (recipients %v)", c, keys(rs))
		}
		if _, ok := rs["SUPA/supplier"]; ok {
			t.Error("SUPA operates no affected Device and was made a recipient")
		}
		notes := f.note.to(f.org["SUPC"], "vulnerability.notified")
		if len(notes) != 1 {
			t.Fatalf("SUPC got %d notices", len(notes))
		}
		if b := notes[0].Body; !strings.Contains(b, "you operate as Responsible Supplier: 50") || !strings.Contains(b, "You carry no G3.17(b)/G3.20(b) duty") ||
			strings.Contains(b, "tell the SSC the steps") {
			t.Errorf("SUPC's notice: %s", b)
		}
	})
}
