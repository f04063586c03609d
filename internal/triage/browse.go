package triage

import (
	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/sec"
)

// MayBrowse reports whether the caller has Triage Facilities to see, so the
// menu offers them: their providers, the SSC, and the Suppliers and
// manufacturers whose Devices are triaged.
func MayBrowse(c access.Caller) bool {
	return c.System || c.IsSSC() || c.HasAny(sec.RoleTriage, sec.RoleSupplier, sec.RoleManufacturer)
}
