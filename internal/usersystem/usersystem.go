// Package usersystem is the register of each User's User Systems (SEC
// G3.17(a), G3.20(a)): what each system is, when it is in service, the
// manufacturers and developers of its hardware, software and firmware, and
// for each the arrangement the User relies on to be notified of material
// security vulnerabilities. Registering a User's second or subsequent User
// System is a notification to the SSC (SECMP0057): a recorded event, written
// with the system in one transaction, sent to the SSC's inbox through the
// delivery outbox and audited.
//
// The rules (which duties apply on a day, what satisfies G3.20(a), when the
// notice is due) are pure functions in sec. Records are RED by default: they
// name the SSC members, the secretariat, the User's people cleared for RED
// and the person who registered the system (who already knows it). Every
// query carries access.Caller.Visible. The package owns the tables of
// migration 1220 and reads arrangements only through internal/arrangement.
package usersystem

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/audience"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Record kinds in the audience tables and the audit trail.
const (
	Kind       = "user_system"
	NoticeKind = "user_system_notice"
)

func init() {
	audience.Kinds[Kind] = audience.Kind{Table: "user_systems", OrgColumns: []string{"r.org_id"}}
	audience.Kinds[NoticeKind] = audience.Kind{Table: "user_system_notifications", OrgColumns: []string{"r.org_id"}}
}

// Supplies says what a manufacturer or developer makes of a User System.
var Supplies = []string{"hardware", "software", "firmware", "hardware_software"}

const (
	maxName = 200
	maxText = 4000
	// maxComponents bounds one system's manufacturers: a form, not an import.
	maxComponents = 50
)

// Service keeps the register.
type Service struct {
	DB *store.DB
	// Today gives the regime's day; tests replace it.
	Today func(time.Time) sec.Date
}

func (s *Service) today(t time.Time) sec.Date {
	if s.Today != nil {
		return s.Today(t)
	}
	return sec.UKDay(t)
}

// Component is one manufacturer or developer of a User System, with where it
// stands under G3.20(a) on the day the system was read for.
type Component struct {
	Manufacturer string `json:"manufacturer"` // organisation code
	Supplies     string `json:"supplies"`
	Component    string `json:"component,omitempty"`
	// Arrangement is the reference of the arrangement the User relies on.
	Arrangement string               `json:"arrangement,omitempty"`
	Status      sec.UserSystemStatus `json:"status"`
	StatusLabel string               `json:"status_label"`
	Reason      string               `json:"reason"`
	mfrID       int64
	arrID       int64
}

// System is one User System as the caller may see it, read for one day.
type System struct {
	ID             int64                `json:"id"`
	User           string               `json:"user"` // organisation code
	Ordinal        int                  `json:"ordinal"`
	Name           string               `json:"name"`
	Description    string               `json:"description,omitempty"`
	InServiceFrom  sec.Date             `json:"in_service_from"`
	InServiceTo    sec.Date             `json:"in_service_to,omitzero"`
	Classification sec.Classification   `json:"classification"`
	RegisteredOn   sec.Date             `json:"registered_on"`
	RegisteredBy   string               `json:"registered_by"`
	Components     []Component          `json:"components"`
	On             sec.Date             `json:"on"` // the day the duties and statuses are for
	Duties         []sec.UserSystemDuty `json:"duties"`
	// Status is the worst of the components' statuses on the day.
	Status       sec.UserSystemStatus `json:"status"`
	StatusLabel  string               `json:"status_label"`
	Notification *Notification        `json:"notification,omitempty"`
	CreatedAt    time.Time            `json:"created_at"`
	UpdatedAt    time.Time            `json:"updated_at"`
	orgID        int64
}

// Notification is the SECMP0057 event of a second or subsequent User System.
type Notification struct {
	ID             int64              `json:"id"`
	UserSystemID   int64              `json:"user_system_id"`
	User           string             `json:"user"`
	SystemName     string             `json:"system_name"`
	Ordinal        int                `json:"ordinal"`
	NotifiedOn     sec.Date           `json:"notified_on"`
	FirstUse       sec.Date           `json:"first_use"`
	Due            sec.Date           `json:"due"`
	OnTime         bool               `json:"on_time"`
	Classification sec.Classification `json:"classification"`
	CreatedAt      time.Time          `json:"created_at"`
	AcknowledgedAt *time.Time         `json:"acknowledged_at,omitempty"`
	AcknowledgedBy string             `json:"acknowledged_by,omitempty"`
}

