// Package party is the registry of organisations (SEC Parties and the others
// the regime involves: manufacturers, MAPs, the SSC, the secretariat, the User
// CIO) with their roles and security contacts. Contacts keep their history: a
// change closes the current contact and opens a new one, never rewriting who
// was the contact before.
package party

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/validate"
)

// Kind names party records in the audience tables.
const Kind = "party"

// Party is an organisation on the platform.
type Party struct {
	ID             int64              `json:"id"`
	Code           string             `json:"code"`
	Name           string             `json:"name"`
	Roles          []sec.OrgRole      `json:"roles"`
	Classification sec.Classification `json:"classification"`
	Contacts       []Contact          `json:"contacts,omitempty"`
	CreatedAt      time.Time          `json:"created_at"`
	UpdatedAt      time.Time          `json:"updated_at"`
}

// Has reports whether the party holds the role.
func (p Party) Has(r sec.OrgRole) bool { return slices.Contains(p.Roles, r) }

// IsSupplier reports whether the party is an Energy Supplier.
func (p Party) IsSupplier() bool { return slices.ContainsFunc(p.Roles, sec.OrgRole.IsSupplier) }

// Contact is a security contact of an organisation for a period. ValidTo is
// nil for the current contact.
type Contact struct {
	ID        int64      `json:"id"`
	Label     string     `json:"label"`
	Name      string     `json:"name"`
	Email     string     `json:"email"`
	Phone     string     `json:"phone,omitempty"`
	PGPKey    string     `json:"pgp_key,omitempty"`
	ValidFrom time.Time  `json:"valid_from"`
	ValidTo   *time.Time `json:"valid_to,omitempty"`
	ChangedBy string     `json:"changed_by"`
}

// Service runs the registry.
type Service struct {
	DB *store.DB
}

// DefaultClassification is how a new party's record is marked when the
// creator does not say: Suppliers never learn another Supplier's identity
// (DESIGN.md), so a Supplier's entry is AMBER, seen by itself and the SSC;
// everyone else's entry is GREEN, seen by every signed-in user.
func DefaultClassification(roles []sec.OrgRole) sec.Classification {
	if slices.ContainsFunc(roles, sec.OrgRole.IsSupplier) {
		return sec.Amber
	}
	return sec.Green
}

// Filter narrows a listing.
type Filter struct {
	Role  sec.OrgRole // only parties holding this role
	Query string      // in the code or name, any case
}

const partyColumns = "p.id, p.code, p.name, p.classification, p.created_at, p.updated_at"

// Get returns one party, with its current contacts, if the caller may see it.
func (s *Service) Get(ctx context.Context, c access.Caller, code string) (Party, error) {
	return get(ctx, s.DB, c, code)
}

func get(ctx context.Context, q store.Querier, c access.Caller, code string) (Party, error) {
	args := access.Args{}
	cond := "p.code = " + args.Add(strings.ToUpper(strings.TrimSpace(code)))
	rows, err := q.QueryContext(ctx, "SELECT "+partyColumns+" FROM organisations p WHERE "+cond+
		" AND "+c.Visible(&args, Kind, "p", "p.id"), args...)
	if err != nil {
		return Party{}, errs.Wrap(err, "get party")
	}
	ps, err := scanParties(rows)
	if err != nil {
		return Party{}, err
	}
	if len(ps) == 0 {
		return Party{}, errs.NotFoundf("organisation", code)
	}
	p := ps[0]
	if err := loadRolesQ(ctx, q, ps); err != nil {
		return Party{}, err
	}
	p.Roles = ps[0].Roles
	p.Contacts, err = contacts(ctx, q, p.ID, false)
	return p, err
}

func scanParties(rows *sql.Rows) ([]Party, error) {
	defer rows.Close()
	var out []Party
	for rows.Next() {
		var p Party
		if err := rows.Scan(&p.ID, &p.Code, &p.Name, &p.Classification, &p.CreatedAt, &p.UpdatedAt); err != nil {
			return nil, errs.Wrap(err, "read party")
		}
		p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
		out = append(out, p)
	}
	return out, errs.Wrap(rows.Err(), "read parties")
}

// sortRoles puts roles in their display order (sec.OrgRoles).
func sortRoles(roles []sec.OrgRole) []sec.OrgRole {
	out := slices.Clone(roles)
	slices.SortFunc(out, func(a, b sec.OrgRole) int {
		return slices.Index(sec.OrgRoles, a) - slices.Index(sec.OrgRoles, b)
	})
	return out
}

