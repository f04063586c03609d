package report

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audience"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/schedule"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/uk"
)

// RecordKind names reports in the audience tables, the audit trail and the
// delivery queue.
const RecordKind = "report"

func init() {
	// A report's recipient is in its AMBER audience by its column; the SSC
	// may name more organisations, or, for a RED standing report, change the
	// members it names.
	audience.Kinds[RecordKind] = audience.Kind{Table: "reports", OrgColumns: []string{"r.recipient_org_id"}}
}

// Scope is what a run generates.
type Scope string

// The scopes of a run.
const (
	// Monthly is the mailing: a report to every manufacturer and every
	// Supplier, each sent to its recipient through the delivery queue.
	Monthly Scope = "monthly"
	// Standing is the SSC's standing report, RED to the SSC members. It is
	// not mailed: RED content goes to no organisation's inbox.
	Standing Scope = "standing"
)

// Notifier queues a notice, in the caller's transaction, for an
// organisation's inbox, its security contacts' email and its webhooks: the
// delivery area's delivery.Notify. A nil Notifier sends nothing (the reports
// are stored all the same, and their delivery record says so).
type Notifier interface {
	Notify(ctx context.Context, tx *store.Tx, n delivery.Notice) (delivery.Sent, error)
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, tx *store.Tx, n delivery.Notice) (delivery.Sent, error)

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, tx *store.Tx, n delivery.Notice) (delivery.Sent, error) {
	return f(ctx, tx, n)
}

// Service generates, stores and serves the SSC's reports.
type Service struct {
	DB       *store.DB
	Notifier Notifier
	Sources  Sources
	Schedule Schedule
}

// NewService is a service on db with the default schedule, every source
// built so far, and the delivery queue for its notices.
func NewService(db *store.DB) *Service {
	return &Service{DB: db, Schedule: DefaultSchedule(), Sources: DefaultSources(db), Notifier: DeliveryQueue{}}
}

// RunOptions say how a run was asked for.
type RunOptions struct {
	// Force makes a new version of a month that has been run already (and,
	// for the monthly scope, mails it again). Without it a second run of a
	// month does nothing and returns the first.
	Force bool
	// Trigger says what started the run: "schedule", "cli", "api" or "ui".
	Trigger string
}

