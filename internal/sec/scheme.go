package sec

import (
	"fmt"
	"slices"
	"strings"
)

// SchemeBuildStandardFrom is the day from which NCSC's guidance on the CPA
// Build Standard applies: "any Manufacturer looking to gain CPA Certification
// for a new Meter under the scheme, will be required to notify the SSC
// directly of any material security vulnerabilities"; assets certified before
// it are reached only by the separate agreement "to notify the SSC of any
// assets that were CPA Certified prior to the 22 June 2020" (seeds/000).
var SchemeBuildStandardFrom = MustParseDate("2020-06-22")

// SchemeBasis is why the SSC will be notified directly about a model.
type SchemeBasis string

// Bases of SSC notification.
const (
	// SchemeNone: the SSC is not notified directly about the model.
	SchemeNone SchemeBasis = ""
	// SchemeBuildStandard: a meter certified from 22 June 2020 under the CPA
	// Build Standard. It reaches every manufacturer, enrolled or not.
	SchemeBuildStandard SchemeBasis = "build_standard"
	// SchemeLegacy: a model certified before 22 June 2020 whose manufacturer
	// signed the legacy agreement (an SSC scheme enrolment record marked
	// legacy).
	SchemeLegacy SchemeBasis = "legacy_agreement"
	// SchemeEnrolment: a model the build standard does not reach (not a
	// meter) whose manufacturer's enrolment record still names it: the
	// manufacturer agreed to notify the SSC about it.
	SchemeEnrolment SchemeBasis = "enrolment"
)

// SchemeQuery is the question "will the SSC be notified directly of material
// vulnerabilities in this model?".
type SchemeQuery struct {
	Type DeviceType
	// Certified is the day of the model's first CPA certificate as known on
	// the day asked about; zero when there was none.
	Certified Date
	// Enrolled: the manufacturer has an SSC scheme enrolment record in force
	// that covers the model; Legacy: that record includes the legacy
	// agreement for assets certified before 22 June 2020.
	Enrolled, Legacy bool
}

// SchemeAnswer is the answer with its reason, ready to print.
type SchemeAnswer struct {
	Covers bool        `json:"covers"`
	Basis  SchemeBasis `json:"basis,omitempty"`
	Reason string      `json:"reason"`
}

// IsSchemeMeter reports whether the build standard treats a Device of type t
// as a "new Meter" (setting scheme_meter_types).
func (s Settings) IsSchemeMeter(t DeviceType) bool { return slices.Contains(s.SchemeMeterTypes, t) }

func (s Settings) schemeMeterList() string {
	parts := make([]string, len(s.SchemeMeterTypes))
	for i, t := range s.SchemeMeterTypes {
		parts[i] = string(t)
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// SchemeCovers answers SchemeQuery (seeds/000, "Process Requirements for
// Inheriting Suppliers"):
//
//  1. With no CPA certificate, the scheme's basis cannot be shown.
//  2. A meter (setting scheme_meter_types, default ESME and GSME) first
//     certified on or after 22 June 2020 is reached by the build standard,
//     whether or not its manufacturer has an enrolment record.
//  3. A model certified before 22 June 2020 is reached only if its
//     manufacturer signed the legacy agreement (an enrolment record marked
//     legacy).
//  4. Any other model certified from 22 June 2020 is reached only through an
//     enrolment record that names it.
func SchemeCovers(q SchemeQuery, s Settings) SchemeAnswer {
	from := SchemeBuildStandardFrom
	meter := s.IsSchemeMeter(q.Type)
	switch {
	case q.Certified.IsZero():
		return SchemeAnswer{Reason: "the catalogue holds no CPA certificate for the model, so the scheme's basis cannot be shown"}
	case !q.Certified.Before(from) && meter:
		return SchemeAnswer{Covers: true, Basis: SchemeBuildStandard, Reason: fmt.Sprintf(
			"first CPA-certified on %s, on or after %s: under the CPA Build Standard every manufacturer of a new meter (%s, setting scheme_meter_types) must notify the SSC directly",
			q.Certified, from, s.schemeMeterList())}
	case q.Certified.Before(from) && q.Enrolled && q.Legacy:
		return SchemeAnswer{Covers: true, Basis: SchemeLegacy, Reason: fmt.Sprintf(
			"first CPA-certified on %s, before %s, and the manufacturer signed the legacy agreement to notify the SSC of such assets",
			q.Certified, from)}
	case q.Certified.Before(from):
		return SchemeAnswer{Reason: fmt.Sprintf(
			"first CPA-certified on %s, before %s, and the manufacturer has not signed the legacy agreement for assets certified before then",
			q.Certified, from)}
	case q.Enrolled:
		return SchemeAnswer{Covers: true, Basis: SchemeEnrolment, Reason: fmt.Sprintf(
			"first CPA-certified on %s; a %s is not a meter the build standard reaches (scheme_meter_types: %s), but the manufacturer's SSC scheme enrolment names it",
			q.Certified, q.Type, s.schemeMeterList())}
	}
	return SchemeAnswer{Reason: fmt.Sprintf(
		"first CPA-certified on %s, but a %s is not a meter the build standard reaches (scheme_meter_types: %s) and no SSC scheme enrolment names it",
		q.Certified, q.Type, s.schemeMeterList())}
}
