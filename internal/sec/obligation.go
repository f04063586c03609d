package sec

import (
	"errors"
	"fmt"
	"slices"
)

// DutyHolder is who carries a G3.17 or G3.20 duty for a Device.
type DutyHolder string

// Duty holders. Other Users only ever carry clause (a), for their own User
// Systems, which is not a question about a Device.
const (
	HolderSupplier DutyHolder = "supplier" // the Responsible Supplier on the date
	HolderDCC      DutyHolder = "dcc"      // SMETS2+ Communications Hubs
	HolderNoOne    DutyHolder = "no_one"   // out of scope, no Supplier, or a known gap
)

var holderLabels = map[DutyHolder]string{
	HolderSupplier: "Responsible Supplier",
	HolderDCC:      "DCC",
	HolderNoOne:    "No one",
}

// Label is the human name of the duty holder.
func (h DutyHolder) Label() string { return holderLabels[h] }

// The clauses WhoCarries answers for, as printed.
const (
	ClauseG317 = "G3.17(b)" // handle a vulnerability the User becomes aware of (then G3.18)
	ClauseG320 = "G3.20(b)" // arrange to be notified by manufacturers
)

// DutyQuery is the question "who carries G3.17 and G3.20 for this Device on
// this date?". The caller looks up whether the Device had a Responsible
// Supplier on Date (its supply periods) and the release in force on Date
// (Versions.InForce).
type DutyQuery struct {
	Type        DeviceType
	Generation  Generation
	HasSupplier bool
	Date        Date // for the wording only; may be zero
	Version     Version
	// NotEnrolled marks a SMETS1 Device that was not enrolled onto the DCC
	// on Date: no enrolment date, or a later one. v5.20 brought in User
	// obligations for enrolled SMETS1 Devices only (seeds/001). EnrolledOn,
	// for the wording only, is its enrolment date when it has one.
	NotEnrolled bool
	EnrolledOn  Date
}

// Duty is the answer for one clause, ready to print.
type Duty struct {
	Clause string     `json:"clause"` // "G3.17(b)"
	Holder DutyHolder `json:"holder"`
	Reason string     `json:"reason"` // one or two sentences naming the clause
	// KnownGap marks the DP087 window: from v5.20 until Settings.G320FixVersion
	// the G3.20(b) text exempts SMETS1 Communications Hub and Gas Proxy
	// Functions that G3.17(b) gives to the Supplier. No one is bound, and that
	// is a flaw in the code to report, never compliance.
	KnownGap bool `json:"known_gap"`
}

// Obligations is the answer for both clauses.
type Obligations struct {
	Type       DeviceType `json:"device_type"`
	Generation Generation `json:"generation"`
	Date       Date       `json:"date,omitzero"`
	Version    Version    `json:"sec_version"`
	G317       Duty       `json:"g3_17"`
	G320       Duty       `json:"g3_20"`
}

// WhoCarries answers, for a Device, who carries G3.17(b) and G3.20(b) under the
// SEC version in force, and why (DOMAIN.md "Who carries G3.17/G3.20"):
//
//  1. A Communications Hub Function or Gas Proxy Function of a SMETS2+ Device
//     is the DCC's under both clauses, in every version.
//  2. A SMETS1 Device is outside User obligations before v5.20, and from
//     v5.20 until it is enrolled (seeds/001: v5.20 brought in "User
//     obligations for enrolled SMETS1 Devices").
//  3. An In-Home Display is outside the Smart Metering System unless
//     Settings.IHDInSMSScope says otherwise (ASSUMPTION).
//  4. Clause (b) binds only the Responsible Supplier; with none, no one.
//  5. From v5.20 G3.17(b) gives SMETS1 Communications Hub and Gas Proxy
//     Functions to the Supplier, but G3.20(b) excludes them until
//     Settings.G320FixVersion (DP087): a known gap.
//  6. Otherwise the Responsible Supplier: meters (ESME, GSME), and PPMID and
//     HCALCS as parts of the Smart Metering System (ASSUMPTION).
func WhoCarries(q DutyQuery, s Settings) (Obligations, error) {
	var errs []error
	if !slices.Contains(DeviceTypes, q.Type) {
		errs = append(errs, fmt.Errorf("unknown device type %q", q.Type))
	}
	if !slices.Contains(Generations, q.Generation) {
		errs = append(errs, fmt.Errorf("unknown generation %q", q.Generation))
	}
	if q.Version.IsZero() {
		errs = append(errs, errors.New("which SEC version was in force is needed"))
	}
	if err := errors.Join(errs...); err != nil {
		return Obligations{}, err
	}
	return Obligations{
		Type:       q.Type,
		Generation: q.Generation,
		Date:       q.Date,
		Version:    q.Version,
		G317:       duty(q, s, ClauseG317),
		G320:       duty(q, s, ClauseG320),
	}, nil
}

