package sec

import (
	"strings"
	"testing"
)

// Version bands of the DP087 story. The fix release in the test settings is
// v5.21; "unset" runs a late release with no fix configured.
type band string

const (
	before5_20 band = "before v5.20"    // v5.19
	window     band = "v5.20 ≤ v < fix" // v5.20, fix v5.21
	fixed      band = "v ≥ fix"         // v5.21, fix v5.21
	fixUnset   band = "fix unset"       // v6.3, no fix configured
)

var bands = []band{before5_20, window, fixed, fixUnset}

func (b band) query() (Version, Settings) {
	s := DefaultSettings()
	s.G320FixVersion = MustParseVersion("5.21")
	switch b {
	case before5_20:
		return MustParseVersion("5.19"), s
	case window:
		return MustParseVersion("5.20"), s
	case fixed:
		return MustParseVersion("5.21"), s
	}
	s.G320FixVersion = Version{}
	return MustParseVersion("6.3"), s
}

const (
	sup   = HolderSupplier
	dcc   = HolderDCC
	noOne = HolderNoOne
)

// Every device type × generation × version band, with a Responsible Supplier
// and the default IHD setting. Each case is named after the clause and rule it
// implements (DOMAIN.md "Who carries G3.17/G3.20", DP087 seeds/001).
var dutyCases = []struct {
	name       string
	typ        DeviceType
	gen        Generation
	band       band
	g317, g320 DutyHolder
	gap        bool
}{
	// Meters: clause (b) "any Smart Metering System … for which it is the Responsible Supplier".
	{"G3.17(b)+G3.20(b)/SMETS2+ ESME → Supplier", ESME, SMETS2, before5_20, sup, sup, false},
	{"G3.17(b)+G3.20(b)/SMETS2+ ESME → Supplier", ESME, SMETS2, window, sup, sup, false},
	{"G3.17(b)+G3.20(b)/SMETS2+ ESME → Supplier", ESME, SMETS2, fixed, sup, sup, false},
	{"G3.17(b)+G3.20(b)/SMETS2+ ESME → Supplier", ESME, SMETS2, fixUnset, sup, sup, false},
	{"v5.20/SMETS1 out of User scope before v5.20: ESME → no one", ESME, SMETS1, before5_20, noOne, noOne, false},
	{"v5.20/SMETS1 ESME in User scope → Supplier", ESME, SMETS1, window, sup, sup, false},
	{"v5.20/SMETS1 ESME in User scope → Supplier", ESME, SMETS1, fixed, sup, sup, false},
	{"v5.20/SMETS1 ESME in User scope → Supplier", ESME, SMETS1, fixUnset, sup, sup, false},
	{"G3.17(b)+G3.20(b)/SMETS2+ GSME → Supplier", GSME, SMETS2, before5_20, sup, sup, false},
	{"G3.17(b)+G3.20(b)/SMETS2+ GSME → Supplier", GSME, SMETS2, window, sup, sup, false},
	{"G3.17(b)+G3.20(b)/SMETS2+ GSME → Supplier", GSME, SMETS2, fixed, sup, sup, false},
	{"G3.17(b)+G3.20(b)/SMETS2+ GSME → Supplier", GSME, SMETS2, fixUnset, sup, sup, false},
	{"v5.20/SMETS1 out of User scope before v5.20: GSME → no one", GSME, SMETS1, before5_20, noOne, noOne, false},
	{"v5.20/SMETS1 GSME in User scope → Supplier", GSME, SMETS1, window, sup, sup, false},
	{"v5.20/SMETS1 GSME in User scope → Supplier", GSME, SMETS1, fixed, sup, sup, false},
	{"v5.20/SMETS1 GSME in User scope → Supplier", GSME, SMETS1, fixUnset, sup, sup, false},

	// Communications Hubs: the DP087 story.
	{"G3.17(b)+G3.20(b)/SMETS2+ CHF excluded → DCC", CHF, SMETS2, before5_20, dcc, dcc, false},
	{"G3.17(b)+G3.20(b)/SMETS2+ CHF excluded → DCC", CHF, SMETS2, window, dcc, dcc, false},
	{"G3.17(b)+G3.20(b)/SMETS2+ CHF excluded → DCC", CHF, SMETS2, fixed, dcc, dcc, false},
	{"G3.17(b)+G3.20(b)/SMETS2+ CHF excluded → DCC", CHF, SMETS2, fixUnset, dcc, dcc, false},
	{"v5.20/SMETS1 out of User scope before v5.20: CHF → no one", CHF, SMETS1, before5_20, noOne, noOne, false},
	{"G3.17(b) SMETS1 CHF → Supplier; G3.20(b) flawed text → known gap (DP087)", CHF, SMETS1, window, sup, noOne, true},
	{"G3.17(b)+G3.20(b) as corrected by DP087/SMETS1 CHF → Supplier", CHF, SMETS1, fixed, sup, sup, false},
	{"G3.17(b) SMETS1 CHF → Supplier; G3.20(b) never fixed → known gap (DP087)", CHF, SMETS1, fixUnset, sup, noOne, true},
	{"G3.17(b)+G3.20(b)/SMETS2+ GPF excluded → DCC", GPF, SMETS2, before5_20, dcc, dcc, false},
	{"G3.17(b)+G3.20(b)/SMETS2+ GPF excluded → DCC", GPF, SMETS2, window, dcc, dcc, false},
	{"G3.17(b)+G3.20(b)/SMETS2+ GPF excluded → DCC", GPF, SMETS2, fixed, dcc, dcc, false},
	{"G3.17(b)+G3.20(b)/SMETS2+ GPF excluded → DCC", GPF, SMETS2, fixUnset, dcc, dcc, false},
	{"v5.20/SMETS1 out of User scope before v5.20: GPF → no one", GPF, SMETS1, before5_20, noOne, noOne, false},
	{"G3.17(b) SMETS1 GPF → Supplier; G3.20(b) flawed text → known gap (DP087)", GPF, SMETS1, window, sup, noOne, true},
	{"G3.17(b)+G3.20(b) as corrected by DP087/SMETS1 GPF → Supplier", GPF, SMETS1, fixed, sup, sup, false},
	{"G3.17(b) SMETS1 GPF → Supplier; G3.20(b) never fixed → known gap (DP087)", GPF, SMETS1, fixUnset, sup, noOne, true},

	// PPMID and HCALCS: part of the Smart Metering System (ASSUMPTION).
	{"G3.17(b)+G3.20(b)/SMETS2+ PPMID part of SMS → Supplier", PPMID, SMETS2, before5_20, sup, sup, false},
	{"G3.17(b)+G3.20(b)/SMETS2+ PPMID part of SMS → Supplier", PPMID, SMETS2, window, sup, sup, false},
	{"G3.17(b)+G3.20(b)/SMETS2+ PPMID part of SMS → Supplier", PPMID, SMETS2, fixed, sup, sup, false},
	{"G3.17(b)+G3.20(b)/SMETS2+ PPMID part of SMS → Supplier", PPMID, SMETS2, fixUnset, sup, sup, false},
	{"v5.20/SMETS1 out of User scope before v5.20: PPMID → no one", PPMID, SMETS1, before5_20, noOne, noOne, false},
	{"v5.20/SMETS1 PPMID in User scope → Supplier", PPMID, SMETS1, window, sup, sup, false},
	{"v5.20/SMETS1 PPMID in User scope → Supplier", PPMID, SMETS1, fixed, sup, sup, false},
	{"v5.20/SMETS1 PPMID in User scope → Supplier", PPMID, SMETS1, fixUnset, sup, sup, false},
	{"G3.17(b)+G3.20(b)/SMETS2+ HCALCS part of SMS → Supplier", HCALCS, SMETS2, before5_20, sup, sup, false},
	{"G3.17(b)+G3.20(b)/SMETS2+ HCALCS part of SMS → Supplier", HCALCS, SMETS2, window, sup, sup, false},
	{"G3.17(b)+G3.20(b)/SMETS2+ HCALCS part of SMS → Supplier", HCALCS, SMETS2, fixed, sup, sup, false},
	{"G3.17(b)+G3.20(b)/SMETS2+ HCALCS part of SMS → Supplier", HCALCS, SMETS2, fixUnset, sup, sup, false},
	{"v5.20/SMETS1 out of User scope before v5.20: HCALCS → no one", HCALCS, SMETS1, before5_20, noOne, noOne, false},
	{"v5.20/SMETS1 HCALCS in User scope → Supplier", HCALCS, SMETS1, window, sup, sup, false},
	{"v5.20/SMETS1 HCALCS in User scope → Supplier", HCALCS, SMETS1, fixed, sup, sup, false},
	{"v5.20/SMETS1 HCALCS in User scope → Supplier", HCALCS, SMETS1, fixUnset, sup, sup, false},

	// IHD: a Type 2 Device, outside SMS scope by default (ASSUMPTION).
	{"G3.17(b)+G3.20(b)/SMETS2+ IHD outside SMS → no one", IHD, SMETS2, before5_20, noOne, noOne, false},
	{"G3.17(b)+G3.20(b)/SMETS2+ IHD outside SMS → no one", IHD, SMETS2, window, noOne, noOne, false},
	{"G3.17(b)+G3.20(b)/SMETS2+ IHD outside SMS → no one", IHD, SMETS2, fixed, noOne, noOne, false},
	{"G3.17(b)+G3.20(b)/SMETS2+ IHD outside SMS → no one", IHD, SMETS2, fixUnset, noOne, noOne, false},
	{"v5.20/SMETS1 out of User scope before v5.20: IHD → no one", IHD, SMETS1, before5_20, noOne, noOne, false},
	{"G3.17(b)+G3.20(b)/SMETS1 IHD outside SMS → no one", IHD, SMETS1, window, noOne, noOne, false},
	{"G3.17(b)+G3.20(b)/SMETS1 IHD outside SMS → no one", IHD, SMETS1, fixed, noOne, noOne, false},
	{"G3.17(b)+G3.20(b)/SMETS1 IHD outside SMS → no one", IHD, SMETS1, fixUnset, noOne, noOne, false},
}

