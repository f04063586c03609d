package catalogue

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Certificate is a CPA certificate of a model, covering some of its firmware
// versions.
type Certificate struct {
	ID        int64    `json:"id"`
	ModelID   int64    `json:"model_id"`
	Reference string   `json:"reference"`
	Issued    sec.Date `json:"issued"`
	Kind      CPAKind  `json:"kind"`
	Expiry    sec.Date `json:"expiry,omitzero"`  // expiring certificates
	Renewal   sec.Date `json:"renewal,omitzero"` // lifetime certificates (MP209)
	// Conditional certificates carry conditions to close by ConditionsDue.
	Conditional   bool     `json:"conditional"`
	Conditions    string   `json:"conditions,omitempty"`
	ConditionsDue sec.Date `json:"conditions_due,omitzero"`
	Withdrawn     sec.Date `json:"withdrawn,omitzero"`
	// WithdrawnReason says why it was withdrawn (empty for withdrawals
	// recorded before reasons were required, and by catalogue files).
	WithdrawnReason string `json:"withdrawn_reason,omitempty"`
	// Firmware lists the versions it covers, in version order.
	Firmware  []string  `json:"firmware"`
	Status    Status    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// check reports what is wrong with a certificate's own fields, named as the
// API names them: the same rules as the CSV format (ParseCatalogueRow).
func (c Certificate) check(p *problems) {
	if err := CheckCode(strings.ReplaceAll(c.Reference, "/", "-")); err != nil {
		p.add("reference", strings.Replace(err.Error(), "'.')", "'.', '/')", 1))
	}
	if c.Issued.IsZero() {
		p.add("issued", "is required (YYYY-MM-DD)")
	}
	switch c.Kind {
	case CPAExpiring:
		if c.Expiry.IsZero() {
			p.add("expiry", "an expiring certificate needs its expiry date")
		}
		if !c.Renewal.IsZero() {
			p.add("renewal", "an expiring certificate has an expiry date, not a renewal date")
		}
	case CPALifetime:
		if c.Renewal.IsZero() {
			p.add("renewal", "a lifetime certificate (MP209) needs its renewal date")
		}
		if !c.Expiry.IsZero() {
			p.add("expiry", "a lifetime certificate (MP209) has a renewal date, not an expiry date")
		}
	default:
		p.add("kind", "want expiring or lifetime")
	}
	if c.Conditional {
		if strings.TrimSpace(c.Conditions) == "" {
			p.add("conditions", "a conditional certificate needs its conditions")
		}
		if c.ConditionsDue.IsZero() {
			p.add("conditions_due", "a conditional certificate needs the date its conditions are due")
		}
	} else {
		if c.Conditions != "" {
			p.add("conditions", "only a conditional certificate has conditions")
		}
		if !c.ConditionsDue.IsZero() {
			p.add("conditions_due", "only a conditional certificate has a conditions due date")
		}
	}
	switch {
	case len(c.Conditions) > 4000:
		p.add("conditions", "is longer than 4000 bytes")
	case strings.ContainsFunc(c.Conditions, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }):
		p.add("conditions", "contains a control character")
	case strings.ToValidUTF8(c.Conditions, "\uFFFD") != c.Conditions:
		p.add("conditions", "is not valid UTF-8")
	}
	if c.Issued.IsZero() {
		return
	}
	if !c.Expiry.IsZero() && !c.Expiry.After(c.Issued) {
		p.add("expiry", "must be after the issue date "+c.Issued.String())
	}
	if !c.Renewal.IsZero() && !c.Renewal.After(c.Issued) {
		p.add("renewal", "must be after the issue date "+c.Issued.String())
	}
	if !c.ConditionsDue.IsZero() && c.ConditionsDue.Before(c.Issued) {
		p.add("conditions_due", "must be on or after the issue date "+c.Issued.String())
	}
	if !c.Withdrawn.IsZero() && c.Withdrawn.Before(c.Issued) {
		p.add("withdrawn", "must be on or after the issue date "+c.Issued.String())
	}
}

// same reports whether two certificates carry the same facts (not counting
// ids, firmware, status and times).
func (c Certificate) same(d Certificate) bool {
	return c.Reference == d.Reference && c.Issued == d.Issued && c.Kind == d.Kind && c.Expiry == d.Expiry &&
		c.Renewal == d.Renewal && c.Conditional == d.Conditional && c.Conditions == d.Conditions &&
		c.ConditionsDue == d.ConditionsDue && c.Withdrawn == d.Withdrawn && c.WithdrawnReason == d.WithdrawnReason
}

