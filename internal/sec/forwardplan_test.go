package sec

import (
	"errors"
	"strings"
	"testing"
)

func TestChooseAssessment(t *testing.T) {
	def := DefaultAssuranceSettings()
	weighted := def
	weighted.NonDomesticWeight = 2
	d := MustParseDate
	cases := []struct {
		name     string
		in       PlanInput
		s        AssuranceSettings
		want     AssessmentType
		year     int
		due      string
		inReason string
	}{
		{`G8 "FUSA before becoming a User": never assessed, so the initial FUSA`,
			PlanInput{Role: SmallSupplier, Year: 2027}, def, FUSA, 1, "2027-12-31", "initial FUSA"},
		{`G8 initial FUSA: a cycle recorded as starting after the year does not count`,
			PlanInput{Role: OtherUser, Year: 2027, CycleStart: 2028}, def, FUSA, 1, "2027-12-31", "initial FUSA"},
		{`SCF "three-year cycles; FUSA in year 1 of each cycle": the FUSA year itself`,
			PlanInput{Role: LargeSupplier, Year: 2025, CycleStart: 2025, Domestic: 5_000_000}, def, FUSA, 1, "2025-12-31", "year 1"},
		{`SCF three-year cycles: year 2 is a VUSA of changes since the FUSA`,
			PlanInput{Role: SmallSupplier, Year: 2026, CycleStart: 2025, Domestic: 10}, def, VUSA, 2, "2026-12-31", "year 2"},
		{`SCF three-year cycles: the fourth year starts a new cycle with a FUSA`,
			PlanInput{Role: SmallSupplier, Year: 2028, CycleStart: 2025, Domestic: 10}, def, FUSA, 1, "2028-12-31", "year 1 of the 3-year cycle beginning in 2028"},
		{`SCF three-year cycles: year 3 of the second cycle`,
			PlanInput{Role: SmallSupplier, Year: 2030, CycleStart: 2025, Domestic: 10}, def, SSA, 3, "2030-12-31", "cycle begun in 2028"},
		{`SPOT "250,000 premises affects the third-year assessment type": 249,999 is below, a self-assessment`,
			PlanInput{Role: SmallSupplier, Year: 2027, CycleStart: 2025, Domestic: 249_999}, def, SSA, 3, "2027-12-31", "below the 250,000 threshold"},
		{`SPOT 250,000 premises threshold: exactly 250,000 reaches it, a VUSA`,
			PlanInput{Role: LargeSupplier, Year: 2027, CycleStart: 2025, Domestic: 250_000}, def, VUSA, 3, "2027-12-31", "reach the 250,000 threshold"},
		{`SECMP0059 G8.41(c) "weighting between domestic and non-domestic meters": 125,000 non-domestic × 2 reaches the threshold`,
			PlanInput{Role: SmallSupplier, Year: 2027, CycleStart: 2025, NonDomestic: 125_000}, weighted, VUSA, 3, "2027-12-31", "125,000 non-domestic × 2"},
		{`SECMP0059 G8.41(c) weighting: 124,999 non-domestic × 2 is below it`,
			PlanInput{Role: SmallSupplier, Year: 2027, CycleStart: 2025, NonDomestic: 124_999}, weighted, SSA, 3, "2027-12-31", "below"},
		{`SECMP0059 G8.41(c) weighting: unweighted (default 1), 125,000 non-domestic is below`,
			PlanInput{Role: SmallSupplier, Year: 2027, CycleStart: 2025, NonDomestic: 125_000, Domestic: 124_999}, def, SSA, 3, "2027-12-31", "249,999 weighted"},
		{`Other User with no Smart Metering Systems: year 3 is a self-assessment`,
			PlanInput{Role: OtherUser, Year: 2027, CycleStart: 2025}, def, SSA, 3, "2027-12-31", "0 weighted"},
		{`DCC: verified every year after its FUSA (ASSUMPTION)`,
			PlanInput{Role: DCC, Year: 2027, CycleStart: 2025}, def, VUSA, 3, "2027-12-31", "DCC"},
		{`SSC override: a FUSA ordered in year 3 replaces the self-assessment, with both reasons`,
			PlanInput{Role: SmallSupplier, Year: 2027, CycleStart: 2025, Domestic: 10, Override: FUSA, OverrideReason: "incident"}, def, FUSA, 3, "2027-12-31", "SSC override to FUSA (incident); the rules would choose SSA"},
		{`SSC override equal to the rules' choice changes nothing`,
			PlanInput{Role: SmallSupplier, Year: 2026, CycleStart: 2025, Override: VUSA}, def, VUSA, 2, "2026-12-31", "year 2"},
		{`G8.40 "within 12 months of second-year fieldwork": fieldwork ended 14 Mar 2026, due 14 Mar 2027`,
			PlanInput{Role: SmallSupplier, Year: 2027, CycleStart: 2025, LastFieldwork: d("2026-03-14")}, def, SSA, 3, "2027-03-14", "within 12 months of the last fieldwork (2026-03-14)"},
		{`G8.40 12 months: fieldwork ending 29 Feb 2028 gives 28 Feb 2029, not 1 March`,
			PlanInput{Role: SmallSupplier, Year: 2029, CycleStart: 2028, LastFieldwork: d("2028-02-29")}, def, VUSA, 2, "2029-02-28", "G8.40"},
		{`G8.40 12 months: fieldwork ending 31 Dec 2026 gives 31 Dec 2027`,
			PlanInput{Role: NetworkParty, Year: 2027, CycleStart: 2026, LastFieldwork: d("2026-12-31")}, def, VUSA, 2, "2027-12-31", "G8.40"},
		{`Triage Facility Provider is assessed like any User (MP203)`,
			PlanInput{Role: TriageFacilityProvider, Year: 2026}, def, FUSA, 1, "2026-12-31", "initial"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ChooseAssessment(c.in, c.s)
			if err != nil {
				t.Fatal(err)
			}
			if got.Type != c.want || got.YearInCycle != c.year || got.DueBy.String() != c.due {
				t.Errorf("got %s year %d due %s, want %s year %d due %s (%s)", got.Type, got.YearInCycle, got.DueBy, c.want, c.year, c.due, got.Reason)
			}
			if !strings.Contains(got.Reason, c.inReason) {
				t.Errorf("reason %q does not say %q", got.Reason, c.inReason)
			}
		})
	}
}

