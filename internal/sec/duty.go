package sec

import (
	"slices"
)

// MonthlyDuty is one of the SSC's two monthly duties (seeds/000, "Process
// Requirements for Installing Suppliers"). Each names a recipient and the
// organisations the recipient must be told of.
type MonthlyDuty string

// The SSC's monthly duties.
const (
	// DutyOperatingSuppliers: "The SSC must inform Device manufacturers on a
	// monthly basis of which Energy Suppliers are operating their Devices".
	DutyOperatingSuppliers MonthlyDuty = "operating_suppliers"
	// DutyManufacturerContacts: "The SSC must inform Energy Suppliers on a
	// monthly basis of the current contact details for all Device
	// manufacturers".
	DutyManufacturerContacts MonthlyDuty = "manufacturer_contacts"
)

// MonthlyDuties lists the duties in the order the mailing makes them.
var MonthlyDuties = []MonthlyDuty{DutyOperatingSuppliers, DutyManufacturerContacts}

// Label is the duty as the audit trail and the reports state it.
func (d MonthlyDuty) Label() string {
	switch d {
	case DutyOperatingSuppliers:
		return "SSC monthly duty: tell each Device manufacturer which Energy Suppliers operate its Devices (seeds/000)"
	case DutyManufacturerContacts:
		return "SSC monthly duty: tell each Energy Supplier the current contact details of all Device manufacturers (seeds/000)"
	}
	return string(d)
}

// Recipient reports whether an organisation with the roles is owed the
// duty's monthly report. Its directory marking plays no part: the duty is
// owed to every manufacturer and every Supplier, RED entries included.
func (d MonthlyDuty) Recipient(roles []OrgRole) bool {
	switch d {
	case DutyOperatingSuppliers:
		return slices.Contains(roles, Manufacturer)
	case DutyManufacturerContacts:
		return slices.ContainsFunc(roles, OrgRole.IsSupplier)
	}
	return false
}

// Naming asks whether the subject organisation is named to the recipient
// organisation in the recipient's report under a monthly duty.
type Naming struct {
	Duty           MonthlyDuty
	RecipientRoles []OrgRole
	SubjectRoles   []OrgRole
	// Operates: for DutyOperatingSuppliers, the subject Supplier was the
	// Responsible Supplier of some of the recipient manufacturer's Devices at
	// the month's end.
	Operates bool
	// Marking is the subject's directory classification, and SeesByMarking
	// whether that marking alone lets the recipient organisation see the
	// entry (WHITE, GREEN, or AMBER naming the recipient; never RED, which
	// names people, not organisations).
	Marking       Classification
	SeesByMarking bool
}

// NamingAnswer is what NameUnderDuty decides.
type NamingAnswer struct {
	// Named: the report names the subject (its code, name and, under
	// DutyManufacturerContacts, its security contacts).
	Named bool
	// Override: named although the marking alone would keep the entry from
	// the recipient. The duty overrides the marking for this recipient only,
	// and the override is written to the audit trail; every third party is
	// still kept from the entry.
	Override bool
	Reason   string
}

// NameUnderDuty decides who may be named to whom under which monthly duty.
// The duty, not the directory marking, decides whether the counterpart it
// requires is named: a manufacturer learns every Supplier operating its
// Devices, and a Supplier every manufacturer's contacts, whatever their
// entries' colours. Anyone the duty does not require is a third party and
// is not named by the report at all (what they may see of the directory is
// the directory's business).
func NameUnderDuty(n Naming) NamingAnswer {
	if !n.Duty.Recipient(n.RecipientRoles) {
		return NamingAnswer{Reason: "the recipient is not owed this duty's report"}
	}
	switch n.Duty {
	case DutyOperatingSuppliers:
		if !slices.ContainsFunc(n.SubjectRoles, OrgRole.IsSupplier) {
			return NamingAnswer{Reason: "not an Energy Supplier: a third party to the duty"}
		}
		if !n.Operates {
			return NamingAnswer{Reason: "operated none of the manufacturer's Devices at the month's end: a third party to the duty"}
		}
	case DutyManufacturerContacts:
		if !slices.Contains(n.SubjectRoles, Manufacturer) {
			return NamingAnswer{Reason: "not a Device manufacturer: a third party to the duty"}
		}
	default:
		return NamingAnswer{Reason: "unknown duty " + string(n.Duty)}
	}
	if n.SeesByMarking && n.Marking != Red {
		return NamingAnswer{Named: true, Reason: "the counterpart the duty requires, and its " + string(n.Marking) + " directory entry is open to the recipient"}
	}
	return NamingAnswer{Named: true, Override: true,
		Reason: "the counterpart the duty requires: the duty overrides its " + string(n.Marking) + " directory marking for this recipient only"}
}
