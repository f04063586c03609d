package triage

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// Tampering with the record directly in SQL, each way, is found; putting the
// rows back makes the chain whole again.
func TestVerifyFindsTampering(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		fac := f.approved("")
		f.mustStep(fac, StepInput{DeviceID: dA1, Step: sec.StepReceive, ReceivedFrom: "SUPA"})
		f.mustStep(fac, StepInput{DeviceID: dA2, Step: sec.StepReceive, ReceivedFrom: "SUPA"})
		f.mustStep(fac, StepInput{DeviceID: dA1, Step: sec.StepBoundaryCheck, Outer: "intact", Inner: "intact"})
		f.mustStep(fac, StepInput{DeviceID: dA1, Step: sec.StepFitSeal, Seal: "Z-1"})
		f.mustStep(fac, StepInput{DeviceID: dA1, Step: sec.StepRelease, ReceivedFrom: "", ReleasedTo: "SUPA"})
		f.verifyOK(fac)
		for _, tt := range []struct {
			name    string
			tamper  []string
			seq     int64
			because string
		}{
			{"an edited detail", []string{`UPDATE triage_entries SET detail = REPLACE(detail, 'Z-1', 'Z-2') WHERE facility_id = $1 AND seq = 4`}, 4, "was edited"},
			{"an edited operator", []string{`UPDATE triage_entries SET operator = 'someone@else' WHERE facility_id = $1 AND seq = 1`}, 1, "was edited"},
			{"an edited supplier (who may read it)", []string{`UPDATE triage_entries SET supplier_id = supplier_id + 1 WHERE facility_id = $1 AND seq = 2`}, 2, "was edited"},
			{"an edited time", []string{`UPDATE triage_entries SET at = '2001-01-01 00:00:00+00:00' WHERE facility_id = $1 AND seq = 3`}, 3, "was edited"},
			{"a deleted entry", []string{`DELETE FROM triage_entries WHERE facility_id = $1 AND seq = 2`}, 2, "entry 2 is missing"},
			{"a deleted tail", []string{`DELETE FROM triage_entries WHERE facility_id = $1 AND seq = 5`}, 5, "entries at the end were deleted"},
			{"two entries swapped", []string{
				`UPDATE triage_entries SET seq = -3 WHERE facility_id = $1 AND seq = 3`,
				`UPDATE triage_entries SET seq = 3 WHERE facility_id = $1 AND seq = 2`,
				`UPDATE triage_entries SET seq = 2 WHERE facility_id = $1 AND seq = -3`}, 2, "does not link to entry 1"},
			{"a deleted entry renumbered", []string{
				`DELETE FROM triage_entries WHERE facility_id = $1 AND seq = 3`,
				`UPDATE triage_entries SET seq = seq - 1 WHERE facility_id = $1 AND seq > 3`,
				`UPDATE triage_facilities SET head_seq = head_seq - 1 WHERE id = $1`}, 3, "does not link to entry 2"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				saved := f.snapshot(fac)
				for _, q := range tt.tamper {
					f.exec(q, fac)
				}
				rep, err := f.svc.Verify(f.ctx, f.callers["ssc"], fac)
				if err != nil {
					t.Fatal(err)
				}
				if rep.OK() || rep.Broken.Seq != tt.seq || !strings.Contains(rep.Broken.Reason, tt.because) {
					t.Errorf("Verify = %+v, want a break at %d saying %q", rep.Broken, tt.seq, tt.because)
				}
				f.restore(fac, saved)
				f.verifyOK(fac)
			})
		}
		if _, err := f.svc.Verify(f.ctx, f.callers["supa"], fac); !errs.Is(err, errs.NotFound) {
			t.Errorf("a Supplier verifies the facility: %v", err)
		}
	})
}

type snapshot struct {
	rows     [][]any
	headSeq  int64
	headHash string
}

