package sec

import (
	"fmt"
	"slices"
	"strings"
)

// AssessmentType is a category of User Security Assessment (G8; DOMAIN.md §2).
type AssessmentType string

// The three categories.
const (
	// FUSA is a Full User Security Assessment: the User CIO assesses
	// compliance with G3 to G6 for the User Role.
	FUSA AssessmentType = "FUSA"
	// VUSA is a Verification User Security Assessment: the CIO checks changes
	// and any material increase in risk since the last FUSA.
	VUSA AssessmentType = "VUSA"
	// SSA is a User Security Self-Assessment: done by the User, reviewed by
	// the CIO (G8.18).
	SSA AssessmentType = "SSA"
)

// AssessmentTypes lists the categories, the fullest first.
var AssessmentTypes = []AssessmentType{FUSA, VUSA, SSA}

var assessmentTypeLabels = map[AssessmentType]string{
	FUSA: "Full User Security Assessment",
	VUSA: "Verification User Security Assessment",
	SSA:  "User Security Self-Assessment",
}

// Label is the category's full name.
func (t AssessmentType) Label() string { return assessmentTypeLabels[t] }

// ParseAssessmentType accepts FUSA, VUSA or SSA in any case.
func ParseAssessmentType(s string) (AssessmentType, error) {
	t := AssessmentType(strings.ToUpper(strings.TrimSpace(s)))
	if slices.Contains(AssessmentTypes, t) {
		return t, nil
	}
	return "", fmt.Errorf("unknown assessment type %q (one of FUSA, VUSA, SSA)", s)
}

// AssessedRoles are the roles in which a party is assessed: the SEC Party
// roles that make it a User, and Triage Facility Providers (MP203).
var AssessedRoles = []OrgRole{LargeSupplier, SmallSupplier, NetworkParty, OtherUser, DCC, TriageFacilityProvider}

// AssessmentState is where an assessment stands.
type AssessmentState string

// Assessment states, in the order they are reached (DOMAIN.md, "Assessment
// lifecycle").
const (
	AssessmentPlanned          AssessmentState = "planned"
	AssessmentBooked           AssessmentState = "booked"
	AssessmentFieldwork        AssessmentState = "fieldwork"
	AssessmentReportIssued     AssessmentState = "report_issued"
	AssessmentResponseDue      AssessmentState = "response_due"
	AssessmentResponseReceived AssessmentState = "response_received"
	AssessmentConsidered       AssessmentState = "considered"
	AssessmentDecided          AssessmentState = "decided"
	AssessmentCancelled        AssessmentState = "cancelled"
)

// AssessmentEvent moves an assessment on.
type AssessmentEvent string

// Assessment events.
const (
	AssessmentBook            AssessmentEvent = "book"
	AssessmentStartFieldwork  AssessmentEvent = "start_fieldwork"
	AssessmentIssueReport     AssessmentEvent = "issue_report"
	AssessmentSetResponseDue  AssessmentEvent = "set_response_due"
	AssessmentReceiveResponse AssessmentEvent = "receive_response"
	AssessmentConsider        AssessmentEvent = "consider"
	AssessmentDecide          AssessmentEvent = "decide"
	AssessmentCancel          AssessmentEvent = "cancel"
)

// AssessmentLifecycle is the table for a Full or Verification assessment,
// carried out by the User CIO. SelfAssessmentLifecycle is the one for an
// SSA, where the party does the work and the CIO reviews it.
var AssessmentLifecycle = mustLifecycle("assessment", AssessmentPlanned, assessmentRows(false))

// SelfAssessmentLifecycle is the table for a User Security Self-Assessment:
// the same states, but the party itself records its fieldwork and submits
// its declaration, which the CIO reviews as the report (G8.18).
var SelfAssessmentLifecycle = mustLifecycle("self-assessment", AssessmentPlanned, assessmentRows(true))

