package sec

import (
	"strings"
	"testing"
)

// The sentences of seeds/000 ("Process Requirements for Inheriting
// Suppliers") the SSC scheme rule implements.
const (
	seedBuildStandard = `"any Manufacturer looking to gain CPA Certification for a new Meter under the scheme, will be required to notify the SSC directly of any material security vulnerabilities"`
	seedLegacy        = `"reach an agreement with Manufacturers to notify the SSC of any assets that were CPA Certified prior to the 22 June 2020 i.e. before the new arrangement applies"`
)

func TestSchemeCovers(t *testing.T) {
	dayBefore := MustParseDate("2020-06-21")
	onTheDay := MustParseDate("2020-06-22")
	tests := []struct {
		name  string
		q     SchemeQuery
		basis SchemeBasis
	}{
		{"seeds/000 build standard " + seedBuildStandard + ": ESME certified on 22 June 2020, no enrolment record → covered",
			SchemeQuery{Type: ESME, Certified: onTheDay}, SchemeBuildStandard},
		{"seeds/000 build standard " + seedBuildStandard + ": GSME certified after 22 June 2020, no enrolment record → covered",
			SchemeQuery{Type: GSME, Certified: MustParseDate("2023-02-01")}, SchemeBuildStandard},
		{"seeds/000 build standard " + seedBuildStandard + ": ESME certified on 21 June 2020, no enrolment → not covered",
			SchemeQuery{Type: ESME, Certified: dayBefore}, SchemeNone},
		{"seeds/000 build standard " + seedBuildStandard + ": ESME certified on 21 June 2020, enrolled without legacy → not covered",
			SchemeQuery{Type: ESME, Certified: dayBefore, Enrolled: true}, SchemeNone},
		{"seeds/000 legacy " + seedLegacy + ": ESME certified on 21 June 2020, legacy agreement → covered",
			SchemeQuery{Type: ESME, Certified: dayBefore, Enrolled: true, Legacy: true}, SchemeLegacy},
		{"seeds/000 legacy " + seedLegacy + ": CHF certified 2014, legacy agreement → covered",
			SchemeQuery{Type: CHF, Certified: MustParseDate("2014-01-01"), Enrolled: true, Legacy: true}, SchemeLegacy},
		{"seeds/000 build standard " + seedBuildStandard + ": a PPMID is not a meter (setting), certified 22 June 2020, no enrolment → not covered",
			SchemeQuery{Type: PPMID, Certified: onTheDay}, SchemeNone},
		{"seeds/000 build standard " + seedBuildStandard + ": a PPMID certified 22 June 2020 named by an enrolment record → covered by the enrolment",
			SchemeQuery{Type: PPMID, Certified: onTheDay, Enrolled: true}, SchemeEnrolment},
		{"seeds/000: no CPA certificate, the basis cannot be shown, even with a legacy agreement",
			SchemeQuery{Type: ESME, Enrolled: true, Legacy: true}, SchemeNone},
	}
	s := DefaultSettings()
	for _, tt := range tests {
		got := SchemeCovers(tt.q, s)
		if got.Basis != tt.basis || got.Covers != (tt.basis != SchemeNone) || got.Reason == "" {
			t.Errorf("%s:\n got %+v, want basis %q", tt.name, got, tt.basis)
		}
	}
}

// The meter types are a setting, and the reason names them.
func TestSchemeMeterTypesSetting(t *testing.T) {
	s := DefaultSettings()
	if !s.IsSchemeMeter(ESME) || !s.IsSchemeMeter(GSME) || s.IsSchemeMeter(CHF) || s.IsSchemeMeter(PPMID) {
		t.Errorf("default scheme_meter_types %v, want ESME and GSME", s.SchemeMeterTypes)
	}
	q := SchemeQuery{Type: PPMID, Certified: MustParseDate("2021-01-01")}
	if a := SchemeCovers(q, s); a.Covers || !strings.Contains(a.Reason, "ESME, GSME") {
		t.Errorf("default: %+v", a)
	}
	s.SchemeMeterTypes = append(s.SchemeMeterTypes, PPMID)
	if a := SchemeCovers(q, s); !a.Covers || a.Basis != SchemeBuildStandard || !strings.Contains(a.Reason, "ESME, GSME, PPMID") {
		t.Errorf("PPMID counted as a meter: %+v", a)
	}
	s.SchemeMeterTypes = []DeviceType{"TOASTER"}
	if err := s.Validate(DefaultVersions()); err == nil {
		t.Error("an unknown scheme meter type was accepted")
	}
}
