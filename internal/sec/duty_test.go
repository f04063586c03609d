package sec

import "testing"

// The sentences of seeds/000 ("Process Requirements for Installing
// Suppliers") the monthly duty rule implements.
const (
	seedOperating = `"The SSC must inform Device manufacturers on a monthly basis of which Energy Suppliers are operating their Devices"`
	seedContacts  = `"The SSC must inform Energy Suppliers on a monthly basis of the current contact details for all Device manufacturers"`
)

func TestNameUnderDuty(t *testing.T) {
	mfr := []OrgRole{Manufacturer}
	large := []OrgRole{LargeSupplier}
	small := []OrgRole{SmallSupplier}
	mapr := []OrgRole{MAP}
	tests := []struct {
		name           string
		n              Naming
		named, overrde bool
	}{
		{"seeds/000 " + seedOperating + ": a GREEN Supplier operating the manufacturer's Devices is named, no override",
			Naming{DutyOperatingSuppliers, mfr, large, true, Green, true}, true, false},
		{"seeds/000 " + seedOperating + ": an AMBER Supplier entry naming the manufacturer is named, no override",
			Naming{DutyOperatingSuppliers, mfr, small, true, Amber, true}, true, false},
		{"seeds/000 " + seedOperating + ": an AMBER Supplier entry not naming the manufacturer is named by override",
			Naming{DutyOperatingSuppliers, mfr, small, true, Amber, false}, true, true},
		{"seeds/000 " + seedOperating + ": a RED Supplier operating the Devices is still named, by override",
			Naming{DutyOperatingSuppliers, mfr, large, true, Red, false}, true, true},
		{"seeds/000 " + seedOperating + ": RED is an override even if the marking were somehow open",
			Naming{DutyOperatingSuppliers, mfr, large, true, Red, true}, true, true},
		{"seeds/000 " + seedOperating + ": a RED Supplier operating none of its Devices is a third party, not named",
			Naming{DutyOperatingSuppliers, mfr, large, false, Red, false}, false, false},
		{"seeds/000 " + seedOperating + ": a GREEN Supplier operating none of its Devices is not named either",
			Naming{DutyOperatingSuppliers, mfr, large, false, Green, true}, false, false},
		{"seeds/000 " + seedOperating + ": a MAP is not a Supplier: a third party",
			Naming{DutyOperatingSuppliers, mfr, mapr, true, Green, true}, false, false},
		{"seeds/000 " + seedOperating + ": the duty is owed to manufacturers, not to Suppliers",
			Naming{DutyOperatingSuppliers, large, small, true, Green, true}, false, false},
		{"seeds/000 " + seedContacts + ": a GREEN manufacturer is named to every Supplier",
			Naming{DutyManufacturerContacts, large, mfr, false, Green, true}, true, false},
		{"seeds/000 " + seedContacts + ": an AMBER manufacturer entry not naming the Supplier is named by override (all manufacturers)",
			Naming{DutyManufacturerContacts, small, mfr, false, Amber, false}, true, true},
		{"seeds/000 " + seedContacts + ": a RED manufacturer is named by override",
			Naming{DutyManufacturerContacts, large, mfr, false, Red, false}, true, true},
		{"seeds/000 " + seedContacts + ": a RED Supplier is not a manufacturer: a third party to another Supplier",
			Naming{DutyManufacturerContacts, large, small, false, Red, false}, false, false},
		{"seeds/000 " + seedContacts + ": a MAP's contacts are not the duty's",
			Naming{DutyManufacturerContacts, large, mapr, false, Green, true}, false, false},
		{"seeds/000 " + seedContacts + ": the duty is owed to Suppliers, not to manufacturers",
			Naming{DutyManufacturerContacts, mfr, mfr, false, Green, true}, false, false},
		{"unknown duty: nothing is named",
			Naming{"weekly", mfr, large, true, Green, true}, false, false},
	}
	for _, tt := range tests {
		got := NameUnderDuty(tt.n)
		if got.Named != tt.named || got.Override != tt.overrde || got.Reason == "" {
			t.Errorf("%s:\n got %+v, want named %v override %v", tt.name, got, tt.named, tt.overrde)
		}
	}
}

func TestMonthlyDutyRecipientIgnoresMarking(t *testing.T) {
	for _, tt := range []struct {
		name  string
		duty  MonthlyDuty
		roles []OrgRole
		want  bool
	}{
		{"seeds/000 " + seedOperating + ": every manufacturer is a recipient", DutyOperatingSuppliers, []OrgRole{Manufacturer}, true},
		{"seeds/000 " + seedOperating + ": a MAP is not", DutyOperatingSuppliers, []OrgRole{MAP}, false},
		{"seeds/000 " + seedContacts + ": a large Supplier is a recipient", DutyManufacturerContacts, []OrgRole{LargeSupplier}, true},
		{"seeds/000 " + seedContacts + ": a small Supplier is a recipient", DutyManufacturerContacts, []OrgRole{SmallSupplier}, true},
		{"seeds/000 " + seedContacts + ": a manufacturer is not", DutyManufacturerContacts, []OrgRole{Manufacturer}, false},
	} {
		if got := tt.duty.Recipient(tt.roles); got != tt.want {
			t.Errorf("%s: got %v", tt.name, got)
		}
	}
}