// ComponentInput is one manufacturer of a system as submitted.
type ComponentInput struct {
	Manufacturer string `json:"manufacturer"`
	Supplies     string `json:"supplies"`
	Component    string `json:"component,omitempty"`
	Arrangement  string `json:"arrangement,omitempty"`
}

// Input is a new User System.
type Input struct {
	User           string           `json:"user"` // the User's organisation code
	Name           string           `json:"name"`
	Description    string           `json:"description,omitempty"`
	InServiceFrom  string           `json:"in_service_from"`
	InServiceTo    string           `json:"in_service_to,omitempty"`
	Classification string           `json:"classification,omitempty"`
	Components     []ComponentInput `json:"components"`
}

// Filter narrows a listing.
type Filter struct {
	User string   // only this User's systems (organisation code)
	On   sec.Date // the day to read duties and statuses for; today when zero
}

// MayEdit reports whether the caller may change the User System: the same
// rule as registering one for its User (the web layer asks this to decide
// which forms to offer).
func MayEdit(c access.Caller, sys System) bool {
	if c.System || c.IsSSC() {
		return true
	}
	return c.OrgCode == sys.User && mayRegister(c, c.OrgID)
}

// mayRegister: the User's own people in a User role, the SSC and its
// secretariat (who record a notice that came another way), and the system.
func mayRegister(c access.Caller, org int64) bool {
	if c.System || c.IsSSC() {
		return true
	}
	return c.OrgID == org && c.HasAny(sec.RoleSupplier, sec.RoleNetworkParty, sec.RoleOtherUser)
}

// checked is an Input resolved and checked.
type checked struct {
	org        party.Ref
	name, desc string
	from, to   sec.Date
	class      sec.Classification
	comps      []Component
}

func text(fields *[]errs.Field, field, v string, required bool, max int) string {
	v = strings.TrimSpace(v)
	switch {
	case required && v == "":
		*fields = append(*fields, errs.Field{Field: field, Message: "required"})
	case !utf8.ValidString(v) || strings.ContainsRune(v, 0):
		*fields = append(*fields, errs.Field{Field: field, Message: "is not valid UTF-8 text"})
	case utf8.RuneCountInString(v) > max:
		*fields = append(*fields, errs.Field{Field: field, Message: fmt.Sprintf("is too long (at most %d characters)", max)})
	}
	return v
}

// checkShape checks what needs no database: texts, dates, classification
// and the shape of the components. It is the parser of outside input that
// the fuzz target drives.
func checkShape(in Input) (checked, []errs.Field) {
	var k checked
	var fields []errs.Field
	bad := func(f, format string, args ...any) {
		fields = append(fields, errs.Field{Field: f, Message: fmt.Sprintf(format, args...)})
	}
	k.name = text(&fields, "name", in.Name, true, maxName)
	k.desc = text(&fields, "description", in.Description, false, maxText)
	var err error
	if k.from, err = sec.ParseDate(in.InServiceFrom); err != nil {
		bad("in_service_from", "required: the day the system is first used (YYYY-MM-DD)")
	}
	if strings.TrimSpace(in.InServiceTo) != "" {
		if k.to, err = sec.ParseDate(in.InServiceTo); err != nil {
			bad("in_service_to", "want the last day in service as YYYY-MM-DD, or nothing while it is in service")
		} else if !k.from.IsZero() && k.to.Before(k.from) {
			bad("in_service_to", "the last day in service (%s) is before the first (%s)", k.to, k.from)
		}
	}
	k.class = sec.Red
	if strings.TrimSpace(in.Classification) != "" {
		if k.class, err = sec.ParseClassification(in.Classification); err != nil {
			bad("classification", "%v", err)
		}
	}
	switch {
	case len(in.Components) == 0:
		bad("components", "required: at least one manufacturer or developer of the system's hardware, software or firmware (G3.20(a))")
	case len(in.Components) > maxComponents:
		bad("components", "at most %d manufacturers per system", maxComponents)
	}
	seen := map[string]bool{}
	for i, ci := range in.Components {
		if i >= maxComponents {
			break
		}
		f := "components[" + strconv.Itoa(i) + "]."
		code := strings.ToUpper(strings.TrimSpace(ci.Manufacturer))
		switch {
		case code == "":
			bad(f+"manufacturer", "required: the organisation code of the manufacturer or developer")
		case seen[code]:
			bad(f+"manufacturer", "%s is named twice: one row per manufacturer, with everything it supplies", code)
		}
		seen[code] = true
		sup := strings.ToLower(strings.TrimSpace(ci.Supplies))
		if sup == "" {
			sup = "hardware_software"
		}
		if !slices.Contains(Supplies, sup) {
			bad(f+"supplies", "want one of %s", strings.Join(Supplies, ", "))
		}
		k.comps = append(k.comps, Component{Manufacturer: code, Supplies: sup,
			Component: text(&fields, f+"component", ci.Component, false, maxName), Arrangement: strings.TrimSpace(ci.Arrangement)})
	}
	return k, fields
}

