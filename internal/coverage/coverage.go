package coverage

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/impracticable"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/usersystem"
)

// RecordKind names a Supplier's coverage in the audience tables: it is AMBER
// with the Supplier as its audience, so the Supplier and the SSC see it.
const RecordKind = "coverage"

// Service computes coverage.
type Service struct {
	DB       *store.DB
	Settings sec.Settings
	Versions sec.Versions
	// Notifier carries alerts: the delivery service (and the in-app alert
	// rows) by default; in-app only when nil.
	Notifier arrangement.Notifier
	// Today gives the day in the regime's time zone; tests replace it.
	Today func(time.Time) sec.Date
	// cache keeps reports of today and later days (cache.go); nil keeps
	// none.
	cache *reportCache
}

// NewService returns a service with the default settings and release table,
// sending alerts through the delivery service.
func NewService(db *store.DB) *Service {
	return &Service{DB: db, Settings: sec.DefaultSettings(), Versions: sec.DefaultVersions(), Notifier: arrangement.Delivery{},
		Today: sec.UKDay, cache: &reportCache{}}
}

func (s *Service) today() sec.Date {
	if s.Today != nil {
		return s.Today(time.Now())
	}
	return sec.UKDay(time.Now())
}

func (s *Service) notifier() arrangement.Notifier {
	if s.Notifier == nil {
		return arrangement.InApp{}
	}
	return s.Notifier
}

// Query says whose coverage to compute and on which day.
type Query struct {
	Supplier string   // organisation code; empty for every Supplier the caller may see
	Date     sec.Date // today when zero
	// Manufacturer, an organisation code, keeps only that manufacturer's
	// models (OnlyManufacturer): the heat map's cell.
	Manufacturer string
	// Naive computes from the Device rows instead of the portfolio
	// aggregates: the benchmark's yardstick and the tests' oracle.
	Naive bool
}

// Org is an organisation as coverage shows it: the name only where the
// caller may see the organisation's record.
type Org = arrangement.Org

// Counts are Devices by status.
type Counts struct {
	Devices int64 `json:"devices"`
	Covered int64 `json:"covered"`
	Steps   int64 `json:"steps"`
	Gap     int64 `json:"gap"`
	DCC     int64 `json:"dcc"`
	Exempt  int64 `json:"exempt"`
	DP087   int64 `json:"dp087_gap"`
	// Impracticable: Devices of manufacturers the SSC accepted no
	// arrangement is practicable with.
	Impracticable int64 `json:"impracticable"`
}

func (c *Counts) add(s Status, n int64) {
	c.Devices += n
	switch s {
	case Covered:
		c.Covered += n
	case Steps:
		c.Steps += n
	case Gap:
		c.Gap += n
	case DCC:
		c.DCC += n
	case Exempt:
		c.Exempt += n
	case DP087Gap:
		c.DP087 += n
	case Impracticable:
		c.Impracticable += n
	}
}

func (c *Counts) plus(o Counts) {
	c.Devices += o.Devices
	c.Covered += o.Covered
	c.Steps += o.Steps
	c.Gap += o.Gap
	c.DCC += o.DCC
	c.Exempt += o.Exempt
	c.DP087 += o.DP087
	c.Impracticable += o.Impracticable
}

// Obligated is the Devices the Supplier carries G3.20(b) for.
func (c Counts) Obligated() int64 { return c.Covered + c.Steps + c.Gap + c.Impracticable }

// CoveredPercent is the share of obligated Devices covered, rounded down; 100
// when there are none.
func (c Counts) CoveredPercent() int64 {
	if c.Obligated() == 0 {
		return 100
	}
	return c.Covered * 100 / c.Obligated()
}

// Report is coverage on one day.
type Report struct {
	Date       sec.Date    `json:"date"`
	SECVersion sec.Version `json:"sec_version"`
	// SECVersionCaveat says so when the release's date is not from a public
	// source (internal/release).
	SECVersionCaveat  string `json:"sec_version_caveat,omitempty"`
	ChurnWindowMonths int    `json:"churn_window_months"`
	// Source is where the Devices were counted from: "portfolio" (the
	// aggregates, for today), "supply_periods" (the estate as at a past
	// day) or "devices" (the naive scan); Basis says it in words.
	Source    string             `json:"source"`
	Basis     string             `json:"basis"`
	Suppliers []SupplierCoverage `json:"suppliers"`
}

// SupplierCoverage is one Supplier's coverage, model by model.
type SupplierCoverage struct {
	Supplier Org    `json:"supplier"`
	Totals   Counts `json:"totals"`
	// Models the Supplier carries G3.20(b) for, worst status first.
	Models []ModelCoverage `json:"models"`
	// DCC lists the SMETS2+ Communications Hub and Gas Proxy Functions, which
	// are the DCC's; Exempt the Devices no User carries G3.20(b) for.
	DCC    []ModelCoverage `json:"dcc"`
	Exempt []ModelCoverage `json:"exempt"`
	// DP087 lists the SMETS1 hubs in the DP087 gap (seeds/001): no clause
	// binds, a known defect of the code, with whether the Supplier's
	// arrangements cover them anyway.
	DP087 []ModelCoverage `json:"dp087_gap"`
	// UserSystems are the Supplier's User Systems in service on the day,
	// beside its Devices (G3.17(a), G3.20(a); usersystems.go).
	UserSystems []usersystem.System `json:"user_systems"`
}

// Lists are all of a Supplier's model lists.
func (sc SupplierCoverage) Lists() [][]ModelCoverage {
	return [][]ModelCoverage{sc.Models, sc.DCC, sc.Exempt, sc.DP087}
}

