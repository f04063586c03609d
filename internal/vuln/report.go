package vuln

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/advisory"
	"github.com/metersec/metersec/internal/audience"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/validate"
)

// NewVulnerability is a report.
type NewVulnerability struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	Mitigation  string `json:"mitigation,omitempty"`
	// Manufacturer is the code of the manufacturer of the affected models;
	// a manufacturer reporting on its own products may leave it out.
	Manufacturer string          `json:"manufacturer,omitempty"`
	Affected     []AffectedInput `json:"affected"`
	// CVSS is a CVSS v3.1 or v4.0 vector; it is validated and scored.
	CVSS string   `json:"cvss,omitempty"`
	CVEs []string `json:"cves,omitempty"`
	// Material, when given, judges the report at once (triage or
	// mark_not_material, as the reporter), with the rationale.
	Material             *bool  `json:"material,omitempty"`
	MaterialityRationale string `json:"materiality_rationale,omitempty"`
	// Classification is AMBER when empty. Only the SSC marks a report RED
	// (it then names the SSC member reporting it).
	Classification string   `json:"classification,omitempty"`
	DiscoveredOn   sec.Date `json:"discovered_on,omitzero"`
	// Reporter is the reporting organisation's code, for the system only
	// (the CLI and imports); people report for their own organisation.
	Reporter string `json:"reporter,omitempty"`
	// Source records where the report came from (e.g. a CSAF tracking id).
	Source string `json:"-"`
	// importReport is kept with an imported vulnerability.
	importReport *ImportReport
}

const (
	maxTitle = 200
	maxText  = 20000
)