// resolve checks the User, the manufacturers and the arrangements against
// the database, as the caller may see them.
func resolve(ctx context.Context, tx *store.Tx, c access.Caller, ix party.Index, in Input, k *checked, fields []errs.Field) error {
	bad := func(f, format string, args ...any) {
		fields = append(fields, errs.Field{Field: f, Message: fmt.Sprintf(format, args...)})
	}
	code := strings.ToUpper(strings.TrimSpace(in.User))
	if code == "" && !MayNameUser(c) {
		code = c.OrgCode // a User registers its own systems
	}
	org, ok := ix.Code(code)
	switch {
	case code == "":
		bad("user", "required: the organisation code of the User")
	case !ok || !mayRegister(c, org.ID):
		// Another organisation's code answers as a missing one.
		bad("user", "no User you may register User Systems for has the code %q", in.User)
	case !sec.IsUser(org.Roles):
		bad("user", "%s holds no User role (Supplier, Network Party or Other User): only Users have User Systems", code)
	}
	k.org = org
	for i := range k.comps {
		cp := &k.comps[i]
		f := "components[" + strconv.Itoa(i) + "]."
		m, ok := ix.Code(cp.Manufacturer)
		if cp.Manufacturer == "" {
			continue
		}
		if !ok || !m.Has(sec.Manufacturer) {
			bad(f+"manufacturer", "no manufacturer has the code %q", cp.Manufacturer)
			continue
		}
		cp.mfrID = m.ID
		if cp.Arrangement == "" {
			continue
		}
		l, err := arrangement.LinkByReference(ctx, tx, c, cp.Arrangement)
		if errs.CodeOf(err) == errs.NotFound {
			bad(f+"arrangement", "no arrangement you may see has the reference %q", cp.Arrangement)
			continue
		} else if err != nil {
			return err
		}
		switch {
		case l.Kind != arrangement.SupplierManufacturer && l.Kind != arrangement.LetterOfIntent:
			bad(f+"arrangement", "%s is a %s: a User System's manufacturer is covered by a contract or Letter of Intent between the User and the manufacturer", l.Reference, l.Kind.Label())
		case l.Supplier != org.ID || l.Manufacturer != m.ID:
			bad(f+"arrangement", "%s is not between %s and %s", l.Reference, code, m.Code)
		}
		cp.arrID, cp.Arrangement = l.ID, l.Reference
	}
	if len(fields) > 0 {
		return errs.Fields("the User System is not valid", fields...)
	}
	return nil
}

