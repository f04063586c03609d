package vuln

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/advisory"
	"github.com/metersec/metersec/internal/audience"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/uk"
)

func init() {
	// Every recipient of a vulnerability is in its audience; only the SSC
	// may list that audience, or a Supplier would learn the others.
	audience.Kinds[Kind] = audience.Kind{Table: "vulnerabilities",
		OrgColumns: []string{"r.reporter_id", "r.manufacturer_id"}, Confidential: true, Kept: toldOrgs}
	audience.Kinds[RecipientKind] = audience.Kind{Table: "vuln_recipients"}
	audience.Kinds[PlanKind] = audience.Kind{Table: "vuln_plans", OrgColumns: []string{"r.org_id"}}
}

// Service runs vulnerability coordination.
type Service struct {
	DB       *store.DB
	Notifier Notifier
	// Settings and Versions answer who carries G3.17/G3.20 (sec.WhoCarries)
	// and when a reminder is due.
	Settings sec.Settings
	Versions sec.Versions
	// Publisher issues the CSAF advisories metersec exports.
	Publisher advisory.Publisher
	// Zone is where "today" is: the regime runs on UK time.
	Zone *time.Location
}

// NewService returns a service with the default settings and the
// illustrative SEC release table, delivering through n, or through the
// delivery outbox (Delivery) when n is nil.
func NewService(db *store.DB, n Notifier) *Service {
	if n == nil {
		n = Delivery
	}
	return &Service{
		DB:        db,
		Notifier:  n,
		Settings:  sec.DefaultSettings(),
		Versions:  sec.DefaultVersions(),
		Publisher: advisory.Publisher{Name: "metersec", Namespace: "https://metersec.example"},
		Zone:      uk.London,
	}
}

// today is the civil date of t where the regime runs.
func (s *Service) today(t time.Time) sec.Date {
	if s.Zone == nil {
		return sec.DateOf(t.UTC())
	}
	return sec.DateOf(t.In(s.Zone))
}

