package delivery

import (
	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/sec"
)

// MayManageWebhooks reports whether the caller's organisation receives
// notices it may have sent to its own webhooks, so the menu offers them.
func MayManageWebhooks(c access.Caller) bool {
	return c.IsSSC() || c.HasAny(sec.RoleSupplier, sec.RoleManufacturer, sec.RoleMAP, sec.RoleDCC)
}

// MayOperate reports whether the caller sees the delivery queue and its
// failures (platform administrators and the SSC), so the menu offers it.
func MayOperate(c access.Caller) bool { return mayOperate(c) }
