package catalogue

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// KindModel names Device Model records in the audience tables. Firmware and
// certificates are seen by whoever sees their model.
const KindModel = "device_model"

// Service runs the catalogue.
type Service struct {
	DB *store.DB
}

// Model is a Device Model of a manufacturer.
type Model struct {
	ID             int64              `json:"id"`
	ManufacturerID int64              `json:"manufacturer_id"`
	Manufacturer   string             `json:"manufacturer"` // the manufacturer's organisation code
	Code           string             `json:"code"`
	Name           string             `json:"name"`
	DeviceType     sec.DeviceType     `json:"device_type"`
	Generation     sec.Generation     `json:"generation"`
	Hardware       string             `json:"hardware_version"`
	Classification sec.Classification `json:"classification"`
	FirmwareCount  int                `json:"firmware_count"`
	CreatedAt      time.Time          `json:"created_at"`
	UpdatedAt      time.Time          `json:"updated_at"`
	// Firmware (in the catalogue's version order) and Certificates come with
	// a single model, not with listings.
	Firmware     []Firmware    `json:"firmware,omitempty"`
	Certificates []Certificate `json:"certificates,omitempty"`
	// AsOf is the date the statuses of firmware and certificates are for.
	AsOf sec.Date `json:"as_of,omitzero"`
}

// Filter narrows a listing or an export of models.
type Filter struct {
	Manufacturer string         // organisation code
	DeviceType   sec.DeviceType // "" for any
	Generation   sec.Generation // "" for any
	Query        string         // text in the model's code or name, any case
}

// MayEditAny reports whether the caller may change any manufacturer's
// models: the SSC and its secretariat, and the system. Anyone else adds
// models for its own organisation only (the form says so).
func MayEditAny(c access.Caller) bool { return c.System || c.IsSSC() }

// mayEdit reports whether the caller may change the models of the
// manufacturer: a manufacturer's users change only their own.
func mayEdit(c access.Caller, manufacturerID int64) bool {
	return MayEditAny(c) || (c.Has(sec.RoleManufacturer) && c.OrgID == manufacturerID)
}

// MayCreate reports whether the caller may add models at all (its own, for a
// manufacturer); the UI uses it to offer the forms.
func MayCreate(c access.Caller) bool { return MayEditAny(c) || c.Has(sec.RoleManufacturer) }

// MayEdit reports whether the caller may change the model, its firmware and
// its certificates.
func MayEdit(c access.Caller, m Model) bool { return mayEdit(c, m.ManufacturerID) }

var errMayNotCreate = errs.E(errs.Forbidden, "only manufacturers (for their own models), SSC members and the secretariat may change the catalogue")

func errMayNotEdit(m Model) error {
	return errs.E(errs.Forbidden, "model %s %s belongs to %s: a manufacturer changes only its own models; SSC members and the secretariat change any", m.Manufacturer, m.Code, m.Manufacturer)
}

const (
	modelColumns = `m.id, m.manufacturer_id, o.code, m.code, m.name, m.device_type, m.generation,
	m.hardware_version, m.classification, m.created_at, m.updated_at,
	(SELECT COUNT(*) FROM firmware_versions fc WHERE fc.model_id = m.id)`
	modelFrom   = " FROM device_models m JOIN organisations o ON o.id = m.manufacturer_id"
	modelSelect = "SELECT " + modelColumns + modelFrom
)

// modelWhere is the caller's visibility of models (alias m), and the filter.
func modelWhere(c access.Caller, args *access.Args, f Filter) string {
	where := []string{c.Visible(args, KindModel, "m", "m.manufacturer_id")}
	if f.Manufacturer != "" {
		where = append(where, "o.code = "+args.Add(strings.ToUpper(strings.TrimSpace(f.Manufacturer))))
	}
	if f.DeviceType != "" {
		where = append(where, "m.device_type = "+args.Add(string(f.DeviceType)))
	}
	if f.Generation != "" {
		where = append(where, "m.generation = "+args.Add(string(f.Generation)))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		like := args.Add("%" + strings.ToLower(q) + "%")
		where = append(where, "(lower(m.code) LIKE "+like+" OR lower(m.name) LIKE "+like+")")
	}
	return strings.Join(where, " AND ")
}

