package catalogue

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Firmware is one firmware version of a model: a CPL entry.
type Firmware struct {
	ID        int64           `json:"id"`
	ModelID   int64           `json:"model_id"`
	Version   FirmwareVersion `json:"version"`
	Released  sec.Date        `json:"released,omitzero"`
	ImageHash string          `json:"image_hash,omitempty"` // SHA-256 of the Manufacturer Image, lowercase hex
	// Certificates are the references of the CPA certificates covering it;
	// Status is its standing on the date asked for (FirmwareStatus).
	Certificates []string  `json:"certificates"`
	Status       Status    `json:"status"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// FirmwareInput is what it takes to add a firmware version.
type FirmwareInput struct {
	Version   string `json:"version"`
	Released  string `json:"released,omitempty"`   // YYYY-MM-DD
	ImageHash string `json:"image_hash,omitempty"` // 64 hex digits
}

// FirmwareUpdate sets a firmware version's release date or image hash; nil
// fields stay as they are, "" clears one. The version text never changes: it
// is the firmware's key.
type FirmwareUpdate struct {
	Released  *string `json:"released,omitempty"`
	ImageHash *string `json:"image_hash,omitempty"`
}

// problems collects field problems of one input.
type problems []errs.Field

func (p *problems) add(field, msg string) {
	if msg != "" {
		*p = append(*p, errs.Field{Field: field, Message: msg})
	}
}

func (p problems) err(msg string) error {
	if len(p) == 0 {
		return nil
	}
	return errs.Fields(msg, p...)
}

// date reads an optional date field.
func (p *problems) date(field, s string, required bool) sec.Date {
	s = strings.TrimSpace(s)
	if s == "" {
		if required {
			p.add(field, "is required (YYYY-MM-DD)")
		}
		return sec.Date{}
	}
	d, err := sec.ParseDate(s)
	if err != nil {
		p.add(field, "is not a date: want YYYY-MM-DD, for example 2024-01-02")
	}
	return d
}

// hash reads an optional image hash.
func (p *problems) hash(field, s string) string {
	s = strings.TrimSpace(s)
	if s != "" && (len(s) != 64 || !allHex(s)) {
		p.add(field, "want a SHA-256 hash as 64 hex digits")
		return ""
	}
	return strings.ToLower(s)
}

const firmwareSelect = "SELECT f.id, f.model_id, f.version, f.released, f.image_hash, f.created_at, f.updated_at FROM firmware_versions f"

func scanFirmware(rows *sql.Rows) ([]Firmware, error) {
	defer rows.Close()
	var out []Firmware
	for rows.Next() {
		var f Firmware
		var version string
		if err := rows.Scan(&f.ID, &f.ModelID, &version, &f.Released, &f.ImageHash, &f.CreatedAt, &f.UpdatedAt); err != nil {
			return nil, errs.Wrap(err, "read firmware")
		}
		v, err := ParseFirmwareVersion(version)
		if err != nil {
			return nil, errs.Wrap(err, "read firmware")
		}
		f.Version, f.CreatedAt, f.UpdatedAt = v, f.CreatedAt.UTC(), f.UpdatedAt.UTC()
		f.Certificates = []string{}
		out = append(out, f)
	}
	return out, errs.Wrap(rows.Err(), "read firmware")
}

// modelDetail reads a model's firmware (in version order) and certificates,
// with their statuses on asOf.
func modelDetail(ctx context.Context, q store.Querier, modelID int64, asOf sec.Date) ([]Firmware, []Certificate, error) {
	rows, err := q.QueryContext(ctx, firmwareSelect+" WHERE f.model_id = $1", modelID)
	if err != nil {
		return nil, nil, errs.Wrap(err, "list firmware")
	}
	fws, err := scanFirmware(rows)
	if err != nil {
		return nil, nil, err
	}
	slices.SortFunc(fws, func(a, b Firmware) int { return Compare(a.Version, b.Version) })
	rows, err = q.QueryContext(ctx, certificateSelect+" WHERE c.model_id = $1", modelID)
	if err != nil {
		return nil, nil, errs.Wrap(err, "list certificates")
	}
	certs, err := scanCertificates(rows)
	if err != nil {
		return nil, nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT cf.certificate_id, cf.firmware_id FROM cpa_certificate_firmware cf
		JOIN cpa_certificates c ON c.id = cf.certificate_id WHERE c.model_id = $1`, modelID)
	if err != nil {
		return nil, nil, errs.Wrap(err, "list certificate firmware")
	}
	defer rows.Close()
	fwAt := map[int64]int{}
	for i, f := range fws {
		fwAt[f.ID] = i
	}
	certAt := map[int64]int{}
	for i, c := range certs {
		certAt[c.ID] = i
	}
	covering := make([][]Certificate, len(fws))
	type link struct{ cert, fw int }
	var links []link
	for rows.Next() {
		var cid, fid int64
		if err := rows.Scan(&cid, &fid); err != nil {
			return nil, nil, errs.Wrap(err, "read certificate firmware")
		}
		links = append(links, link{certAt[cid], fwAt[fid]})
	}
	if err := rows.Err(); err != nil {
		return nil, nil, errs.Wrap(err, "read certificate firmware")
	}
	// Links in firmware order, so each certificate lists its versions in the
	// catalogue's order.
	slices.SortFunc(links, func(a, b link) int { return a.fw - b.fw })
	for _, l := range links {
		certs[l.cert].Firmware = append(certs[l.cert].Firmware, fws[l.fw].Version.String())
		covering[l.fw] = append(covering[l.fw], certs[l.cert])
	}
	for i := range certs {
		certs[i].Status = CertificateStatus(certs[i], asOf)
	}
	for i := range fws {
		for _, c := range covering[i] {
			fws[i].Certificates = append(fws[i].Certificates, c.Reference)
		}
		fws[i].Status = FirmwareStatus(covering[i], asOf)
	}
	return fws, certs, nil
}