var cveRE = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,19}$`)

// fields are the checked, normalised parts of a report or an update that do
// not need the database.
type fields struct {
	cvss           *advisory.CVSS
	cves           []string
	classification sec.Classification
}

func checkText(col *errs.Collector, field, v string, max int, required bool) {
	switch {
	case required && strings.TrimSpace(v) == "":
		col.Add(errs.Field{Field: field, Message: "required"})
	case !utf8.ValidString(v):
		col.Add(errs.Field{Field: field, Message: "is not valid UTF-8"})
	case utf8.RuneCountInString(v) > max:
		col.Add(errs.Field{Field: field, Message: fmt.Sprintf("is too long (at most %d characters)", max)})
	case strings.ContainsRune(v, 0):
		col.Add(errs.Field{Field: field, Message: "contains a NUL character"})
	}
}

// checkTitle: a title is one line, as it heads every notice and email.
func checkTitle(col *errs.Collector, title string) {
	if m := validate.Text(title, maxTitle); m != "" {
		col.Add(errs.Field{Field: "title", Message: m})
	}
}

func checkCVSS(col *errs.Collector, vector string) *advisory.CVSS {
	if strings.TrimSpace(vector) == "" {
		return nil
	}
	c, err := advisory.ParseCVSS(strings.TrimSpace(vector))
	if err != nil {
		col.Add(errs.Field{Field: "cvss", Message: errs.As(err).Message})
		return nil
	}
	return &c
}

func checkCVEs(col *errs.Collector, in []string) []string {
	var out []string
	for i, cve := range in {
		cve = strings.ToUpper(strings.TrimSpace(cve))
		switch {
		case !cveRE.MatchString(cve):
			col.Add(errs.Field{Field: fmt.Sprintf("cves[%d]", i), Message: fmt.Sprintf("%q is not a CVE id (CVE-YYYY-NNNN)", in[i])})
		case slices.Contains(out, cve):
			col.Add(errs.Field{Field: fmt.Sprintf("cves[%d]", i), Message: cve + " is listed twice"})
		default:
			out = append(out, cve)
		}
	}
	slices.Sort(out)
	return out
}

// checkClass reads a classification; RED only for the SSC, which names its
// own member so that someone can read it.
func checkClass(col *errs.Collector, c access.Caller, s string) sec.Classification {
	if strings.TrimSpace(s) == "" {
		return sec.Amber
	}
	cl, err := sec.ParseClassification(s)
	if err != nil {
		col.Add(errs.Field{Field: "classification", Message: err.Error()})
		return ""
	}
	if cl == sec.Red && !(c.IsSSC() && c.UserID != 0) {
		col.Add(errs.Field{Field: "classification", Message: "only an SSC member or the secretariat marks a vulnerability RED (it then names them)"})
	}
	return cl
}

// MayReport is who may report: a manufacturer, a Supplier, the DCC, the SSC
// and its secretariat (G3.17/G3.18; seeds/000), or the system. Report and
// ImportCSAF decide with it; the web layer asks it whether to offer the form.
func MayReport(c access.Caller) bool {
	return c.System || c.IsSSC() || c.HasAny(sec.RoleManufacturer, sec.RoleSupplier, sec.RoleDCC)
}

// ReportsOwnProducts reports whether the caller's own organisation is the
// manufacturer of a report or CSAF import that names none: a manufacturer
// reports on its own products. The report form says so.
func ReportsOwnProducts(c access.Caller) bool { return c.Has(sec.RoleManufacturer) }

// Report records a vulnerability. It is checked whole (every problem listed
// at once), numbered MSV-YYYY-NNNN, fanned out at once (the manufacturer is
// told if someone else reports it), and, when Material is given, judged at
// once: material sends it to everyone operating affected Devices in the same
// transaction.
func (s *Service) Report(ctx context.Context, c access.Caller, in NewVulnerability) (Vulnerability, error) {
	if !c.SignedIn() {
		return Vulnerability{}, errs.E(errs.Unauthenticated, "sign in to report a vulnerability")
	}
	if !MayReport(c) {
		return Vulnerability{}, errs.E(errs.Forbidden, "vulnerabilities are reported by manufacturers, Suppliers, the DCC and the SSC")
	}
	var col errs.Collector
	in.Title, in.Description, in.Mitigation = strings.TrimSpace(in.Title), strings.TrimSpace(in.Description), strings.TrimSpace(in.Mitigation)
	checkTitle(&col, in.Title)
	checkText(&col, "description", in.Description, maxText, true)
	checkText(&col, "mitigation", in.Mitigation, maxText, false)
	f := fields{cvss: checkCVSS(&col, in.CVSS), cves: checkCVEs(&col, in.CVEs), classification: checkClass(&col, c, in.Classification)}
	in.MaterialityRationale = strings.TrimSpace(in.MaterialityRationale)
	checkText(&col, "materiality_rationale", in.MaterialityRationale, maxNote, in.Material != nil)
	if in.Material == nil && in.MaterialityRationale != "" {
		col.Add(errs.Field{Field: "material", Message: "say whether it is material, or leave the rationale out"})
	}
	if c.System && in.Reporter == "" {
		col.Add(errs.Field{Field: "reporter", Message: "required: the code of the reporting organisation"})
	}
	if !c.System && in.Reporter != "" && !strings.EqualFold(in.Reporter, c.OrgCode) {
		col.Add(errs.Field{Field: "reporter", Message: "you report for your own organisation"})
	}
	var out string
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		col := col // a retried transaction starts from the checks made before it
		today := s.today(tx.Now)
		if !in.DiscoveredOn.IsZero() && in.DiscoveredOn.After(today) {
			col.Add(errs.Field{Field: "discovered_on", Message: fmt.Sprintf("%s is in the future", in.DiscoveredOn)})
		}
		reporter := c.OrgID
		if c.System && in.Reporter != "" {
			var err error
			if reporter, err = orgByCode(ctx, tx, in.Reporter, "reporter", sec.Manufacturer, sec.LargeSupplier, sec.SmallSupplier, sec.DCC, sec.SSC, sec.Secretariat); err != nil {
				if !errs.Is(err, errs.Invalid) {
					return err
				}
				addFields(&col, err)
			}
		}
		manufacturer, err := s.manufacturerFor(ctx, tx, c, in.Manufacturer)
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				return err
			}
			addFields(&col, err)
		}
		if col.Count() > 0 {
			return col.Err("the report is not valid")
		}
		ranges, err := checkRanges(ctx, tx, c, manufacturer, in.Affected)
		if err != nil {
			return err
		}
		ref, err := nextRef(ctx, tx, today.Time().Year())
		if err != nil {
			return err
		}
		var imp string
		if in.importReport != nil {
			imp = mustJSON(in.importReport)
		}
		var id int64
		err = tx.QueryRowContext(ctx, `INSERT INTO vulnerabilities (ref, title, description, mitigation, reporter_id,
			manufacturer_id, state, cvss_vector, cvss_version, cvss_score, cvss_severity, cves, classification,
			discovered_on, reported_on, source, import_report, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18) RETURNING id`,
			ref, in.Title, in.Description, in.Mitigation, reporter, manufacturer, string(sec.VulnLifecycle.Initial()),
			cvssVector(f.cvss), cvssVersion(f.cvss), cvssScore(f.cvss), cvssSeverity(f.cvss), strings.Join(f.cves, ","),
			f.classification, in.DiscoveredOn, today, in.Source, imp, tx.Now).Scan(&id)
		if err != nil {
			return errs.Wrap(err, "report vulnerability")
		}
		if f.classification == sec.Red {
			if err := audience.Write(ctx, tx, Kind, id, nil, []int64{c.UserID}); err != nil {
				return err
			}
		}
		if err := writeRanges(ctx, tx, id, ranges); err != nil {
			return err
		}
		if _, err := syncFirmware(ctx, tx, id, ranges); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, id, eventInput{Kind: "reported", To: string(sec.VulnStateReported), Revision: true,
			ActorAs: sec.ActorReporter, Note: in.Source}); err != nil {
			return err
		}
		v, err := lockVulnByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, "vuln.report", Kind, id, v); err != nil {
			return err
		}
		if in.Material != nil {
			// The reporter judges its own report: the table decides whether
			// it may (it may, as the reporter).
			actors := []sec.Actor{sec.ActorReporter}
			if c.IsSSC() {
				actors = append(actors, sec.ActorSSC)
			}
			ev := sec.VulnEventMarkNotMaterial
			if *in.Material {
				ev = sec.VulnEventTriage
			}
			if err := s.move(ctx, tx, &v, ev, actors, in.MaterialityRationale, false); err != nil {
				return err
			}
			if *in.Material {
				out = ref
				return nil // move fanned out
			}
		}
		if _, err := s.fanout(ctx, tx, v); err != nil {
			return err
		}
		out = ref
		return nil
	})
	if err != nil {
		return Vulnerability{}, err
	}
	return s.Get(ctx, c, out)
}

// manufacturerFor resolves the manufacturer a report names, defaulting to
// the caller's own organisation when it is a manufacturer.
func (s *Service) manufacturerFor(ctx context.Context, q store.Querier, c access.Caller, code string) (int64, error) {
	if strings.TrimSpace(code) == "" {
		if ReportsOwnProducts(c) {
			return c.OrgID, nil
		}
		return 0, errs.FieldError("manufacturer", "required: the code of the manufacturer of the affected models")
	}
	return orgByCode(ctx, q, code, "manufacturer", sec.Manufacturer)
}

// orgByCode finds an organisation holding one of the roles. Codes are
// identifiers, not secrets: the error does not say whether the code exists
// with other roles.
func orgByCode(ctx context.Context, q store.Querier, code, field string, roles ...sec.OrgRole) (int64, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if m := validate.Code(code); m != "" {
		return 0, errs.FieldError(field, "%q %s", code, m)
	}
	args := []any{code}
	ph := make([]string, len(roles))
	for i, r := range roles {
		args = append(args, string(r))
		ph[i] = fmt.Sprintf("$%d", i+2)
	}
	var id int64
	err := q.QueryRowContext(ctx, `SELECT o.id FROM organisations o WHERE o.code = $1 AND EXISTS
		(SELECT 1 FROM organisation_roles r WHERE r.org_id = o.id AND r.role IN (`+strings.Join(ph, ", ")+`))`, args...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		names := make([]string, len(roles))
		for i, r := range roles {
			names[i] = r.Label()
		}
		return 0, errs.FieldError(field, "no %s has the code %s", strings.Join(names, " or "), code)
	}
	return id, errs.Wrap(err, "organisation")
}

// nextRef hands out the next MSV-YYYY-NNNN. The counter row is taken for the
// rest of the transaction, so two reports never get one number.
func nextRef(ctx context.Context, tx *store.Tx, year int) (string, error) {
	var n int
	err := tx.QueryRowContext(ctx, `INSERT INTO vuln_refs (year, last) VALUES ($1, 1)
		ON CONFLICT (year) DO UPDATE SET last = vuln_refs.last + 1 RETURNING last`, year).Scan(&n)
	if err != nil {
		return "", errs.Wrap(err, "vulnerability reference")
	}
	return fmt.Sprintf("MSV-%04d-%04d", year, n), nil
}

var refRE = regexp.MustCompile(`^MSV-[0-9]{4}-[0-9]{4,}$`)

// normRef upper-cases a reference; anything that is not one finds nothing.
func normRef(ref string) string { return strings.ToUpper(strings.TrimSpace(ref)) }

func cvssVector(c *advisory.CVSS) string {
	if c == nil {
		return ""
	}
	return c.Vector
}

func cvssVersion(c *advisory.CVSS) string {
	if c == nil {
		return ""
	}
	return c.Version
}

func cvssScore(c *advisory.CVSS) float64 {
	if c == nil {
		return 0
	}
	return c.Score
}

func cvssSeverity(c *advisory.CVSS) string {
	if c == nil {
		return ""
	}
	return c.Severity
}

// Update changes what a vulnerability says. Nil fields are left alone.
type Update struct {
	Title          *string          `json:"title,omitempty"`
	Description    *string          `json:"description,omitempty"`
	Mitigation     *string          `json:"mitigation,omitempty"`
	Affected       *[]AffectedInput `json:"affected,omitempty"`
	CVSS           *string          `json:"cvss,omitempty"`
	CVEs           *[]string        `json:"cves,omitempty"`
	Classification *string          `json:"classification,omitempty"`
	DiscoveredOn   *sec.Date        `json:"discovered_on,omitempty"`
	// Reason says what changed, for the revision history.
	Reason string `json:"reason"`
}

// Update changes a vulnerability: the reporter, the manufacturer and the SSC
// may, while it is open. A change adds a revision, re-runs the fan-out (new
// ranges may reach new Suppliers, who are told) and tells the recipients
// already told. Only the SSC marks a vulnerability RED or lifts RED.
func (s *Service) Update(ctx context.Context, c access.Caller, ref string, in Update) (Vulnerability, error) {
	if !c.SignedIn() {
		return Vulnerability{}, errs.E(errs.Unauthenticated, "sign in to change a vulnerability")
	}
	var col errs.Collector
	in.Reason = strings.TrimSpace(in.Reason)
	checkText(&col, "reason", in.Reason, maxNote, true)
	if in.Title != nil {
		*in.Title = strings.TrimSpace(*in.Title)
		checkTitle(&col, *in.Title)
	}
	if in.Description != nil {
		*in.Description = strings.TrimSpace(*in.Description)
		checkText(&col, "description", *in.Description, maxText, true)
	}
	if in.Mitigation != nil {
		*in.Mitigation = strings.TrimSpace(*in.Mitigation)
		checkText(&col, "mitigation", *in.Mitigation, maxText, false)
	}
	var f fields
	if in.CVSS != nil {
		f.cvss = checkCVSS(&col, *in.CVSS)
	}
	if in.CVEs != nil {
		f.cves = checkCVEs(&col, *in.CVEs)
	}
	if in.Classification != nil {
		f.classification = checkClass(&col, c, *in.Classification)
	}
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		col := col // a retried transaction starts from the checks made before it
		v, err := findVuln(ctx, tx, c, ref, true)
		if err != nil {
			return err
		}
		actors, err := actorsFor(ctx, tx, c, v)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(actors, func(a sec.Actor) bool {
			return a == sec.ActorReporter || a == sec.ActorManufacturer || a == sec.ActorSSC
		}) {
			return errs.E(errs.Forbidden, "only the reporter, the manufacturer and the SSC may change %s", v.Ref)
		}
		if v.State.IsClosed() {
			return errs.E(errs.Conflict, "%s is %s: reopen it before changing it", v.Ref, v.State)
		}
		if in.DiscoveredOn != nil && in.DiscoveredOn.After(s.today(tx.Now)) {
			col.Add(errs.Field{Field: "discovered_on", Message: fmt.Sprintf("%s is in the future", *in.DiscoveredOn)})
		}
		if in.Classification != nil && v.Classification == sec.Red && f.classification != sec.Red && !c.IsSSC() {
			col.Add(errs.Field{Field: "classification", Message: "only the SSC lifts RED"})
		}
		if col.Count() > 0 {
			return col.Err("the change is not valid")
		}
		var ranges []rangeRow
		if in.Affected != nil {
			if ranges, err = checkRanges(ctx, tx, c, v.ManufacturerID, *in.Affected); err != nil {
				return err
			}
		}
		before := v
		if in.Title != nil {
			v.Title = *in.Title
		}
		if in.Description != nil {
			v.Description = *in.Description
		}
		if in.Mitigation != nil {
			v.Mitigation = *in.Mitigation
		}
		if in.CVSS != nil {
			v.CVSSVector, v.CVSSVersion, v.CVSSScore, v.CVSSSeverity = cvssVector(f.cvss), cvssVersion(f.cvss), cvssScore(f.cvss), cvssSeverity(f.cvss)
		}
		if in.CVEs != nil {
			v.CVEs = strings.Join(f.cves, ",")
		}
		if in.Classification != nil {
			v.Classification = f.classification
		}
		if in.DiscoveredOn != nil {
			v.DiscoveredOn = *in.DiscoveredOn
		}
		v.Revision++
		if _, err := tx.ExecContext(ctx, `UPDATE vulnerabilities SET title = $1, description = $2, mitigation = $3,
			cvss_vector = $4, cvss_version = $5, cvss_score = $6, cvss_severity = $7, cves = $8, classification = $9,
			discovered_on = $10, revision = $11, updated_at = $12 WHERE id = $13`,
			v.Title, v.Description, v.Mitigation, v.CVSSVector, v.CVSSVersion, v.CVSSScore, v.CVSSSeverity, v.CVEs,
			v.Classification, v.DiscoveredOn, v.Revision, tx.Now, v.ID); err != nil {
			return errs.Wrap(err, "update vulnerability")
		}
		if v.Classification == sec.Red && before.Classification != sec.Red {
			if err := audience.Write(ctx, tx, Kind, v.ID, nil, []int64{c.UserID}); err != nil {
				return err
			}
		}
		if in.Affected != nil {
			if err := writeRanges(ctx, tx, v.ID, ranges); err != nil {
				return err
			}
			if _, err := syncFirmware(ctx, tx, v.ID, ranges); err != nil {
				return err
			}
		}
		if err := addEvent(ctx, tx, v.ID, eventInput{Kind: "updated", Note: in.Reason, Revision: true,
			ActorAs: firstActor([]sec.Actor{sec.ActorReporter, sec.ActorManufacturer, sec.ActorSSC}, actors)}); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, "vuln.update", Kind, v.ID, v); err != nil {
			return err
		}
		if err := s.notifyActive(ctx, tx, v, "updated", fmt.Sprintf("revision:%d", v.Revision), "updated: "+v.Title); err != nil {
			return err
		}
		if _, err := s.fanout(ctx, tx, v); err != nil {
			return err
		}
		return s.completeNotify(ctx, tx, &v)
	})
	if err != nil {
		return Vulnerability{}, err
	}
	return s.Get(ctx, c, ref)
}

// addFields copies an error's field problems into col.
func addFields(col *errs.Collector, err error) {
	e := errs.As(err)
	if len(e.Fields) == 0 {
		col.Add(errs.Field{Message: e.Message})
	}
	for _, f := range e.Fields {
		col.Add(f)
	}
}