// ListModels returns the models the caller may see, by manufacturer and code.
func (s *Service) ListModels(ctx context.Context, c access.Caller, f Filter) ([]Model, error) {
	var args access.Args
	rows, err := s.DB.QueryContext(ctx, modelSelect+" WHERE "+modelWhere(c, &args, f), args...)
	if err != nil {
		return nil, errs.Wrap(err, "list models")
	}
	ms, err := scanModels(rows)
	if err != nil {
		return nil, err
	}
	// Sorted here, not in SQL, so both engines give one order whatever their
	// collation.
	slices.SortFunc(ms, func(a, b Model) int {
		if c := strings.Compare(a.Manufacturer, b.Manufacturer); c != 0 {
			return c
		}
		if c := strings.Compare(strings.ToLower(a.Code), strings.ToLower(b.Code)); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
	return ms, nil
}

func scanModels(rows *sql.Rows) ([]Model, error) {
	defer rows.Close()
	var out []Model
	for rows.Next() {
		m, err := scanModel(rows)
		if err != nil {
			return nil, errs.Wrap(err, "read model")
		}
		out = append(out, m)
	}
	return out, errs.Wrap(rows.Err(), "read models")
}

// scanModel reads one row of modelColumns.
func scanModel(r interface{ Scan(...any) error }) (Model, error) {
	var m Model
	err := r.Scan(&m.ID, &m.ManufacturerID, &m.Manufacturer, &m.Code, &m.Name, &m.DeviceType, &m.Generation,
		&m.Hardware, &m.Classification, &m.CreatedAt, &m.UpdatedAt, &m.FirmwareCount)
	m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
	return m, err
}

// getModel returns the model if the caller may see it.
func getModel(ctx context.Context, q store.Querier, c access.Caller, id int64) (Model, error) {
	args := access.Args{id}
	rows, err := q.QueryContext(ctx, modelSelect+" WHERE m.id = $1 AND "+modelWhere(c, &args, Filter{}), args...)
	if err != nil {
		return Model{}, errs.Wrap(err, "get model")
	}
	ms, err := scanModels(rows)
	if err != nil {
		return Model{}, err
	}
	if len(ms) == 0 {
		return Model{}, errs.NotFoundf("Device Model", id)
	}
	return ms[0], nil
}

// editableModel returns the model if the caller may see and change it.
func editableModel(ctx context.Context, q store.Querier, c access.Caller, id int64) (Model, error) {
	m, err := getModel(ctx, q, c, id)
	if err != nil {
		return m, err
	}
	if !mayEdit(c, m.ManufacturerID) {
		return m, errMayNotEdit(m)
	}
	return m, nil
}

// GetModel returns one model with its firmware in version order and its
// certificates, their statuses as of date asOf (today when zero).
func (s *Service) GetModel(ctx context.Context, c access.Caller, id int64, asOf sec.Date) (Model, error) {
	var m Model
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		var err error
		if m, err = getModel(ctx, tx, c, id); err != nil {
			return err
		}
		if asOf.IsZero() {
			asOf = sec.UKDay(tx.Now)
		}
		m.AsOf = asOf
		m.Firmware, m.Certificates, err = modelDetail(ctx, tx, m.ID, asOf)
		return err
	})
	return m, err
}

// ModelInput is what it takes to add a model.
type ModelInput struct {
	// Manufacturer is the manufacturer's organisation code; a manufacturer's
	// user may leave it out for its own organisation.
	Manufacturer   string `json:"manufacturer,omitempty"`
	Code           string `json:"code"`
	Name           string `json:"name,omitempty"`
	DeviceType     string `json:"device_type"`
	Generation     string `json:"generation"`
	Hardware       string `json:"hardware_version"`
	Classification string `json:"classification,omitempty"` // GREEN when not given
}

// ModelUpdate changes a model; nil fields stay as they are. The code and the
// manufacturer never change: other records and import files name the model by
// them.
type ModelUpdate struct {
	Name           *string `json:"name,omitempty"`
	DeviceType     *string `json:"device_type,omitempty"`
	Generation     *string `json:"generation,omitempty"`
	Hardware       *string `json:"hardware_version,omitempty"`
	Classification *string `json:"classification,omitempty"`
}

// checkName checks a model's optional display name.
func checkName(s string) string {
	switch {
	case utf8.RuneCountInString(s) > 200:
		return "is too long (at most 200 characters)"
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case strings.ContainsFunc(s, isControl):
		return "must be one line with no control characters"
	}
	return ""
}