// vulnRow is the stored vulnerability, before shaping for a caller.
type vulnRow struct {
	ID             int64
	Ref            string
	Title          string
	Description    string
	Mitigation     string
	ReporterID     int64
	ManufacturerID int64
	State          sec.VulnState
	Material       sql.NullBool
	Rationale      string
	CVSSVector     string
	CVSSVersion    string
	CVSSScore      float64
	CVSSSeverity   string
	CVEs           string
	Classification sec.Classification
	DiscoveredOn   sec.Date
	ReportedOn     sec.Date
	Source         string
	ImportReport   string
	Revision       int
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

const vulnColumns = `v.id, v.ref, v.title, v.description, v.mitigation, v.reporter_id, v.manufacturer_id, v.state,
	v.material, v.materiality_rationale, v.cvss_vector, v.cvss_version, v.cvss_score, v.cvss_severity, v.cves,
	v.classification, v.discovered_on, v.reported_on, v.source, v.import_report, v.revision,
	v.created_at, v.updated_at`

func (v *vulnRow) scan(row interface{ Scan(...any) error }) error {
	err := row.Scan(&v.ID, &v.Ref, &v.Title, &v.Description, &v.Mitigation, &v.ReporterID, &v.ManufacturerID, &v.State,
		&v.Material, &v.Rationale, &v.CVSSVector, &v.CVSSVersion, &v.CVSSScore, &v.CVSSSeverity, &v.CVEs,
		&v.Classification, &v.DiscoveredOn, &v.ReportedOn, &v.Source, &v.ImportReport, &v.Revision,
		&v.CreatedAt, &v.UpdatedAt)
	v.CreatedAt, v.UpdatedAt = v.CreatedAt.UTC(), v.UpdatedAt.UTC()
	return err
}

// visibleVuln is the condition that the caller may see vulnerability v: its
// classification with its audience (every notified recipient is named in
// audience_orgs), the reporter and the manufacturer being implicitly in it.
func visibleVuln(args *access.Args, c access.Caller, alias string) string {
	return c.Visible(args, Kind, alias, alias+".reporter_id", alias+".manufacturer_id")
}

// findVuln reads a vulnerability by reference if the caller may see it. With
// lock, it also takes the row for the rest of the transaction (PostgreSQL
// FOR UPDATE; SQLite has one writer), so two changes to one vulnerability,
// or a change and Tick, never act on the same stale state.
func findVuln(ctx context.Context, q store.Querier, c access.Caller, ref string, lock bool) (vulnRow, error) {
	var args access.Args
	query := "SELECT " + vulnColumns + " FROM vulnerabilities v WHERE v.ref = " + args.Add(normRef(ref)) +
		" AND " + visibleVuln(&args, c, "v")
	if lock {
		query += store.ForUpdate(q, "v")
	}
	var v vulnRow
	err := v.scan(q.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return v, errs.NotFoundf("vulnerability", ref)
	}
	return v, errs.Wrap(err, "read vulnerability")
}

// lockVulnByID is findVuln for the system, by id.
func lockVulnByID(ctx context.Context, tx *store.Tx, id int64) (vulnRow, error) {
	query := "SELECT " + vulnColumns + " FROM vulnerabilities v WHERE v.id = $1" + store.ForUpdate(tx, "v")
	var v vulnRow
	err := v.scan(tx.QueryRowContext(ctx, query, id))
	return v, errs.Wrap(err, "read vulnerability")
}

// actorsFor lists the parts the caller plays on the vulnerability
// (sec.Actor), which the lifecycle tables check.
func actorsFor(ctx context.Context, q store.Querier, c access.Caller, v vulnRow) ([]sec.Actor, error) {
	var out []sec.Actor
	if c.System {
		out = append(out, sec.ActorSystem)
	}
	if c.IsSSC() {
		out = append(out, sec.ActorSSC)
	}
	if c.OrgID == 0 {
		return out, nil
	}
	if c.OrgID == v.ReporterID {
		out = append(out, sec.ActorReporter)
	}
	if c.OrgID == v.ManufacturerID {
		out = append(out, sec.ActorManufacturer)
	}
	// A Supplier or the DCC acts on the record once it has been told.
	rows, err := q.QueryContext(ctx, `SELECT role FROM vuln_recipients WHERE vuln_id = $1 AND org_id = $2
		AND active AND first_notified_at IS NOT NULL AND role IN ('supplier', 'dcc')`, v.ID, c.OrgID)
	if err != nil {
		return nil, errs.Wrap(err, "recipient roles")
	}
	defer rows.Close()
	for rows.Next() {
		var r Role
		if err := rows.Scan(&r); err != nil {
			return nil, errs.Wrap(err, "recipient roles")
		}
		switch r {
		case RoleSupplier:
			out = append(out, sec.ActorSupplier)
		case RoleDCC:
			out = append(out, sec.ActorDCC)
		}
	}
	return out, errs.Wrap(rows.Err(), "recipient roles")
}

// transitionError turns a lifecycle refusal into the one error type: no such
// move is a conflict with the record's state, a move the caller may not make
// is forbidden.
func transitionError(err error) error {
	var te *sec.TransitionError
	if !errors.As(err, &te) {
		return err
	}
	if errors.Is(err, sec.ErrNotPermitted) {
		return errs.E(errs.Forbidden, "%s", te.Error())
	}
	return errs.E(errs.Conflict, "%s", te.Error())
}

// actorRecipient marks timeline entries made by a recipient about its own
// row (seen, acknowledged): not a lifecycle actor, a label for people who
// may not know who.
const actorRecipient sec.Actor = "recipient"

// eventInput is one timeline entry to write.
type eventInput struct {
	Kind        string
	Event       string
	From, To    string
	Note        string
	RecipientID int64
	PlanID      int64
	Private     bool // shown only with the recipient row or plan
	ActorAs     sec.Actor
	Revision    bool // a change to what the vulnerability says (CSAF revision history)
	System      bool // metersec acted, inside someone's request
}

func addEvent(ctx context.Context, tx *store.Tx, vulnID int64, e eventInput) error {
	return addEvents(ctx, tx, vulnID, []eventInput{e})
}

// addEvents writes timeline entries, many in one statement.
func addEvents(ctx context.Context, tx *store.Tx, vulnID int64, es []eventInput) error {
	for chunk := range slices.Chunk(es, 100) {
		var args access.Args
		values := make([]string, len(chunk))
		vid, at := args.Add(vulnID), args.Add(tx.Now)
		for i, e := range chunk {
			a := tx.Actor
			if e.System {
				a = access.SystemCaller("fan-out")
			}
			values[i] = "(" + strings.Join([]string{vid, at, args.Add(e.Kind), args.Add(e.Event), args.Add(e.From), args.Add(e.To),
				args.Add(e.Note), args.Add(nullID(e.RecipientID)), args.Add(nullID(e.PlanID)), args.Add(e.Private),
				args.Add(string(e.ActorAs)), args.Add(nullID(a.OrgID)), args.Add(nullID(a.UserID)), args.Add(actorName(a)),
				args.Add(e.Revision)}, ", ") + ")"
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO vuln_events (vuln_id, at, kind, event, from_state, to_state, note,
			recipient_id, plan_id, private, actor_as, actor_org_id, actor_user_id, actor_name, revision) VALUES `+
			strings.Join(values, ", "), args...); err != nil {
			return errs.Wrap(err, "timeline")
		}
	}
	return nil
}

func actorName(c access.Caller) string {
	switch {
	case c.System:
		return "metersec (" + c.Name + ")"
	case c.Name != "":
		return c.Name
	}
	return "unknown"
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// firstActor picks the actor to record for a move: the first of the
// caller's actors that the table lets make it.
func firstActor(allowed []sec.Actor, held []sec.Actor) sec.Actor {
	for _, a := range held {
		for _, b := range allowed {
			if a == b {
				return a
			}
		}
	}
	return ""
}

// toldOrgs are the organisations already notified of vulnerability id: its
// audience may grow, but never lose them.
func toldOrgs(ctx context.Context, q store.Querier, id int64) ([]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT org_id FROM vuln_recipients
		WHERE vuln_id = $1 AND first_notified_at IS NOT NULL ORDER BY org_id`, id)
	if err != nil {
		return nil, errs.Wrap(err, "told recipients")
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var oid int64
		if err := rows.Scan(&oid); err != nil {
			return nil, errs.Wrap(err, "told recipients")
		}
		out = append(out, oid)
	}
	return out, errs.Wrap(rows.Err(), "told recipients")
}
