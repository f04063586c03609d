package estate

import "github.com/metersec/metersec/internal/errs"

// errNotBuilt answers for the parts of the Service still placeholders
// (stubs_queries.go). Delete this file with the last stub.
var errNotBuilt = errs.E(errs.Unavailable, "this part of the estate is not built yet")