// certificateOf converts a CSV row's certificate.
func certificateOf(c CPACertificate) Certificate {
	return Certificate{Reference: c.Reference, Issued: dateOf(c.Issued), Kind: c.Kind, Expiry: dateOf(c.Expiry),
		Renewal: dateOf(c.Renewal), Conditional: c.Conditional, Conditions: c.Conditions,
		ConditionsDue: dateOf(c.ConditionsDue), Withdrawn: dateOf(c.Withdrawn), WithdrawnReason: c.WithdrawnReason}
}

// csv converts a certificate to the CSV row's form.
func (c Certificate) csv() CPACertificate {
	return CPACertificate{Reference: c.Reference, Issued: timeOf(c.Issued), Kind: c.Kind, Expiry: timeOf(c.Expiry),
		Renewal: timeOf(c.Renewal), Conditional: c.Conditional, Conditions: c.Conditions,
		ConditionsDue: timeOf(c.ConditionsDue), Withdrawn: timeOf(c.Withdrawn), WithdrawnReason: c.WithdrawnReason}
}

// dateOf is the date of a CSV time, the zero Date for the zero time.
func dateOf(t time.Time) sec.Date {
	if t.IsZero() {
		return sec.Date{}
	}
	return sec.DateOf(t)
}

func timeOf(d sec.Date) time.Time {
	if d.IsZero() {
		return time.Time{}
	}
	return d.Time()
}

// CertificateInput is what it takes to add a certificate. Dates are
// YYYY-MM-DD; Firmware names the versions of the model it covers.
type CertificateInput struct {
	Reference     string `json:"reference"`
	Issued        string `json:"issued"`
	Kind          string `json:"kind"`
	Expiry        string `json:"expiry,omitempty"`
	Renewal       string `json:"renewal,omitempty"`
	Conditional   bool   `json:"conditional,omitempty"`
	Conditions    string `json:"conditions,omitempty"`
	ConditionsDue string `json:"conditions_due,omitempty"`
	Withdrawn     string `json:"withdrawn,omitempty"`
	// WithdrawnReason is required with Withdrawn: a withdrawal always
	// records why.
	WithdrawnReason string   `json:"withdrawn_reason,omitempty"`
	Firmware        []string `json:"firmware"`
}

// CertificateUpdate changes a certificate; nil fields stay as they are and
// "" clears an optional date. The reference never changes: it is the
// certificate's key within its model.
type CertificateUpdate struct {
	Issued        *string   `json:"issued,omitempty"`
	Kind          *string   `json:"kind,omitempty"`
	Expiry        *string   `json:"expiry,omitempty"`
	Renewal       *string   `json:"renewal,omitempty"`
	Conditional   *bool     `json:"conditional,omitempty"`
	Conditions    *string   `json:"conditions,omitempty"`
	ConditionsDue *string   `json:"conditions_due,omitempty"`
	Withdrawn     *string   `json:"withdrawn,omitempty"`
	Firmware      *[]string `json:"firmware,omitempty"`
}

// Withdrawal withdraws a certificate from a date (today when empty), for a
// reason, which is required.
type Withdrawal struct {
	Date   string `json:"date,omitempty"`
	Reason string `json:"reason"`
}

// maxReason bounds a withdrawal's reason.
const maxReason = 2000

const certificateSelect = `SELECT c.id, c.model_id, c.reference, c.issued, c.kind, c.expires, c.renewal, c.conditional,
	c.conditions, c.conditions_due, c.withdrawn, c.withdrawn_reason, c.created_at, c.updated_at FROM cpa_certificates c`

func scanCertificates(rows *sql.Rows) ([]Certificate, error) {
	defer rows.Close()
	var out []Certificate
	for rows.Next() {
		var c Certificate
		if err := rows.Scan(&c.ID, &c.ModelID, &c.Reference, &c.Issued, &c.Kind, &c.Expiry, &c.Renewal, &c.Conditional,
			&c.Conditions, &c.ConditionsDue, &c.Withdrawn, &c.WithdrawnReason, &c.CreatedAt, &c.UpdatedAt); err != nil {
			return nil, errs.Wrap(err, "read certificate")
		}
		c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
		c.Firmware = []string{}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, "read certificates")
	}
	slices.SortFunc(out, func(a, b Certificate) int {
		if c := a.Issued.Compare(b.Issued); c != 0 {
			return c
		}
		return strings.Compare(a.Reference, b.Reference)
	})
	return out, nil
}

