package impracticable

import (
	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/sec"
)

// MayBrowse reports whether the caller has impracticability records to
// see, so the menu offers them: the Suppliers who record them and the SSC.
func MayBrowse(c access.Caller) bool { return c.System || c.IsSSC() || c.Has(sec.RoleSupplier) }
