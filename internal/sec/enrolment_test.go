package sec

import (
	"strings"
	"testing"
)

// seedEnrolled is the sentence of seeds/001 the enrolment rule implements.
const seedEnrolled = `"When SEC version 5.20 was designated to include User obligations for enrolled SMETS1 Devices"`

// TestWhoCarriesEnrolment: from v5.20 a SMETS1 Device is the Supplier's only
// once enrolled; before its enrolment date, or without one, no User carries
// G3.17(b) or G3.20(b) for it. SMETS2+ Devices are never enrolled.
func TestWhoCarriesEnrolment(t *testing.T) {
	s := DefaultSettings()
	v := MustParseVersion("6.3")
	enrolled := MustParseDate("2021-03-10")
	tests := []struct {
		name       string
		q          DutyQuery
		g317, g320 DutyHolder
		gap        bool
	}{
		{"v5.20 " + seedEnrolled + ": SMETS1 ESME on its enrolment day → Supplier",
			DutyQuery{Type: ESME, Generation: SMETS1, HasSupplier: true, Date: enrolled, Version: v, EnrolledOn: enrolled}, sup, sup, false},
		{"v5.20 " + seedEnrolled + ": SMETS1 ESME the day before its enrolment → no one",
			DutyQuery{Type: ESME, Generation: SMETS1, HasSupplier: true, Date: enrolled.AddDays(-1), Version: v, NotEnrolled: true, EnrolledOn: enrolled}, noOne, noOne, false},
		{"v5.20 " + seedEnrolled + ": SMETS1 GSME never enrolled → no one",
			DutyQuery{Type: GSME, Generation: SMETS1, HasSupplier: true, Date: enrolled, Version: v, NotEnrolled: true}, noOne, noOne, false},
		{"v5.20 " + seedEnrolled + ": SMETS1 CHF not enrolled → no one, not the DP087 gap",
			DutyQuery{Type: CHF, Generation: SMETS1, HasSupplier: true, Date: enrolled, Version: v, NotEnrolled: true}, noOne, noOne, false},
		{"v5.20 " + seedEnrolled + ": SMETS1 CHF enrolled → G3.17(b) Supplier, G3.20(b) the DP087 gap",
			DutyQuery{Type: CHF, Generation: SMETS1, HasSupplier: true, Date: enrolled, Version: v, EnrolledOn: enrolled}, sup, noOne, true},
		{"v5.20 " + seedEnrolled + ": before v5.20 an enrolled SMETS1 ESME is still out of scope",
			DutyQuery{Type: ESME, Generation: SMETS1, HasSupplier: true, Date: enrolled, Version: MustParseVersion("5.19"), EnrolledOn: enrolled}, noOne, noOne, false},
		{"v5.20 " + seedEnrolled + ": enrolment means nothing for SMETS2+ ESME",
			DutyQuery{Type: ESME, Generation: SMETS2, HasSupplier: true, Date: enrolled, Version: v, NotEnrolled: true}, sup, sup, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := WhoCarries(tc.q, s)
			if err != nil {
				t.Fatal(err)
			}
			checkDuty(t, got.G317, ClauseG317, tc.g317, false)
			checkDuty(t, got.G320, ClauseG320, tc.g320, tc.gap)
			if tc.q.NotEnrolled && tc.q.Generation == SMETS1 && tc.q.Version.AtLeast(MustParseVersion("5.20")) &&
				!strings.Contains(got.G320.Reason, "enrolled SMETS1 Devices only") {
				t.Errorf("reason does not say why: %s", got.G320.Reason)
			}
		})
	}
}
