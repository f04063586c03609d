package report

import "github.com/metersec/metersec/internal/access"

// SeesEveryOrganisation reports whether the caller sees every
// organisation's reports and may filter them by recipient: the SSC, its
// secretariat and the system. Anyone else sees the reports addressed to
// their own organisation. The reports page asks it.
func SeesEveryOrganisation(c access.Caller) bool { return c.System || c.IsSSC() }