// ModelCoverage is a Supplier's Devices of one model.
type ModelCoverage struct {
	Manufacturer Org        `json:"manufacturer"`
	Model        ModelInfo  `json:"model"`
	Status       Status     `json:"status"`
	Counts       Counts     `json:"counts"`
	Parts        []PartView `json:"parts"`
	modelID      int64      // for snapshots
	mfrID        int64      // for the matrix
}

// ModelInfo describes a model.
type ModelInfo struct {
	Code       string         `json:"code"`
	Name       string         `json:"name,omitempty"`
	Type       sec.DeviceType `json:"device_type"`
	Generation sec.Generation `json:"generation"`
	Certified  sec.Date       `json:"cpa_certified,omitzero"`
}

// PartView is a share of a model's Devices with one status and the reason.
type PartView struct {
	Status       Status           `json:"status"`
	Route        Route            `json:"route"`
	Devices      int64            `json:"devices"`
	MAP          *Org             `json:"map,omitempty"`
	Arrangements []ArrangementRef `json:"arrangements,omitempty"`
	Until        sec.Date         `json:"until,omitzero"`
	Reason       string           `json:"reason"`
	KnownGap     bool             `json:"known_gap,omitempty"`
	// Arranged is, for the DP087 gap, whether the Supplier's arrangements
	// cover the Devices anyway: "covered", "steps" or "" (no).
	Arranged Status `json:"arranged,omitempty"`
}

// ArrangementRef names an arrangement behind a status. The reference comes
// only when the caller may see the arrangement; otherwise its kind and party
// codes say what stands behind the coverage without showing its terms (a
// Supplier covered through its MAP learns that the MAP has a contract with the
// manufacturer, not what it says).
type ArrangementRef struct {
	Reference string           `json:"reference,omitempty"`
	Kind      arrangement.Kind `json:"kind"`
	KindLabel string           `json:"kind_label"`
	Parties   []string         `json:"parties"`
	Visible   bool             `json:"visible"`
	id        int64
}

// Compute answers coverage for the Suppliers the caller may see (a
// Supplier: itself; the SSC and secretariat: all) on a day. Today and later
// days read the portfolio aggregates, the estate as it stands now; the day
// moves which arrangements are in force, which churn windows are open and
// which SEC version applies. A past day is counted from the supply periods
// and MAP periods valid on it, so it is the estate as it stood then, never
// today's.
//
// A report of today or a later day comes from the cache when nothing it is
// computed from has changed since (cache.go); callers must not change it.
func (s *Service) Compute(ctx context.Context, c access.Caller, q Query) (Report, error) {
	var rep Report
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		day := q.Date
		if day.IsZero() {
			day = s.today()
		}
		cached := s.cache != nil && !q.Naive && !day.Before(s.today())
		var key cacheKey
		var version int64
		if cached {
			var err error
			if version, err = inputsVersion(ctx, tx); err != nil {
				return err
			}
			who, err := callerKey(ctx, tx, c)
			if err != nil {
				return err
			}
			key = cacheKey{date: day, supplier: strings.ToUpper(strings.TrimSpace(q.Supplier)), caller: who, rules: s.rulesKey()}
			if r, ok := s.cache.get(key, version); ok {
				rep = r
				return nil
			}
		}
		var err error
		if rep, err = s.compute(ctx, tx, c, q); err != nil {
			return err
		}
		if err := userSystems(ctx, tx, c, &rep); err != nil {
			return err
		}
		if cached {
			s.cache.put(key, version, rep)
		}
		return nil
	})
	if err == nil && q.Manufacturer != "" {
		// After the cache, which holds whole reports: a new slice, so the
		// cached report is left as it is.
		rep.Suppliers = OnlyManufacturer(rep.Suppliers, q.Manufacturer)
	}
	return rep, err
}

// SeesEverySupplier reports whether the caller sees every Supplier's
// coverage, the matrix of all of them: the SSC, its secretariat and the
// system. Anyone else sees only its own organisation's (compute narrows the
// query to it, and scope the rows).
func SeesEverySupplier(c access.Caller) bool { return c.System || c.IsSSC() }

// HasOwnCoverage reports whether the caller's organisation has a coverage
// of its own to be shown: a Supplier's. The coverage page sends it there.
func HasOwnCoverage(c access.Caller) bool { return c.Has(sec.RoleSupplier) }

// scope is the caller's visibility of a Supplier's coverage, on the column
// holding the Supplier's id: AMBER with the Supplier as audience.
func scope(c access.Caller, args *access.Args, col string) string {
	return c.VisibleAs(args, RecordKind, "'AMBER'", col, col)
}