// checkHardware checks a hardware version: required free text of at most 64
// bytes, as the CSV format has it.
func checkHardware(s string) string {
	switch {
	case s == "":
		return "is required"
	case len(s) > 64:
		return "is longer than 64 bytes"
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case strings.ContainsFunc(s, isControl):
		return "must be one line with no control characters"
	}
	return ""
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

// parseModelClass reads a model's classification. A catalogue entry is never
// RED: RED names people, and a product list is for organisations.
func parseModelClass(s string) (sec.Classification, string) {
	if strings.TrimSpace(s) == "" {
		return sec.Green, ""
	}
	cl, err := sec.ParseClassification(s)
	if err != nil {
		return "", "want WHITE, GREEN or AMBER"
	}
	if cl == sec.Red {
		return "", "a catalogue entry is WHITE, GREEN or AMBER, never RED (RED names people, not organisations)"
	}
	return cl, ""
}

// CreateModel adds a Device Model.
func (s *Service) CreateModel(ctx context.Context, c access.Caller, in ModelInput) (Model, error) {
	if !MayCreate(c) {
		return Model{}, errMayNotCreate
	}
	in.Manufacturer = strings.ToUpper(strings.TrimSpace(in.Manufacturer))
	if in.Manufacturer == "" && c.Has(sec.RoleManufacturer) {
		in.Manufacturer = c.OrgCode
	}
	in.Code, in.Name, in.Hardware = strings.TrimSpace(in.Code), strings.TrimSpace(in.Name), strings.TrimSpace(in.Hardware)
	m := Model{Manufacturer: in.Manufacturer, Code: in.Code, Name: in.Name, Hardware: in.Hardware}
	var fields []errs.Field
	add := func(field, msg string) {
		if msg != "" {
			fields = append(fields, errs.Field{Field: field, Message: msg})
		}
	}
	if in.Manufacturer == "" {
		add("manufacturer", "is required")
	}
	if err := CheckCode(in.Code); err != nil {
		add("code", err.Error())
	}
	add("name", checkName(in.Name))
	var err error
	if m.DeviceType, err = sec.ParseDeviceType(in.DeviceType); err != nil {
		add("device_type", "want one of ESME, GSME, CHF, GPF, PPMID, HCALCS, IHD")
	}
	if m.Generation, err = sec.ParseGeneration(in.Generation); err != nil {
		add("generation", "want SMETS1 or SMETS2+")
	}
	add("hardware_version", checkHardware(in.Hardware))
	var msg string
	m.Classification, msg = parseModelClass(in.Classification)
	add("classification", msg)
	if len(fields) > 0 {
		return Model{}, errs.Fields("the Device Model is not valid", fields...)
	}
	if !MayEditAny(c) && in.Manufacturer != c.OrgCode {
		// Checked before looking the code up, so a manufacturer learns
		// nothing about other organisations' codes.
		return Model{}, errs.E(errs.Forbidden, "a manufacturer adds models only for itself (%s), not for %s", c.OrgCode, in.Manufacturer)
	}
	err = s.DB.Write(ctx, c, func(tx *store.Tx) error {
		mfr, err := manufacturerByCode(ctx, tx, in.Manufacturer)
		if err != nil {
			return err
		}
		if !mayEdit(c, mfr.ID) {
			return errs.E(errs.Forbidden, "a manufacturer adds models only for itself (%s), not for %s", c.OrgCode, mfr.Code)
		}
		m.ManufacturerID = mfr.ID
		if m, err = insertModel(ctx, tx, m); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "catalogue.model.create", KindModel, m.ID, m)
	})
	return m, err
}

func insertModel(ctx context.Context, tx *store.Tx, m Model) (Model, error) {
	m.CreatedAt, m.UpdatedAt = tx.Now, tx.Now
	err := tx.QueryRowContext(ctx, `INSERT INTO device_models (manufacturer_id, code, name, device_type, generation,
		hardware_version, classification, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`,
		m.ManufacturerID, m.Code, m.Name, m.DeviceType, m.Generation, m.Hardware, m.Classification, tx.Now).Scan(&m.ID)
	if store.IsUniqueViolation(err) {
		return m, errs.FieldError("code", "%s already has a model %s (codes are unique per manufacturer, ignoring case)", m.Manufacturer, m.Code)
	}
	return m, errs.Wrap(err, "create model")
}