// Create registers a User System. A second or subsequent one is also the
// User's notification to the SSC (SECMP0057): the event, its audience, the
// notice to the SSC's inbox and the audit records commit with the system.
func (s *Service) Create(ctx context.Context, c access.Caller, in Input) (System, error) {
	if !c.SignedIn() {
		return System{}, errs.E(errs.Unauthenticated, "sign in to register a User System")
	}
	k, fields := checkShape(in)
	var id int64
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		ix, err := party.LoadIndex(ctx, tx)
		if err != nil {
			return err
		}
		if err := resolve(ctx, tx, c, ix, in, &k, fields); err != nil {
			return err
		}
		today := s.today(tx.Now)
		var earlier int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM user_systems WHERE org_id = $1", k.org.ID).Scan(&earlier); err != nil {
			return errs.Wrap(err, "earlier User Systems")
		}
		var taken int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM user_systems WHERE org_id = $1 AND name = $2", k.org.ID, k.name).Scan(&taken); err != nil {
			return errs.Wrap(err, "name")
		}
		if taken > 0 {
			return errs.FieldError("name", "%s already has a User System named %q", k.org.Code, k.name)
		}
		notice := sec.SecondUserSystem(earlier, today, k.from)
		err = tx.QueryRowContext(ctx, `INSERT INTO user_systems (org_id, ordinal, name, description, in_service_from, in_service_to,
			classification, registered_on, registered_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id`,
			k.org.ID, notice.Ordinal, k.name, k.desc, k.from, nullDate(k.to), string(k.class), today, tx.Actor.Name, tx.Now).Scan(&id)
		if store.IsUniqueViolation(err) {
			return errs.E(errs.Conflict, "another User System of %s was registered at the same moment: try again", k.org.Code)
		}
		if err != nil {
			return errs.Wrap(err, "register User System")
		}
		for _, cp := range k.comps {
			if _, err := tx.ExecContext(ctx, `INSERT INTO user_system_components (user_system_id, manufacturer_id, supplies, component, arrangement_id)
				VALUES ($1, $2, $3, $4, $5)`, id, cp.mfrID, cp.Supplies, cp.Component, nullID(cp.arrID)); err != nil {
				return errs.Wrap(err, "components")
			}
		}
		users, err := redAudience(ctx, tx, c, k.org.ID)
		if err != nil {
			return err
		}
		if err := audience.Write(ctx, tx, Kind, id, []int64{k.org.ID}, users); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, "user_system.create", Kind, id, struct {
			User, Name string
			Ordinal    int
			From, To   string
			Components []Component
		}{k.org.Code, k.name, notice.Ordinal, k.from.String(), k.to.String(), k.comps}); err != nil {
			return err
		}
		if notice.Required {
			return notify(ctx, tx, id, k, notice, today, users)
		}
		return nil
	})
	if err != nil {
		return System{}, err
	}
	return s.Get(ctx, c, id, sec.Date{})
}

// notify records the SECMP0057 event and tells the SSC: a notice, without
// the RED content, to each organisation holding the SSC or secretariat role.
func notify(ctx context.Context, tx *store.Tx, sysID int64, k checked, n sec.UserSystemNotice, today sec.Date, users []int64) error {
	var nid int64
	err := tx.QueryRowContext(ctx, `INSERT INTO user_system_notifications (user_system_id, org_id, ordinal, notified_on, first_use, on_time,
		classification, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		sysID, k.org.ID, n.Ordinal, today, k.from, n.OnTime, string(k.class), tx.Now).Scan(&nid)
	if err != nil {
		return errs.Wrap(err, "notification")
	}
	if err := audience.Write(ctx, tx, NoticeKind, nid, []int64{k.org.ID}, users); err != nil {
		return err
	}
	sscOrgs, err := arrangement.SSCOrgs(ctx, tx)
	if err != nil {
		return err
	}
	when := "before its first use"
	if !n.OnTime {
		when = "after its first use (late)"
	}
	for _, org := range sscOrgs {
		if _, err := delivery.Notify(ctx, tx, delivery.Notice{OrgID: org, Kind: "user_system.notified",
			Title: fmt.Sprintf("%s notified a User System (number %d) under SECMP0057", k.org.Code, n.Ordinal),
			Body: fmt.Sprintf("%s has registered its User System number %d, in service from %s: notified %s.\n"+
				"The record is marked %s: open it in metersec to read it.", k.org.Code, n.Ordinal, k.from, when, k.class),
			Link: fmt.Sprintf("/user-systems/notifications#notice-%d", nid), RecordKind: NoticeKind, RecordID: nid,
			Key: fmt.Sprintf("user_system:%d:notified", sysID)}); err != nil {
			return err
		}
	}
	return audit.Record(ctx, tx, "user_system.notify", NoticeKind, nid, struct {
		User         string
		UserSystemID int64
		Notice       sec.UserSystemNotice
		SSCOrgs      []int64
	}{k.org.Code, sysID, n, sscOrgs})
}

// redAudience is who a RED User System names: the SSC members, the
// secretariat, the User's people cleared for RED, and the person
// registering it.
func redAudience(ctx context.Context, tx *store.Tx, c access.Caller, org int64) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT u.id FROM users u JOIN user_roles r ON r.user_id = u.id
		WHERE u.disabled_at IS NULL AND (r.role IN ('ssc_member', 'secretariat') OR (u.red_cleared AND u.org_id = $1))
		ORDER BY u.id`, org)
	if err != nil {
		return nil, errs.Wrap(err, "audience")
	}
	defer rows.Close()
	var users []int64
	for rows.Next() {
		var u int64
		if err := rows.Scan(&u); err != nil {
			return nil, errs.Wrap(err, "audience")
		}
		users = append(users, u)
	}
	if c.UserID != 0 && !slices.Contains(users, c.UserID) {
		users = append(users, c.UserID)
	}
	return users, errs.Wrap(rows.Err(), "audience")
}