// Run is one generation of a month's reports.
type Run struct {
	ID        int64     `json:"id"`
	Scope     Scope     `json:"scope"`
	Month     Month     `json:"month"`
	Version   int       `json:"version"`
	Trigger   Trigger   `json:"trigger"`
	Forced    bool      `json:"forced"`
	Snapshot  *Snapshot `json:"snapshot,omitempty"`
	Reports   int       `json:"reports"`
	Digest    string    `json:"digest"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	// Repeat says the month had been run already: nothing was generated or
	// sent, and this is the run that had been.
	Repeat bool `json:"repeat"`
}

// MayRun reports whether the caller may generate reports: the SSC, its
// secretariat, and the system (the scheduler, an operator's command).
func MayRun(c access.Caller) bool { return c.System || c.IsSSC() }

// MayBrowseStanding reports whether the caller has the standing reports'
// page: the SSC, its secretariat and the system, whom the reports are for.
// (A RED standing report's other named readers open it from the list of
// reports, as List lets them.)
func MayBrowseStanding(c access.Caller) bool { return c.System || c.IsSSC() }

// Trigger is what started a run.
type Trigger string

// The triggers of a run.
const (
	TriggerSchedule Trigger = "schedule"
	TriggerCLI      Trigger = "cli"
	TriggerAPI      Trigger = "api"
	TriggerUI       Trigger = "ui"
)

var triggers = []string{string(TriggerSchedule), string(TriggerCLI), string(TriggerAPI), string(TriggerUI)}

// RunMonthly generates the monthly mailing for month m: to each manufacturer
// the Suppliers operating its Devices, to each Supplier every manufacturer's
// security contacts, each stored in four formats and queued for delivery to
// its recipient. Run again for the same month it does nothing unless forced;
// a forced run is a new version, mailed again.
func (s *Service) RunMonthly(ctx context.Context, c access.Caller, m Month, opts RunOptions) (Run, error) {
	return s.run(ctx, c, Monthly, m, opts, s.DB.Now())
}

// RunStanding generates the SSC's standing report for month m, RED to the
// SSC members. Like RunMonthly it does nothing for a month already run
// unless forced.
func (s *Service) RunStanding(ctx context.Context, c access.Caller, m Month, opts RunOptions) (Run, error) {
	return s.run(ctx, c, Standing, m, opts, s.DB.Now())
}

// Tick is the scheduled job: call it every few minutes. Once a month has
// ended (UK time) it snapshots the month's estate; from the month's due time
// (by default the first working day after it, 06:00) it runs the month's
// mailing and standing report unless they have run. It is idempotent, so
// several servers may all call it.
func (s *Service) Tick(ctx context.Context, now time.Time) error {
	local := now.In(s.Schedule.location())
	m := MonthAt(local).Add(-1)
	sys := access.SystemCaller("monthly reports")
	// A month that ended before the platform held anyone is not reported: a
	// new installation starts with the first month it saw end.
	var existed bool
	if err := s.DB.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM organisations WHERE created_at < $1)", m.End(s.Schedule.location()).UTC()).Scan(&existed); err != nil {
		return errs.Wrap(err, "monthly reports")
	}
	if !existed {
		return nil
	}
	if _, err := getSnapshot(ctx, s.DB, m); errors.Is(err, errNoSnapshot) {
		if err := s.DB.Write(ctx, sys, func(tx *store.Tx) error {
			_, err := takeSnapshot(ctx, tx, m, late(local, m))
			return err
		}); err != nil && !errs.Is(err, errs.Conflict) {
			return err
		}
	} else if err != nil {
		return err
	}
	if now.Before(s.Schedule.Due(m)) {
		return nil
	}
	for _, scope := range []Scope{Monthly, Standing} {
		if _, err := s.run(ctx, sys, scope, m, RunOptions{Trigger: "schedule"}, now); err != nil && !errs.Is(err, errs.Conflict) {
			return fmt.Errorf("%s reports for %s: %w", scope, m, err)
		}
	}
	return nil
}

// late says whether a snapshot of month m taken at local time is late: taken
// after the first day of the next month.
func late(local time.Time, m Month) bool { return sec.DateOf(local) != m.Add(1).First() }

// generated is one report ready to store.
type generated struct {
	doc         *Document
	recipientID int64 // 0 for a standing report
	files       []File
	digest      string
	// disclosed are the organisations the report names under its duty
	// although their markings would keep them from its recipient.
	disclosed []disclosure
}

func (s *Service) run(ctx context.Context, c access.Caller, scope Scope, m Month, opts RunOptions, now time.Time) (Run, error) {
	if !MayRun(c) {
		return Run{}, errs.E(errs.Forbidden, "only the SSC and its secretariat may generate reports")
	}
	if opts.Trigger == "" {
		opts.Trigger = "api"
	}
	if !slices.Contains(triggers, opts.Trigger) {
		return Run{}, errs.FieldError("trigger", "unknown trigger %q (one of %s)", opts.Trigger, strings.Join(triggers, ", "))
	}
	if m.IsZero() {
		return Run{}, errs.FieldError("month", "is required (YYYY-MM)")
	}
	loc := s.Schedule.location()
	if cur := MonthAt(now.In(loc)); !m.Before(cur) {
		return Run{}, errs.FieldError("month", "%s has not ended yet: a month's reports describe its last day, so they can be made from %s", m, uk.Day(m.Add(1).First().Time()))
	}
	last, err := latestRun(ctx, s.DB, scope, m)
	if err != nil {
		return Run{}, err
	}
	if last != nil && !opts.Force {
		last.Repeat = true
		return *last, nil
	}

	var snap *Snapshot
	if scope == Monthly {
		err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
			sn, err := takeSnapshot(ctx, tx, m, late(now.In(loc), m))
			snap = &sn
			return err
		})
		if err != nil {
			return Run{}, err
		}
	}
	version := 1
	var previous string
	if last != nil {
		version = last.Version + 1
		previous = Reference(StandingKind, m, "", last.Version)
	}
	genAt := s.DB.Now()

	var gens []generated
	err = s.DB.Read(ctx, c, func(tx *store.Tx) error {
		f, err := loadFacts(ctx, tx)
		if err != nil {
			return err
		}
		monthEnd := m.End(loc).UTC()
		if scope == Standing {
			data, err := standingData(ctx, tx, s.Sources, f, m)
			if err != nil {
				return err
			}
			d := &Document{Kind: StandingKind, Title: StandingKind.Label(), Month: m, Classification: sec.Red, Version: version,
				Reference: Reference(StandingKind, m, "", version), GeneratedAt: genAt, AsAt: monthEnd, Data: data,
				Sections: standingSections(data, m)}
			d.Notes = standingNotes(data, previous, genAt)
			gens = append(gens, generated{doc: d})
			return nil
		}
		// The figures describe the month's end: the snapshot taken then (or,
		// taken late, computed from the supply periods as at the month's
		// last day), and the contacts as their history shows them then. A
		// late snapshot from before that computation existed showed the
		// estate as it stood when taken: its reports say so, with the
		// contacts of the same moment.
		asAt := monthEnd
		var notes []string
		switch {
		case snap.Late && snap.Basis == BasisSupplyPeriods:
			// Computed from the supply periods as at the month's last
			// day: the figures and the contacts both describe the end.
			notes = append(notes, "No snapshot of the estate was taken when "+m.Label()+" ended, so the figures in this report were computed on "+
				uk.Date(snap.TakenAt)+" from the supply periods as at "+uk.Day(m.Last().Time())+
				": the estate as it stood at the end of the month.")
		case snap.Late:
			asAt = snap.TakenAt
			notes = append(notes, "No snapshot of the estate was taken when "+m.Label()+" ended, so this report shows the estate and the security contacts as recorded on "+
				uk.DateTime(snap.TakenAt)+", when the month was first reported; changes after the month ended are included.")
		}
		contacts, err := contactsAt(ctx, tx, asAt)
		if err != nil {
			return err
		}
		for _, duty := range sec.MonthlyDuties {
			for _, o := range f.recipients(duty) {
				open, err := openTo(ctx, tx, o.ID)
				if err != nil {
					return err
				}
				kind, sections := ManufacturerKind, []Section(nil)
				var data any
				var disclosed []disclosure
				if duty == sec.DutyOperatingSuppliers {
					rows, err := snapshotRows(ctx, tx, m, o.ID)
					if err != nil {
						return err
					}
					md, dis := manufacturerData(f, o, rows, open)
					data, sections, disclosed = md, manufacturerSections(md, m), dis
				} else {
					sd, dis := supplierData(f, o, contacts, open)
					kind, data, sections, disclosed = SupplierKind, sd, supplierSections(sd, m), dis
				}
				ref := o.own()
				prev := ""
				if last != nil {
					prev = Reference(kind, m, o.Code, last.Version)
				}
				d := &Document{Kind: kind, Title: kind.Label(), Month: m, Classification: sec.Amber, Version: version,
					Reference: Reference(kind, m, o.Code, version), Recipient: &ref, GeneratedAt: genAt, AsAt: asAt,
					Notes: append(slices.Clone(notes), versionNote(prev, genAt)...), Data: data, Sections: sections}
				gens = append(gens, generated{doc: d, recipientID: o.ID, disclosed: disclosed})
			}
		}
		return nil
	})
	if err != nil {
		return Run{}, err
	}

	var digests strings.Builder
	for i := range gens {
		g := &gens[i]
		if g.files, err = Render(g.doc); err != nil {
			return Run{}, errs.Wrap(err, "render report")
		}
		g.digest = Digest(g.files)
		fmt.Fprintf(&digests, "%s:%s\n", g.doc.Reference, g.digest)
	}
	run := Run{Scope: scope, Month: m, Version: version, Trigger: Trigger(opts.Trigger), Forced: opts.Force, Snapshot: snap,
		Reports: len(gens), Digest: sha256Hex([]byte(digests.String())), CreatedBy: c.Name}
	if run.CreatedBy == "" {
		run.CreatedBy = c.OrgCode
	}

	err = s.DB.Write(ctx, c, func(tx *store.Tx) error {
		cur, err := latestRun(ctx, tx, scope, m)
		if err != nil {
			return err
		}
		if !sameRun(cur, last) {
			if !opts.Force && cur != nil {
				cur.Repeat = true
				run = *cur
				return errRaced
			}
			return errs.E(errs.Conflict, "another run of the %s reports for %s finished first; run again to make the next version", scope, m)
		}
		run.CreatedAt = tx.Now
		var snapAt any
		snapLate := false
		if snap != nil {
			snapAt, snapLate = snap.TakenAt, snap.Late
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO report_runs
			(scope, month, version, trigger_by, forced, snapshot_taken_at, snapshot_late, reports, digest, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			string(scope), m.String(), version, string(run.Trigger), run.Forced, snapAt, snapLate, run.Reports, run.Digest, tx.Now, run.CreatedBy).Scan(&run.ID); err != nil {
			if store.IsUniqueViolation(err) {
				return errs.E(errs.Conflict, "another run of the %s reports for %s finished first; run again", scope, m)
			}
			return errs.Wrap(err, "store run")
		}
		var members []int64
		if scope == Standing {
			if members, err = sscMembers(ctx, tx); err != nil {
				return err
			}
		}
		for _, g := range gens {
			id, err := storeReport(ctx, tx, run.ID, g)
			if err != nil {
				return err
			}
			if scope == Standing {
				if err := audience.Write(ctx, tx, RecordKind, id, nil, members); err != nil {
					return err
				}
				continue
			}
			if err := recordDisclosures(ctx, tx, id, g); err != nil {
				return err
			}
			if err := s.notify(ctx, tx, id, g); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, "report.run", "report_run", run.ID, run)
	})
	if errors.Is(err, errRaced) {
		return run, nil
	}
	return run, err
}

var errRaced = errors.New("raced")

func sameRun(a, b *Run) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.ID == b.ID
}

func versionNote(previous string, at time.Time) []string {
	if previous == "" {
		return nil
	}
	return []string{"This report was generated again on " + uk.DateTime(at) + " and replaces " + previous + ", which remains on record."}
}

func standingNotes(d StandingData, previous string, at time.Time) []string {
	notes := versionNote(previous, at)
	if len(d.Unavailable) > 0 {
		notes = append(notes, "Sections not available in this report: "+strings.Join(d.Unavailable, ", ")+".")
	}
	return notes
}

// storeReport writes a report and its files. Nothing ever updates them.
func storeReport(ctx context.Context, tx *store.Tx, runID int64, g generated) (int64, error) {
	d := g.doc
	var recipient any
	if g.recipientID != 0 {
		recipient = g.recipientID
	}
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO reports
		(run_id, kind, month, version, reference, recipient_org_id, title, classification, digest, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		runID, string(d.Kind), d.Month.String(), d.Version, d.Reference, recipient, d.Title, string(d.Classification), g.digest, tx.Now).Scan(&id); err != nil {
		return 0, errs.Wrap(err, "store report")
	}
	for _, f := range g.files {
		if _, err := tx.ExecContext(ctx, `INSERT INTO report_files (report_id, format, media_type, size, sha256, content)
			VALUES ($1, $2, $3, $4, $5, $6)`, id, string(f.Format), f.Format.MediaType(), f.Size, f.SHA256, f.Bytes); err != nil {
			return 0, errs.Wrap(err, "store report file")
		}
	}
	return id, nil
}

// recordDisclosures writes the report's duty overrides beside it, each with
// its audit record in the same transaction: who (the recipient) was shown
// what (the organisation named) under which duty, and the marking it
// overrode. The audit trail holds ids and a digest, never names (package
// audit); the row holds the rest, readable by those who may read the report.
func recordDisclosures(ctx context.Context, tx *store.Tx, reportID int64, g generated) error {
	for _, d := range g.disclosed {
		if _, err := tx.ExecContext(ctx, `INSERT INTO report_disclosures (report_id, org_id, duty, marking, recipient, reason)
			VALUES ($1, $2, $3, $4, $5, $6)`, reportID, d.Org.ID, string(d.Duty), string(d.Org.Class), d.Recipient, d.Reason); err != nil {
			return errs.Wrap(err, "record disclosure")
		}
		state := struct {
			Report    string             `json:"report"`
			Recipient int64              `json:"recipient_org_id"`
			Named     int64              `json:"named_org_id"`
			Duty      sec.MonthlyDuty    `json:"duty"`
			Marking   sec.Classification `json:"marking"`
			Self      bool               `json:"recipient_itself"`
			Reason    string             `json:"reason"`
		}{g.doc.Reference, g.recipientID, d.Org.ID, d.Duty, d.Org.Class, d.Recipient, d.Reason}
		if err := audit.Record(ctx, tx, "report.duty_override", "report_disclosure", itoa(reportID)+"/"+itoa(d.Org.ID), state); err != nil {
			return err
		}
	}
	return nil
}

// notify queues the notice that tells the recipient its report is ready,
// with a link to it (the files are not attached: a notice goes by email and
// webhook, and the report stays where its classification is enforced), and
// records the delivery.
func (s *Service) notify(ctx context.Context, tx *store.Tx, id int64, g generated) error {
	d := g.doc
	emails, err := currentEmails(ctx, tx, g.recipientID)
	if err != nil {
		return err
	}
	var sent delivery.Sent
	if s.Notifier != nil {
		n := delivery.Notice{
			OrgID: g.recipientID, Kind: "report." + string(d.Kind), RecordKind: RecordKind, RecordID: id,
			Title: "SSC monthly report for " + d.Month.Label() + ": " + d.Title,
			Body: "The Security Sub-Committee's monthly report " + d.Reference + " for " + d.Recipient.String() + " is ready: " + d.Title + ", " + d.Month.Label() + ".\n" +
				"Sign in to metersec to read it or download it as CSV, JSON, HTML or PDF.\n" +
				"Classification: " + d.TLP() + ". " + d.Handling() + "\n" +
				"SHA-256 digest of the report: " + g.digest,
			Link:           "/reports/" + itoa(id),
			Classification: d.Classification,
			Data:           noticeData{Reference: d.Reference, Month: d.Month, Kind: d.Kind, Version: d.Version, Digest: g.digest, Files: g.files},
			Key:            "report:" + d.Reference,
		}
		if sent, err = s.Notifier.Notify(ctx, tx, n); err != nil {
			return err
		}
	} else {
		emails = nil
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO report_deliveries (report_id, org_id, notice_id, emails, webhooks, repeated, queued_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, g.recipientID, sent.NoticeID, strings.Join(emails, ", "), sent.Webhooks, sent.Repeat, tx.Now)
	return errs.Wrap(err, "record delivery")
}

type noticeData struct {
	Reference string `json:"reference"`
	Month     Month  `json:"month"`
	Kind      Kind   `json:"kind"`
	Version   int    `json:"version"`
	Digest    string `json:"digest"`
	Files     []File `json:"files"`
}

// currentEmails are the addresses the delivery queue emails for an
// organisation: its current security contacts, once each.
func currentEmails(ctx context.Context, tx *store.Tx, org int64) ([]string, error) {
	rows, err := tx.QueryContext(ctx, "SELECT email FROM security_contacts WHERE org_id = $1 AND valid_to IS NULL ORDER BY label", org)
	if err != nil {
		return nil, errs.Wrap(err, "security contacts")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return nil, errs.Wrap(err, "security contacts")
		}
		if !slices.ContainsFunc(out, func(x string) bool { return strings.EqualFold(x, e) }) {
			out = append(out, e)
		}
	}
	return out, errs.Wrap(rows.Err(), "security contacts")
}

const runColumns = "id, scope, month, version, trigger_by, forced, snapshot_taken_at, snapshot_late, reports, digest, created_at, created_by"

func scanRun(sc interface{ Scan(...any) error }) (Run, error) {
	var r Run
	var month string
	var snapAt *time.Time
	var snapLate bool
	err := sc.Scan(&r.ID, &r.Scope, &month, &r.Version, &r.Trigger, &r.Forced, &snapAt, &snapLate, &r.Reports, &r.Digest, &r.CreatedAt, &r.CreatedBy)
	if err != nil {
		return r, err
	}
	r.Month, _ = ParseMonth(month)
	r.CreatedAt = r.CreatedAt.UTC()
	if snapAt != nil {
		r.Snapshot = &Snapshot{Month: r.Month, TakenAt: snapAt.UTC(), Late: snapLate}
	}
	return r, nil
}

func latestRun(ctx context.Context, q store.Querier, scope Scope, m Month) (*Run, error) {
	r, err := scanRun(q.QueryRowContext(ctx, "SELECT "+runColumns+" FROM report_runs WHERE scope = $1 AND month = $2 ORDER BY version DESC LIMIT 1",
		string(scope), m.String()))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, errs.Wrap(err, "read run")
	}
	return &r, nil
}

// Runs lists runs, newest first, for the SSC and the secretariat.
func (s *Service) Runs(ctx context.Context, c access.Caller, limit int) ([]Run, error) {
	if !MayRun(c) {
		return nil, errs.E(errs.Forbidden, "only the SSC and its secretariat see the list of report runs")
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := s.DB.QueryContext(ctx, "SELECT "+runColumns+" FROM report_runs ORDER BY month DESC, scope, version DESC LIMIT $1", limit)
	if err != nil {
		return nil, errs.Wrap(err, "list runs")
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, errs.Wrap(err, "list runs")
		}
		out = append(out, r)
	}
	return out, errs.Wrap(rows.Err(), "list runs")
}

// Task is Tick as a scheduled task for serve: call it every few minutes
// (five is plenty; the month-end snapshot is taken at the first tick after
// midnight).
func (s *Service) Task(every time.Duration) schedule.Task {
	return schedule.Task{Name: "monthly reports", Every: every, Run: s.Tick}
}
