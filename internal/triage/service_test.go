package triage

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

func TestFacilityAssurance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		// Only a Triage Facility Provider applies, for itself.
		if _, err := f.svc.Apply(f.ctx, f.callers["supa"], NewFacility{Name: "X", Address: "Y"}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("a Supplier applies: %v", err)
		}
		if _, err := f.svc.Apply(f.ctx, f.callers["op1"], NewFacility{Provider: "TFQ", Name: "X", Address: "Y"}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("for another provider: %v", err)
		}
		if _, err := f.svc.Apply(f.ctx, f.callers["ssc"], NewFacility{Provider: "SUPA", Name: "X", Address: "Y"}); !errs.Is(err, errs.Invalid) ||
			!strings.Contains(err.Error(), "not a Triage Facility Provider") {
			t.Errorf("the SSC names a Supplier: %v", err)
		}
		if _, err := f.svc.Apply(f.ctx, f.callers["op1"], NewFacility{Name: " ", Address: "", BreachPolicy: "maybe"}); !errs.Is(err, errs.Invalid) ||
			len(errs.As(err).Fields) != 3 {
			t.Errorf("bad fields: %v", err)
		}
		fac, err := f.svc.Apply(f.ctx, f.callers["op1"], NewFacility{Name: "Unit 4", Address: "4 Dock Road"})
		if err != nil || fac.Status != sec.FacilityApplied || fac.BreachPolicy != sec.BreachBlocks || fac.MayRecord {
			t.Fatalf("apply: %+v, %v", fac, err)
		}
		// Not approved: records nothing, and the tool is registered anyway.
		if _, err := f.svc.RegisterTool(f.ctx, f.callers["op1"], fac.ID, ToolInput{Category: "tool", Serial: "T1", Kind: "k",
			Operators: []string{"op1@tfp.example.org"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.RegisterTool(f.ctx, f.callers["op1"], fac.ID, ToolInput{Category: "interface", Serial: "I1", Kind: "k",
			Operators: []string{"op1@tfp.example.org"}}); err != nil {
			t.Fatal(err)
		}
		_, err = f.step(fac.ID, StepInput{DeviceID: dA1, Step: sec.StepReceive, ReceivedFrom: "SUPA"})
		if !errs.Is(err, errs.Conflict) || !strings.Contains(err.Error(), "only an approved facility") {
			t.Errorf("record while applied: %v", err)
		}
		// The provider cannot approve itself; the SSC decides on the FUSA.
		if _, err := f.svc.Decide(f.ctx, f.callers["op1"], fac.ID, Decision{Event: sec.FacilityBeginFUSA}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("provider begins its own FUSA: %v", err)
		}
		if _, err := f.svc.Decide(f.ctx, f.callers["ssc"], fac.ID, Decision{Event: sec.FacilityApprove}); !errs.Is(err, errs.Conflict) ||
			!strings.Contains(err.Error(), "begin_fusa") {
			t.Errorf("approve before the FUSA: %v", err)
		}
		fac, err = f.svc.Decide(f.ctx, f.callers["ssc"], fac.ID, Decision{Event: sec.FacilityBeginFUSA, AssessmentID: 7})
		if err != nil || fac.Status != sec.FacilityInitialFUSA || fac.Assessment == nil || fac.Assessment.ID != 7 {
			t.Fatalf("begin FUSA: %+v, %v", fac, err)
		}
		fac, err = f.svc.Decide(f.ctx, f.callers["ssc"], fac.ID, Decision{Event: sec.FacilityApproveWithStep, Note: "fit CCTV"})
		if err != nil || fac.Status != sec.FacilityApprovedWithSteps || fac.MayRecord || fac.AssessmentID != 7 {
			t.Fatalf("approve subject to steps: %+v, %v", fac, err)
		}
		if got := FacilityEvents(f.callers["op1"], fac); len(got) != 0 {
			t.Errorf("the provider's choices while steps are open: %v", got)
		}
		fac, err = f.svc.Decide(f.ctx, f.callers["ssc"], fac.ID, Decision{Event: sec.FacilityConfirmSteps})
		if err != nil || !fac.MayRecord {
			t.Fatalf("confirm steps: %+v, %v", fac, err)
		}
		f.mustStep(fac.ID, StepInput{DeviceID: dA1, Step: sec.StepReceive, ReceivedFrom: "SUPA"})
		fac, err = f.svc.Decide(f.ctx, f.callers["ssc"], fac.ID, Decision{Event: sec.FacilitySuspend, Note: "follow-up VUSA"})
		if err != nil || fac.MayRecord {
			t.Fatalf("suspend: %+v, %v", fac, err)
		}
		if _, err := f.step(fac.ID, StepInput{DeviceID: dA1, Step: sec.StepBoundaryCheck, Outer: "intact", Inner: "intact"}); !errs.Is(err, errs.Conflict) {
			t.Errorf("record while suspended: %v", err)
		}
		// Who sees the facility.
		for who, want := range map[string]bool{"op2": true, "ssc": true, "opq": false, "supa": false, "mfa": false, "public": false} {
			_, err := f.svc.Facility(f.ctx, f.callers[who], fac.ID)
			if (err == nil) != want || (err != nil && !errs.Is(err, errs.NotFound)) {
				t.Errorf("%s reads the facility: %v", who, err)
			}
			fs, _ := f.svc.Facilities(f.ctx, f.callers[who])
			if (len(fs) == 1) != want {
				t.Errorf("%s lists %d facilities", who, len(fs))
			}
		}
		if _, err := f.svc.SetBreachPolicy(f.ctx, f.callers["opq"], fac.ID, "allow"); !errs.Is(err, errs.NotFound) {
			t.Errorf("another provider sets the policy: %v", err)
		}
		if fac, err = f.svc.SetBreachPolicy(f.ctx, f.callers["op2"], fac.ID, "allow"); err != nil || fac.BreachPolicy != sec.BreachAllowed {
			t.Errorf("set policy: %+v, %v", fac, err)
		}
	})
}

