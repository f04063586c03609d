package usersystem

import (
	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/sec"
)

// MayAcknowledge reports whether the caller acknowledges SECMP0057
// notifications: SSC members and the secretariat (and the system).
// Acknowledge decides with it; the pages ask it to offer the button and
// the link to the notifications.
func MayAcknowledge(c access.Caller) bool { return c.System || c.IsSSC() }

// MayNameUser reports whether the caller registers User Systems for any
// User, naming it (the SSC and its secretariat, who record a notice that
// came another way); anyone else registers their own organisation's.
func MayNameUser(c access.Caller) bool { return c.System || c.IsSSC() }

// MayBrowse reports whether the caller has User Systems to see, so the menu
// offers them: the Users who register them (Suppliers, Network Parties,
// Other Users) and the SSC.
func MayBrowse(c access.Caller) bool {
	return c.System || c.IsSSC() || c.HasAny(sec.RoleSupplier, sec.RoleNetworkParty, sec.RoleOtherUser)
}
