package catalogue

import "github.com/metersec/metersec/internal/access"

// SeesEverySupplier reports whether the certificate report shows the
// caller every Supplier's Devices (the SSC, its secretariat and the
// system) rather than their own organisation's share. reportVisible and
// the report's page decide with it.
func SeesEverySupplier(c access.Caller) bool { return c.System || c.IsSSC() }
