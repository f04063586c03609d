package coverage

import (
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/impracticable"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// user adds a signed-in user of org with role, cleared for RED or not.
func (f *fixture) user(email, org string, role sec.Role, cleared bool) access.Caller {
	f.t.Helper()
	var id int64
	if err := f.db.Writer().QueryRowContext(f.ctx, `INSERT INTO users (org_id, email, name, password_hash, red_cleared, created_at, password_changed_at)
		VALUES ($1, $2, $2, 'x', $3, $4, $4) RETURNING id`, f.orgs[org], email, cleared, time.Now().UTC()).Scan(&id); err != nil {
		f.t.Fatal(err)
	}
	f.exec("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)", id, string(role))
	return access.Caller{UserID: id, OrgID: f.orgs[org], OrgCode: org, Name: email, Roles: []sec.Role{role}, Via: "session"}
}

// G3.20 (seeds/001): "Each User shall, wherever it is practicable to do so,
// establish with" … An accepted record that an arrangement is not
// practicable is its own status, from the day the SSC accepts it to the day
// the Supplier withdraws it; pending and rejected records change nothing,
// and the reason says so.
func TestImpracticableRecordsInCoverage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := handEstate(t, db)
		chair := f.user("chair@ssc.example", "SSC", sec.RoleSSCMember, false)
		supb := f.user("soc@supb.example", "SUPB", sec.RoleSupplier, true)
		uncleared := f.user("clerk@supb.example", "SUPB", sec.RoleSupplier, false)
		supa := f.user("soc@supa.example", "SUPA", sec.RoleSupplier, true)
		mfa := f.user("psirt@mfa.example", "MFA", sec.RoleManufacturer, true)
		day := sec.MustParseDate("2025-03-01")
		svc := &impracticable.Service{DB: db, Today: func(time.Time) sec.Date { return day }}
		at := func(d, supplier, model string) ModelCoverage {
			t.Helper()
			rep, err := f.cov.Compute(f.ctx, f.sys, Query{Date: sec.MustParseDate(d), Supplier: supplier})
			if err != nil {
				t.Fatal(err)
			}
			return modelOf(t, supplierOf(t, rep, supplier), model)
		}
		// SUPB's MFA/E1: 30 inherited inside the churn window, 70 in a gap.
		checkParts(t, at("2025-06-15", "SUPB", "MFA/E1"),
			wantPart{Gap, RouteNone, 70, "", ""}, wantPart{Steps, RouteChurn, 30, "", "2025-09-01"})

		if _, err := svc.Create(f.ctx, uncleared, impracticable.NewRecord{Manufacturer: "MFA", Reason: "MFA will not contract"}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("a user not cleared for RED recording: %v, want forbidden", err)
		}
		if _, err := svc.Create(f.ctx, mfa, impracticable.NewRecord{Manufacturer: "MFA", Reason: "x"}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("a manufacturer recording: %v, want forbidden", err)
		}
		if _, err := svc.Create(f.ctx, supb, impracticable.NewRecord{Manufacturer: "MAPA", Reason: "x"}); !errs.Is(err, errs.Invalid) {
			t.Errorf("a MAP as the manufacturer: %v, want invalid", err)
		}
		rec, err := svc.Create(f.ctx, supb, impracticable.NewRecord{Supplier: "SUPB", Manufacturer: "mfa",
			Reason: "MFA has declined every contract since 2024; its letters are attached."})
		if err != nil {
			t.Fatal(err)
		}
		if rec.State != sec.ImpracticableRecorded || rec.Classification != sec.Red || rec.RecordedOn != day {
			t.Fatalf("record %+v", rec)
		}
		if _, err := svc.Create(f.ctx, supb, impracticable.NewRecord{Manufacturer: "MFA", Reason: "again"}); !errs.Is(err, errs.Conflict) {
			t.Errorf("a second open record for MFA: %v, want conflict", err)
		}
		ev, err := svc.AddEvidence(f.ctx, supb, rec.Reference, "letters.txt", strings.NewReader("MFA's refusal of 3 March 2024\n"))
		if err != nil || len(ev.SHA256) != 64 {
			t.Fatalf("evidence %+v %v", ev, err)
		}
		if _, err := svc.AddEvidence(f.ctx, supb, rec.Reference, "letters.pdf", strings.NewReader("not a pdf")); !errs.Is(err, errs.Invalid) {
			t.Errorf("a disguised file: %v, want invalid", err)
		}

		// RED: the Supplier's cleared people and the SSC; nobody else, the
		// manufacturer named included (SQL).
		for _, who := range []access.Caller{uncleared, supa, mfa} {
			if _, err := svc.Get(f.ctx, who, rec.Reference); !errs.Is(err, errs.NotFound) {
				t.Errorf("%s reading %s: %v, want not found", who.Name, rec.Reference, err)
			}
			if rs, _ := svc.List(f.ctx, who, impracticable.Filter{}); len(rs) != 0 {
				t.Errorf("%s lists %d records", who.Name, len(rs))
			}
		}
		if got, err := svc.Get(f.ctx, chair, rec.Reference); err != nil || len(got.Evidence) != 1 || len(got.Events) != 2 {
			t.Errorf("the chair reading it: %+v %v", got, err)
		}

		// Pending: still a gap, and the reason says why.
		g := at("2025-06-15", "SUPB", "MFA/E1")
		checkParts(t, g, wantPart{Gap, RouteNone, 70, "", ""}, wantPart{Steps, RouteChurn, 30, "", "2025-09-01"})
		if !strings.Contains(g.Parts[0].Reason, "awaits the SSC's decision") {
			t.Errorf("pending reason: %s", g.Parts[0].Reason)
		}

		// The Supplier may not decide; the SSC decides with a note.
		if _, err := svc.Act(f.ctx, supb, rec.Reference, impracticable.Move{Event: sec.ImpracticableAccept, Note: "yes"}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("the Supplier accepting: %v, want forbidden", err)
		}
		if _, err := svc.Act(f.ctx, chair, rec.Reference, impracticable.Move{Event: sec.ImpracticableAccept}); !errs.Is(err, errs.Invalid) {
			t.Errorf("accepting without a note: %v, want invalid", err)
		}
		day = sec.MustParseDate("2025-04-10")
		acc, err := svc.Act(f.ctx, chair, rec.Reference, impracticable.Move{Event: sec.ImpracticableAccept, Note: "Evidence of three refusals seen."})
		if err != nil || acc.State != sec.ImpracticableAccepted || acc.DecidedOn != day || acc.DecidedBy != "chair@ssc.example" {
			t.Fatalf("accepted: %+v %v", acc, err)
		}
		if _, err := svc.Act(f.ctx, chair, rec.Reference, impracticable.Move{Event: sec.ImpracticableReject, Note: "no"}); !errs.Is(err, errs.Conflict) {
			t.Errorf("deciding twice: %v, want conflict", err)
		}
		if _, err := svc.Act(f.ctx, chair, rec.Reference, impracticable.Move{Event: sec.ImpracticableWithdraw}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("the SSC withdrawing: %v, want forbidden", err)
		}

		// Both sides of the decision day.
		checkParts(t, at("2025-04-09", "SUPB", "MFA/E1"), wantPart{Gap, RouteNone, 70, "", ""}, wantPart{Steps, RouteChurn, 30, "", "2025-09-01"})
		on := at("2025-04-10", "SUPB", "MFA/E1")
		checkParts(t, on, wantPart{Impracticable, RouteImpracticable, 70, "", ""}, wantPart{Steps, RouteChurn, 30, "", "2025-09-01"})
		if on.Status != Impracticable || on.Counts.Impracticable != 70 || on.Counts.Gap != 0 ||
			!strings.Contains(on.Parts[0].Reason, "accepted on 2025-04-10") || !strings.Contains(on.Parts[0].Reason, rec.Reference) {
			t.Errorf("accepted: %+v", on)
		}
		if Impracticable.Label() != "Not practicable (accepted by the SSC)" {
			t.Errorf("label %q", Impracticable.Label())
		}

		// Withdrawn on 1 June: it stood the day before, not on the day.
		day = sec.MustParseDate("2025-06-01")
		if _, err := svc.Act(f.ctx, supb, rec.Reference, impracticable.Move{Event: sec.ImpracticableWithdraw}); err != nil {
			t.Fatal(err)
		}
		checkParts(t, at("2025-05-31", "SUPB", "MFA/E1"), wantPart{Impracticable, RouteImpracticable, 70, "", ""}, wantPart{Steps, RouteChurn, 30, "", "2025-09-01"})
		w := at("2025-06-01", "SUPB", "MFA/E1")
		checkParts(t, w, wantPart{Gap, RouteNone, 70, "", ""}, wantPart{Steps, RouteChurn, 30, "", "2025-09-01"})
		if !strings.Contains(w.Parts[0].Reason, "withdrew") {
			t.Errorf("withdrawn reason: %s", w.Parts[0].Reason)
		}

		// Rejected: SUPA's MFC/S1 stays a gap, and says the SSC rejected it.
		day = sec.MustParseDate("2025-05-01")
		r2, err := svc.Create(f.ctx, supa, impracticable.NewRecord{Manufacturer: "MFC", Reason: "MFC asks too much"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Act(f.ctx, chair, r2.Reference, impracticable.Move{Event: sec.ImpracticableReject, Note: "Price is not impracticability."}); err != nil {
			t.Fatal(err)
		}
		rj := at("2025-06-15", "SUPA", "MFC/S1")
		if rj.Status != Gap || !strings.Contains(rj.Parts[0].Reason, "rejected") {
			t.Errorf("rejected: %+v", rj)
		}
		// On the day before it was recorded, nothing is said of it.
		if before := at("2025-04-30", "SUPA", "MFC/S1"); strings.Contains(before.Parts[0].Reason, r2.Reference) {
			t.Errorf("before it was recorded: %s", before.Parts[0].Reason)
		}
		var audits int
		db.QueryRowContext(f.ctx, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'impracticability.%'").Scan(&audits)
		if audits != 6 { // two records, one evidence file, accept, withdraw, reject
			t.Errorf("%d audit records, want 6", audits)
		}
	})
}
