package coverage

import (
	"context"
	"database/sql"
	"errors"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
)

// Gaps is the G3.20 gaps in the latest monthly snapshot the caller may see:
// a Supplier its own, the SSC every Supplier's. It reads the snapshot rows
// (Suppliers × models), never the estate, so the dashboard stays cheap at
// any number of Devices; the coverage page computes today's figures.
type Gaps struct {
	// Applies: the caller may see some Supplier's coverage.
	Applies bool `json:"applies"`
	// Month and TakenOn say which snapshot; empty when there is none yet.
	Month   string   `json:"month,omitempty"`
	TakenOn sec.Date `json:"taken_on,omitzero"`
	// Models is the models with a gap, Suppliers the Suppliers with one,
	// Devices the Devices in a gap.
	Models    int   `json:"models"`
	Suppliers int   `json:"suppliers"`
	Devices   int64 `json:"devices"`
	// Supplier is the caller's own code when it is the one Supplier seen,
	// for the link to its coverage page.
	Supplier string `json:"supplier,omitempty"`
}

// Gaps counts the gaps of the latest snapshot the caller may see.
func (s *Service) Gaps(ctx context.Context, c access.Caller) (Gaps, error) {
	out := Gaps{Applies: c.System || c.IsSSC() || c.Has(sec.RoleSupplier)}
	if !out.Applies {
		return out, nil
	}
	if !c.System && !c.IsSSC() {
		out.Supplier = c.OrgCode
	}
	var args access.Args
	vis := scope(c, &args, "cs.supplier_id")
	var month string
	var taken sec.Date
	err := s.DB.QueryRowContext(ctx, "SELECT cs.month, cs.taken_on FROM coverage_snapshots cs WHERE "+vis+
		" ORDER BY cs.month DESC LIMIT 1", args...).Scan(&month, &taken)
	if errors.Is(err, sql.ErrNoRows) {
		return out, nil
	}
	if err != nil {
		return out, errs.Wrap(err, "coverage gaps")
	}
	out.Month, out.TakenOn = month, taken
	args = access.Args{}
	m := args.Add(month)
	vis = scope(c, &args, "cs.supplier_id")
	if err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT cs.supplier_id), COALESCE(SUM(cs.gap), 0)
		FROM coverage_snapshots cs WHERE cs.month = `+m+` AND cs.status = '`+string(Gap)+`' AND `+vis, args...).
		Scan(&out.Models, &out.Suppliers, &out.Devices); err != nil {
		return out, errs.Wrap(err, "coverage gaps")
	}
	return out, nil
}