func TestWhoCarries(t *testing.T) {
	for _, tc := range dutyCases {
		t.Run(tc.name+"/"+string(tc.band), func(t *testing.T) {
			v, s := tc.band.query()
			got, err := WhoCarries(DutyQuery{Type: tc.typ, Generation: tc.gen, HasSupplier: true,
				Date: MustParseDate("2024-01-02"), Version: v}, s)
			if err != nil {
				t.Fatal(err)
			}
			checkDuty(t, got.G317, ClauseG317, tc.g317, false)
			checkDuty(t, got.G320, ClauseG320, tc.g320, tc.gap)
			if got.Version != v || got.Type != tc.typ || got.Generation != tc.gen {
				t.Errorf("answer does not echo the question: %+v", got)
			}
		})
	}
}

func checkDuty(t *testing.T, d Duty, clause string, holder DutyHolder, gap bool) {
	t.Helper()
	if d.Clause != clause || d.Holder != holder || d.KnownGap != gap {
		t.Errorf("%s: got holder %s gap %v, want %s gap %v\n  reason: %s", clause, d.Holder, d.KnownGap, holder, gap, d.Reason)
	}
	if !strings.Contains(d.Reason, clause) && !strings.Contains(d.Reason, clause[:len("G3.17")]) {
		t.Errorf("%s: reason does not name the clause: %s", clause, d.Reason)
	}
	if gap && !strings.Contains(d.Reason, "not compliance") {
		t.Errorf("%s: a known gap must say it is not compliance: %s", clause, d.Reason)
	}
}

