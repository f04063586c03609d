package sec

import (
	"fmt"
	"math"
	"slices"

	"github.com/metersec/metersec/internal/uk"
)

// PlanInput is what decides which assessment a party is due in a role in a
// year (DOMAIN.md §2, ASSUMPTION: the inputs of the chooser).
type PlanInput struct {
	Role OrgRole
	Year int
	// CycleStart is the year of the FUSA that began the party's current
	// three-year cycle in the role; 0 when it has never had one.
	CycleStart int
	// Domestic and NonDomestic are the party's Smart Metering Systems serving
	// domestic and non-domestic premises.
	Domestic, NonDomestic int64
	// LastFieldwork is the last day of the party's latest CIO fieldwork in
	// the role before the year; zero if none.
	LastFieldwork Date
	// Override is the SSC's choice for this party, role and year, if any,
	// with its reason.
	Override       AssessmentType
	OverrideReason string
}

// PlanChoice is the assessment a party is due.
type PlanChoice struct {
	Type        AssessmentType `json:"type"`
	YearInCycle int            `json:"year_in_cycle"`
	// NewCycle is set when the year starts a cycle (its FUSA).
	NewCycle bool `json:"new_cycle"`
	// Weighted is the weighted Smart Metering Systems compared with the
	// threshold.
	Weighted int64  `json:"weighted_sms"`
	DueBy    Date   `json:"due_by"`
	Reason   string `json:"reason"`
}

// WeightedSMS is the risk profile of G8.41(c) as SECMP0059 redrafts it:
// domestic Smart Metering Systems plus non-domestic ones times their weight.
func (s AssuranceSettings) WeightedSMS(domestic, nonDomestic int64) int64 {
	return domestic + int64(math.Round(float64(nonDomestic)*s.NonDomesticWeight))
}

// ChooseAssessment decides which assessment a party is due in a role in a
// year, and why. The rules, with their sources:
//   - a party never assessed in the role has its initial FUSA first (G8:
//     before becoming a User);
//   - cycles last CycleYears (three) and start with a FUSA in year one;
//   - an SSC override replaces the choice for the year;
//   - otherwise the second year is a VUSA, and later years depend on size:
//     a VUSA when the weighted Smart Metering Systems reach the threshold
//     (250,000, SCF Part 1 §4.3), a self-assessment below it; the DCC is
//     always verified (ASSUMPTION: its estate is every Communications Hub);
//   - the assessment is due within NextWithinMonths (12) of the previous
//     fieldwork (G8.40, and an SSA within a year of the last CIO fieldwork),
//     or by the end of the year when there was none.
func ChooseAssessment(in PlanInput, s AssuranceSettings) (PlanChoice, error) {
	if !slices.Contains(AssessedRoles, in.Role) {
		return PlanChoice{}, fmt.Errorf("role %q is not assessed (one of %s)", in.Role, joinRoles(AssessedRoles))
	}
	if in.Year < 2000 || in.Year > 2200 {
		return PlanChoice{}, fmt.Errorf("year %d is out of range", in.Year)
	}
	if in.Domestic < 0 || in.NonDomestic < 0 {
		return PlanChoice{}, fmt.Errorf("Smart Metering System counts cannot be negative")
	}
	if in.Override != "" && !slices.Contains(AssessmentTypes, in.Override) {
		return PlanChoice{}, fmt.Errorf("override %q is not an assessment type", in.Override)
	}
	c := PlanChoice{Weighted: s.WeightedSMS(in.Domestic, in.NonDomestic)}
	c.DueBy = NewDate(in.Year, 12, 31)
	if !in.LastFieldwork.IsZero() {
		c.DueBy = in.LastFieldwork.AddMonths(s.NextWithinMonths)
	}
	due := fmt.Sprintf("; due within %d months of the last fieldwork (%s), G8.40", s.NextWithinMonths, in.LastFieldwork)
	if in.LastFieldwork.IsZero() {
		due = "; no earlier fieldwork, so due by the end of the year"
	}
	switch {
	case in.CycleStart == 0 || in.CycleStart > in.Year:
		c.Type, c.YearInCycle, c.NewCycle = FUSA, 1, true
		c.Reason = "initial FUSA: no earlier Full User Security Assessment in this role (G8, before becoming a User)"
	default:
		c.YearInCycle = (in.Year-in.CycleStart)%s.CycleYears + 1
		switch {
		case c.YearInCycle == 1:
			c.Type, c.NewCycle = FUSA, true
			c.Reason = fmt.Sprintf("year 1 of the %d-year cycle beginning in %d (cycles began in %d): a FUSA", s.CycleYears, in.Year, in.CycleStart)
		case in.Role == DCC:
			c.Type = VUSA
			c.Reason = fmt.Sprintf("year %d of the cycle begun in %d: the DCC is verified every year (ASSUMPTION)", c.YearInCycle, cycleStartOf(in, s))
		case c.YearInCycle == 2:
			c.Type = VUSA
			c.Reason = fmt.Sprintf("year 2 of the cycle begun in %d: a VUSA of changes since the FUSA", cycleStartOf(in, s))
		case c.Weighted >= s.SizeThreshold:
			c.Type = VUSA
			c.Reason = fmt.Sprintf("year %d of the cycle begun in %d: %s weighted Smart Metering Systems (%s domestic + %s non-domestic × %g) reach the %s threshold: a VUSA",
				c.YearInCycle, cycleStartOf(in, s), uk.Thousands(c.Weighted), uk.Thousands(in.Domestic), uk.Thousands(in.NonDomestic), s.NonDomesticWeight, uk.Thousands(s.SizeThreshold))
		default:
			c.Type = SSA
			c.Reason = fmt.Sprintf("year %d of the cycle begun in %d: %s weighted Smart Metering Systems (%s domestic + %s non-domestic × %g) are below the %s threshold: a self-assessment",
				c.YearInCycle, cycleStartOf(in, s), uk.Thousands(c.Weighted), uk.Thousands(in.Domestic), uk.Thousands(in.NonDomestic), s.NonDomesticWeight, uk.Thousands(s.SizeThreshold))
		}
	}
	if in.Override != "" && in.Override != c.Type {
		why := in.OverrideReason
		if why == "" {
			why = "no reason recorded"
		}
		c.Reason = fmt.Sprintf("SSC override to %s (%s); the rules would choose %s: %s", in.Override, why, c.Type, c.Reason)
		c.Type = in.Override
	}
	c.Reason += due
	return c, nil
}

func cycleStartOf(in PlanInput, s AssuranceSettings) int {
	return in.Year - (in.Year-in.CycleStart)%s.CycleYears
}