// ListFirmware returns a model's firmware in the catalogue's version order
// (see Compare), each with its certificate status on asOf (today when zero).
func (s *Service) ListFirmware(ctx context.Context, c access.Caller, modelID int64, asOf sec.Date) ([]Firmware, error) {
	m, err := s.GetModel(ctx, c, modelID, asOf)
	return m.Firmware, err
}

// AddFirmware adds a firmware version to a model.
func (s *Service) AddFirmware(ctx context.Context, c access.Caller, modelID int64, in FirmwareInput) (Firmware, error) {
	if !MayCreate(c) {
		return Firmware{}, errMayNotCreate
	}
	var p problems
	text := strings.TrimSpace(in.Version)
	v, err := ParseFirmwareVersion(text)
	if err != nil {
		p.add("version", err.Error())
	}
	f := Firmware{ModelID: modelID, Version: v, Certificates: []string{}, Status: Status{State: Uncertified}}
	f.Released = p.date("released", in.Released, false)
	f.ImageHash = p.hash("image_hash", in.ImageHash)
	if err := p.err("the firmware version is not valid"); err != nil {
		return f, err
	}
	err = s.DB.Write(ctx, c, func(tx *store.Tx) error {
		m, err := editableModel(ctx, tx, c, modelID)
		if err != nil {
			return err
		}
		if f, err = insertFirmware(ctx, tx, m, f); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "catalogue.firmware.create", "firmware_version", f.ID, f)
	})
	return f, err
}

func insertFirmware(ctx context.Context, tx *store.Tx, m Model, f Firmware) (Firmware, error) {
	f.ModelID, f.CreatedAt, f.UpdatedAt = m.ID, tx.Now, tx.Now
	err := tx.QueryRowContext(ctx, `INSERT INTO firmware_versions (model_id, version, released, image_hash, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`, m.ID, f.Version.String(), f.Released, f.ImageHash, tx.Now).Scan(&f.ID)
	if store.IsUniqueViolation(err) {
		return f, errs.FieldError("version", "model %s %s already has firmware %s", m.Manufacturer, m.Code, f.Version)
	}
	if f.Certificates == nil {
		f.Certificates = []string{}
	}
	return f, errs.Wrap(err, "add firmware")
}

