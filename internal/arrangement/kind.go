package arrangement

import (
	"fmt"
	"slices"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/sec"
)

// Kind is what sort of arrangement a record is.
type Kind string

// The kinds of arrangement the SSC recognises for G3.20 (DOMAIN.md §1,
// "Contract chain and SSC arrangements").
const (
	// SupplierManufacturer is a User's contract directly with a manufacturer
	// ("arrangements may be made directly with a manufacturer"): a Supplier's,
	// for its Devices and User Systems, or a Network Party's or Other User's,
	// for its User Systems (G3.20(a)).
	SupplierManufacturer Kind = "supplier_manufacturer"
	// SupplierMAP is a Supplier's contract with a Meter Asset Provider; with
	// the MAP's own contract with the manufacturer it forms the chain the
	// Duty to Notify page describes.
	SupplierMAP Kind = "supplier_map"
	// MAPManufacturer is a MAP's contract with a manufacturer: "MAPs must have
	// contractual agreements with Energy Suppliers and Device manufacturers".
	MAPManufacturer Kind = "map_manufacturer"
	// Churn is a Supplier's contract with a MAP for Devices it inherited on a
	// change of supplier (LC50.5). For coverage it links the Supplier to the
	// MAP like a SupplierMAP contract.
	Churn Kind = "churn"
	// LetterOfIntent is a Letter of Intent or MoU between two of a User (a
	// Supplier, or with a manufacturer any User), a MAP and a manufacturer, with a definition of "material security
	// vulnerability" and a commitment to rectify: the SSC accepts it as
	// reasonable steps (SECAS, 31 Oct 2019), not as a contract.
	LetterOfIntent Kind = "letter_of_intent"
	// SSCScheme is a manufacturer's enrolment in the SSC scheme (Sept 2020):
	// it notifies the SSC directly of material vulnerabilities in models
	// CPA-certified under the build standard from 22 June 2020, and, where it
	// agreed the legacy arrangement, in models certified before.
	SSCScheme Kind = "ssc_scheme"
)

// Kinds lists every kind in display order.
var Kinds = []Kind{SupplierManufacturer, SupplierMAP, MAPManufacturer, Churn, LetterOfIntent, SSCScheme}

var kindLabels = map[Kind]string{
	SupplierManufacturer: "Supplier–manufacturer contract",
	SupplierMAP:          "Supplier–MAP contract",
	MAPManufacturer:      "MAP–manufacturer contract",
	Churn:                "Churn contract with a MAP (inherited Devices)",
	LetterOfIntent:       "Letter of Intent or MoU",
	SSCScheme:            "SSC scheme enrolment",
}

// Label is the human name of the kind.
func (k Kind) Label() string { return kindLabels[k] }

// ParseKind accepts a kind's code or label in any case, and a few short
// names people use ("loi", "mou", "scheme").
func ParseKind(s string) (Kind, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch t {
	case "loi", "mou", "letter of intent", "letter_of_intent":
		return LetterOfIntent, nil
	case "scheme", "ssc", "ssc scheme":
		return SSCScheme, nil
	}
	for _, k := range Kinds {
		if t == string(k) || strings.EqualFold(t, k.Label()) {
			return k, nil
		}
	}
	parts := make([]string, len(Kinds))
	for i, k := range Kinds {
		parts[i] = string(k)
	}
	return "", fmt.Errorf("unknown kind %q (one of %s)", s, strings.Join(parts, ", "))
}

// Side is a party position in an arrangement.
type Side string

// The three sides an arrangement can name.
const (
	SideSupplier     Side = "supplier"
	SideMAP          Side = "map"
	SideManufacturer Side = "manufacturer"
)

// sideRoles are the organisation roles that may stand on each side. The
// supplier side is the User's side: any User (G3.20(a) binds Suppliers,
// Network Parties and Other Users for their User Systems), except where the
// arrangement is with a Meter Asset Provider (see supplierRoles).
var sideRoles = map[Side][]sec.OrgRole{
	SideSupplier:     sec.UserRoles,
	SideMAP:          {sec.MAP},
	SideManufacturer: {sec.Manufacturer},
}

// supplierRoles stand on the supplier side of an arrangement with a Meter
// Asset Provider (a Supplier–MAP contract, a churn contract, a Letter of
// Intent with a MAP): MAPs provide Devices, and only Energy Suppliers operate
// Devices, so no other User has anything for such an arrangement to cover.
var supplierRoles = []sec.OrgRole{sec.LargeSupplier, sec.SmallSupplier}