// loadRolesQ fills in the roles of ps. Parties are few (hundreds), so one
// query for all roles of the listed ids is cheap.
func loadRolesQ(ctx context.Context, q store.Querier, ps []Party) error {
	if len(ps) == 0 {
		return nil
	}
	idx := make(map[int64]int, len(ps))
	var args access.Args
	ph := make([]string, len(ps))
	for i, p := range ps {
		idx[p.ID] = i
		ph[i] = args.Add(p.ID)
	}
	rows, err := q.QueryContext(ctx, "SELECT org_id, role FROM organisation_roles WHERE org_id IN ("+
		strings.Join(ph, ", ")+")", args...)
	if err != nil {
		return errs.Wrap(err, "party roles")
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var r sec.OrgRole
		if err := rows.Scan(&id, &r); err != nil {
			return errs.Wrap(err, "party roles")
		}
		ps[idx[id]].Roles = append(ps[idx[id]].Roles, r)
	}
	for i := range ps {
		ps[i].Roles = sortRoles(ps[i].Roles)
	}
	return errs.Wrap(rows.Err(), "party roles")
}

// NewParty is what it takes to create a party.
type NewParty struct {
	Code           string             `json:"code"`
	Name           string             `json:"name"`
	Roles          []string           `json:"roles"`
	Classification string             `json:"classification,omitempty"`
	Contacts       []ContactInput     `json:"contacts,omitempty"`
	classification sec.Classification // parsed
	roles          []sec.OrgRole      // parsed
}

func (in *NewParty) normalise() error {
	var fields []errs.Field
	in.Code = strings.ToUpper(strings.TrimSpace(in.Code))
	in.Name = strings.TrimSpace(in.Name)
	if m := validate.Code(in.Code); m != "" {
		fields = append(fields, errs.Field{Field: "code", Message: m})
	}
	if m := validate.Text(in.Name, 200); m != "" {
		fields = append(fields, errs.Field{Field: "name", Message: m})
	}
	roles, f := parseRoles(in.Roles)
	fields = append(fields, f...)
	in.roles = sortRoles(roles)
	in.classification = DefaultClassification(roles)
	if in.Classification != "" {
		c, err := sec.ParseClassification(in.Classification)
		if err != nil {
			fields = append(fields, errs.Field{Field: "classification", Message: err.Error()})
		}
		in.classification = c
	}
	labels := map[string]bool{}
	for i := range in.Contacts {
		for _, f := range in.Contacts[i].normalise() {
			f.Field = "contacts[" + itoa(i) + "]." + f.Field
			fields = append(fields, f)
		}
		if labels[in.Contacts[i].Label] {
			fields = append(fields, errs.Field{Field: "contacts[" + itoa(i) + "].label", Message: "appears twice"})
		}
		labels[in.Contacts[i].Label] = true
	}
	if len(fields) > 0 {
		return errs.Fields("the organisation is not valid", fields...)
	}
	return nil
}

func parseRoles(in []string) ([]sec.OrgRole, []errs.Field) {
	var fields []errs.Field
	if len(in) == 0 {
		return nil, []errs.Field{{Field: "roles", Message: "at least one role is required"}}
	}
	var roles []sec.OrgRole
	for _, s := range in {
		r, err := sec.ParseOrgRole(s)
		if err != nil {
			fields = append(fields, errs.Field{Field: "roles", Message: err.Error()})
			continue
		}
		if !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	return roles, fields
}

// MayAdminister reports whether the caller may register organisations and
// change their registration (Create, Update, Import): the SSC, its
// secretariat and the system. The directory asks it whether to offer the
// forms.
func MayAdminister(c access.Caller) bool { return c.System || c.IsSSC() }

// Create adds a party. Only the SSC and its secretariat create parties.
func (s *Service) Create(ctx context.Context, c access.Caller, in NewParty) (Party, error) {
	if !MayAdminister(c) {
		return Party{}, errs.E(errs.Forbidden, "only SSC members and the secretariat may register organisations")
	}
	if err := in.normalise(); err != nil {
		return Party{}, err
	}
	var p Party
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		var err error
		p, err = create(ctx, tx, in)
		return err
	})
	return p, err
}