func nullDate(d sec.Date) any {
	if d.IsZero() {
		return nil
	}
	return d
}

func nullID(id int64) any {
	if id <= 0 {
		return nil
	}
	return id
}

const (
	systemColumns = `u.id, o.code, u.org_id, u.ordinal, u.name, u.description, u.in_service_from, u.in_service_to, u.classification,
	u.registered_on, u.registered_by, u.created_at, u.updated_at`
	systemFrom = ` FROM user_systems u JOIN organisations o ON o.id = u.org_id`
)

func scanSystem(r interface{ Scan(...any) error }) (System, error) {
	var s System
	err := r.Scan(&s.ID, &s.User, &s.orgID, &s.Ordinal, &s.Name, &s.Description, &s.InServiceFrom, &s.InServiceTo, &s.Classification,
		&s.RegisteredOn, &s.RegisteredBy, &s.CreatedAt, &s.UpdatedAt)
	s.CreatedAt, s.UpdatedAt = s.CreatedAt.UTC(), s.UpdatedAt.UTC()
	s.Components = []Component{}
	return s, err
}

// query lists the systems matching where (which must not name the caller's
// visibility: query adds it), read for day d.
func query(ctx context.Context, q store.Querier, c access.Caller, args *access.Args, where []string, d sec.Date) ([]System, error) {
	where = append(where, c.Visible(args, Kind, "u", "u.org_id"))
	rows, err := q.QueryContext(ctx, "SELECT "+systemColumns+systemFrom+" WHERE "+strings.Join(where, " AND ")+" ORDER BY o.code, u.ordinal", *args...)
	if err != nil {
		return nil, errs.Wrap(err, "User Systems")
	}
	var out []System
	for rows.Next() {
		s, err := scanSystem(rows)
		if err != nil {
			rows.Close()
			return nil, errs.Wrap(err, "User Systems")
		}
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, "User Systems")
	}
	return out, evaluate(ctx, q, out, d)
}

