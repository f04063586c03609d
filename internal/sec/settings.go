package sec

import (
	"errors"
	"fmt"
	"slices"
)

// Settings are the points where public material does not settle the regime
// (DOMAIN.md marks them ASSUMPTION). They are configuration, not law: each has
// a default that a deployment may change, and none of them is SEC text.
type Settings struct {
	// G320FixVersion is the SEC release in which G3.20(b) gains the SMETS2+
	// qualifier that G3.17(b) got in v5.20, so that Suppliers must arrange to
	// be notified about SMETS1 Communications Hub and Gas Proxy Functions
	// (DP087). The modification and release were not found, so it is unset by
	// default: "not yet fixed", and every release from v5.20 shows the gap.
	G320FixVersion Version `json:"g320_fix_version"`

	// IHDInSMSScope says whether an In-Home Display (a Type 2 Device) counts as
	// part of the Smart Metering System for G3.17(b) and G3.20(b). Default no.
	IHDInSMSScope bool `json:"ihd_in_sms_scope"`

	// ChurnWindowMonths is how long a Supplier that inherits Devices on a change
	// of supplier has to contract with the MAP before its G3.20 coverage counts
	// as a gap: supply licence LC50.5 says "within 6 months".
	ChurnWindowMonths int `json:"churn_window_months"`

	// AckReminderDays is how many days after a vulnerability notification is
	// sent an unacknowledged recipient is reminded. The SEC sets no such
	// deadline ("as soon as reasonably practicable", G3.18); this is a nudge,
	// never a legal breach.
	AckReminderDays int `json:"ack_reminder_days"`

	// SchemeMeterTypes are the device types the CPA Build Standard's "new
	// Meter" covers: a model of one of them first certified from 22 June 2020
	// is reached by the SSC scheme without an enrolment record (seeds/000).
	// Which types count is not settled by public text; default ESME and GSME.
	SchemeMeterTypes []DeviceType `json:"scheme_meter_types"`
}

// DefaultSettings are the defaults DOMAIN.md proposes.
func DefaultSettings() Settings {
	return Settings{
		G320FixVersion:    Version{}, // DP087 not yet implemented, as far as is known
		IHDInSMSScope:     false,
		ChurnWindowMonths: 6,
		AckReminderDays:   5,
		SchemeMeterTypes:  []DeviceType{ESME, GSME},
	}
}

// Validate reports every setting that makes no sense, checked against the SEC
// release table the deployment runs with.
func (s Settings) Validate(vs Versions) error {
	var errs []error
	if !s.G320FixVersion.IsZero() {
		if s.G320FixVersion.Compare(smets1UserScope) <= 0 {
			errs = append(errs, fmt.Errorf("g320_fix_version %s: the G3.20 correction must come after v%s, the release that introduced the error (DP087)",
				s.G320FixVersion, smets1UserScope))
		} else if _, err := vs.Find(s.G320FixVersion); err != nil {
			// A label that is not a release would silently move the fix to
			// the next release numerically above it.
			errs = append(errs, fmt.Errorf("g320_fix_version: %w", err))
		}
	}
	if s.ChurnWindowMonths < 1 || s.ChurnWindowMonths > 24 {
		errs = append(errs, fmt.Errorf("churn_window_months %d: want 1 to 24 (LC50.5 says 6)", s.ChurnWindowMonths))
	}
	if s.AckReminderDays < 1 || s.AckReminderDays > 90 {
		errs = append(errs, fmt.Errorf("ack_reminder_days %d: want 1 to 90", s.AckReminderDays))
	}
	for _, t := range s.SchemeMeterTypes {
		if !slices.Contains(DeviceTypes, t) {
			errs = append(errs, fmt.Errorf("scheme_meter_types: unknown device type %q", t))
		}
	}
	return errors.Join(errs...)
}

// ChurnWindowEnds is the last day of the grace window for a Supplier whose
// supply of a Device began on supplyStart: until then a missing MAP contract is
// "in progress", not a G3.20 gap (LC50.5).
func (s Settings) ChurnWindowEnds(supplyStart Date) Date {
	return supplyStart.AddMonths(s.ChurnWindowMonths)
}

// AckReminderDue reports whether a recipient that has not acknowledged a
// notification sent on sent should be reminded on today.
func (s Settings) AckReminderDue(sent, today Date) bool {
	return !sent.IsZero() && today.Sub(sent) >= s.AckReminderDays
}