// The table above must cover every device type × generation × band once.
func TestWhoCarriesTableIsComplete(t *testing.T) {
	type key struct {
		typ DeviceType
		gen Generation
		b   band
	}
	seen := map[key]int{}
	for _, tc := range dutyCases {
		seen[key{tc.typ, tc.gen, tc.band}]++
	}
	for _, typ := range DeviceTypes {
		for _, gen := range Generations {
			for _, b := range bands {
				if n := seen[key{typ, gen, b}]; n != 1 {
					t.Errorf("%s %s %s: %d cases, want 1", gen, typ, b, n)
				}
			}
		}
	}
}

func TestWhoCarriesSpecialCases(t *testing.T) {
	fix521 := DefaultSettings()
	fix521.G320FixVersion = MustParseVersion("5.21")
	ihdIn := DefaultSettings()
	ihdIn.IHDInSMSScope = true
	v := MustParseVersion
	tests := []struct {
		name       string
		q          DutyQuery
		s          Settings
		g317, g320 DutyHolder
		gap        bool
	}{
		{"G3.17(b)/no Responsible Supplier: the Supplier duty falls on no one",
			DutyQuery{Type: ESME, Generation: SMETS2, Version: v("6.3")}, fix521, noOne, noOne, false},
		{"G3.17(b)/no Responsible Supplier in the DP087 window: no one, and no gap to report",
			DutyQuery{Type: CHF, Generation: SMETS1, Version: v("5.20")}, fix521, noOne, noOne, false},
		{"G3.17(b)/SMETS2+ CHF is the DCC's with or without a Supplier",
			DutyQuery{Type: CHF, Generation: SMETS2, Version: v("6.3")}, fix521, dcc, dcc, false},
		{"setting ihd_in_sms_scope/SMETS2+ IHD → Supplier",
			DutyQuery{Type: IHD, Generation: SMETS2, HasSupplier: true, Version: v("5.19")}, ihdIn, sup, sup, false},
		{"setting ihd_in_sms_scope/SMETS1 IHD after v5.20 → Supplier",
			DutyQuery{Type: IHD, Generation: SMETS1, HasSupplier: true, Version: v("5.20")}, ihdIn, sup, sup, false},
		{"v5.20/setting ihd_in_sms_scope does not bring SMETS1 into scope before v5.20",
			DutyQuery{Type: IHD, Generation: SMETS1, HasSupplier: true, Version: v("5.19")}, ihdIn, noOne, noOne, false},
		{"DP087/versions compare as numbers: v5.100 is after a v5.21 fix",
			DutyQuery{Type: GPF, Generation: SMETS1, HasSupplier: true, Version: v("5.100")}, fix521, sup, sup, false},
		{"v5.20/versions compare as numbers: v5.9 is before v5.20",
			DutyQuery{Type: ESME, Generation: SMETS1, HasSupplier: true, Version: v("5.9")}, fix521, noOne, noOne, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := WhoCarries(tt.q, tt.s)
			if err != nil {
				t.Fatal(err)
			}
			checkDuty(t, got.G317, ClauseG317, tt.g317, false)
			checkDuty(t, got.G320, ClauseG320, tt.g320, tt.gap)
		})
	}
}