func (s *Service) compute(ctx context.Context, tx *store.Tx, c access.Caller, q Query) (Report, error) {
	if q.Date.IsZero() {
		q.Date = s.today()
	}
	rel, err := s.versions().InForce(q.Date)
	if err != nil {
		return Report{}, errs.FieldError("date", "%v", err)
	}
	// Summing 180,000 portfolio rows into 36,000 cells needs about 10 MB
	// of hash table; at the default 4 MB work_mem PostgreSQL spills it to
	// disk and takes three times as long. For this transaction only.
	if err := tx.SetLocal(ctx, "work_mem", "64MB"); err != nil {
		return Report{}, errs.Wrap(err, "work_mem")
	}
	rep := Report{Date: q.Date, SECVersion: rel.Version, SECVersionCaveat: s.versions().Caveat(rel.Version),
		ChurnWindowMonths: s.settings().ChurnWindowMonths}
	// The aggregates hold the estate as it stands now: a past day is
	// counted from the supply periods and MAP periods valid on it instead,
	// never answered with today's estate (issue 13).
	past := q.Date.Before(s.today())
	rep.Source, rep.Basis = sourceOf(q.Naive, past, q.Date)
	supplier := int64(0)
	if q.Supplier != "" {
		if supplier, err = s.supplierID(ctx, tx, c, q.Supplier); err != nil {
			return rep, err
		}
	} else if !SeesEverySupplier(c) {
		// A Supplier sees only itself; say so in the query too, so the
		// database reads one Supplier's rows.
		supplier = c.OrgID
	}
	terms, err := loadTerms(ctx, tx, q.Date)
	if err != nil {
		return rep, err
	}
	rules := NewRules(NewTerms(terms), s.settings(), rel.Version, q.Date)
	if rules.Impracticable, err = impracticable.ForCoverage(ctx, tx, c, q.Date); err != nil {
		return rep, err
	}
	var cells []Cell
	switch {
	case q.Naive:
		cells, err = s.naiveCells(ctx, tx, c, rules, supplier, q.Date)
	case past:
		cells, err = s.cellsAt(ctx, tx, c, rules, supplier, q.Date)
	default:
		if cells, err = s.cells(ctx, tx, c, supplier, q.Date); err != nil {
			break
		}
		if err = s.enrolment(ctx, tx, c, rules, cells, q.Date); err == nil {
			err = s.window(ctx, tx, c, rules, cells, q.Date)
		}
	}
	if err != nil {
		return rep, err
	}
	rep.Suppliers, err = s.assemble(ctx, tx, c, rules, cells, terms)
	return rep, err
}

func (s *Service) settings() sec.Settings {
	if s.Settings.ChurnWindowMonths == 0 {
		return sec.DefaultSettings()
	}
	return s.Settings
}

func (s *Service) versions() sec.Versions {
	if len(s.Versions.Releases()) == 0 {
		return sec.DefaultVersions()
	}
	return s.Versions
}

// supplierID finds a Supplier whose coverage the caller may see.
func (s *Service) supplierID(ctx context.Context, q store.Querier, c access.Caller, code string) (int64, error) {
	var args access.Args
	var id int64
	err := q.QueryRowContext(ctx, `SELECT o.id FROM organisations o WHERE o.code = `+args.Add(strings.ToUpper(strings.TrimSpace(code)))+
		` AND EXISTS (SELECT 1 FROM organisation_roles r WHERE r.org_id = o.id AND r.role IN ('large_supplier', 'small_supplier'))
		AND `+scope(c, &args, "o.id"), args...).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, errs.NotFoundf("Supplier", strings.ToUpper(code))
	}
	return id, errs.Wrap(err, "find supplier")
}

// cells reads the portfolio aggregates, summed over firmware. The churn
// windows are read later, and only for the cells that need them (window).
func (s *Service) cells(ctx context.Context, q store.Querier, c access.Caller, supplier int64, d sec.Date) ([]Cell, error) {
	models, err := loadModels(ctx, q, d)
	if err != nil {
		return nil, err
	}
	var args access.Args
	where := scope(c, &args, "p.supplier_id")
	if supplier != 0 {
		where += " AND p.supplier_id = " + args.Add(supplier)
	}
	// Summed over firmware in the database, from the portfolio_cells index
	// in its order (no sort), so a fifth of the rows reach Go.
	rows, err := q.QueryContext(ctx, `SELECT p.supplier_id, p.model_id, p.map_id, SUM(p.devices) FROM portfolio p
		WHERE `+where+` GROUP BY p.supplier_id, p.model_id, p.map_id`, args...)
	if err != nil {
		return nil, errs.Wrap(err, "read portfolio")
	}
	defer rows.Close()
	type key struct{ s, m, p int64 }
	idx := map[key]int{}
	var cells []Cell
	for rows.Next() {
		var k key
		var n int64
		if err := rows.Scan(&k.s, &k.m, &k.p, &n); err != nil {
			return nil, errs.Wrap(err, "read portfolio")
		}
		m, ok := models[k.m]
		if !ok || n <= 0 {
			continue
		}
		if i, ok := idx[k]; ok {
			cells[i].Devices += n
			continue
		}
		idx[k] = len(cells)
		cells = append(cells, Cell{Supplier: k.s, Model: m, MAP: k.p, Devices: n})
	}
	return cells, errs.Wrap(rows.Err(), "read portfolio")
}

