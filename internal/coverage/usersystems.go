package coverage

import (
	"context"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/usersystem"
)

// userSystems puts beside each Supplier's Devices its User Systems in
// service on the report's day, each manufacturer Covered, Reasonable steps or
// Gap under G3.20(a) by the same arrangement rules (internal/usersystem, with
// the rules in sec). They are RED by default: a reader sees only those it may
// (the register's own visibility, in its SQL).
func userSystems(ctx context.Context, tx *store.Tx, c access.Caller, rep *Report) error {
	ids := make([]int64, len(rep.Suppliers))
	for i, sc := range rep.Suppliers {
		ids[i] = sc.Supplier.ID
	}
	bySupplier, err := usersystem.ForCoverage(ctx, tx, c, ids, rep.Date)
	if err != nil {
		return err
	}
	for i := range rep.Suppliers {
		rep.Suppliers[i].UserSystems = bySupplier[rep.Suppliers[i].Supplier.ID]
		if rep.Suppliers[i].UserSystems == nil {
			rep.Suppliers[i].UserSystems = []usersystem.System{}
		}
	}
	return nil
}