func TestChooseAssessmentRefusesBadInput(t *testing.T) {
	def := DefaultAssuranceSettings()
	for name, in := range map[string]PlanInput{
		"a MAP is not an assessed User role": {Role: MAP, Year: 2027},
		"a year out of range":                {Role: DCC, Year: 99},
		"negative counts":                    {Role: SmallSupplier, Year: 2027, Domestic: -1},
		"an unknown override":                {Role: SmallSupplier, Year: 2027, Override: "AUDIT"},
	} {
		if _, err := ChooseAssessment(in, def); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestAssuranceSettingsValidate(t *testing.T) {
	if err := DefaultAssuranceSettings().Validate(); err != nil {
		t.Fatal(err)
	}
	s := DefaultAssuranceSettings()
	s.NonDomesticShare, s.SizeThreshold = 1.5, 0
	err := s.Validate()
	if err == nil || !strings.Contains(err.Error(), "non_domestic_share") || !strings.Contains(err.Error(), "size_threshold") {
		t.Errorf("Validate = %v", err)
	}
}

func TestAssessmentLifecycles(t *testing.T) {
	// G8.18: in a self-assessment the party does the work, the CIO reviews.
	if _, err := SelfAssessmentLifecycle.Next(AssessmentBooked, AssessmentStartFieldwork, ActorOwner); err != nil {
		t.Errorf("SSA fieldwork by the party: %v", err)
	}
	_, err := AssessmentLifecycle.Next(AssessmentBooked, AssessmentStartFieldwork, ActorOwner)
	if !errors.Is(err, ErrNotPermitted) || !strings.Contains(err.Error(), "User CIO (assessor)") {
		t.Errorf("FUSA fieldwork by the party: %v", err)
	}
	// G8.24: the SSC sets the response date, not the CIO.
	if _, err := AssessmentLifecycle.Next(AssessmentReportIssued, AssessmentSetResponseDue, ActorAssessor); !errors.Is(err, ErrNotPermitted) {
		t.Errorf("response date by the CIO: %v", err)
	}
	_, err = AssessmentLifecycle.Next(AssessmentDecided, AssessmentCancel, ActorSSC)
	if !errors.Is(err, ErrNoTransition) || !strings.Contains(err.Error(), `"decided"`) {
		t.Errorf("cancel a decided assessment: %v", err)
	}
	for _, l := range []*Lifecycle[AssessmentState, AssessmentEvent]{AssessmentLifecycle, SelfAssessmentLifecycle} {
		if got := len(l.States()); got != 9 {
			t.Errorf("%s has %d states", l.Name(), got)
		}
	}
}

func TestAssuranceStatus(t *testing.T) {
	// G8.34: "the last two require a follow-up assessment".
	for _, c := range []struct {
		s             AssuranceStatus
		steps, follow bool
	}{
		{AssuranceApproved, false, false},
		{AssuranceApprovedSubjectTo, true, false},
		{AssuranceDeferred, false, true},
		{AssuranceRejected, false, true},
	} {
		if c.s.NeedsSteps() != c.steps || c.s.NeedsFollowUp() != c.follow {
			t.Errorf("%s: steps %v follow-up %v", c.s, c.s.NeedsSteps(), c.s.NeedsFollowUp())
		}
		if p, err := ParseAssuranceStatus(c.s.Label()); err != nil || p != c.s {
			t.Errorf("parse %q: %v %v", c.s.Label(), p, err)
		}
	}
}

func TestCheckFindingClause(t *testing.T) {
	for in, want := range map[string]string{"g5.14": "G5.14", "G3.17": "G3.17", "G8.41(C)": "G8.41(c)", "G6": "G6"} {
		if got, err := CheckFindingClause(in); err != nil || got != want {
			t.Errorf("%q: %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "G7.1", "H1.10", "G3x", "G3.", "G5.1;DROP"} {
		if _, err := CheckFindingClause(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
