// Package assurance runs SEC G8 security assurance: User Security
// Assessments of a party in a role (FUSA, VUSA, self-assessment) with their
// lifecycle, findings, evidence files and outcomes (Assurance Status after
// the initial FUSA, Compliance Status after later ones); the forward plan of
// which assessment each party is due in a year; and remediation plans with
// their actions, progress updates, overdue reminders and Directors' Letters.
//
// Files:
//   - assessment.go: the assessment record, reading and listing it;
//   - lifecycle.go: moving an assessment through sec.AssessmentLifecycle and
//     recording its outcome (and the follow-up a Deferred or Rejected status
//     requires);
//   - finding.go, evidence.go: findings in the CIO's report, evidence files;
//   - forward.go: the forward plan, from sec.ChooseAssessment;
//   - remediation.go, letter.go, tick.go: remediation plans, Directors'
//     Letters, and the periodic overdue check with its reminders.
//
// It owns the tables of migration 0900. Records are RED by default, named to
// the SSC, the secretariat, the User CIO and the assessed party's people who
// are cleared for RED; every query carries the caller's visibility
// (access.Caller.Visible) in its WHERE, so an assessment the caller may not see
// answers exactly as one that does not exist.
//
// The forward plan counts Smart Metering Systems from the estate's portfolio
// aggregates through estate.Service.SMSCounts. The aggregates have no
// domestic/non-domestic split (the premises of a Device are on its row
// only), and adding premises to the portfolio's key would change every bulk
// path of the 35-million-Device estate; so the split is derived: the SSC
// records, per party, the share of its Smart Metering Systems serving
// non-domestic premises (assessment_profiles), and parties without one take
// AssuranceSettings.NonDomesticShare (0 by default). The plan page and JSON
// say which share each row used.
package assurance