// manufacturerRef is an organisation found by code for the catalogue.
type manufacturerRef struct {
	ID   int64
	Code string
}

// manufacturerByCode finds an organisation holding the Manufacturer role.
func manufacturerByCode(ctx context.Context, q store.Querier, code string) (manufacturerRef, error) {
	var ref manufacturerRef
	var isMfr bool
	err := q.QueryRowContext(ctx, `SELECT o.id, o.code, EXISTS (SELECT 1 FROM organisation_roles r
		WHERE r.org_id = o.id AND r.role = 'manufacturer') FROM organisations o WHERE o.code = $1`, code).Scan(&ref.ID, &ref.Code, &isMfr)
	switch {
	case err == sql.ErrNoRows:
		return ref, errs.FieldError("manufacturer", "no organisation has the code %s", code)
	case err != nil:
		return ref, errs.Wrap(err, "find manufacturer")
	case !isMfr:
		return ref, errs.FieldError("manufacturer", "%s does not hold the Manufacturer role", code)
	}
	return ref, nil
}

// installed reports whether the estate has Devices of the model: its type
// and generation are then repeated in the portfolio aggregates and may not
// change under them.
func installed(ctx context.Context, q store.Querier, modelID int64) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM portfolio WHERE model_id = $1 AND devices > 0", modelID).Scan(&n)
	return n > 0, errs.Wrap(err, "installed devices of model")
}

// UpdateModel changes a model's name, type, generation, hardware version or
// classification. Type and generation are fixed once Devices of the model are
// installed.
func (s *Service) UpdateModel(ctx context.Context, c access.Caller, id int64, in ModelUpdate) (Model, error) {
	if !MayCreate(c) {
		return Model{}, errMayNotCreate
	}
	var m Model
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		var err error
		if m, err = editableModel(ctx, tx, c, id); err != nil {
			return err
		}
		before := m
		var fields []errs.Field
		add := func(field, msg string) {
			if msg != "" {
				fields = append(fields, errs.Field{Field: field, Message: msg})
			}
		}
		if in.Name != nil {
			m.Name = strings.TrimSpace(*in.Name)
			add("name", checkName(m.Name))
		}
		if in.DeviceType != nil {
			if m.DeviceType, err = sec.ParseDeviceType(*in.DeviceType); err != nil {
				add("device_type", "want one of ESME, GSME, CHF, GPF, PPMID, HCALCS, IHD")
			}
		}
		if in.Generation != nil {
			if m.Generation, err = sec.ParseGeneration(*in.Generation); err != nil {
				add("generation", "want SMETS1 or SMETS2+")
			}
		}
		if in.Hardware != nil {
			m.Hardware = strings.TrimSpace(*in.Hardware)
			add("hardware_version", checkHardware(m.Hardware))
		}
		if in.Classification != nil {
			var msg string
			m.Classification, msg = parseModelClass(*in.Classification)
			add("classification", msg)
		}
		if len(fields) > 0 {
			return errs.Fields("the change is not valid", fields...)
		}
		if m.Name == before.Name && m.DeviceType == before.DeviceType && m.Generation == before.Generation &&
			m.Hardware == before.Hardware && m.Classification == before.Classification {
			return nil
		}
		if m.DeviceType != before.DeviceType || m.Generation != before.Generation {
			inst, err := installed(ctx, tx, m.ID)
			if err != nil {
				return err
			}
			if inst {
				return errs.E(errs.Conflict, "Devices of model %s %s are installed as %s %s: its type and generation can no longer change", m.Manufacturer, m.Code, before.Generation, before.DeviceType)
			}
		}
		m.UpdatedAt = tx.Now
		if err := updateModel(ctx, tx, m); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "catalogue.model.update", KindModel, m.ID, m)
	})
	return m, err
}

func updateModel(ctx context.Context, tx *store.Tx, m Model) error {
	_, err := tx.ExecContext(ctx, `UPDATE device_models SET name = $1, device_type = $2, generation = $3,
		hardware_version = $4, classification = $5, updated_at = $6 WHERE id = $7`,
		m.Name, m.DeviceType, m.Generation, m.Hardware, m.Classification, tx.Now, m.ID)
	return errs.Wrap(err, "update model")
}