// ListCertificates returns a model's certificates, by issue date, with their
// statuses on asOf (today when zero).
func (s *Service) ListCertificates(ctx context.Context, c access.Caller, modelID int64, asOf sec.Date) ([]Certificate, error) {
	m, err := s.GetModel(ctx, c, modelID, asOf)
	return m.Certificates, err
}

// resolveFirmware finds the model's firmware named by versions.
func resolveFirmware(fws []Firmware, versions []string, p *problems) []int64 {
	if len(versions) == 0 {
		p.add("firmware", "name at least one firmware version of the model that the certificate covers")
		return nil
	}
	var ids []int64
	for i, v := range versions {
		v = strings.TrimSpace(v)
		at := slices.IndexFunc(fws, func(f Firmware) bool { return f.Version.String() == v })
		if at < 0 {
			p.add(fmt.Sprintf("firmware[%d]", i), fmt.Sprintf("the model has no firmware version %q", v))
			continue
		}
		if !slices.Contains(ids, fws[at].ID) {
			ids = append(ids, fws[at].ID)
		}
	}
	return ids
}

// AddCertificate records a CPA certificate of a model for some of its
// firmware versions.
func (s *Service) AddCertificate(ctx context.Context, c access.Caller, modelID int64, in CertificateInput) (Certificate, error) {
	if !MayCreate(c) {
		return Certificate{}, errMayNotCreate
	}
	var p problems
	cert := Certificate{ModelID: modelID, Reference: strings.TrimSpace(in.Reference), Kind: CPAKind(strings.ToLower(strings.TrimSpace(in.Kind))),
		Conditional: in.Conditional, Conditions: strings.TrimSpace(in.Conditions)}
	cert.Issued = p.date("issued", in.Issued, true)
	cert.Expiry = p.date("expiry", in.Expiry, false)
	cert.Renewal = p.date("renewal", in.Renewal, false)
	cert.ConditionsDue = p.date("conditions_due", in.ConditionsDue, false)
	cert.Withdrawn = p.date("withdrawn", in.Withdrawn, false)
	cert.WithdrawnReason = strings.TrimSpace(in.WithdrawnReason)
	switch {
	case strings.TrimSpace(in.Withdrawn) != "" && cert.WithdrawnReason == "":
		p.add("withdrawn_reason", "is required with withdrawn: why the certificate was withdrawn")
	case strings.TrimSpace(in.Withdrawn) == "" && cert.WithdrawnReason != "":
		p.add("withdrawn_reason", "only a withdrawn certificate has a withdrawal reason")
	case len(cert.WithdrawnReason) > maxReason:
		p.add("withdrawn_reason", fmt.Sprintf("is longer than %d bytes", maxReason))
	}
	if len(p) == 0 {
		cert.check(&p)
	}
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		m, err := editableModel(ctx, tx, c, modelID)
		if err != nil {
			return err
		}
		fws, _, err := modelDetail(ctx, tx, m.ID, sec.UKDay(tx.Now))
		if err != nil {
			return err
		}
		p := slices.Clone(p) // a retried transaction starts from the same problems
		ids := resolveFirmware(fws, in.Firmware, &p)
		if err := p.err("the certificate is not valid"); err != nil {
			return err
		}
		if cert, err = insertCertificate(ctx, tx, m, cert); err != nil {
			return err
		}
		if err := linkFirmware(ctx, tx, cert.ID, ids); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, "catalogue.certificate.create", "cpa_certificate", cert.ID, cert); err != nil {
			return err
		}
		return fillCertificate(ctx, tx, &cert)
	})
	return cert, err
}