// evaluate loads the systems' components and applies the rules for day d.
func evaluate(ctx context.Context, q store.Querier, ss []System, d sec.Date) error {
	if len(ss) == 0 {
		return nil
	}
	idx := map[int64]int{}
	var args access.Args
	ph := make([]string, len(ss))
	for i, s := range ss {
		idx[s.ID] = i
		ph[i] = args.Add(s.ID)
	}
	rows, err := q.QueryContext(ctx, `SELECT c.user_system_id, c.manufacturer_id, o.code, c.supplies, c.component, c.arrangement_id
		FROM user_system_components c JOIN organisations o ON o.id = c.manufacturer_id
		WHERE c.user_system_id IN (`+strings.Join(ph, ", ")+`) ORDER BY o.code`, args...)
	if err != nil {
		return errs.Wrap(err, "components")
	}
	var arrIDs []int64
	for rows.Next() {
		var sid int64
		var cp Component
		var arr sql.NullInt64
		if err := rows.Scan(&sid, &cp.mfrID, &cp.Manufacturer, &cp.Supplies, &cp.Component, &arr); err != nil {
			rows.Close()
			return errs.Wrap(err, "components")
		}
		cp.arrID = arr.Int64
		if arr.Valid {
			arrIDs = append(arrIDs, arr.Int64)
		}
		ss[idx[sid]].Components = append(ss[idx[sid]].Components, cp)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return errs.Wrap(err, "components")
	}
	links, err := arrangement.Links(ctx, q, arrIDs)
	if err != nil {
		return err
	}
	ix, err := party.LoadIndex(ctx, q)
	if err != nil {
		return err
	}
	for i := range ss {
		s := &ss[i]
		org, _ := ix.ID(s.orgID)
		s.On = d
		s.Duties = sec.UserSystemDuties(org.Roles, sec.InService{From: s.InServiceFrom, To: s.InServiceTo}, d)
		duty := s.Duties[1].Applies
		s.Status = sec.USNoDuty
		for j := range s.Components {
			cp := &s.Components[j]
			var link sec.UserSystemLink
			if l, ok := links[cp.arrID]; ok {
				cp.Arrangement = l.Reference
				link = sec.UserSystemLink{Linked: true, InForce: l.InForce(d), Names: l.Supplier == s.orgID && l.Manufacturer == cp.mfrID,
					Contract: l.Contract(), LetterSignedByBoth: l.SignedByBoth(d)}
			}
			cp.Status, cp.Reason = sec.UserSystemG320(duty, link)
			cp.StatusLabel = cp.Status.Label()
			if cp.Status.Rank() > s.Status.Rank() {
				s.Status = cp.Status
			}
		}
		s.StatusLabel = s.Status.Label()
	}
	return nil
}

// List returns the User Systems the caller may see, read for f.On.
func (s *Service) List(ctx context.Context, c access.Caller, f Filter) ([]System, error) {
	if !c.SignedIn() {
		return nil, errs.E(errs.Unauthenticated, "sign in to see User Systems")
	}
	if f.On.IsZero() {
		f.On = s.today(time.Now())
	}
	var out []System
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		var args access.Args
		var where []string
		if f.User != "" {
			where = append(where, "o.code = "+args.Add(strings.ToUpper(strings.TrimSpace(f.User))))
		}
		var err error
		out, err = query(ctx, tx, c, &args, where, f.On)
		return err
	})
	if out == nil {
		out = []System{}
	}
	return out, err
}

// Get returns one User System the caller may see, read for day on (today
// when zero), with its SECMP0057 notification if it was one.
func (s *Service) Get(ctx context.Context, c access.Caller, id int64, on sec.Date) (System, error) {
	if on.IsZero() {
		on = s.today(time.Now())
	}
	var out System
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		var err error
		if out, err = get(ctx, tx, c, id, on); err != nil {
			return err
		}
		ns, err := notifications(ctx, tx, c, "n.user_system_id = ", id)
		if len(ns) == 1 {
			out.Notification = &ns[0]
		}
		return err
	})
	return out, err
}

func get(ctx context.Context, q store.Querier, c access.Caller, id int64, on sec.Date) (System, error) {
	var args access.Args
	ss, err := query(ctx, q, c, &args, []string{"u.id = " + args.Add(id)}, on)
	if err != nil {
		return System{}, err
	}
	if len(ss) == 0 {
		return System{}, errs.NotFoundf("User System", id)
	}
	return ss[0], nil
}