func create(ctx context.Context, tx *store.Tx, in NewParty) (Party, error) {
	p := Party{Code: in.Code, Name: in.Name, Roles: in.roles, Classification: in.classification, CreatedAt: tx.Now, UpdatedAt: tx.Now}
	err := tx.QueryRowContext(ctx, `INSERT INTO organisations (code, name, classification, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $4) RETURNING id`, p.Code, p.Name, p.Classification, tx.Now).Scan(&p.ID)
	if store.IsUniqueViolation(err) {
		return p, errs.FieldError("code", "an organisation with the code %s already exists", p.Code)
	}
	if err != nil {
		return p, errs.Wrap(err, "create party")
	}
	if err := setRoles(ctx, tx, p.ID, p.Roles); err != nil {
		return p, err
	}
	if err := audit.Record(ctx, tx, "party.create", Kind, p.Code, p); err != nil {
		return p, err
	}
	for _, ci := range in.Contacts {
		ct, err := setContact(ctx, tx, p, ci)
		if err != nil {
			return p, err
		}
		p.Contacts = append(p.Contacts, ct)
	}
	return p, nil
}

func setRoles(ctx context.Context, tx *store.Tx, id int64, roles []sec.OrgRole) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM organisation_roles WHERE org_id = $1", id); err != nil {
		return errs.Wrap(err, "party roles")
	}
	for _, r := range roles {
		if _, err := tx.ExecContext(ctx, "INSERT INTO organisation_roles (org_id, role) VALUES ($1, $2)", id, r); err != nil {
			return errs.Wrap(err, "party roles")
		}
	}
	return nil
}

// Update is a change to a party's name, roles or classification; nil fields
// stay as they are.
type Update struct {
	Name           *string   `json:"name,omitempty"`
	Roles          *[]string `json:"roles,omitempty"`
	Classification *string   `json:"classification,omitempty"`
}

// Update changes a party. Only the SSC and its secretariat may.
func (s *Service) Update(ctx context.Context, c access.Caller, code string, in Update) (Party, error) {
	if !MayAdminister(c) {
		return Party{}, errs.E(errs.Forbidden, "only SSC members and the secretariat may change an organisation's registration")
	}
	var p Party
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		var err error
		if p, err = get(ctx, tx, c, code); err != nil {
			return err
		}
		// After the lookup, so that a record the caller may not see still
		// answers as a missing one.
		if in == (Update{}) {
			return errs.E(errs.Invalid, "nothing to change: send at least one of name, roles, classification")
		}
		var fields []errs.Field
		if in.Name != nil {
			name := strings.TrimSpace(*in.Name)
			if m := validate.Text(name, 200); m != "" {
				fields = append(fields, errs.Field{Field: "name", Message: m})
			}
			p.Name = name
		}
		rolesChanged := false
		if in.Roles != nil {
			roles, f := parseRoles(*in.Roles)
			fields = append(fields, f...)
			rolesChanged = !slices.Equal(roles, p.Roles)
			p.Roles = roles
		}
		if in.Classification != nil {
			cl, err := sec.ParseClassification(*in.Classification)
			if err != nil {
				fields = append(fields, errs.Field{Field: "classification", Message: err.Error()})
			}
			p.Classification = cl
		}
		if len(fields) > 0 {
			return errs.Fields("the change is not valid", fields...)
		}
		if rolesChanged {
			if err := checkMembersKeepRoles(ctx, tx, p); err != nil {
				return err
			}
			if err := setRoles(ctx, tx, p.ID, p.Roles); err != nil {
				return err
			}
		}
		p.UpdatedAt = tx.Now
		if _, err := tx.ExecContext(ctx, "UPDATE organisations SET name = $1, classification = $2, updated_at = $3 WHERE id = $4",
			p.Name, p.Classification, tx.Now, p.ID); err != nil {
			return errs.Wrap(err, "update party")
		}
		return audit.Record(ctx, tx, "party.update", Kind, p.Code, p)
	})
	return p, err
}

// checkMembersKeepRoles refuses to take away an organisation role that one of
// its users' roles depends on.
func checkMembersKeepRoles(ctx context.Context, tx *store.Tx, p Party) error {
	rows, err := tx.QueryContext(ctx, `SELECT u.email, r.role FROM users u JOIN user_roles r ON r.user_id = u.id
		WHERE u.org_id = $1 AND u.disabled_at IS NULL`, p.ID)
	if err != nil {
		return errs.Wrap(err, "check members")
	}
	defer rows.Close()
	for rows.Next() {
		var email string
		var role sec.Role
		if err := rows.Scan(&email, &role); err != nil {
			return errs.Wrap(err, "check members")
		}
		if err := sec.CheckUserRoles([]sec.Role{role}, p.Roles); err != nil {
			return errs.E(errs.Conflict, "%s still holds the role %s, which needs an organisation role being removed: change or disable that user first", email, role)
		}
	}
	return errs.Wrap(rows.Err(), "check members")
}

func itoa(i int) string { return strconv.Itoa(i) }