func insertCertificate(ctx context.Context, tx *store.Tx, m Model, c Certificate) (Certificate, error) {
	c.ModelID, c.CreatedAt, c.UpdatedAt = m.ID, tx.Now, tx.Now
	err := tx.QueryRowContext(ctx, `INSERT INTO cpa_certificates (model_id, reference, issued, kind, expires, renewal,
		conditional, conditions, conditions_due, withdrawn, withdrawn_reason, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id`,
		m.ID, c.Reference, c.Issued, c.Kind, c.Expiry, c.Renewal, c.Conditional, c.Conditions, c.ConditionsDue,
		c.Withdrawn, c.WithdrawnReason, tx.Now).Scan(&c.ID)
	if store.IsUniqueViolation(err) {
		return c, errs.FieldError("reference", "model %s %s already has a certificate %s", m.Manufacturer, m.Code, c.Reference)
	}
	return c, errs.Wrap(err, "add certificate")
}

func linkFirmware(ctx context.Context, tx *store.Tx, certID int64, firmwareIDs []int64) error {
	for _, id := range firmwareIDs {
		if _, err := tx.ExecContext(ctx, "INSERT INTO cpa_certificate_firmware (certificate_id, firmware_id) VALUES ($1, $2)", certID, id); err != nil {
			return errs.Wrap(err, "link certificate to firmware")
		}
	}
	return nil
}

func updateCertificate(ctx context.Context, tx *store.Tx, c Certificate) error {
	_, err := tx.ExecContext(ctx, `UPDATE cpa_certificates SET issued = $1, kind = $2, expires = $3, renewal = $4,
		conditional = $5, conditions = $6, conditions_due = $7, withdrawn = $8, withdrawn_reason = $9, updated_at = $10 WHERE id = $11`,
		c.Issued, c.Kind, c.Expiry, c.Renewal, c.Conditional, c.Conditions, c.ConditionsDue, c.Withdrawn, c.WithdrawnReason, tx.Now, c.ID)
	return errs.Wrap(err, "update certificate")
}

// fillCertificate sets the firmware list and today's status of c.
func fillCertificate(ctx context.Context, tx *store.Tx, c *Certificate) error {
	_, certs, err := modelDetail(ctx, tx, c.ModelID, sec.UKDay(tx.Now))
	for _, x := range certs {
		if x.ID == c.ID {
			c.Firmware, c.Status = x.Firmware, x.Status
		}
	}
	return err
}

// certificateModel finds a certificate and its model, if the caller may
// change them; a certificate of a model the caller cannot see is not found.
func certificateModel(ctx context.Context, tx *store.Tx, c access.Caller, id int64) (Model, Certificate, error) {
	rows, err := tx.QueryContext(ctx, certificateSelect+" WHERE c.id = $1", id)
	if err != nil {
		return Model{}, Certificate{}, errs.Wrap(err, "get certificate")
	}
	certs, err := scanCertificates(rows)
	if err != nil {
		return Model{}, Certificate{}, err
	}
	if len(certs) == 0 {
		return Model{}, Certificate{}, errs.NotFoundf("certificate", id)
	}
	m, err := editableModel(ctx, tx, c, certs[0].ModelID)
	if errs.Is(err, errs.NotFound) {
		return m, Certificate{}, errs.NotFoundf("certificate", id)
	}
	if err != nil {
		return m, Certificate{}, err
	}
	cert := certs[0]
	return m, cert, fillCertificate(ctx, tx, &cert)
}