// sideLabels name the sides in messages.
var sideLabels = map[Side]string{
	SideSupplier:     "a User (an Energy Supplier, Network Party or Other User)",
	SideMAP:          "a Meter Asset Provider",
	SideManufacturer: "a manufacturer",
}

// SidesFor says which sides an arrangement of kind k names. A Letter of
// Intent names any two; the others exactly the ones listed.
func SidesFor(k Kind) [][]Side {
	switch k {
	case SupplierManufacturer:
		return [][]Side{{SideSupplier, SideManufacturer}}
	case SupplierMAP, Churn:
		return [][]Side{{SideSupplier, SideMAP}}
	case MAPManufacturer:
		return [][]Side{{SideMAP, SideManufacturer}}
	case LetterOfIntent:
		return [][]Side{{SideSupplier, SideManufacturer}, {SideSupplier, SideMAP}, {SideMAP, SideManufacturer}}
	case SSCScheme:
		return [][]Side{{SideManufacturer}}
	}
	return nil
}

// CheckSides reports why an arrangement of kind k may not name exactly the
// sides given (true for a side that is named), or "" when it may.
func CheckSides(k Kind, supplier, mapSide, manufacturer bool) string {
	var named []Side
	if supplier {
		named = append(named, SideSupplier)
	}
	if mapSide {
		named = append(named, SideMAP)
	}
	if manufacturer {
		named = append(named, SideManufacturer)
	}
	options := SidesFor(k)
	for _, o := range options {
		if slices.Equal(o, named) {
			return ""
		}
	}
	var want []string
	for _, o := range options {
		parts := make([]string, len(o))
		for i, s := range o {
			parts[i] = string(s)
		}
		want = append(want, strings.Join(parts, " and "))
	}
	return fmt.Sprintf("a %s names %s", k.Label(), strings.Join(want, ", or "))
}

// RoleOK reports whether an organisation holding roles may stand on side.
func RoleOK(side Side, roles []sec.OrgRole) bool {
	return slices.ContainsFunc(sideRoles[side], func(r sec.OrgRole) bool { return slices.Contains(roles, r) })
}

// SupplierOnly reports whether the supplier side of an arrangement of kind k
// must be an Energy Supplier rather than any User: it must when the
// arrangement is with a Meter Asset Provider (mapNamed, or a kind that always
// names one).
func SupplierOnly(k Kind, mapNamed bool) bool {
	return k == SupplierMAP || k == Churn || mapNamed
}

// SupplierOK reports whether an organisation holding roles is an Energy
// Supplier (Large or Small).
func SupplierOK(roles []sec.OrgRole) bool {
	return slices.ContainsFunc(supplierRoles, func(r sec.OrgRole) bool { return slices.Contains(roles, r) })
}

// SchemeBuildStandardFrom is sec.SchemeBuildStandardFrom: what an SSC
// scheme enrolment reaches is the pure rule sec.SchemeCovers.
var SchemeBuildStandardFrom = sec.SchemeBuildStandardFrom

// Status is where an arrangement stands in its life.
type Status string

// Statuses. Whether an active arrangement is in force on a day also depends
// on its dates (see InForce).
const (
	// Pending is a manufacturer's scheme enrolment awaiting the SSC's
	// confirmation; it covers nothing yet.
	Pending Status = "pending"
	Active  Status = "active"
	// Ended is an arrangement terminated before its expiry.
	Ended Status = "ended"
)

// Strength is how much an arrangement counts for G3.20.
type Strength int

// Strengths, weakest first.
const (
	// Steps: a Letter of Intent or MoU is accepted as reasonable steps.
	Steps Strength = iota + 1
	// Binding: a contract or scheme enrolment covers the model.
	Binding
)

// StrengthOf says how much an arrangement of kind k counts.
func StrengthOf(k Kind) Strength {
	if k == LetterOfIntent {
		return Steps
	}
	return Binding
}

// DraftFor is a new arrangement's input started from the caller's own side
// of it: a User (Supplier, Network Party, Other User) on the user side, a MAP
// or a manufacturer on theirs. The form for a new arrangement starts from it.
func DraftFor(c access.Caller) Input {
	var in Input
	switch {
	case c.OrgHas(sec.LargeSupplier) || c.OrgHas(sec.SmallSupplier) || c.Has(sec.RoleSupplier),
		c.Has(sec.RoleNetworkParty) || c.Has(sec.RoleOtherUser):
		in.Supplier = c.OrgCode
	case c.Has(sec.RoleMAP):
		in.MAP = c.OrgCode
	case c.Has(sec.RoleManufacturer):
		in.Manufacturer = c.OrgCode
	}
	return in
}
