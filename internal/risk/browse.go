package risk

import "github.com/metersec/metersec/internal/access"

// MayBrowse reports whether the caller keeps the risk register, so the
// menu offers it: the SSC and its secretariat.
func MayBrowse(c access.Caller) bool { return c.System || c.IsSSC() }
