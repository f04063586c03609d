package arrangement

import "github.com/metersec/metersec/internal/access"

// SeesEveryOrganisation reports whether the caller sees every
// organisation's arrangements and alerts (the SSC, its secretariat and the
// system), so the pages say so and offer the organisation filter; anyone
// else sees those they are a party to or addressed to.
func SeesEveryOrganisation(c access.Caller) bool { return c.System || c.IsSSC() }