// Retire records the last day a User System is in service.
func (s *Service) Retire(ctx context.Context, c access.Caller, id int64, last string) (System, error) {
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		old, err := get(ctx, tx, c, id, s.today(tx.Now))
		if err != nil {
			return err
		}
		if !mayRegister(c, old.orgID) {
			return errs.E(errs.Forbidden, "only the User, the SSC and the secretariat change a User's User Systems")
		}
		to, err := sec.ParseDate(last)
		if err != nil {
			return errs.FieldError("in_service_to", "required: the last day in service (YYYY-MM-DD)")
		}
		if to.Before(old.InServiceFrom) {
			return errs.FieldError("in_service_to", "the last day in service (%s) is before the first (%s)", to, old.InServiceFrom)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE user_systems SET in_service_to = $1, updated_at = $2 WHERE id = $3", to, tx.Now, id); err != nil {
			return errs.Wrap(err, "retire")
		}
		return audit.Record(ctx, tx, "user_system.retire", Kind, id, struct{ Old, New string }{old.InServiceTo.String(), to.String()})
	})
	if err != nil {
		return System{}, err
	}
	return s.Get(ctx, c, id, sec.Date{})
}

// LinkArrangement names (or, with an empty reference, clears) the
// arrangement covering one manufacturer of a User System.
func (s *Service) LinkArrangement(ctx context.Context, c access.Caller, id int64, manufacturer, ref string) (System, error) {
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		old, err := get(ctx, tx, c, id, s.today(tx.Now))
		if err != nil {
			return err
		}
		if !mayRegister(c, old.orgID) {
			return errs.E(errs.Forbidden, "only the User, the SSC and the secretariat change a User's User Systems")
		}
		code := strings.ToUpper(strings.TrimSpace(manufacturer))
		i := slices.IndexFunc(old.Components, func(cp Component) bool { return cp.Manufacturer == code })
		if i < 0 {
			return errs.NotFoundf("manufacturer of this User System", manufacturer)
		}
		cp := old.Components[i]
		var arrID int64
		if ref = strings.TrimSpace(ref); ref != "" {
			l, err := arrangement.LinkByReference(ctx, tx, c, ref)
			if errs.CodeOf(err) == errs.NotFound {
				return errs.FieldError("arrangement", "no arrangement you may see has the reference %q", ref)
			} else if err != nil {
				return err
			}
			switch {
			case l.Kind != arrangement.SupplierManufacturer && l.Kind != arrangement.LetterOfIntent:
				return errs.FieldError("arrangement", "%s is a %s: a User System's manufacturer is covered by a contract or Letter of Intent between the User and the manufacturer", l.Reference, l.Kind.Label())
			case l.Supplier != old.orgID || l.Manufacturer != cp.mfrID:
				return errs.FieldError("arrangement", "%s is not between %s and %s", l.Reference, old.User, code)
			}
			arrID = l.ID
		}
		if _, err := tx.ExecContext(ctx, "UPDATE user_system_components SET arrangement_id = $1 WHERE user_system_id = $2 AND manufacturer_id = $3",
			nullID(arrID), id, cp.mfrID); err != nil {
			return errs.Wrap(err, "link arrangement")
		}
		if _, err := tx.ExecContext(ctx, "UPDATE user_systems SET updated_at = $1 WHERE id = $2", tx.Now, id); err != nil {
			return errs.Wrap(err, "link arrangement")
		}
		return audit.Record(ctx, tx, "user_system.link", Kind, id, struct{ Manufacturer, Old, New string }{code, cp.Arrangement, ref})
	})
	if err != nil {
		return System{}, err
	}
	return s.Get(ctx, c, id, sec.Date{})
}

func notifications(ctx context.Context, q store.Querier, c access.Caller, cond string, arg any) ([]Notification, error) {
	var args access.Args
	where := c.Visible(&args, NoticeKind, "n", "n.org_id")
	if cond != "" {
		where += " AND " + cond + args.Add(arg)
	}
	rows, err := q.QueryContext(ctx, "SELECT "+noticeColumns+noticeFrom+" WHERE "+where+" ORDER BY n.id DESC", args...)
	if err != nil {
		return nil, errs.Wrap(err, "notifications")
	}
	defer rows.Close()
	out := []Notification{}
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			return nil, errs.Wrap(err, "notifications")
		}
		out = append(out, n)
	}
	return out, errs.Wrap(rows.Err(), "notifications")
}