// window fills in, for the cells no arrangement covers, the inherited
// Devices still inside their churn window on d. Covered cells never need it,
// so only the others are looked up: a seek per cell into
// portfolio_inherited_window, a few hundred cells to a statement.
func (s *Service) window(ctx context.Context, q store.Querier, c access.Caller, rules *Rules, cells []Cell, d sec.Date) error {
	type key struct{ s, m, p int64 }
	idx := map[key]int{}
	var need []int
	for i, cl := range cells {
		// A SMETS1 cell's window counts its enrolled Devices only, read
		// with its enrolment (see enrolment).
		if rules.NeedsWindow(cl) && !rules.enrolmentMatters(cl.Model) {
			idx[key{cl.Supplier, cl.Model.ID, cl.MAP}] = i
			need = append(need, i)
		}
	}
	from := WindowOpenFrom(s.settings(), d)
	for chunk := range slices.Chunk(need, 500) {
		// The cells are ids the database gave us, written as integer
		// literals: hundreds of $N parameters would cost SQLite more to
		// parse (it looks each name up in a list) than the query costs to run.
		var args access.Args
		values := make([]string, len(chunk))
		for j, i := range chunk {
			cl := cells[i]
			values[j] = "(" + strconv.FormatInt(cl.Supplier, 10) + ", " + strconv.FormatInt(cl.Model.ID, 10) + ", " + strconv.FormatInt(cl.MAP, 10) + ")"
		}
		// Correlated subqueries, not a join and GROUP BY: each is a range
		// in the index (the MIN a single seek), with no sort of the rows;
		// on SQLite that is five times cheaper.
		f := args.Add(from)
		cond := `pi.supplier_id = c.s AND pi.model_id = c.m AND pi.map_id = c.p AND pi.supply_start >= ` + f
		rows, err := q.QueryContext(ctx, `WITH c (s, m, p) AS (VALUES `+strings.Join(values, ", ")+`)
			SELECT c.s, c.m, c.p, (SELECT SUM(pi.devices) FROM portfolio_inherited pi WHERE `+cond+`),
				(SELECT MIN(pi.supply_start) FROM portfolio_inherited pi WHERE `+cond+`)
			FROM c WHERE `+scope(c, &args, "c.s"), args...)
		if err != nil {
			return errs.Wrap(err, "read inherited devices")
		}
		for rows.Next() {
			var k key
			var n sql.NullInt64
			var first sec.Date
			if err := rows.Scan(&k.s, &k.m, &k.p, &n, &first); err != nil {
				rows.Close()
				return errs.Wrap(err, "read inherited devices")
			}
			if i, ok := idx[k]; ok && n.Int64 > 0 {
				cells[i].InWindow, cells[i].WindowStart = n.Int64, first
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return errs.Wrap(err, "read inherited devices")
		}
	}
	return nil
}

// enrolment fills in, for the SMETS1 cells whose enrolment decides their
// duty, how many Devices were not enrolled on d and how many enrolled ones
// are inside their churn window, from portfolio_enrolled: a range per cell
// over its enrolment days (the enrolled count) and a short one from
// portfolio_enrolled_window (the window), a few hundred cells to a
// statement. SMETS1 cells only, never the Devices.
func (s *Service) enrolment(ctx context.Context, q store.Querier, c access.Caller, rules *Rules, cells []Cell, d sec.Date) error {
	type key struct{ s, m, p int64 }
	idx := map[key]int{}
	var need []int
	for i, cl := range cells {
		if rules.enrolmentMatters(cl.Model) {
			idx[key{cl.Supplier, cl.Model.ID, cl.MAP}] = i
			need = append(need, i)
		}
	}
	from := WindowOpenFrom(s.settings(), d)
	for chunk := range slices.Chunk(need, 500) {
		var args access.Args
		values := make([]string, len(chunk))
		for j, i := range chunk {
			cl := cells[i]
			// w: whether the cell's status can depend on its churn window
			// (nothing covers it: Rules.NeedsWindow). Only those read the
			// window's rows; a covered cell's are never looked at.
			w := "0"
			if rules.NeedsWindow(cl) {
				w = "1"
			}
			values[j] = "(" + strconv.FormatInt(cl.Supplier, 10) + ", " + strconv.FormatInt(cl.Model.ID, 10) + ", " + strconv.FormatInt(cl.MAP, 10) + ", " + w + ")"
		}
		day, f := args.Add(d), args.Add(from)
		cell := `pe.supplier_id = c.s AND pe.model_id = c.m AND pe.map_id = c.p`
		win := cell + ` AND pe.enrolled_on <= ` + day + ` AND pe.inherited_from >= ` + f
		// Not enrolled on d: enrolled later, or never (estate.NeverEnrolled
		// sorts last), one range of the key from d.
		rows, err := q.QueryContext(ctx, `WITH c (s, m, p, w) AS (VALUES `+strings.Join(values, ", ")+`)
			SELECT c.s, c.m, c.p, (SELECT SUM(pe.devices) FROM portfolio_enrolled pe WHERE `+cell+` AND pe.enrolled_on > `+day+`),
				CASE WHEN c.w = 1 THEN (SELECT SUM(pe.devices) FROM portfolio_enrolled pe WHERE `+win+`) END,
				CASE WHEN c.w = 1 THEN (SELECT MIN(pe.inherited_from) FROM portfolio_enrolled pe WHERE `+win+`) END
			FROM c WHERE `+scope(c, &args, "c.s"), args...)
		if err != nil {
			return errs.Wrap(err, "read enrolled devices")
		}
		for rows.Next() {
			var k key
			var notEnrolled, in sql.NullInt64
			var first sec.Date
			if err := rows.Scan(&k.s, &k.m, &k.p, &notEnrolled, &in, &first); err != nil {
				rows.Close()
				return errs.Wrap(err, "read enrolled devices")
			}
			if i, ok := idx[k]; ok {
				cells[i].NotEnrolled = min(notEnrolled.Int64, cells[i].Devices)
				if in.Int64 > 0 {
					cells[i].InWindow, cells[i].WindowStart = in.Int64, first
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return errs.Wrap(err, "read enrolled devices")
		}
	}
	return nil
}

// The sources of a report's Device counts.
const (
	SourcePortfolio     = "portfolio"
	SourceSupplyPeriods = "supply_periods"
	SourceDevices       = "devices"
)

// sourceOf names where a report on day d counts its Devices from, and says
// so in words for every output (CLI, API, page).
func sourceOf(naive, past bool, d sec.Date) (string, string) {
	switch {
	case naive:
		return SourceDevices, "counted by scanning every Device as it stands today (the benchmark's yardstick)"
	case past:
		return SourceSupplyPeriods, "computed from supply periods as at " + d.String() + ": the Responsible Supplier, MAP, churn windows and enrolment of that day " +
			"(Device status has no history, so Devices removed or in triage today are left out)"
	}
	return SourcePortfolio, "from the portfolio aggregates: the estate as it stands today"
}

// cellsAt counts the cells of a past day from the supply periods and MAP
// periods valid on it (estate.CellsAt: one aggregate query), with each
// cell's churn window bounded by the day and, for SMETS1 models, its
// enrolment on the day.
func (s *Service) cellsAt(ctx context.Context, q store.Querier, c access.Caller, rules *Rules, supplier int64, d sec.Date) ([]Cell, error) {
	models, err := loadModels(ctx, q, d)
	if err != nil {
		return nil, err
	}
	at, err := estate.CellsAt(ctx, q, estate.AsAt{Day: d, WindowFrom: WindowOpenFrom(s.settings(), d), Supplier: supplier,
		Scope: func(args *access.Args, col string) string { return scope(c, args, col) }})
	if err != nil {
		return nil, err
	}
	cells := make([]Cell, 0, len(at))
	for _, a := range at {
		m, ok := models[a.Model]
		if !ok {
			continue
		}
		cl := Cell{Supplier: a.Supplier, Model: m, MAP: a.MAP, Devices: a.Devices, InWindow: a.InWindow, WindowStart: a.WindowStart}
		if rules.enrolmentMatters(m) {
			cl.NotEnrolled, cl.InWindow, cl.WindowStart = a.NotEnrolled, a.EnrolledInWindow, a.EnrolledWindowStart
		}
		cells = append(cells, cl)
	}
	return cells, nil
}

// naiveCells counts the same cells by scanning every installed Device: the
// design DESIGN.md says to avoid, kept as the benchmark's yardstick and the
// oracle the tests check the aggregates against.
func (s *Service) naiveCells(ctx context.Context, q store.Querier, c access.Caller, rules *Rules, supplier int64, d sec.Date) ([]Cell, error) {
	models, err := loadModels(ctx, q, d)
	if err != nil {
		return nil, err
	}
	var args access.Args
	from := args.Add(WindowOpenFrom(s.settings(), d))
	on := args.Add(d)
	// A SMETS1 Device counts as enrolled on d when it has an enrolment date
	// on or before d.
	enrolled := `(d.enrolled_on IS NOT NULL AND d.enrolled_on <= ` + on + `)`
	inWindow := `d.inherited AND d.supply_start >= ` + from
	where := "d.status = 'installed' AND d.supplier_id IS NOT NULL AND " + scope(c, &args, "d.supplier_id")
	if supplier != 0 {
		where += " AND d.supplier_id = " + args.Add(supplier)
	}
	rows, err := q.QueryContext(ctx, `SELECT d.supplier_id, d.model_id, COALESCE(d.map_id, 0), COUNT(*),
		SUM(CASE WHEN `+inWindow+` THEN 1 ELSE 0 END),
		MIN(CASE WHEN `+inWindow+` THEN d.supply_start END),
		SUM(CASE WHEN `+enrolled+` THEN 0 ELSE 1 END),
		SUM(CASE WHEN `+inWindow+` AND `+enrolled+` THEN 1 ELSE 0 END),
		MIN(CASE WHEN `+inWindow+` AND `+enrolled+` THEN d.supply_start END)
		FROM devices d WHERE `+where+` GROUP BY d.supplier_id, d.model_id, COALESCE(d.map_id, 0)`, args...)
	if err != nil {
		return nil, errs.Wrap(err, "scan devices")
	}
	defer rows.Close()
	var cells []Cell
	for rows.Next() {
		var cl Cell
		var model, notEnrolled, enrolledIn int64
		var enrolledStart sec.Date
		if err := rows.Scan(&cl.Supplier, &model, &cl.MAP, &cl.Devices, &cl.InWindow, &cl.WindowStart,
			&notEnrolled, &enrolledIn, &enrolledStart); err != nil {
			return nil, errs.Wrap(err, "scan devices")
		}
		m, ok := models[model]
		if !ok {
			continue
		}
		cl.Model = m
		if rules.enrolmentMatters(m) {
			cl.NotEnrolled, cl.InWindow, cl.WindowStart = notEnrolled, enrolledIn, enrolledStart
		}
		cells = append(cells, cl)
	}
	return cells, errs.Wrap(rows.Err(), "scan devices")
}

// certifiedBy bounds the certificates a model's first certification is read
// from: those issued on or before d, so coverage on a past day sees the
// certificates as they were (a model certified later had none then); the
// zero day means all of them.
func certifiedBy(d sec.Date) sec.Date {
	if d.IsZero() {
		return sec.MustParseDate("9999-12-31")
	}
	return d
}

// loadModels reads every Device Model with the day of its first CPA
// certificate issued by d: hundreds of rows.
func loadModels(ctx context.Context, q store.Querier, d sec.Date) (map[int64]Model, error) {
	rows, err := q.QueryContext(ctx, `SELECT m.id, m.manufacturer_id, m.device_type, m.generation,
		(SELECT MIN(c.issued) FROM cpa_certificates c WHERE c.model_id = m.id AND c.issued <= $1) FROM device_models m`, certifiedBy(d))
	if err != nil {
		return nil, errs.Wrap(err, "read models")
	}
	defer rows.Close()
	out := map[int64]Model{}
	for rows.Next() {
		var m Model
		if err := rows.Scan(&m.ID, &m.Manufacturer, &m.Type, &m.Generation, &m.Certified); err != nil {
			return nil, errs.Wrap(err, "read models")
		}
		out[m.ID] = m
	}
	return out, errs.Wrap(rows.Err(), "read models")
}

// loadTerms reads every arrangement in force on d, whoever may see it:
// coverage depends on arrangements the Supplier is not party to (its MAP's
// contract with the manufacturer, the manufacturer's scheme enrolment). What
// the caller is shown of them is decided in refs.
func loadTerms(ctx context.Context, q store.Querier, d sec.Date) ([]Term, error) {
	rows, err := q.QueryContext(ctx, `SELECT a.id, a.kind, COALESCE(a.supplier_id, 0), COALESCE(a.map_id, 0),
		COALESCE(a.manufacturer_id, 0), a.all_models, a.legacy, a.expires, a.ended, a.first_signed, a.second_signed FROM arrangements a
		WHERE a.status <> 'pending' AND a.effective <= $1 AND (a.expires IS NULL OR a.expires >= $1)
		AND (a.ended IS NULL OR a.ended > $1) ORDER BY a.id`, d)
	if err != nil {
		return nil, errs.Wrap(err, "read arrangements")
	}
	var ts []Term
	idx := map[int64]int{}
	for rows.Next() {
		var t Term
		var ended, first, second sec.Date
		if err := rows.Scan(&t.ID, &t.Kind, &t.Supplier, &t.MAP, &t.Manufacturer, &t.AllModels, &t.Legacy, &t.Expires, &ended, &first, &second); err != nil {
			rows.Close()
			return nil, errs.Wrap(err, "read arrangements")
		}
		if !ended.IsZero() {
			if last := ended.AddDays(-1); t.Expires.IsZero() || last.Before(t.Expires) {
				t.Expires = last
			}
		}
		t.SignedByBoth = t.Kind == arrangement.LetterOfIntent && arrangement.BothSigned(
			[]arrangement.Signature{{Signed: first}, {Signed: second}}, d)
		idx[t.ID] = len(ts)
		ts = append(ts, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, "read arrangements")
	}
	rows, err = q.QueryContext(ctx, `SELECT am.arrangement_id, am.model_id FROM arrangement_models am
		JOIN arrangements a ON a.id = am.arrangement_id
		WHERE a.status <> 'pending' AND a.all_models = FALSE AND a.effective <= $1 AND (a.expires IS NULL OR a.expires >= $1)
		AND (a.ended IS NULL OR a.ended > $1)`, d)
	if err != nil {
		return nil, errs.Wrap(err, "read arrangement models")
	}
	defer rows.Close()
	for rows.Next() {
		var a, m int64
		if err := rows.Scan(&a, &m); err != nil {
			return nil, errs.Wrap(err, "read arrangement models")
		}
		if i, ok := idx[a]; ok {
			if ts[i].Models == nil {
				ts[i].Models = map[int64]bool{}
			}
			ts[i].Models[m] = true
		}
	}
	return ts, errs.Wrap(rows.Err(), "read arrangement models")
}

// names are the organisations and models a report mentions, as the caller
// may see them.
type names struct {
	orgs   map[int64]Org
	models map[int64]ModelInfo
}

func loadNames(ctx context.Context, q store.Querier, c access.Caller, d sec.Date) (names, error) {
	n := names{orgs: map[int64]Org{}, models: map[int64]ModelInfo{}}
	var args access.Args
	rows, err := q.QueryContext(ctx, `SELECT o.id, o.code, CASE WHEN `+c.Visible(&args, "party", "o", "o.id")+
		` THEN o.name ELSE '' END FROM organisations o`, args...)
	if err != nil {
		return n, errs.Wrap(err, "read organisations")
	}
	for rows.Next() {
		var o Org
		if err := rows.Scan(&o.ID, &o.Code, &o.Name); err != nil {
			rows.Close()
			return n, errs.Wrap(err, "read organisations")
		}
		n.orgs[o.ID] = o
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return n, errs.Wrap(err, "read organisations")
	}
	args = nil
	rows, err = q.QueryContext(ctx, `SELECT m.id, m.code, CASE WHEN `+c.Visible(&args, "device_model", "m", "m.manufacturer_id")+
		` THEN m.name ELSE '' END, m.device_type, m.generation,
		(SELECT MIN(c.issued) FROM cpa_certificates c WHERE c.model_id = m.id AND c.issued <= `+args.Add(certifiedBy(d))+`) FROM device_models m`, args...)
	if err != nil {
		return n, errs.Wrap(err, "read models")
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var m ModelInfo
		if err := rows.Scan(&id, &m.Code, &m.Name, &m.Type, &m.Generation, &m.Certified); err != nil {
			return n, errs.Wrap(err, "read models")
		}
		n.models[id] = m
	}
	return n, errs.Wrap(rows.Err(), "read models")
}

func (n names) org(id int64) Org {
	if o, ok := n.orgs[id]; ok {
		return o
	}
	return Org{ID: id, Code: "#" + strconv.FormatInt(id, 10)}
}

// refs describes the arrangements behind a report, with references only for
// those the caller may see (decided in SQL).
func refs(ctx context.Context, q store.Querier, c access.Caller, n names, terms []Term, used map[int64]bool) (map[int64]ArrangementRef, error) {
	out := map[int64]ArrangementRef{}
	if len(used) == 0 {
		return out, nil
	}
	var ids []int64
	for _, t := range terms {
		if !used[t.ID] {
			continue
		}
		var parties []string
		for _, id := range []int64{t.Supplier, t.MAP, t.Manufacturer} {
			if id != 0 {
				parties = append(parties, n.org(id).Code)
			}
		}
		if t.Kind == arrangement.SSCScheme {
			parties = append(parties, "SSC")
		}
		out[t.ID] = ArrangementRef{id: t.ID, Kind: t.Kind, KindLabel: t.Kind.Label(), Parties: parties}
		ids = append(ids, t.ID)
	}
	// Bounded by the arrangements in force, which are hundreds; chunked to
	// stay well inside either engine's limit on parameters.
	for chunk := range slices.Chunk(ids, 500) {
		var args access.Args
		ph := make([]string, len(chunk))
		for i, id := range chunk {
			ph[i] = args.Add(id)
		}
		rows, err := q.QueryContext(ctx, "SELECT a.id, a.reference FROM arrangements a WHERE a.id IN ("+strings.Join(ph, ", ")+") AND "+
			c.Visible(&args, arrangement.RecordKind, "a", "a.supplier_id", "a.map_id", "a.manufacturer_id"), args...)
		if err != nil {
			return nil, errs.Wrap(err, "arrangement references")
		}
		for rows.Next() {
			var id int64
			var ref string
			if err := rows.Scan(&id, &ref); err != nil {
				rows.Close()
				return nil, errs.Wrap(err, "arrangement references")
			}
			r := out[id]
			r.Reference, r.Visible = ref, true
			out[id] = r
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, errs.Wrap(err, "arrangement references")
		}
	}
	return out, nil
}

// assemble evaluates the cells and groups the parts by Supplier and model.
// A cell is one (Supplier, model, MAP), so each of its parts is a part of
// the model's row as it stands: nothing is merged.
func (s *Service) assemble(ctx context.Context, q store.Querier, c access.Caller, rules *Rules, cells []Cell, terms []Term) ([]SupplierCoverage, error) {
	n, err := loadNames(ctx, q, c, rules.Date)
	if err != nil {
		return nil, err
	}
	// Any arrangement in force may stand behind a part: naming them all at
	// once is one query over hundreds of ids, cheaper than collecting the
	// ones used first.
	inForce := make(map[int64]bool, len(terms))
	for _, t := range terms {
		inForce[t.ID] = true
	}
	rs, err := refs(ctx, q, c, n, terms, inForce)
	if err != nil {
		return nil, err
	}
	type mkey struct{ s, m int64 }
	bySupplier := map[int64]*SupplierCoverage{}
	byModel := make(map[mkey]*ModelCoverage, len(cells)/3)
	modelsOf := map[int64][]*ModelCoverage{}
	maps := map[int64]*Org{}
	for _, cell := range cells {
		sc := bySupplier[cell.Supplier]
		if sc == nil {
			sc = &SupplierCoverage{Supplier: n.org(cell.Supplier)}
			bySupplier[cell.Supplier] = sc
		}
		mc := byModel[mkey{cell.Supplier, cell.Model.ID}]
		if mc == nil {
			mc = &ModelCoverage{Manufacturer: n.org(cell.Model.Manufacturer), Model: n.models[cell.Model.ID],
				modelID: cell.Model.ID, mfrID: cell.Model.Manufacturer}
			byModel[mkey{cell.Supplier, cell.Model.ID}] = mc
			modelsOf[cell.Supplier] = append(modelsOf[cell.Supplier], mc)
		}
		for _, p := range rules.Evaluate(cell) {
			sc.Totals.add(p.Status, p.Devices)
			mc.Counts.add(p.Status, p.Devices)
			if mc.Status == "" || worse(p.Status, mc.Status) {
				mc.Status = p.Status
			}
			pv := PartView{Status: p.Status, Route: p.Route, Devices: p.Devices, Until: p.Until, Arranged: arranged(p)}
			if p.MAP != 0 {
				o := maps[p.MAP]
				if o == nil {
					org := n.org(p.MAP)
					o = &org
					maps[p.MAP] = o
				}
				pv.MAP = o
			}
			if len(p.Terms) > 0 {
				pv.Arrangements = make([]ArrangementRef, len(p.Terms))
				for i, id := range p.Terms {
					pv.Arrangements[i] = rs[id]
				}
			}
			pv.Reason, pv.KnownGap = describe(p, &pv, mc, rules)
			mc.Parts = append(mc.Parts, pv)
		}
	}
	out := make([]SupplierCoverage, 0, len(bySupplier))
	for _, sc := range bySupplier {
		for _, mc := range modelsOf[sc.Supplier.ID] {
			// Worst first, then in an order that does not depend on the
			// order the database returned the cells in.
			slices.SortFunc(mc.Parts, func(a, b PartView) int {
				return cmp.Or(cmp.Compare(rank(b.Status), rank(a.Status)), cmp.Compare(a.Route, b.Route),
					cmp.Compare(mapLabel(a.MAP), mapLabel(b.MAP)), a.Until.Compare(b.Until))
			})
			switch mc.Status {
			case DCC:
				sc.DCC = append(sc.DCC, *mc)
			case Exempt:
				sc.Exempt = append(sc.Exempt, *mc)
			case DP087Gap:
				sc.DP087 = append(sc.DP087, *mc)
			default:
				sc.Models = append(sc.Models, *mc)
			}
		}
		byName := func(a, b ModelCoverage) int {
			return cmp.Or(cmp.Compare(a.Manufacturer.Code, b.Manufacturer.Code), cmp.Compare(a.Model.Code, b.Model.Code))
		}
		slices.SortFunc(sc.Models, func(a, b ModelCoverage) int {
			return cmp.Or(cmp.Compare(rank(b.Status), rank(a.Status)), byName(a, b))
		})
		slices.SortFunc(sc.DCC, byName)
		slices.SortFunc(sc.Exempt, byName)
		slices.SortFunc(sc.DP087, byName)
		out = append(out, *sc)
	}
	slices.SortFunc(out, func(a, b SupplierCoverage) int { return cmp.Compare(a.Supplier.Code, b.Supplier.Code) })
	return out, nil
}

// describe says why a part has its status, naming what the caller may see.
func describe(p Part, pv *PartView, mc *ModelCoverage, r *Rules) (string, bool) {
	// Plain concatenation, not fmt: a national report describes tens of
	// thousands of parts.
	model := mc.Manufacturer.Code + "/" + mc.Model.Code
	arr := func(i int) string {
		if i >= len(pv.Arrangements) {
			return "an arrangement"
		}
		a := pv.Arrangements[i]
		signed := ""
		if a.Kind == arrangement.LetterOfIntent && (p.Status == Covered || p.Arranged == arrangement.Binding) {
			signed = " (signed by both parties, so as good as a contract)"
		}
		if a.Visible {
			return a.KindLabel + " " + a.Reference + signed
		}
		return "a " + strings.ToLower(a.KindLabel[:1]) + a.KindLabel[1:] + " between " + strings.Join(a.Parties, " and ") + " (not shown to you)" + signed
	}
	mapCode := ""
	if pv.MAP != nil {
		mapCode = pv.MAP.Code
	}
	until := ""
	if !pv.Until.IsZero() {
		until = " It runs until " + pv.Until.String() + "."
	}
	const steps = " (accepted by the SSC as reasonable steps, not a contract)."
	switch p.Status {
	case DCC, Exempt:
		return p.Duty.Reason, p.Duty.KnownGap
	case DP087Gap:
		switch p.Arranged {
		case arrangement.Binding:
			via := arr(0)
			switch {
			case p.Route == RouteMAP:
				via = "through the owning MAP " + mapCode + ": " + arr(0) + ", and " + arr(1)
			case p.Route == RouteBuildStandard:
				via = "the SSC scheme (" + r.schemeReason(mc) + ")"
			}
			return p.Duty.Reason + " Covered anyway: " + via + "." + until, true
		case arrangement.Steps:
			return p.Duty.Reason + " Reasonable steps anyway: " + arr(0) + steps + until, true
		}
		return p.Duty.Reason + " No arrangement covers " + model + " for this Supplier either: when the correction takes effect it will be a gap.", true
	case Covered:
		switch p.Route {
		case RouteDirect:
			return "Covered directly: the Supplier's " + arr(0) + " with " + mc.Manufacturer.Code + " covers " + model + "." + until, false
		case RouteScheme:
			return "Covered by the SSC scheme: " + mc.Manufacturer.Code + ", " + arr(0) + "; " + r.schemeReason(mc) + "." + until, false
		case RouteBuildStandard:
			return "Covered by the SSC scheme without an enrolment record: " + mc.Manufacturer.Code + "/" + mc.Model.Code + " was " + r.schemeReason(mc) + ".", false
		case RouteMAP:
			return "Covered through the owning MAP " + mapCode + ": " + arr(0) + ", and " + arr(1) + "." + until, false
		}
	case Steps:
		if p.Route == RouteChurn {
			return "Reasonable steps: inherited on a change of supplier from " + p.Since.String() + ", inside the " +
				strconv.Itoa(r.Settings.ChurnWindowMonths) + "-month churn window (LC50.5), which closes for the first of them on " +
				p.Until.String() + "; contract with the MAP" + withCode(mapCode) + " or the manufacturer before then." + schemeNote(p), false
		}
		if len(pv.Arrangements) == 2 {
			return "Reasonable steps through the owning MAP " + mapCode + ": " + arr(0) + ", and " + arr(1) +
				", at least one of them a Letter of Intent or MoU" + steps + until, false
		}
		return "Reasonable steps: " + arr(0) + steps + until, false
	case Impracticable:
		return "Not practicable (accepted by the SSC): no contract or Letter of Intent covers " + model + ", and the SSC accepted on " +
			p.Practicability.DecidedOn.String() + " the Supplier's record" + impRef(p) + " that an arrangement with " + mc.Manufacturer.Code +
			" is not practicable (G3.20 binds \"wherever it is practicable to do so\").", false
	case Gap:
		via := "directly with " + mc.Manufacturer.Code
		if mapCode != "" {
			via += ", through the owning MAP " + mapCode
		}
		return "Gap: no contract or Letter of Intent covers " + model + " for this Supplier (" + via +
			", or the SSC scheme), and no churn window is open." + schemeNote(p) + practicabilityNote(p, mc.Manufacturer.Code), false
	}
	return "", false
}

func impRef(p Part) string {
	if p.Practicability == nil || p.Practicability.Reference == "" {
		return ""
	}
	return " " + p.Practicability.Reference
}

// practicabilityNote says, for a Gap, why a record that an arrangement is
// not practicable does not change it: pending or rejected ones do not.
func practicabilityNote(p Part, mfr string) string {
	if p.Practicability == nil {
		return ""
	}
	switch p.Practicability.State {
	case sec.ImpracticableRecorded:
		return " The Supplier's record" + impRef(p) + " that an arrangement with " + mfr + " is not practicable awaits the SSC's decision: until the SSC accepts it, it does not change the status."
	case sec.ImpracticableRejected:
		return " The SSC rejected, on " + p.Practicability.DecidedOn.String() + ", the Supplier's record" + impRef(p) + " that an arrangement with " + mfr + " is not practicable: the status stays a gap."
	case sec.ImpracticableWithdrawn:
		return " The Supplier withdrew its record" + impRef(p) + " that an arrangement with " + mfr + " is not practicable."
	}
	return ""
}

// arranged is a DP087-gap part's cover anyway, as a status.
func arranged(p Part) Status {
	if p.Status != DP087Gap {
		return ""
	}
	switch p.Arranged {
	case arrangement.Binding:
		return Covered
	case arrangement.Steps:
		return Steps
	}
	return ""
}

func schemeNote(p Part) string {
	if p.SchemeNote == "" {
		return ""
	}
	return " The SSC scheme does not reach this model: " + p.SchemeNote + "."
}

// schemeReason is sec.SchemeCovers's reason for a model the scheme covers.
func (r *Rules) schemeReason(mc *ModelCoverage) string {
	legacy := mc.Model.Certified.Before(sec.SchemeBuildStandardFrom)
	return sec.SchemeCovers(sec.SchemeQuery{Type: mc.Model.Type, Certified: mc.Model.Certified, Enrolled: true, Legacy: legacy}, r.Settings).Reason
}

func withCode(code string) string {
	if code == "" {
		return ""
	}
	return " " + code
}

func mapLabel(o *Org) string {
	if o == nil {
		return ""
	}
	return o.Code
}