// LifecycleFor is the table for an assessment of type t.
func LifecycleFor(t AssessmentType) *Lifecycle[AssessmentState, AssessmentEvent] {
	if t == SSA {
		return SelfAssessmentLifecycle
	}
	return AssessmentLifecycle
}

func assessmentRows(self bool) []Transition[AssessmentState, AssessmentEvent] {
	ssc, cio, owner := []Actor{ActorSSC}, []Actor{ActorAssessor}, []Actor{ActorOwner}
	book, work, report := []Actor{ActorSSC, ActorAssessor}, cio, cio
	workNote := "The CIO's fieldwork begins (3 to 10 working days for a FUSA); needs its first day."
	reportNote := "The CIO issues the report written with the User (G8.22): non-compliances with G3 to G6 for a FUSA, material increases in risk for a VUSA; needs the last day of fieldwork."
	if self {
		work, report = owner, []Actor{ActorAssessor}
		workNote = "The party starts its self-assessment (G8.18); needs its first day."
		reportNote = "The CIO issues its review of the party's submitted self-assessment (G8.18); needs the last day of the party's work."
	}
	return []Transition[AssessmentState, AssessmentEvent]{
		{From: AssessmentPlanned, Event: AssessmentBook, To: AssessmentBooked, Who: book, Note: "Dates agreed with the party."},
		{From: AssessmentBooked, Event: AssessmentStartFieldwork, To: AssessmentFieldwork, Who: work, Note: workNote},
		{From: AssessmentFieldwork, Event: AssessmentIssueReport, To: AssessmentReportIssued, Who: report, Note: reportNote},
		{From: AssessmentReportIssued, Event: AssessmentSetResponseDue, To: AssessmentResponseDue, Who: ssc, Note: "The SSC specifies the date by which the User must respond (G8.24)."},
		{From: AssessmentResponseDue, Event: AssessmentReceiveResponse, To: AssessmentResponseReceived, Who: []Actor{ActorOwner, ActorSSC}, Note: "The User Security Assessment Response, copied to the SSC and the CIO (G8.24)."},
		{From: AssessmentResponseReceived, Event: AssessmentConsider, To: AssessmentConsidered, Who: ssc, Note: "The SSC considers the report and the response at a meeting."},
		{From: AssessmentConsidered, Event: AssessmentDecide, To: AssessmentDecided, Who: ssc, Note: "The SSC records the outcome: an Assurance Status after the initial FUSA (G8.34), a Compliance Status after later assessments."},
		{From: AssessmentPlanned, Event: AssessmentCancel, To: AssessmentCancelled, Who: ssc, Note: "Withdrawn before fieldwork; needs a reason."},
		{From: AssessmentBooked, Event: AssessmentCancel, To: AssessmentCancelled, Who: ssc, Note: "Withdrawn before fieldwork; needs a reason."},
	}
}

// IsOpen reports whether the assessment is still under way.
func (s AssessmentState) IsOpen() bool { return s != AssessmentDecided && s != AssessmentCancelled }

// AssuranceStatus is what the Panel, with the SSC's support, assigns after a
// party's initial Full User Security Assessment (G8.34).
type AssuranceStatus string

// The four Assurance Statuses of G8.34.
const (
	AssuranceApproved          AssuranceStatus = "approved"
	AssuranceApprovedSubjectTo AssuranceStatus = "approved_subject_to"
	AssuranceDeferred          AssuranceStatus = "deferred"
	AssuranceRejected          AssuranceStatus = "rejected"
)

// AssuranceStatuses lists them in the order of G8.34.
var AssuranceStatuses = []AssuranceStatus{AssuranceApproved, AssuranceApprovedSubjectTo, AssuranceDeferred, AssuranceRejected}

var assuranceLabels = map[AssuranceStatus]string{
	AssuranceApproved:          "Approved",
	AssuranceApprovedSubjectTo: "Approved, subject to steps",
	AssuranceDeferred:          "Deferred",
	AssuranceRejected:          "Rejected",
}