func duty(q DutyQuery, s Settings, clause string) Duty {
	this := fmt.Sprintf("this %s %s", q.Generation, q.Type.Label())
	smets1 := q.Generation == SMETS1
	switch {
	case q.Type.IsCommsHub() && !smets1:
		return Duty{Clause: clause, Holder: HolderDCC, Reason: fmt.Sprintf(
			"%s excludes a Communications Hub Function or Gas Proxy Function forming part of a SMETS2+ Device, in every SEC version: the security of %s lies with the DCC, not the Responsible Supplier.",
			clause, this)}

	case smets1 && !q.Version.AtLeast(smets1UserScope):
		return Duty{Clause: clause, Holder: HolderNoOne, Reason: fmt.Sprintf(
			"Under SEC v%s, before v%s brought enrolled SMETS1 Devices into User obligations, %s placed no duty on any User for %s.",
			q.Version, smets1UserScope, clause, this)}

	case smets1 && q.NotEnrolled:
		when, on := "has no enrolment date recorded", ""
		if !q.EnrolledOn.IsZero() {
			when = "was enrolled only on " + q.EnrolledOn.String()
			if !q.Date.IsZero() {
				on = ", after " + q.Date.String()
			}
		}
		return Duty{Clause: clause, Holder: HolderNoOne, Reason: fmt.Sprintf(
			"v%s brought in User obligations for enrolled SMETS1 Devices only, and %s %s%s, so %s places no duty on any User for it yet.",
			smets1UserScope, this, when, on, clause)}

	case q.Type == IHD && !s.IHDInSMSScope:
		return Duty{Clause: clause, Holder: HolderNoOne, Reason: fmt.Sprintf(
			"An In-Home Display (a Type 2 Device) is treated as outside the Smart Metering System (setting ihd_in_sms_scope, an assumption, not SEC text), so %s does not reach %s.",
			clause, this)}

	case !q.HasSupplier:
		on := ""
		if !q.Date.IsZero() {
			on = " on " + q.Date.String()
		}
		return Duty{Clause: clause, Holder: HolderNoOne, Reason: fmt.Sprintf(
			"%s binds only the Responsible Supplier, and %s has none%s, so no one carries this duty.",
			clause, this, on)}

	case clause == ClauseG320 && q.Type.IsCommsHub() && !g320Fixed(q.Version, s):
		fix := "in a release not yet known (setting g320_fix_version is unset)"
		if !s.G320FixVersion.IsZero() {
			fix = "in v" + s.G320FixVersion.String()
		}
		return Duty{Clause: clause, Holder: HolderNoOne, KnownGap: true, Reason: fmt.Sprintf(
			"Known gap in the SEC, not compliance: under v%s %s still excludes every Communications Hub Function and Gas Proxy Function, so no User must arrange to be notified about %s, although %s has made it the Responsible Supplier's since v%s. DP087 corrects this %s.",
			q.Version, clause, this, ClauseG317, smets1UserScope, fix)}
	}

	var r string
	if clause == ClauseG317 {
		r = fmt.Sprintf("The Responsible Supplier must act under %s and G3.18 on a material security vulnerability in %s: notify the manufacturer, have the cause rectified or its impact mitigated, and tell the SSC the steps and timetable (G3.9).",
			clause, this)
	} else {
		r = fmt.Sprintf("The Responsible Supplier must, wherever practicable, arrange under %s to be notified by the manufacturer of material security vulnerabilities in %s.",
			clause, this)
	}
	switch {
	case q.Type.IsCommsHub() && clause == ClauseG317:
		r += fmt.Sprintf(" Since v%s %s excludes only SMETS2+ Communications Hub and Gas Proxy Functions, so a SMETS1 one is the Supplier's (DP087).", smets1UserScope, clause)
	case q.Type.IsCommsHub():
		r += fmt.Sprintf(" v%s corrected %s to match %s (DP087; setting g320_fix_version).", s.G320FixVersion, clause, ClauseG317)
	case q.Type == PPMID || q.Type == HCALCS:
		r += " metersec treats a PPMID or HCALCS as part of the Smart Metering System (an assumption)."
	case q.Type == IHD:
		r += " An In-Home Display counts as part of the Smart Metering System here because setting ihd_in_sms_scope is on (an assumption)."
	case smets1:
		r += fmt.Sprintf(" SMETS1 Devices have been within User obligations since v%s.", smets1UserScope)
	}
	return Duty{Clause: clause, Holder: HolderSupplier, Reason: r}
}

// g320Fixed reports whether G3.20(b) in version v carries the SMETS2+
// qualifier (DP087): only from Settings.G320FixVersion, and never while that is
// unset.
func g320Fixed(v Version, s Settings) bool {
	return !s.G320FixVersion.IsZero() && v.AtLeast(s.G320FixVersion)
}