func (f *fixture) snapshot(fac int64) snapshot {
	f.t.Helper()
	rows, err := f.db.QueryContext(f.ctx, "SELECT "+entryCols+" FROM triage_entries WHERE facility_id = $1 ORDER BY seq", fac)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	var s snapshot
	for rows.Next() {
		var e Entry
		if err := scanEntry(rows, &e); err != nil {
			f.t.Fatal(err)
		}
		s.rows = append(s.rows, []any{e.FacilityID, e.Seq, e.At, e.DeviceID.Int64(), string(e.Step), string(e.From), string(e.To),
			e.operatorID, e.Operator, e.toolID, e.interfaceID, e.supplierID, e.modelID, e.detail, e.PrevHash, e.Hash})
	}
	f.scan(&s.headSeq, "SELECT head_seq FROM triage_facilities WHERE id = $1", fac)
	f.scan(&s.headHash, "SELECT head_hash FROM triage_facilities WHERE id = $1", fac)
	return s
}

func (f *fixture) restore(fac int64, s snapshot) {
	f.t.Helper()
	f.exec("DELETE FROM triage_entries WHERE facility_id = $1", fac)
	for _, r := range s.rows {
		f.exec("INSERT INTO triage_entries ("+entryCols+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)", r...)
	}
	f.exec("UPDATE triage_facilities SET head_seq = $1, head_hash = $2 WHERE id = $3", s.headSeq, s.headHash, fac)
}

// Random sequences of steps against the service agree with the lifecycle
// table: a step the table allows from the Device's state is recorded (given
// valid fields), one it does not is refused with nothing written, and the
// chain holds at the end.
func TestRandomStepSequences(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		fac := f.approved("")
		rng := rand.New(rand.NewPCG(11, uint64(len(db.Dialect))))
		devices := []estate.DeviceID{dA1, dA2, dA3, dB1}
		state := map[estate.DeviceID]sec.TriageState{}
		for _, d := range devices {
			state[d] = sec.TriageOut
		}
		seal := 0
		var entries int64
		accepted, refused := 0, 0
		for range 300 {
			d := devices[rng.IntN(len(devices))]
			// Two steps in three from those the table allows, so walks go
			// deep; the rest at random, mostly illegal.
			step := sec.TriageSteps[rng.IntN(len(sec.TriageSteps))]
			if next := sec.TriageLifecycle.Events(state[d], sec.ActorOwner); len(next) > 0 && rng.IntN(3) > 0 {
				step = next[rng.IntN(len(next))]
			}
			in := StepInput{DeviceID: d, Step: step, ReceivedFrom: "SUPA", ReleasedTo: "SUPA", Outer: "intact", Inner: "intact",
				Note: "ok", Reason: "test", Firmware: "1.1"}
			if rng.IntN(2) == 0 {
				in.Firmware = "1.0"
			}
			seal++
			in.Seal = "R-" + itoa(seal)
			want, tableErr := sec.TriageLifecycle.Next(state[d], step, sec.ActorOwner)
			e, err := f.step(fac, in)
			switch {
			case tableErr != nil:
				if !errs.Is(err, errs.Conflict) {
					t.Fatalf("%s from %s: the table refuses (%v), the service says %v", step, state[d], tableErr, err)
				}
				refused++
			case step == sec.StepFirmwareUpdate && err != nil && strings.Contains(err.Error(), "already runs"):
				// The same firmware again: refused by the estate, nothing written.
				refused++
			case err != nil:
				t.Fatalf("%s from %s: the table allows it, the service says %v", step, state[d], err)
			default:
				if e.To != want || e.From != state[d] {
					t.Fatalf("%s from %s: recorded %s → %s, the table says %s", step, state[d], e.From, e.To, want)
				}
				state[d] = want
				entries++
				accepted++
			}
		}
		rep := f.verifyOK(fac)
		if rep.Checked != entries {
			t.Errorf("%d entries in the chain, %d accepted", rep.Checked, entries)
		}
		if accepted < 20 || refused < 20 {
			t.Errorf("the walk was lopsided: %d accepted, %d refused", accepted, refused)
		}
		for _, d := range devices {
			h, err := f.svc.DeviceHistory(f.ctx, f.callers["ssc"], d)
			if state[d] == sec.TriageOut {
				continue
			}
			if err != nil || h.State != state[d] {
				t.Errorf("%s: history state %s, walk %s (%v)", d, h.State, state[d], err)
			}
		}
		f.verifyEstate()
		t.Logf("%d steps accepted, %d refused", accepted, refused)
	})
}