// A Device through every step, and each illegal order refused with nothing
// written.
func TestTriageWalk(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		fac := f.approved("")
		head := func() int64 {
			fc, err := f.svc.Facility(f.ctx, f.callers["system"], fac)
			if err != nil {
				t.Fatal(err)
			}
			return fc.Entries
		}
		refused := func(name string, in StepInput, code errs.Code, says string) {
			t.Helper()
			before := head()
			_, err := f.step(fac, in)
			if !errs.Is(err, code) || !strings.Contains(err.Error(), says) {
				t.Errorf("%s: err = %v, want %s saying %q", name, err, code, says)
			}
			if head() != before {
				t.Errorf("%s: the record grew although the step was refused", name)
			}
		}
		refused("a Device unknown to the estate", StepInput{DeviceID: dX, Step: sec.StepReceive, ReceivedFrom: "SUPA"}, errs.Invalid, "not in the estate")
		refused("received from nobody", StepInput{DeviceID: dA1, Step: sec.StepReceive}, errs.Invalid, "received_from")
		refused("no boundary check before receipt", StepInput{DeviceID: dA1, Step: sec.StepBoundaryCheck, Outer: "intact", Inner: "intact"}, errs.Conflict, "possible from \"out\": receive")

		e := f.mustStep(fac, StepInput{DeviceID: dA1, Step: sec.StepReceive, ReceivedFrom: "SUPA returns"})
		if e.Detail.Model != "MFA/E1" || e.Detail.Firmware != "1.0" || e.Detail.CPAStatus != "Valid" || e.Seq != 1 {
			t.Errorf("receive: %+v", e)
		}
		if st := f.estateStatus(dA1); st != estate.InTriage {
			t.Errorf("estate status after receipt: %s", st)
		}
		f.verifyEstate()

		refused("an operator not allowed on the tool", StepInput{DeviceID: dA1, Step: sec.StepBoundaryCheck, Outer: "intact", Inner: "intact", Tool: "T2", Interface: "I1"},
			errs.Forbidden, "not allowed to use T2")
		_, err := f.svc.Record(f.ctx, f.callers["op2"], fac, StepInput{DeviceID: dA1, Step: sec.StepBoundaryCheck, Outer: "intact", Inner: "intact", Tool: "T1", Interface: "I1"})
		if !errs.Is(err, errs.Forbidden) || !strings.Contains(err.Error(), "op2@tfp.example.org is not allowed to use T1") {
			t.Errorf("op2 on T1: %v", err)
		}
		if _, err := f.svc.Record(f.ctx, f.callers["opq"], fac, StepInput{DeviceID: dA1, Step: sec.StepDiagnose, Note: "x", Tool: "T1", Interface: "I1"}); !errs.Is(err, errs.NotFound) {
			t.Errorf("another provider's operator: %v", err)
		}
		if _, err := f.svc.Record(f.ctx, f.callers["ssc"], fac, StepInput{DeviceID: dA1, Step: sec.StepDiagnose, Note: "x", Tool: "T1", Interface: "I1"}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("the SSC records: %v", err)
		}
		refused("an unknown tool", StepInput{DeviceID: dA1, Step: sec.StepDiagnose, Note: "x", Tool: "T9", Interface: "I1"}, errs.Invalid, "no Triage tool with serial \"T9\"")
		refused("no seal before a boundary check", StepInput{DeviceID: dA1, Step: sec.StepFitSeal, Seal: "S-1"}, errs.Conflict, "cannot \"fit_seal\" from \"received\"")
		refused("a breach without a reason where the policy blocks", StepInput{DeviceID: dA1, Step: sec.StepBoundaryCheck, Outer: "breached", Inner: "intact"},
			errs.Invalid, "outer tamper boundary is breached")
		refused("a boundary that is neither", StepInput{DeviceID: dA1, Step: sec.StepBoundaryCheck, Outer: "open", Inner: "intact"}, errs.Invalid, "outer")

		e = f.mustStep(fac, StepInput{DeviceID: dA1, Step: sec.StepBoundaryCheck, Outer: "breached", Inner: "intact", Reason: "battery failure tamper alert"})
		if !e.Detail.Breached() || e.Detail.BreachReason != "battery failure tamper alert" || e.To != sec.TriageChecked {
			t.Errorf("legitimate breach: %+v", e)
		}
		refused("diagnostics without a finding", StepInput{DeviceID: dA1, Step: sec.StepDiagnose}, errs.Invalid, "note")
		f.mustStep(fac, StepInput{DeviceID: dA1, Step: sec.StepDiagnose, Note: "battery low, radio OK"})
		f.mustStep(fac, StepInput{DeviceID: dA1, Step: sec.StepFactoryReset})
		refused("release without a seal", StepInput{DeviceID: dA1, Step: sec.StepRelease, ReleasedTo: "SUPA"}, errs.Conflict, "cannot \"release\" from \"reset\"")
		refused("firmware not in the catalogue", StepInput{DeviceID: dA1, Step: sec.StepFirmwareUpdate, Firmware: "9.9"}, errs.Invalid, "not a firmware version")
		e = f.mustStep(fac, StepInput{DeviceID: dA1, Step: sec.StepFirmwareUpdate, Firmware: "1.1"})
		if e.Detail.FirmwareFrom != "1.0" || e.Detail.FirmwareTo != "1.1" {
			t.Errorf("firmware update: %+v", e.Detail)
		}
		dev, _ := f.svc.Estate.Device(f.ctx, f.callers["system"], dA1)
		if dev.Firmware != "1.1" || len(dev.FirmwareHistory) != 2 {
			t.Errorf("estate firmware history: %+v", dev.FirmwareHistory)
		}
		f.mustStep(fac, StepInput{DeviceID: dA1, Step: sec.StepFitSeal, Seal: "s-0001"})
		refused("release to nobody", StepInput{DeviceID: dA1, Step: sec.StepRelease}, errs.Invalid, "released_to")
		e = f.mustStep(fac, StepInput{DeviceID: dA1, Step: sec.StepRelease, ReleasedTo: "SUPA stores"})
		if e.Detail.EstateStatus != estate.Installed || f.estateStatus(dA1) != estate.Installed {
			t.Errorf("release: %+v, estate %s", e.Detail, f.estateStatus(dA1))
		}
		f.verifyEstate()

		// A seal is never used twice, at any facility, even on a Device
		// released long ago.
		f.mustStep(fac, StepInput{DeviceID: dA2, Step: sec.StepReceive, ReceivedFrom: "SUPA"})
		f.mustStep(fac, StepInput{DeviceID: dA2, Step: sec.StepBoundaryCheck, Outer: "intact", Inner: "intact"})
		refused("a duplicate seal", StepInput{DeviceID: dA2, Step: sec.StepFitSeal, Seal: "S-0001"}, errs.Invalid, "seal S-0001 has been fitted before")
		// Rejected, then disposed: nothing after.
		f.mustStep(fac, StepInput{DeviceID: dA2, Step: sec.StepReject, Reason: "cracked case"})
		e = f.mustStep(fac, StepInput{DeviceID: dA2, Step: sec.StepDispose, Reason: "WEEE"})
		if f.estateStatus(dA2) != estate.Disposed || e.To != sec.TriageDisposed {
			t.Errorf("dispose: %+v, estate %s", e, f.estateStatus(dA2))
		}
		refused("nothing after disposal", StepInput{DeviceID: dA2, Step: sec.StepReceive, ReceivedFrom: "SUPA"}, errs.Conflict, "nothing can happen from \"disposed\"")
		f.verifyEstate()

		// A Device at one facility cannot be received at another.
		f.mustStep(fac, StepInput{DeviceID: dM, Step: sec.StepReceive, ReceivedFrom: "SUPA"})
		other, err := f.svc.Apply(f.ctx, f.callers["opq"], NewFacility{Name: "Q", Address: "Q"})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range []sec.FacilityEvent{sec.FacilityBeginFUSA, sec.FacilityApprove} {
			if _, err := f.svc.Decide(f.ctx, f.callers["ssc"], other.ID, Decision{Event: ev}); err != nil {
				t.Fatal(err)
			}
		}
		for _, ti := range []ToolInput{{Category: "tool", Serial: "QT", Kind: "k", Operators: []string{"opq@tfq.example.org"}},
			{Category: "interface", Serial: "QI", Kind: "k", Operators: []string{"opq@tfq.example.org"}}} {
			if _, err := f.svc.RegisterTool(f.ctx, f.callers["opq"], other.ID, ti); err != nil {
				t.Fatal(err)
			}
		}
		_, err = f.svc.Record(f.ctx, f.callers["opq"], other.ID, StepInput{DeviceID: dM, Step: sec.StepReceive, ReceivedFrom: "SUPA", Tool: "QT", Interface: "QI"})
		if !errs.Is(err, errs.Conflict) || !strings.Contains(err.Error(), "another facility") {
			t.Errorf("received at a second facility: %v", err)
		}
		// A seal fitted at the first facility is refused at the second.
		if _, err := f.svc.Record(f.ctx, f.callers["opq"], other.ID, StepInput{DeviceID: dA3, Step: sec.StepReceive, ReceivedFrom: "SUPA", Tool: "QT", Interface: "QI"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Record(f.ctx, f.callers["opq"], other.ID, StepInput{DeviceID: dA3, Step: sec.StepBoundaryCheck, Outer: "intact", Inner: "intact", Tool: "QT", Interface: "QI"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Record(f.ctx, f.callers["opq"], other.ID, StepInput{DeviceID: dA3, Step: sec.StepFitSeal, Seal: "S-0001", Tool: "QT", Interface: "QI"}); !errs.Is(err, errs.Invalid) {
			t.Errorf("a seal of another facility: %v", err)
		}
		rep := f.verifyOK(fac)
		if rep.Checked != head() {
			t.Errorf("checked %d of %d entries", rep.Checked, head())
		}
		f.verifyOK(other.ID)
		// Every use of a tool is in the record.
		ts, err := f.svc.Tools(f.ctx, f.callers["op2"], fac)
		if err != nil {
			t.Fatal(err)
		}
		for _, tl := range ts {
			if tl.Serial == "T1" && tl.Uses != head() {
				t.Errorf("T1 used %d times, the record has %d entries", tl.Uses, head())
			}
		}
	})
}

// Who reads whose triage history.
func TestHistoryVisibility(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		fac := f.approved("")
		f.mustStep(fac, StepInput{DeviceID: dA1, Step: sec.StepReceive, ReceivedFrom: "SUPA"})
		f.mustStep(fac, StepInput{DeviceID: dB1, Step: sec.StepReceive, ReceivedFrom: "SUPB"})
		for _, tt := range []struct {
			who  string
			id   estate.DeviceID
			sees bool
		}{
			{"supa", dA1, true}, {"supa", dB1, false}, {"supb", dB1, true}, {"supb", dA1, false},
			{"op2", dA1, true}, {"opq", dA1, false}, {"ssc", dB1, true}, {"mfa", dA1, false}, {"public", dA1, false},
		} {
			h, err := f.svc.DeviceHistory(f.ctx, f.callers[tt.who], tt.id)
			if tt.sees != (err == nil) || (err != nil && !errs.Is(err, errs.NotFound)) {
				t.Errorf("%s reads %s: %+v, %v", tt.who, tt.id, h, err)
			}
		}
		// A Device never triaged answers the same as one not visible.
		_, e1 := f.svc.DeviceHistory(f.ctx, f.callers["supa"], dB1)
		_, e2 := f.svc.DeviceHistory(f.ctx, f.callers["supa"], dA3)
		if e1 == nil || e2 == nil || strings.ReplaceAll(e1.Error(), dB1.String(), "X") != strings.ReplaceAll(e2.Error(), dA3.String(), "X") {
			t.Errorf("not visible %v / never triaged %v", e1, e2)
		}
		r, _ := EntrySpec.Parse(url.Values{"limit": {"1"}})
		page, err := f.svc.EntriesPage(f.ctx, f.callers["ssc"], fac, r)
		if err != nil || page.Total != 2 || len(page.Items) != 1 || page.Items[0].Seq != 2 || page.NextCursor == "" {
			t.Errorf("page 1: %+v, %v", page, err)
		}
		r, _ = EntrySpec.Parse(url.Values{"limit": {"1"}, "cursor": {page.NextCursor}})
		page, err = f.svc.EntriesPage(f.ctx, f.callers["ssc"], fac, r)
		if err != nil || len(page.Items) != 1 || page.Items[0].Seq != 1 || page.NextCursor != "" {
			t.Errorf("page 2: %+v, %v", page, err)
		}
		// The former cursor, before, still works in the default order.
		r, _ = EntrySpec.Parse(url.Values{"before": {"2"}})
		if page, err = f.svc.EntriesPage(f.ctx, f.callers["ssc"], fac, r); err != nil || page.Total != 1 || page.Items[0].Seq != 1 {
			t.Errorf("before=2: %+v, %v", page, err)
		}
		if _, err := f.svc.EntriesPage(f.ctx, f.callers["supa"], fac, EntrySpec.First()); !errs.Is(err, errs.NotFound) {
			t.Errorf("a Supplier pages the facility: %v", err)
		}
		r, _ = EntrySpec.Parse(url.Values{"device": {"not-a-device"}})
		if _, err := f.svc.EntriesPage(f.ctx, f.callers["ssc"], fac, r); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "device") {
			t.Errorf("a bad device: %v", err)
		}
	})
}