// Label is the status as G8.34 words it.
func (a AssuranceStatus) Label() string { return assuranceLabels[a] }

// NeedsSteps reports whether the status must say which steps the party is to
// take ("Approved, subject to [the Party taking steps]").
func (a AssuranceStatus) NeedsSteps() bool { return a == AssuranceApprovedSubjectTo }

// NeedsFollowUp reports whether the status requires a follow-up assessment:
// Deferred and Rejected do not let the party complete the User Entry Process
// (H1.10), so another FUSA must follow.
func (a AssuranceStatus) NeedsFollowUp() bool {
	return a == AssuranceDeferred || a == AssuranceRejected
}

// ParseAssuranceStatus accepts a status code or its label, in any case.
func ParseAssuranceStatus(s string) (AssuranceStatus, error) {
	t := strings.TrimSpace(s)
	for _, a := range AssuranceStatuses {
		if strings.EqualFold(t, string(a)) || strings.EqualFold(t, a.Label()) {
			return a, nil
		}
	}
	return "", fmt.Errorf("unknown Assurance Status %q (one of approved, approved_subject_to, deferred, rejected)", s)
}

// AssuranceSettings are the assurance values public material does not
// settle (DOMAIN.md §2 and §7 mark them ASSUMPTION): configuration, never
// law.
type AssuranceSettings struct {
	// ComplianceStatuses are the values the SSC may agree after a
	// Verification or Self-Assessment. The SEC's value set was not found.
	ComplianceStatuses []string `json:"compliance_statuses"`
	// SizeThreshold is the weighted number of Smart Metering Systems above
	// which a party's third-year assessment is a VUSA rather than an SSA
	// (250,000 premises, SCF Part 1 §4.3).
	SizeThreshold int64 `json:"size_threshold"`
	// NonDomesticWeight multiplies a party's non-domestic Smart Metering
	// Systems in its risk profile (SECMP0059, G8.41(c)); the weights were not
	// found, so 1 (no difference) is the default.
	NonDomesticWeight float64 `json:"non_domestic_weight"`
	// NonDomesticShare is the share (0 to 1) of a Supplier's Smart Metering
	// Systems taken to serve non-domestic premises when the SSC has recorded
	// no share for it. The portfolio aggregates have no premises split (see
	// internal/assurance), so the split is derived from this and the SSC's
	// per-party figure.
	NonDomesticShare float64 `json:"non_domestic_share"`
	// CycleYears is the length of an assessment cycle, which starts with a
	// FUSA (three years).
	CycleYears int `json:"cycle_years"`
	// NextWithinMonths is how soon after the last CIO fieldwork the next
	// assessment is due (G8.40: 12 months).
	NextWithinMonths int `json:"next_within_months"`
	// EscalateAfterDays is how long a remediation plan's progress update may
	// be overdue before the SSC is told (the party is reminded at once). The
	// SEC sets no such period: the SSC agrees each next update date.
	EscalateAfterDays int `json:"escalate_after_days"`
}

// DefaultAssuranceSettings are DOMAIN.md's defaults.
func DefaultAssuranceSettings() AssuranceSettings {
	return AssuranceSettings{
		ComplianceStatuses: []string{"Compliant", "Compliant subject to remediation", "Non-compliant"},
		SizeThreshold:      250_000,
		NonDomesticWeight:  1,
		NonDomesticShare:   0,
		CycleYears:         3,
		NextWithinMonths:   12,
		EscalateAfterDays:  14,
	}
}

