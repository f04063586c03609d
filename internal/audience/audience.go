// Package audience manages who a classified record names: the
// organisations that see it when it is AMBER, and the people who see it when
// it is RED. Any record kind with an id and a classification can carry one;
// each area registers its kinds in Kinds.
package audience

import (
	"context"
	"slices"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Kind says where records of a kind live, for checking that a record exists
// and that the caller may see it.
type Kind struct {
	Table string
	// OrgColumns name organisations implicitly in the record's AMBER audience
	// (written with the alias r).
	OrgColumns []string
	// Confidential audiences are themselves secret from the record's
	// readers: a vulnerability names every Supplier it was sent to, and a
	// Supplier must never learn the others (DESIGN.md). Only the SSC, its
	// secretariat and the system may read them.
	Confidential bool
	// Kept, when set, lists the organisations that may not leave a record's
	// audience: a vulnerability's recipients already told of it cannot be
	// made not to know.
	Kept func(ctx context.Context, q store.Querier, id int64) ([]int64, error)
}

// Kinds lists the record kinds that carry an audience. Areas add theirs.
var Kinds = map[string]Kind{
	"party": {Table: "organisations", OrgColumns: []string{"r.id"}},
}

// Audience is who a record names.
type Audience struct {
	Kind           string             `json:"kind"`
	ID             int64              `json:"id"`
	Classification sec.Classification `json:"classification"`
	Orgs           []string           `json:"orgs"`  // organisation codes
	Users          []string           `json:"users"` // emails
}

// Input is a new audience. Both lists are required ([] for none): Set
// replaces the audience, and a missing list would empty it.
type Input struct {
	Orgs  []string `json:"orgs"`
	Users []string `json:"users"`
}

// Service reads and sets audiences.
type Service struct{ DB *store.DB }

func lookup(kind string) (Kind, error) {
	k, ok := Kinds[kind]
	if !ok {
		names := make([]string, 0, len(Kinds))
		for n := range Kinds {
			names = append(names, n)
		}
		slices.Sort(names)
		return k, errs.FieldError("kind", "unknown record kind %q (one of %s)", kind, strings.Join(names, ", "))
	}
	return k, nil
}

// visible returns the record's classification if the caller may see it.
func visible(ctx context.Context, q store.Querier, c access.Caller, kind string, k Kind, id int64) (sec.Classification, error) {
	var args access.Args
	cond := "r.id = " + args.Add(id) + " AND " + c.Visible(&args, kind, "r", k.OrgColumns...)
	var class sec.Classification
	err := q.QueryRowContext(ctx, "SELECT r.classification FROM "+k.Table+" r WHERE "+cond, args...).Scan(&class)
	if err != nil {
		return "", errs.NotFoundf(kind, id)
	}
	return class, nil
}

// Get returns a record's audience, if the caller may see the record.
func (s *Service) Get(ctx context.Context, c access.Caller, kind string, id int64) (Audience, error) {
	k, err := lookup(kind)
	if err != nil {
		return Audience{}, err
	}
	class, err := visible(ctx, s.DB, c, kind, k, id)
	if err != nil {
		return Audience{}, err
	}
	if k.Confidential && !c.System && !c.IsSSC() {
		return Audience{}, errs.E(errs.Forbidden, "who a %s record names is confidential: only SSC members and the secretariat may see it", kind)
	}
	return read(ctx, s.DB, kind, id, class)
}

func read(ctx context.Context, q store.Querier, kind string, id int64, class sec.Classification) (Audience, error) {
	a := Audience{Kind: kind, ID: id, Classification: class, Orgs: []string{}, Users: []string{}}
	rows, err := q.QueryContext(ctx, `SELECT o.code FROM audience_orgs ao JOIN organisations o ON o.id = ao.org_id
		WHERE ao.record_kind = $1 AND ao.record_id = $2 ORDER BY o.code`, kind, id)
	if err != nil {
		return a, errs.Wrap(err, "read audience")
	}
	for rows.Next() {
		var code string
		rows.Scan(&code)
		a.Orgs = append(a.Orgs, code)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT u.email FROM audience_users au JOIN users u ON u.id = au.user_id
		WHERE au.record_kind = $1 AND au.record_id = $2 ORDER BY u.email`, kind, id)
	if err != nil {
		return a, errs.Wrap(err, "read audience")
	}
	defer rows.Close()
	for rows.Next() {
		var email string
		rows.Scan(&email)
		a.Users = append(a.Users, email)
	}
	return a, errs.Wrap(rows.Err(), "read audience")
}

// Set replaces a record's audience. The SSC and its secretariat set
// audiences, of records they may see; people named for RED must be cleared
// for it (and so sign in with a second factor).
func (s *Service) Set(ctx context.Context, c access.Caller, kind string, id int64, in Input) (Audience, error) {
	if !c.System && !c.IsSSC() {
		return Audience{}, errs.E(errs.Forbidden, "only SSC members and the secretariat may change who a record names")
	}
	k, err := lookup(kind)
	if err != nil {
		return Audience{}, err
	}
	var out Audience
	err = s.DB.Write(ctx, c, func(tx *store.Tx) error {
		class, err := visible(ctx, tx, c, kind, k, id)
		if err != nil {
			return err
		}
		var fields []errs.Field
		if in.Orgs == nil {
			fields = append(fields, errs.Field{Field: "orgs", Message: "is required: every organisation the record names ([] for none)"})
		}
		if in.Users == nil {
			fields = append(fields, errs.Field{Field: "users", Message: "is required: every person the record names ([] for none)"})
		}
		if len(fields) > 0 {
			return errs.Fields("the audience is not valid: it replaces the whole audience, so both lists are required", fields...)
		}
		var orgIDs, userIDs []int64
		for _, code := range in.Orgs {
			var oid int64
			if err := tx.QueryRowContext(ctx, "SELECT id FROM organisations WHERE code = $1", strings.ToUpper(strings.TrimSpace(code))).Scan(&oid); err != nil {
				fields = append(fields, errs.Field{Field: "orgs", Message: "no organisation has the code " + code})
				continue
			}
			orgIDs = append(orgIDs, oid)
		}
		for _, email := range in.Users {
			var uid int64
			var cleared bool
			err := tx.QueryRowContext(ctx, "SELECT id, red_cleared FROM users WHERE email = $1 AND disabled_at IS NULL",
				strings.ToLower(strings.TrimSpace(email))).Scan(&uid, &cleared)
			if err != nil {
				fields = append(fields, errs.Field{Field: "users", Message: "no active user has the email " + email})
				continue
			}
			var roles []sec.Role
			rr, err := tx.QueryContext(ctx, "SELECT role FROM user_roles WHERE user_id = $1", uid)
			if err != nil {
				return errs.Wrap(err, "user roles")
			}
			for rr.Next() {
				var r sec.Role
				rr.Scan(&r)
				roles = append(roles, r)
			}
			rr.Close()
			if !sec.MayBeNamedOnRed(roles, cleared) {
				fields = append(fields, errs.Field{Field: "users", Message: email + " is not cleared to be named on RED records"})
				continue
			}
			userIDs = append(userIDs, uid)
		}
		if k.Kept != nil && len(fields) == 0 {
			kept, err := k.Kept(ctx, tx, id)
			if err != nil {
				return err
			}
			for _, oid := range kept {
				if slices.Contains(orgIDs, oid) {
					continue
				}
				var code string
				if err := tx.QueryRowContext(ctx, "SELECT code FROM organisations WHERE id = $1", oid).Scan(&code); err != nil {
					return errs.Wrap(err, "kept audience")
				}
				fields = append(fields, errs.Field{Field: "orgs", Message: code + " was already told of the record: it cannot be removed from the audience"})
			}
		}
		if len(fields) > 0 {
			return errs.Fields("the audience is not valid", fields...)
		}
		for _, q := range []string{"DELETE FROM audience_orgs WHERE record_kind = $1 AND record_id = $2",
			"DELETE FROM audience_users WHERE record_kind = $1 AND record_id = $2"} {
			if _, err := tx.ExecContext(ctx, q, kind, id); err != nil {
				return errs.Wrap(err, "set audience")
			}
		}
		for _, oid := range slices.Compact(slices.Sorted(slices.Values(orgIDs))) {
			if _, err := tx.ExecContext(ctx, "INSERT INTO audience_orgs (record_kind, record_id, org_id) VALUES ($1, $2, $3)", kind, id, oid); err != nil {
				return errs.Wrap(err, "set audience")
			}
		}
		for _, uid := range slices.Compact(slices.Sorted(slices.Values(userIDs))) {
			if _, err := tx.ExecContext(ctx, "INSERT INTO audience_users (record_kind, record_id, user_id) VALUES ($1, $2, $3)", kind, id, uid); err != nil {
				return errs.Wrap(err, "set audience")
			}
		}
		if out, err = read(ctx, tx, kind, id, class); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "audience.set", kind, id, out)
	})
	return out, err
}

// Write names orgs and users on a record inside an area's own transaction
// (for records created with their audience, such as a notification). It
// checks nothing: the area has decided who the record names.
func Write(ctx context.Context, tx *store.Tx, kind string, id int64, orgIDs, userIDs []int64) error {
	for _, oid := range orgIDs {
		if _, err := tx.ExecContext(ctx, "INSERT INTO audience_orgs (record_kind, record_id, org_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", kind, id, oid); err != nil {
			return errs.Wrap(err, "write audience")
		}
	}
	for _, uid := range userIDs {
		if _, err := tx.ExecContext(ctx, "INSERT INTO audience_users (record_kind, record_id, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", kind, id, uid); err != nil {
			return errs.Wrap(err, "write audience")
		}
	}
	return nil
}

// SetUsers replaces the people a record names, for an area that keeps a
// record's RED audience itself (a meeting's RED items name the people
// present). The area has checked the people may be named on RED records.
func SetUsers(ctx context.Context, tx *store.Tx, kind string, ids []int64, users []int64) error {
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, "DELETE FROM audience_users WHERE record_kind = $1 AND record_id = $2", kind, id); err != nil {
			return errs.Wrap(err, "set audience")
		}
		for _, uid := range slices.Compact(slices.Sorted(slices.Values(users))) {
			if _, err := tx.ExecContext(ctx, "INSERT INTO audience_users (record_kind, record_id, user_id) VALUES ($1, $2, $3)", kind, id, uid); err != nil {
				return errs.Wrap(err, "set audience")
			}
		}
	}
	return nil
}

// Copy names on a new record everyone another record names, inside the
// area's own transaction: a remediation plan is named to whoever its
// assessment names, a Directors' Letter to whoever its plan names.
func Copy(ctx context.Context, tx *store.Tx, fromKind string, fromID int64, toKind string, toID int64) error {
	for _, q := range []string{
		`INSERT INTO audience_orgs (record_kind, record_id, org_id) SELECT $1, $2, org_id FROM audience_orgs WHERE record_kind = $3 AND record_id = $4`,
		`INSERT INTO audience_users (record_kind, record_id, user_id) SELECT $1, $2, user_id FROM audience_users WHERE record_kind = $3 AND record_id = $4`,
	} {
		if _, err := tx.ExecContext(ctx, q, toKind, toID, fromKind, fromID); err != nil {
			return errs.Wrap(err, "copy audience")
		}
	}
	return nil
}

// Named is one organisation named on one record.
type Named struct {
	Kind string
	ID   int64
	Org  int64
}

// WriteOrgs is Write for many records at once, inside the area's own
// transaction: a vulnerability's fan-out names dozens of organisations on as
// many rows, so they go in multi-row statements.
func WriteOrgs(ctx context.Context, tx *store.Tx, rows []Named) error {
	for chunk := range slices.Chunk(rows, 300) {
		var args access.Args
		values := make([]string, len(chunk))
		for i, r := range chunk {
			values[i] = "(" + args.Add(r.Kind) + ", " + args.Add(r.ID) + ", " + args.Add(r.Org) + ")"
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO audience_orgs (record_kind, record_id, org_id) VALUES "+
			strings.Join(values, ", ")+" ON CONFLICT DO NOTHING", args...); err != nil {
			return errs.Wrap(err, "write audience")
		}
	}
	return nil
}
