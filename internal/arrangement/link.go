package arrangement

import (
	"context"
	"database/sql"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Link is what another area needs of an arrangement it relies on (the User
// System register names, per manufacturer, the arrangement that covers it):
// its parties, its kind and its days, read through this package so that no
// other area writes SQL against the arrangements table.
type Link struct {
	ID           int64    `json:"-"`
	Reference    string   `json:"reference"`
	Kind         Kind     `json:"kind"`
	Supplier     int64    `json:"-"`
	Manufacturer int64    `json:"-"`
	Status       Status   `json:"status"`
	Effective    sec.Date `json:"effective"`
	Expires      sec.Date `json:"expires,omitzero"`
	Ended        sec.Date `json:"ended,omitzero"`
	signatures   []Signature
}

// InForce reports whether the arrangement counts on day d.
func (l Link) InForce(d sec.Date) bool { return inForce(l.Status, l.Effective, l.Expires, l.Ended, d) }

// Contract reports whether the arrangement is a contract (not a Letter of
// Intent, nor a scheme enrolment).
func (l Link) Contract() bool {
	return l.Kind == SupplierManufacturer || l.Kind == SupplierMAP || l.Kind == Churn || l.Kind == MAPManufacturer
}

// SignedByBoth reports whether a Letter of Intent had both signatures by d.
func (l Link) SignedByBoth(d sec.Date) bool {
	return l.Kind == LetterOfIntent && BothSigned(l.signatures, d)
}

const linkColumns = `a.id, a.reference, a.kind, a.supplier_id, a.manufacturer_id, a.status, a.effective, a.expires, a.ended,
	a.first_signatory, a.first_signed, a.second_signatory, a.second_signed`

func scanLink(r interface{ Scan(...any) error }) (Link, error) {
	var l Link
	var sup, mfr, by1, by2 sql.NullInt64
	var on1, on2 sec.Date
	if err := r.Scan(&l.ID, &l.Reference, &l.Kind, &sup, &mfr, &l.Status, &l.Effective, &l.Expires, &l.Ended, &by1, &on1, &by2, &on2); err != nil {
		return l, err
	}
	l.Supplier, l.Manufacturer = sup.Int64, mfr.Int64
	for _, s := range []struct {
		by sql.NullInt64
		on sec.Date
	}{{by1, on1}, {by2, on2}} {
		if s.by.Valid {
			l.signatures = append(l.signatures, Signature{Party: Org{ID: s.by.Int64}, Signed: s.on})
		}
	}
	return l, nil
}

// LinkByReference finds the arrangement with the reference, if the caller
// may see it; one the caller may not see answers as a missing one.
func LinkByReference(ctx context.Context, q store.Querier, c access.Caller, ref string) (Link, error) {
	var args access.Args
	row := q.QueryRowContext(ctx, "SELECT "+linkColumns+" FROM arrangements a WHERE a.reference = "+args.Add(strings.TrimSpace(ref))+
		" AND "+c.Visible(&args, RecordKind, "a", "a.supplier_id", "a.map_id", "a.manufacturer_id"), args...)
	l, err := scanLink(row)
	if err == sql.ErrNoRows {
		return l, errs.NotFoundf("arrangement", ref)
	}
	return l, errs.Wrap(err, "arrangement")
}

// Links reads the arrangements with the ids. It applies no visibility: the
// caller is an area that linked them to a record its reader may already see,
// and shows only what the rules need (status and reference).
func Links(ctx context.Context, q store.Querier, ids []int64) (map[int64]Link, error) {
	out := map[int64]Link{}
	if len(ids) == 0 {
		return out, nil
	}
	var args access.Args
	ph := make([]string, len(ids))
	for i, id := range ids {
		ph[i] = args.Add(id)
	}
	rows, err := q.QueryContext(ctx, "SELECT "+linkColumns+" FROM arrangements a WHERE a.id IN ("+strings.Join(ph, ", ")+")", args...)
	if err != nil {
		return nil, errs.Wrap(err, "arrangements")
	}
	defer rows.Close()
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return nil, errs.Wrap(err, "arrangements")
		}
		out[l.ID] = l
	}
	return out, errs.Wrap(rows.Err(), "arrangements")
}