func TestReports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		fac := f.approved("")
		for _, in := range []StepInput{
			{DeviceID: dA1, Step: sec.StepReceive, ReceivedFrom: "SUPA"},
			{DeviceID: dA1, Step: sec.StepBoundaryCheck, Outer: "breached", Inner: "intact", Reason: "battery alert"},
			{DeviceID: dA1, Step: sec.StepFitSeal, Seal: "P-1"},
			{DeviceID: dA1, Step: sec.StepRelease, ReleasedTo: "SUPA"},
			{DeviceID: dB1, Step: sec.StepReceive, ReceivedFrom: "SUPB"},
			{DeviceID: dB1, Step: sec.StepReject, Reason: "water damage"},
			{DeviceID: dM, Step: sec.StepReceive, ReceivedFrom: "SUPA"},
		} {
			f.mustStep(fac, in)
		}
		rep, err := f.svc.Report(f.ctx, f.callers["op2"], fac)
		if err != nil {
			t.Fatal(err)
		}
		want := map[sec.TriageStep]int64{sec.StepReceive: 3, sec.StepBoundaryCheck: 1, sec.StepFitSeal: 1, sec.StepRelease: 1, sec.StepReject: 1}
		for _, sc := range rep.Steps {
			if want[sc.Step] != sc.Count {
				t.Errorf("step %s: %d, want %d", sc.Step, sc.Count, want[sc.Step])
			}
		}
		if rep.Seals != 1 || rep.Breaches != 1 || len(rep.Recent) != 1 || rep.Recent[0].Reason != "battery alert" || len(rep.Steps) != 5 {
			t.Errorf("report: %+v", rep)
		}
		if _, err := f.svc.Report(f.ctx, f.callers["supa"], fac); !errs.Is(err, errs.NotFound) {
			t.Errorf("a Supplier reads the facility report: %v", err)
		}
		ov, err := f.svc.Overview(f.ctx, f.callers["ssc"])
		if err != nil || len(ov) != 1 || ov[0].Entries != 7 {
			t.Errorf("SSC overview: %+v, %v", ov, err)
		}
		// The manufacturer sees its models' outcomes and nothing of who
		// supplied them; MFB sees only its G1.
		out, err := f.svc.Outcomes(f.ctx, f.callers["mfa"])
		if err != nil || len(out) != 1 || out[0].Model != "E1" || out[0].Devices != 2 || out[0].Breaches != 1 {
			t.Fatalf("MFA outcomes: %+v, %v", out, err)
		}
		if b, _ := json.Marshal(out); strings.Contains(string(b), "SUP") {
			t.Errorf("the outcomes name a Supplier: %s", b)
		}
		out, err = f.svc.Outcomes(f.ctx, f.callers["mfb"])
		if err != nil || len(out) != 1 || out[0].Model != "G1" || out[0].Devices != 1 {
			t.Errorf("MFB outcomes: %+v, %v", out, err)
		}
		if out, err := f.svc.Outcomes(f.ctx, f.callers["ssc"]); err != nil || len(out) != 2 {
			t.Errorf("SSC outcomes: %+v, %v", out, err)
		}
		if _, err := f.svc.Outcomes(f.ctx, f.callers["supa"]); !errs.Is(err, errs.Forbidden) {
			t.Errorf("a Supplier reads outcomes: %v", err)
		}
	})
}
