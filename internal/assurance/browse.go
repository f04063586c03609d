package assurance

import (
	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/sec"
)

// MayBrowse reports whether the caller takes part in security assurance,
// so the menu offers assessments, the forward plan and remediation plans:
// the SSC, the User CIO and every assessed User role.
func MayBrowse(c access.Caller) bool {
	return c.System || c.IsSSC() || c.HasAny(sec.RoleUserCIO, sec.RoleSupplier, sec.RoleDCC, sec.RoleTriage,
		sec.RoleNetworkParty, sec.RoleOtherUser)
}
