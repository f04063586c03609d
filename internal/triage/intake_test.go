package triage

import (
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

func TestIntake(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		fac := f.approved("")
		f.mustStep(fac, StepInput{DeviceID: dA3, Step: sec.StepReceive, ReceivedFrom: "SUPA"})
		head := f.verifyOK(fac).Checked

		bad := "device_id,received_from,tool,interface\n" +
			"00AA000000000001,SUPA,T1,I1\n" + // fine
			"00-AA-00-00-00-00-00-02,SUPA,T2,I1\n" + // op1 may not use T2
			"00DD000000000001,SUPA,T1,I1\n" + // not in the estate
			"00AA000000000003,SUPA,T1,I1\n" + // already received
			"00AA000000000001,SUPA,T1,I1\n" + // twice in the file
			"zz,,T1,I1\n" // a bad ID and no sender
		_, err := f.svc.Intake(f.ctx, f.callers["op1"], fac, strings.NewReader(bad))
		e := errs.As(err)
		if e.Code != errs.Invalid || !strings.Contains(e.Message, "nothing was written") {
			t.Fatalf("bad file: %v", err)
		}
		text := err.Error()
		for _, want := range []string{"line 3: ", "not allowed to use T2", "line 4: device_id: Device 00-DD-00-00-00-00-00-01 is not in the estate",
			"line 5: device_id: Device 00-AA-00-00-00-00-00-03 is received", "line 6: device_id: Device 00-AA-00-00-00-00-00-01 is also on line 2",
			"line 7: device_id", "line 7: received_from: is required"} {
			if !strings.Contains(text, want) {
				t.Errorf("the error should say %q:\n%s", want, text)
			}
		}
		if got := f.verifyOK(fac).Checked; got != head {
			t.Errorf("the record grew to %d entries from %d", got, head)
		}
		if st := f.estateStatus(dA1); st != estate.Installed {
			t.Errorf("dA1 moved to %s although the file was refused", st)
		}

		good := "\uFEFFdevice_id,received_from,tool,interface\n00AA000000000001,SUPA depot,T1,I1\n00-bb-00-00-00-00-00-01,SUPB,T1,I1\n00CC000000000001,SUPA,T1,I1\n"
		res, err := f.svc.Intake(f.ctx, f.callers["op1"], fac, strings.NewReader(good))
		if err != nil || res.Received != 3 || res.FirstSeq != head+1 || res.LastSeq != head+3 {
			t.Fatalf("intake: %+v, %v", res, err)
		}
		for _, id := range []estate.DeviceID{dA1, dB1, dM} {
			if st := f.estateStatus(id); st != estate.InTriage {
				t.Errorf("%s: estate %s", id, st)
			}
			h, err := f.svc.DeviceHistory(f.ctx, f.callers["op2"], id)
			if err != nil || h.State != sec.TriageReceived || h.Entries[0].Detail.CPAStatus == "" {
				t.Errorf("%s: %+v, %v", id, h, err)
			}
		}
		f.verifyEstate()
		f.verifyOK(fac)
		// The Supplier of each sees its own only.
		if _, err := f.svc.DeviceHistory(f.ctx, f.callers["supb"], dB1); err != nil {
			t.Errorf("SUPB reads its Device: %v", err)
		}
		if _, err := f.svc.DeviceHistory(f.ctx, f.callers["supb"], dA1); !errs.Is(err, errs.NotFound) {
			t.Errorf("SUPB reads SUPA's Device: %v", err)
		}
		for name, file := range map[string]string{
			"empty":      "",
			"header":     "device_id,from\n",
			"no devices": "device_id,received_from,tool,interface\n",
		} {
			if _, err := f.svc.Intake(f.ctx, f.callers["op1"], fac, strings.NewReader(file)); !errs.Is(err, errs.Invalid) {
				t.Errorf("%s: %v", name, err)
			}
		}
		if _, err := f.svc.Intake(f.ctx, f.callers["supa"], fac, strings.NewReader(good)); !errs.Is(err, errs.NotFound) {
			t.Errorf("a Supplier's intake: %v", err)
		}
	})
}

func FuzzParseIntakeRow(f *testing.F) {
	for _, seed := range [][]string{
		{"00AA000000000001", "SUPA", "T1", "I1"},
		{"00-aa-00-00-00-00-00-01", " depot ", "T1", "I1"},
		{"", "", "", ""},
		{"zz", "a\x00b", "T", "I"},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3])
	}
	f.Fuzz(func(t *testing.T, id, from, tool, iface string) {
		r, fes := ParseIntakeRow([]string{id, from, tool, iface})
		if len(fes) > 0 {
			return
		}
		// A row that parses writes back to one that parses the same.
		again, fes := ParseIntakeRow(r.Record())
		if len(fes) > 0 || again != r {
			t.Fatalf("%q → %+v → %q → %+v %v", []string{id, from, tool, iface}, r, r.Record(), again, fes)
		}
		if r.ReceivedFrom == "" || r.Tool == "" || r.Interface == "" {
			t.Fatalf("a required field is empty: %+v", r)
		}
	})
}
