package triage

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/listing/listingtest"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

func parse(t *testing.T, spec *listing.Spec, q url.Values) listing.Request {
	t.Helper()
	r, err := spec.Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// exported is the number of rows of a CSV export.
func exported(t *testing.T, header []string, run func(listing.Writer) error) int {
	t.Helper()
	var buf bytes.Buffer
	lw, _ := listing.NewWriter(&buf, "csv", header)
	if err := run(lw); err != nil {
		t.Fatal(err)
	}
	lw.Close()
	return len(strings.Split(strings.TrimSpace(buf.String()), "\n")) - 1
}

// Issue 15: a facility's record pages on the shared core, stable in every
// order while entries are recorded between the fetches; its filters and
// export agree.
func TestRecordPagesStably(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		fac := f.approved("")
		devices := []estate.DeviceID{dA1, dA2, dA3, dB1}
		for _, d := range devices {
			f.mustStep(fac, StepInput{DeviceID: d, Step: sec.StepReceive, ReceivedFrom: "depot"})
			f.mustStep(fac, StepInput{DeviceID: d, Step: sec.StepBoundaryCheck, Outer: "intact", Inner: "intact"})
		}
		var queue []StepInput
		for _, d := range devices {
			queue = append(queue, StepInput{DeviceID: d, Step: sec.StepDiagnose, Note: "fine"}, StepInput{DeviceID: d, Step: sec.StepFactoryReset})
		}
		fetch := func(r listing.Request) (listing.Page[Entry], error) {
			return f.svc.EntriesPage(f.ctx, f.callers["op2"], fac, r)
		}
		insert := func() {
			if len(queue) > 0 {
				f.mustStep(fac, queue[0])
				queue = queue[1:]
			}
		}
		listingtest.Stable(t, EntrySpec, nil, 3, fetch, func(e Entry) int64 { return e.Seq }, insert)

		for q, want := range map[string]int64{
			"step=receive": 4, "state=checked": 4, "device=" + dB1.String(): 4, "supplier=supb": 4, "supplier=SUPA": 12,
			"manufacturer=mfa": 16, "model=e1": 16, "model=G1": 0, "q=depot": 4, "from=2026-01-01": 16, "to=2000-01-01": 0,
		} {
			v, _ := url.ParseQuery(q)
			p, err := fetch(parse(t, EntrySpec, v))
			if err != nil || p.Total != want {
				t.Errorf("%s: %d entries, want %d (%v)", q, p.Total, want, err)
			}
		}
		r := parse(t, EntrySpec, url.Values{"step": {"receive"}})
		if n := exported(t, EntryCSVHeader, func(w listing.Writer) error { return f.svc.ExportEntries(f.ctx, f.callers["ssc"], fac, r, w) }); n != 4 {
			t.Errorf("export: %d rows, want 4", n)
		}
	})
}

