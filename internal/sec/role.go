package sec

import (
	"fmt"
	"slices"
	"strings"
)

// OrgRole is a role an organisation holds in the regime: an SEC Party role, or a
// non-party or governance role. An organisation may hold several.
type OrgRole string

// SEC Party roles.
const (
	LargeSupplier          OrgRole = "large_supplier"
	SmallSupplier          OrgRole = "small_supplier"
	NetworkParty           OrgRole = "network_party"
	OtherUser              OrgRole = "other_user"
	DCC                    OrgRole = "dcc"
	TriageFacilityProvider OrgRole = "triage_facility_provider"
)

// Non-party and governance roles.
const (
	MAP          OrgRole = "map"
	Manufacturer OrgRole = "manufacturer"
	SSC          OrgRole = "ssc"
	Secretariat  OrgRole = "secretariat"
	UserCIO      OrgRole = "user_cio"
	// Operator runs the platform; it is not part of the regime and holds no
	// clearance by that role.
	Operator OrgRole = "operator"
)

// OrgRoles lists every organisation role in display order.
var OrgRoles = []OrgRole{
	LargeSupplier, SmallSupplier, NetworkParty, OtherUser, DCC, TriageFacilityProvider,
	MAP, Manufacturer, SSC, Secretariat, UserCIO, Operator,
}

var orgRoleLabels = map[OrgRole]string{
	LargeSupplier:          "Large Supplier",
	SmallSupplier:          "Small Supplier",
	NetworkParty:           "Network Party",
	OtherUser:              "Other User",
	DCC:                    "DCC",
	TriageFacilityProvider: "Triage Facility Provider",
	MAP:                    "Meter Asset Provider",
	Manufacturer:           "Manufacturer",
	SSC:                    "Security Sub-Committee",
	Secretariat:            "Secretariat",
	UserCIO:                "User CIO",
	Operator:               "Platform operator",
}

// Label is the human name of the role.
func (r OrgRole) Label() string { return orgRoleLabels[r] }

// IsSECParty reports whether the role makes its holder an SEC Party.
func (r OrgRole) IsSECParty() bool {
	switch r {
	case LargeSupplier, SmallSupplier, NetworkParty, OtherUser, DCC, TriageFacilityProvider:
		return true
	}
	return false
}

// IsSupplier reports whether the role is one of the Energy Supplier roles.
func (r OrgRole) IsSupplier() bool { return r == LargeSupplier || r == SmallSupplier }

// ParseOrgRole accepts a role's code or its label, in any case.
func ParseOrgRole(s string) (OrgRole, error) {
	t := strings.TrimSpace(s)
	for _, r := range OrgRoles {
		if strings.EqualFold(t, string(r)) || strings.EqualFold(t, r.Label()) {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown organisation role %q (one of %s)", s, joinRoles(OrgRoles))
}

func joinRoles[T ~string](rs []T) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = string(r)
	}
	return strings.Join(parts, ", ")
}

// Role is what a user may do, within the organisation the user belongs to.
type Role string

// User roles. Every role but Admin needs its organisation to hold a matching
// organisation role (see RoleNeeds).
const (
	RoleSSCMember    Role = "ssc_member"
	RoleSecretariat  Role = "secretariat"
	RoleUserCIO      Role = "user_cio"
	RoleSupplier     Role = "supplier"
	RoleManufacturer Role = "manufacturer"
	RoleMAP          Role = "map"
	RoleDCC          Role = "dcc"
	RoleTriage       Role = "triage"
	RoleNetworkParty Role = "network_party"
	RoleOtherUser    Role = "other_user"
	// RoleAdmin runs the platform: accounts, tokens, backups. It is not cleared
	// for AMBER or RED content by that role alone.
	RoleAdmin Role = "admin"
)

// Roles lists every user role in display order.
var Roles = []Role{
	RoleSSCMember, RoleSecretariat, RoleUserCIO, RoleSupplier, RoleManufacturer, RoleMAP,
	RoleDCC, RoleTriage, RoleNetworkParty, RoleOtherUser, RoleAdmin,
}

var roleLabels = map[Role]string{
	RoleSSCMember:    "SSC member",
	RoleSecretariat:  "Secretariat",
	RoleUserCIO:      "User CIO (assessor)",
	RoleSupplier:     "Supplier",
	RoleManufacturer: "Manufacturer",
	RoleMAP:          "Meter Asset Provider",
	RoleDCC:          "DCC",
	RoleTriage:       "Triage Facility Provider",
	RoleNetworkParty: "Network Party",
	RoleOtherUser:    "Other User",
	RoleAdmin:        "Platform administrator",
}

// Label is the human name of the role.
func (r Role) Label() string { return roleLabels[r] }

// RoleNeeds says which organisation roles allow a user to hold the role: the
// user's organisation must hold at least one of them.
var RoleNeeds = map[Role][]OrgRole{
	RoleSSCMember:    {SSC},
	RoleSecretariat:  {Secretariat},
	RoleUserCIO:      {UserCIO},
	RoleSupplier:     {LargeSupplier, SmallSupplier},
	RoleManufacturer: {Manufacturer},
	RoleMAP:          {MAP},
	RoleDCC:          {DCC},
	RoleTriage:       {TriageFacilityProvider},
	RoleNetworkParty: {NetworkParty},
	RoleOtherUser:    {OtherUser},
	RoleAdmin:        {Operator},
}

// ParseRole accepts a role's code or its label, in any case.
func ParseRole(s string) (Role, error) {
	t := strings.TrimSpace(s)
	for _, r := range Roles {
		if strings.EqualFold(t, string(r)) || strings.EqualFold(t, r.Label()) {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q (one of %s)", s, joinRoles(Roles))
}

// CheckUserRoles reports why a user of an organisation holding orgRoles may not
// hold roles, or nil when every role is allowed.
func CheckUserRoles(roles []Role, orgRoles []OrgRole) error {
	if len(roles) == 0 {
		return fmt.Errorf("a user needs at least one role")
	}
	for _, r := range roles {
		needs, ok := RoleNeeds[r]
		if !ok {
			return fmt.Errorf("unknown role %q", r)
		}
		if !slices.ContainsFunc(needs, func(o OrgRole) bool { return slices.Contains(orgRoles, o) }) {
			return fmt.Errorf("role %q needs an organisation with the role %s", r, joinRoles(needs))
		}
	}
	return nil
}

// SeesAllAmber reports whether holders of the roles see every AMBER record: the
// SSC and its secretariat do, by the Panel Information Policy as metersec reads
// it (DESIGN.md, "Users and what they see").
func SeesAllAmber(roles []Role) bool {
	return slices.Contains(roles, RoleSSCMember) || slices.Contains(roles, RoleSecretariat)
}

// RequiresMFA reports whether a user must pass a second factor to sign in: SSC
// members, the secretariat, and anyone who may be named on RED records.
func RequiresMFA(roles []Role, redCleared bool) bool {
	return redCleared || SeesAllAmber(roles) || slices.Contains(roles, RoleAdmin)
}

// MayBeNamedOnRed reports whether a user may be named in the audience of a RED
// record. Being named is what lets a person read RED content, so only users who
// sign in with a second factor may be.
func MayBeNamedOnRed(roles []Role, redCleared bool) bool {
	return redCleared || slices.Contains(roles, RoleSSCMember) || slices.Contains(roles, RoleSecretariat)
}
