package party

import (
	"context"
	"slices"
	"strings"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Ref is what other areas need to know of an organisation to check a code in
// an import or to address a notice.
type Ref struct {
	ID    int64
	Code  string
	Name  string
	Roles []sec.OrgRole
	// Classification is the directory entry's: a RED entry names people,
	// not organisations, as its readers.
	Classification sec.Classification
}

// Has reports whether the organisation holds the role.
func (r Ref) Has(role sec.OrgRole) bool { return slices.Contains(r.Roles, role) }

// IsSupplier reports whether the organisation is an Energy Supplier.
func (r Ref) IsSupplier() bool { return slices.ContainsFunc(r.Roles, sec.OrgRole.IsSupplier) }

// Index is every organisation, by code and by id, loaded for the system's own
// use (resolving codes in imports, addressing deliveries). It ignores
// visibility: never show it to a caller unfiltered.
type Index struct {
	byCode map[string]Ref
	byID   map[int64]Ref
}

// LoadIndex reads every organisation and its roles.
func LoadIndex(ctx context.Context, q store.Querier) (Index, error) {
	ix := Index{byCode: map[string]Ref{}, byID: map[int64]Ref{}}
	rows, err := q.QueryContext(ctx, `SELECT o.id, o.code, o.name, o.classification, r.role FROM organisations o
		LEFT JOIN organisation_roles r ON r.org_id = o.id ORDER BY o.id`)
	if err != nil {
		return ix, errs.Wrap(err, "load organisations")
	}
	defer rows.Close()
	for rows.Next() {
		var ref Ref
		var role *string
		if err := rows.Scan(&ref.ID, &ref.Code, &ref.Name, &ref.Classification, &role); err != nil {
			return ix, errs.Wrap(err, "load organisations")
		}
		if prev, ok := ix.byID[ref.ID]; ok {
			ref = prev
		}
		if role != nil {
			ref.Roles = append(ref.Roles, sec.OrgRole(*role))
		}
		ix.byID[ref.ID] = ref
		ix.byCode[ref.Code] = ref
	}
	return ix, errs.Wrap(rows.Err(), "load organisations")
}

// Lookup finds one organisation and its roles by code (trimmed, any case),
// for the system's own use like LoadIndex; ok is false when no organisation
// has the code.
func Lookup(ctx context.Context, q store.Querier, code string) (ref Ref, ok bool, err error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	rows, err := q.QueryContext(ctx, `SELECT o.id, o.code, o.name, o.classification, r.role FROM organisations o
		LEFT JOIN organisation_roles r ON r.org_id = o.id WHERE o.code = $1`, code)
	if err != nil {
		return ref, false, errs.Wrap(err, "find organisation")
	}
	defer rows.Close()
	for rows.Next() {
		var role *string
		if err := rows.Scan(&ref.ID, &ref.Code, &ref.Name, &ref.Classification, &role); err != nil {
			return ref, false, errs.Wrap(err, "find organisation")
		}
		ok = true
		if role != nil {
			ref.Roles = append(ref.Roles, sec.OrgRole(*role))
		}
	}
	return ref, ok, errs.Wrap(rows.Err(), "find organisation")
}

// Code finds an organisation by its code.
func (ix Index) Code(code string) (Ref, bool) { r, ok := ix.byCode[code]; return r, ok }

// ID finds an organisation by its id.
func (ix Index) ID(id int64) (Ref, bool) { r, ok := ix.byID[id]; return r, ok }

// All lists every organisation, in no particular order.
func (ix Index) All() []Ref {
	out := make([]Ref, 0, len(ix.byID))
	for _, r := range ix.byID {
		out = append(out, r)
	}
	return out
}

// WithRole lists the organisations holding any of the roles, by code.
func (ix Index) WithRole(roles ...sec.OrgRole) []Ref {
	var out []Ref
	for _, r := range ix.byID {
		if slices.ContainsFunc(roles, r.Has) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Ref) int {
		if a.Code < b.Code {
			return -1
		}
		if a.Code > b.Code {
			return 1
		}
		return 0
	})
	return out
}