// The facilities, the overview, the tools, the Devices in triage and the
// outcomes page, filter and export as the caller may see them.
func TestTriageLists(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		fac := f.approved("")
		n := 0
		apply := func() {
			who := []string{"op1", "opq"}[n%2]
			if _, err := f.svc.Apply(f.ctx, f.callers[who], NewFacility{Name: fmt.Sprintf("Site %02d", n), Address: "Road " + who}); err != nil {
				t.Fatal(err)
			}
			n++
		}
		for range 5 {
			apply()
		}
		insert := func() {
			if n < 20 {
				apply()
			}
		}
		fetch := func(r listing.Request) (listing.Page[Facility], error) {
			return f.svc.FacilitiesPage(f.ctx, f.callers["ssc"], r)
		}
		listingtest.Stable(t, FacilitySpec, nil, 3, fetch, func(x Facility) int64 { return x.ID }, insert)

		own, err := f.svc.FacilitiesPage(f.ctx, f.callers["opq"], FacilitySpec.First())
		if err != nil || own.Total == 0 || own.Total >= int64(n) {
			t.Fatalf("TFQ's facilities: %d of %d, %v", own.Total, n, err)
		}
		for _, x := range own.Items {
			if x.Provider != "TFQ" {
				t.Errorf("TFQ sees %s's facility %s", x.Provider, x.Name)
			}
		}
		for q, want := range map[string]int64{"provider=tfq": own.Total, "state=operating": 1, "q=road opq": own.Total, "from=2000-01-01": int64(n) + 1} {
			v, _ := url.ParseQuery(q)
			if p, err := fetch(parse(t, FacilitySpec, v)); err != nil || p.Total != want {
				t.Errorf("facilities %s: %d, want %d (%v)", q, p.Total, want, err)
			}
		}
		if got := exported(t, FacilityCSVHeader, func(w listing.Writer) error {
			return f.svc.ExportFacilities(f.ctx, f.callers["opq"], FacilitySpec.First(), w)
		}); int64(got) != own.Total {
			t.Errorf("TFQ's export: %d rows, want %d", got, own.Total)
		}

		f.mustStep(fac, StepInput{DeviceID: dA1, Step: sec.StepReceive, ReceivedFrom: "SUPA"})
		f.mustStep(fac, StepInput{DeviceID: dA1, Step: sec.StepBoundaryCheck, Outer: "breached", Inner: "intact", Reason: "battery alert"})
		f.mustStep(fac, StepInput{DeviceID: dB1, Step: sec.StepReceive, ReceivedFrom: "SUPB"})
		f.mustStep(fac, StepInput{DeviceID: dM, Step: sec.StepReceive, ReceivedFrom: "SUPA"})

		ov, err := f.svc.OverviewPage(f.ctx, f.callers["ssc"], parse(t, FacilitySpec, url.Values{"state": {"operating"}}))
		if err != nil || ov.Total != 1 || len(ov.Items) != 1 || ov.Items[0].Entries != 4 || ov.Items[0].Breaches != 1 {
			t.Errorf("overview: %+v, %v", ov, err)
		}
		if got := exported(t, OverviewCSVHeader, func(w listing.Writer) error {
			return f.svc.ExportOverview(f.ctx, f.callers["op1"], FacilitySpec.First(), w)
		}); got == 0 {
			t.Errorf("the provider's overview export is empty")
		}

		tools, err := f.svc.ToolsPage(f.ctx, f.callers["op2"], fac, parse(t, ToolSpec, url.Values{"sort": {"-uses"}}))
		if err != nil || tools.Total != 3 || tools.Items[0].Uses != 4 || len(tools.Items[0].Operators) == 0 {
			t.Errorf("tools: %+v, %v", tools, err)
		}
		if p, err := f.svc.ToolsPage(f.ctx, f.callers["op2"], fac, parse(t, ToolSpec, url.Values{"category": {"interface"}})); err != nil || p.Total != 1 ||
			strings.Join(p.Items[0].Operators, ",") != "op1@tfp.example.org,op2@tfp.example.org" {
			t.Errorf("interfaces: %+v, %v", p, err)
		}
		if _, err := f.svc.ToolsPage(f.ctx, f.callers["opq"], fac, ToolSpec.First()); err == nil {
			t.Errorf("another provider reads the tools")
		}

		for _, tt := range []struct {
			who, q string
			want   int64
		}{
			{"ssc", "", 3}, {"op2", "", 3}, {"opq", "", 0}, {"supa", "", 2}, {"supb", "", 1}, {"mfa", "", 0}, {"public", "", 0},
			{"ssc", "state=checked", 1}, {"ssc", "manufacturer=MFB", 1}, {"ssc", "model=e1", 2}, {"ssc", "supplier=supb", 1},
			{"ssc", "device=" + dA1.String(), 1}, {"ssc", fmt.Sprintf("facility=%d", fac), 3}, {"ssc", "q=g1", 1},
		} {
			v, _ := url.ParseQuery(tt.q)
			p, err := f.svc.DevicesPage(f.ctx, f.callers[tt.who], parse(t, DeviceSpec, v))
			if err != nil || p.Total != tt.want || int64(len(p.Items)) != tt.want {
				t.Errorf("%s Devices %s: %d, want %d (%v)", tt.who, tt.q, p.Total, tt.want, err)
			}
		}
		// The facility is AMBER to its provider: a Supplier sees its number.
		if p, _ := f.svc.DevicesPage(f.ctx, f.callers["supa"], DeviceSpec.First()); len(p.Items) == 0 || p.Items[0].Facility != "" || p.Items[0].FacilityID != fac {
			t.Errorf("SUPA's Devices name the facility: %+v", p.Items)
		}
		if p, _ := f.svc.DevicesPage(f.ctx, f.callers["op2"], DeviceSpec.First()); len(p.Items) == 0 || p.Items[0].Facility == "" {
			t.Errorf("the provider's Devices do not name its facility: %+v", p.Items)
		}
		if got := exported(t, DeviceCSVHeader, func(w listing.Writer) error {
			return f.svc.ExportDevices(f.ctx, f.callers["supa"], DeviceSpec.First(), w)
		}); got != 2 {
			t.Errorf("SUPA's Device export: %d rows", got)
		}

		out, err := f.svc.OutcomesPage(f.ctx, f.callers["mfa"], OutcomeSpec.First())
		if err != nil || out.Total != 1 || out.Items[0].Model != "E1" || out.Items[0].Devices != 2 || out.Items[0].Breaches != 1 || len(out.Items[0].States) != 2 {
			t.Errorf("MFA outcomes: %+v, %v", out, err)
		}
		for q, want := range map[string]int64{"": 2, "outcome=received": 2, "outcome=checked": 1, "outcome=released": 0, "manufacturer=mfb": 1, "q=model e1": 1} {
			v, _ := url.ParseQuery(q)
			if p, err := f.svc.OutcomesPage(f.ctx, f.callers["ssc"], parse(t, OutcomeSpec, v)); err != nil || p.Total != want {
				t.Errorf("outcomes %s: %d, want %d (%v)", q, p.Total, want, err)
			}
		}
		if got := exported(t, OutcomeCSVHeader, func(w listing.Writer) error {
			return f.svc.ExportOutcomes(f.ctx, f.callers["ssc"], OutcomeSpec.First(), w)
		}); got != 2 {
			t.Errorf("outcome export: %d rows", got)
		}
		if _, err := f.svc.OutcomesPage(f.ctx, f.callers["supa"], OutcomeSpec.First()); err == nil {
			t.Errorf("a Supplier reads outcomes")
		}
	})
}