// firmwareModel finds the model of a firmware version the caller may change;
// a firmware version of a model the caller cannot see is not found.
func firmwareModel(ctx context.Context, tx *store.Tx, c access.Caller, id int64) (Model, Firmware, error) {
	rows, err := tx.QueryContext(ctx, firmwareSelect+" WHERE f.id = $1", id)
	if err != nil {
		return Model{}, Firmware{}, errs.Wrap(err, "get firmware")
	}
	fws, err := scanFirmware(rows)
	if err != nil {
		return Model{}, Firmware{}, err
	}
	if len(fws) == 0 {
		return Model{}, Firmware{}, errs.NotFoundf("firmware", id)
	}
	m, err := editableModel(ctx, tx, c, fws[0].ModelID)
	if errs.Is(err, errs.NotFound) {
		return m, Firmware{}, errs.NotFoundf("firmware", id)
	}
	return m, fws[0], err
}

// UpdateFirmware sets a firmware version's release date or image hash.
func (s *Service) UpdateFirmware(ctx context.Context, c access.Caller, id int64, in FirmwareUpdate) (Firmware, error) {
	if !MayCreate(c) {
		return Firmware{}, errMayNotCreate
	}
	var f Firmware
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		m, before, err := firmwareModel(ctx, tx, c, id)
		if err != nil {
			return err
		}
		f = before
		var p problems
		if in.Released != nil {
			f.Released = p.date("released", *in.Released, false)
		}
		if in.ImageHash != nil {
			f.ImageHash = p.hash("image_hash", *in.ImageHash)
		}
		if err := p.err("the change is not valid"); err != nil {
			return err
		}
		if f.Released == before.Released && f.ImageHash == before.ImageHash {
			return fillFirmware(ctx, tx, m, &f)
		}
		f.UpdatedAt = tx.Now
		if err := updateFirmware(ctx, tx, f); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, "catalogue.firmware.update", "firmware_version", f.ID, f); err != nil {
			return err
		}
		return fillFirmware(ctx, tx, m, &f)
	})
	return f, err
}

// fillFirmware sets the certificates and status of f as the model page shows
// them today.
func fillFirmware(ctx context.Context, tx *store.Tx, m Model, f *Firmware) error {
	fws, _, err := modelDetail(ctx, tx, m.ID, sec.UKDay(tx.Now))
	for _, x := range fws {
		if x.ID == f.ID {
			f.Certificates, f.Status = x.Certificates, x.Status
		}
	}
	return err
}

func updateFirmware(ctx context.Context, tx *store.Tx, f Firmware) error {
	_, err := tx.ExecContext(ctx, "UPDATE firmware_versions SET released = $1, image_hash = $2, updated_at = $3 WHERE id = $4",
		f.Released, f.ImageHash, tx.Now, f.ID)
	return errs.Wrap(err, "update firmware")
}

// FirmwareStatusOn is the CPA certificate status on d of one firmware version
// of a model, for another area's service that has the ids from the estate (a
// Triage Facility receiving a Device). It ignores visibility: the calling
// service decides what its caller may see. A firmware id not of the model is
// Uncertified.
func FirmwareStatusOn(ctx context.Context, q store.Querier, modelID, firmwareID int64, d sec.Date) (Status, error) {
	fws, _, err := modelDetail(ctx, q, modelID, d)
	if err != nil {
		return Status{}, err
	}
	for _, f := range fws {
		if f.ID == firmwareID {
			return f.Status, nil
		}
	}
	return Status{State: Uncertified, Reason: "not a firmware version of the model in the catalogue"}, nil
}