const (
	noticeColumns = `n.id, n.user_system_id, o.code, u.name, n.ordinal, n.notified_on, n.first_use, n.on_time,
		n.classification, n.created_at, n.acknowledged_at, n.acknowledged_by`
	noticeFrom = ` FROM user_system_notifications n JOIN organisations o ON o.id = n.org_id JOIN user_systems u ON u.id = n.user_system_id`
)

// scanNotification reads one row of noticeColumns.
func scanNotification(r interface{ Scan(...any) error }) (Notification, error) {
	var n Notification
	var ack sql.NullTime
	if err := r.Scan(&n.ID, &n.UserSystemID, &n.User, &n.SystemName, &n.Ordinal, &n.NotifiedOn, &n.FirstUse, &n.OnTime,
		&n.Classification, &n.CreatedAt, &ack, &n.AcknowledgedBy); err != nil {
		return n, err
	}
	n.CreatedAt = n.CreatedAt.UTC()
	n.Due = n.FirstUse.AddDays(-1)
	if ack.Valid {
		t := ack.Time.UTC()
		n.AcknowledgedAt = &t
	}
	return n, nil
}

// Notifications lists the SECMP0057 notifications the caller may see, newest
// first: the SSC's list of second and subsequent User Systems.
func (s *Service) Notifications(ctx context.Context, c access.Caller) ([]Notification, error) {
	if !c.SignedIn() {
		return nil, errs.E(errs.Unauthenticated, "sign in to see User System notifications")
	}
	var out []Notification
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		var err error
		out, err = notifications(ctx, tx, c, "", nil)
		return err
	})
	return out, err
}

// Acknowledge records that the SSC has taken note of a notification.
func (s *Service) Acknowledge(ctx context.Context, c access.Caller, id int64) (Notification, error) {
	var out Notification
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		ns, err := notifications(ctx, tx, c, "n.id = ", id)
		if err != nil {
			return err
		}
		if len(ns) == 0 {
			return errs.NotFoundf("User System notification", id)
		}
		if !MayAcknowledge(c) {
			return errs.E(errs.Forbidden, "only SSC members and the secretariat acknowledge a User System notification")
		}
		if ns[0].AcknowledgedAt != nil {
			return errs.E(errs.Conflict, "notification %d was acknowledged already, by %s", id, ns[0].AcknowledgedBy)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE user_system_notifications SET acknowledged_at = $1, acknowledged_by = $2 WHERE id = $3",
			tx.Now, tx.Actor.Name, id); err != nil {
			return errs.Wrap(err, "acknowledge")
		}
		if err := audit.Record(ctx, tx, "user_system.acknowledge", NoticeKind, id, nil); err != nil {
			return err
		}
		ns, err = notifications(ctx, tx, c, "n.id = ", id)
		if err == nil && len(ns) == 1 {
			out = ns[0]
		}
		return err
	})
	return out, err
}

// ForCoverage returns, for each of the organisations, its User Systems in
// service on day d that the caller may see, with each manufacturer's
// G3.20(a) status: the section coverage shows beside a Supplier's Devices.
func ForCoverage(ctx context.Context, q store.Querier, c access.Caller, orgs []int64, d sec.Date) (map[int64][]System, error) {
	out := map[int64][]System{}
	if len(orgs) == 0 {
		return out, nil
	}
	var args access.Args
	ph := make([]string, len(orgs))
	for i, o := range orgs {
		ph[i] = args.Add(o)
	}
	day := args.Add(d)
	ss, err := query(ctx, q, c, &args, []string{"u.org_id IN (" + strings.Join(ph, ", ") + ")",
		"u.in_service_from <= " + day, "(u.in_service_to IS NULL OR u.in_service_to >= " + day + ")"}, d)
	if err != nil {
		return nil, err
	}
	for _, s := range ss {
		out[s.orgID] = append(out[s.orgID], s)
	}
	return out, nil
}

// ShapeErrors lists what is wrong with in before the database is asked (the
// fuzz target's entry).
func ShapeErrors(in Input) []errs.Field {
	_, fields := checkShape(in)
	return fields
}
