package coverage

import "github.com/metersec/metersec/internal/access"

// MayBrowse reports whether the caller has a coverage page to open: the SSC
// (every Supplier's) or a Supplier (its own). The menu asks it.
func MayBrowse(c access.Caller) bool { return SeesEverySupplier(c) || HasOwnCoverage(c) }