// Validate reports every setting that makes no sense.
func (s AssuranceSettings) Validate() error {
	var bad []string
	if len(s.ComplianceStatuses) == 0 {
		bad = append(bad, "compliance_statuses: name at least one")
	}
	if s.SizeThreshold < 1 {
		bad = append(bad, fmt.Sprintf("size_threshold %d: want at least 1", s.SizeThreshold))
	}
	if s.NonDomesticWeight < 0 || s.NonDomesticWeight > 100 {
		bad = append(bad, fmt.Sprintf("non_domestic_weight %g: want 0 to 100", s.NonDomesticWeight))
	}
	if s.NonDomesticShare < 0 || s.NonDomesticShare > 1 {
		bad = append(bad, fmt.Sprintf("non_domestic_share %g: want 0 to 1", s.NonDomesticShare))
	}
	if s.CycleYears < 1 || s.CycleYears > 10 {
		bad = append(bad, fmt.Sprintf("cycle_years %d: want 1 to 10", s.CycleYears))
	}
	if s.NextWithinMonths < 1 || s.NextWithinMonths > 36 {
		bad = append(bad, fmt.Sprintf("next_within_months %d: want 1 to 36", s.NextWithinMonths))
	}
	if s.EscalateAfterDays < 0 || s.EscalateAfterDays > 365 {
		bad = append(bad, fmt.Sprintf("escalate_after_days %d: want 0 to 365", s.EscalateAfterDays))
	}
	if len(bad) > 0 {
		return fmt.Errorf("assurance settings: %s", strings.Join(bad, "; "))
	}
	return nil
}

// ComplianceStatus returns the configured value matching s in any case.
func (s AssuranceSettings) ComplianceStatus(v string) (string, error) {
	for _, c := range s.ComplianceStatuses {
		if strings.EqualFold(strings.TrimSpace(v), c) {
			return c, nil
		}
	}
	return "", fmt.Errorf("unknown Compliance Status %q (one of %s)", v, strings.Join(s.ComplianceStatuses, ", "))
}

// FindingKind says what a finding in a CIO's report is (G8.22).
type FindingKind string

// Finding kinds.
const (
	// NonCompliance is an actual or potential non-compliance with G3 to G6,
	// listed in a FUSA report.
	NonCompliance FindingKind = "non_compliance"
	// RiskIncrease is a material increase in risk since the last FUSA,
	// listed in a VUSA report or found in a self-assessment.
	RiskIncrease FindingKind = "risk_increase"
)

// FindingKindFor is the kind of finding an assessment's report lists.
func FindingKindFor(t AssessmentType) FindingKind {
	if t == FUSA {
		return NonCompliance
	}
	return RiskIncrease
}

// CheckFindingClause accepts an SEC clause that a finding may cite: one in
// Sections G3 to G6 or G8, such as "G3.17", "G5.14" or "G8.41(c)".
func CheckFindingClause(s string) (string, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	if t == "" {
		return "", fmt.Errorf("required: the SEC clause the finding is against (G3 to G6 or G8, e.g. G5.14)")
	}
	if len(t) < 2 || t[0] != 'G' || !strings.ContainsRune("34568", rune(t[1])) || (len(t) > 2 && t[2] != '.') {
		return "", fmt.Errorf("%q is not a clause of SEC G3 to G6 or G8 (e.g. G5.14)", s)
	}
	rest := t[min(len(t), 3):]
	if len(t) > 2 && (rest == "" || rest[0] < '0' || rest[0] > '9') {
		return "", fmt.Errorf("%q is not a clause of SEC G3 to G6 or G8 (e.g. G5.14)", s)
	}
	for _, r := range rest {
		if !strings.ContainsRune("0123456789.()ABCDEFGHIJKLMNOPQRSTUVWXYZ", r) {
			return "", fmt.Errorf("%q is not a clause of SEC G3 to G6 or G8 (e.g. G5.14)", s)
		}
	}
	// Lower-case the paragraph letters back: G8.41(C) reads G8.41(c).
	if i := strings.IndexByte(t, '('); i >= 0 {
		t = t[:i] + strings.ToLower(t[i:])
	}
	return t, nil
}

// Severities are the grades a finding may carry, the worst first.
var Severities = []string{"high", "medium", "low"}
