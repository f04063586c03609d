package estate

import (
	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/sec"
)

// MayBrowse reports whether the caller sees some of the estate, so the
// menu offers it and the portfolio: a Device's Supplier, MAP and
// manufacturer, the DCC for its hubs, the SSC and its secretariat.
func MayBrowse(c access.Caller) bool {
	return c.System || c.IsSSC() || c.HasAny(sec.RoleSupplier, sec.RoleManufacturer, sec.RoleMAP, sec.RoleDCC)
}

// MayImport reports whether the caller imports estate files, so the menu
// offers the import page: Suppliers (their own Devices) and the SSC.
func MayImport(c access.Caller) bool { return c.System || c.IsSSC() || c.Has(sec.RoleSupplier) }