// UpdateCertificate changes a certificate's dates, kind, conditions or the
// firmware it covers.
func (s *Service) UpdateCertificate(ctx context.Context, c access.Caller, id int64, in CertificateUpdate) (Certificate, error) {
	if !MayCreate(c) {
		return Certificate{}, errMayNotCreate
	}
	var cert Certificate
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		m, before, err := certificateModel(ctx, tx, c, id)
		if err != nil {
			return err
		}
		cert = before
		var p problems
		if in.Issued != nil {
			cert.Issued = p.date("issued", *in.Issued, true)
		}
		if in.Kind != nil {
			cert.Kind = CPAKind(strings.ToLower(strings.TrimSpace(*in.Kind)))
		}
		if in.Expiry != nil {
			cert.Expiry = p.date("expiry", *in.Expiry, false)
		}
		if in.Renewal != nil {
			cert.Renewal = p.date("renewal", *in.Renewal, false)
		}
		if in.Conditional != nil {
			cert.Conditional = *in.Conditional
		}
		if in.Conditions != nil {
			cert.Conditions = strings.TrimSpace(*in.Conditions)
		}
		if in.ConditionsDue != nil {
			cert.ConditionsDue = p.date("conditions_due", *in.ConditionsDue, false)
		}
		if in.Withdrawn != nil {
			was := cert.Withdrawn
			cert.Withdrawn = p.date("withdrawn", *in.Withdrawn, false)
			switch {
			case cert.Withdrawn.IsZero():
				cert.WithdrawnReason = "" // reinstated
			case was.IsZero():
				// A withdrawal records its reason: it is made by
				// WithdrawCertificate, not by changing a date.
				p.add("withdrawn", "withdraw the certificate with the withdraw action, which records the reason")
			}
		}
		if len(p) == 0 {
			cert.check(&p)
		}
		var ids []int64
		if in.Firmware != nil {
			fws, _, err := modelDetail(ctx, tx, m.ID, sec.UKDay(tx.Now))
			if err != nil {
				return err
			}
			ids = resolveFirmware(fws, *in.Firmware, &p)
		}
		if err := p.err("the change is not valid"); err != nil {
			return err
		}
		changed := !cert.same(before)
		if changed {
			cert.UpdatedAt = tx.Now
			if err := updateCertificate(ctx, tx, cert); err != nil {
				return err
			}
		}
		if in.Firmware != nil {
			var linked []int64
			if err := func() error {
				rows, err := tx.QueryContext(ctx, "SELECT firmware_id FROM cpa_certificate_firmware WHERE certificate_id = $1", cert.ID)
				if err != nil {
					return err
				}
				defer rows.Close()
				for rows.Next() {
					var id int64
					if err := rows.Scan(&id); err != nil {
						return err
					}
					linked = append(linked, id)
				}
				return rows.Err()
			}(); err != nil {
				return errs.Wrap(err, "certificate firmware")
			}
			slices.Sort(linked)
			want := slices.Clone(ids)
			slices.Sort(want)
			if !slices.Equal(linked, want) {
				changed = true
				if _, err := tx.ExecContext(ctx, "DELETE FROM cpa_certificate_firmware WHERE certificate_id = $1", cert.ID); err != nil {
					return errs.Wrap(err, "relink certificate")
				}
				if err := linkFirmware(ctx, tx, cert.ID, ids); err != nil {
					return err
				}
			}
		}
		if err := fillCertificate(ctx, tx, &cert); err != nil {
			return err
		}
		if !changed {
			return nil
		}
		return audit.Record(ctx, tx, "catalogue.certificate.update", "cpa_certificate", cert.ID, cert)
	})
	return cert, err
}

// WithdrawCertificate records that a certificate was withdrawn on a date
// (today when none is given). From that day the firmware it covers counts as
// on a withdrawn certificate unless another certificate covers it.
func (s *Service) WithdrawCertificate(ctx context.Context, c access.Caller, id int64, in Withdrawal) (Certificate, error) {
	if !MayCreate(c) {
		return Certificate{}, errMayNotCreate
	}
	var cert Certificate
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		var err error
		if _, cert, err = certificateModel(ctx, tx, c, id); err != nil {
			return err
		}
		if !cert.Withdrawn.IsZero() {
			return errs.E(errs.Conflict, "certificate %s was already withdrawn on %s", cert.Reference, cert.Withdrawn)
		}
		var p problems
		d := p.date("date", in.Date, false)
		if d.IsZero() && len(p) == 0 {
			d = sec.UKDay(tx.Now)
		}
		if len(p) == 0 && d.Before(cert.Issued) {
			p.add("date", "must be on or after the issue date "+cert.Issued.String())
		}
		switch reason := strings.TrimSpace(in.Reason); {
		case reason == "":
			p.add("reason", "is required: why the certificate is withdrawn")
		case len(reason) > maxReason:
			p.add("reason", fmt.Sprintf("is longer than %d bytes", maxReason))
		default:
			cert.WithdrawnReason = reason
		}
		if err := p.err("the withdrawal is not valid"); err != nil {
			return err
		}
		cert.Withdrawn, cert.UpdatedAt = d, tx.Now
		if err := updateCertificate(ctx, tx, cert); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, "catalogue.certificate.withdraw", "cpa_certificate", cert.ID, cert); err != nil {
			return err
		}
		return fillCertificate(ctx, tx, &cert)
	})
	return cert, err
}