func TestWhoCarriesReasons(t *testing.T) {
	s := DefaultSettings()
	got, err := WhoCarries(DutyQuery{Type: GPF, Generation: SMETS1, HasSupplier: true,
		Date: MustParseDate("2024-01-02"), Version: MustParseVersion("6.3")}, s)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"G3.20(b)", "v6.3", "SMETS1 Gas Proxy Function", "DP087", "not yet known"} {
		if !strings.Contains(got.G320.Reason, want) {
			t.Errorf("G3.20 reason lacks %q: %s", want, got.G320.Reason)
		}
	}
	none, _ := WhoCarries(DutyQuery{Type: ESME, Generation: SMETS2, Date: MustParseDate("2024-01-02"), Version: MustParseVersion("6.3")}, s)
	if !strings.Contains(none.G317.Reason, "has none on 2024-01-02") {
		t.Errorf("no-supplier reason should name the date: %s", none.G317.Reason)
	}
}

func TestWhoCarriesRefusesBadQuestions(t *testing.T) {
	s := DefaultSettings()
	bad := map[string]DutyQuery{
		"unknown device type": {Type: "TOASTER", Generation: SMETS2, Version: MustParseVersion("6.3")},
		"unknown generation":  {Type: ESME, Generation: "SMETS3", Version: MustParseVersion("6.3")},
		"no version":          {Type: ESME, Generation: SMETS2},
	}
	for name, q := range bad {
		if _, err := WhoCarries(q, s); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}
