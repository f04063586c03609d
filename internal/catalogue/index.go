package catalogue

import (
	"context"
	"slices"
	"strings"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// ModelRef is what other areas need to know of a Device Model: to resolve
// the codes in an estate file, to keep the portfolio aggregates by type and
// generation, or to fan a vulnerability out.
type ModelRef struct {
	ID             int64
	ManufacturerID int64
	Manufacturer   string // organisation code
	Code           string
	DeviceType     sec.DeviceType
	Generation     sec.Generation
	Classification sec.Classification
}

// FirmwareRef is a firmware version of a model.
type FirmwareRef struct {
	ID      int64
	ModelID int64
	Version FirmwareVersion
}

// Index is the whole catalogue's keys, loaded for the system's own use
// (importers, fan-out). It ignores visibility: never show it to a caller
// unfiltered. The catalogue is low thousands of rows, so loading it is two
// queries and a few hundred kilobytes.
type Index struct {
	models   map[string]*ModelRef // by modelKey(manufacturer code, model code)
	modelIDs map[int64]*ModelRef
	firmware map[firmwareKey]FirmwareRef
	fwIDs    map[int64]FirmwareRef
	fwOf     map[int64][]FirmwareRef // by model id, in version order
}

type firmwareKey struct {
	modelID int64
	version string
}

// modelKey is how models are matched by code: the manufacturer's code in
// capitals (organisation codes are), the model's code ignoring case (the
// database's unique index does the same).
func modelKey(manufacturer, code string) string {
	return strings.ToUpper(strings.TrimSpace(manufacturer)) + "\x00" + strings.ToLower(strings.TrimSpace(code))
}

// LoadIndex reads every model and firmware version.
func LoadIndex(ctx context.Context, q store.Querier) (*Index, error) {
	ix := &Index{models: map[string]*ModelRef{}, modelIDs: map[int64]*ModelRef{},
		firmware: map[firmwareKey]FirmwareRef{}, fwIDs: map[int64]FirmwareRef{}, fwOf: map[int64][]FirmwareRef{}}
	rows, err := q.QueryContext(ctx, `SELECT m.id, m.manufacturer_id, o.code, m.code, m.device_type, m.generation, m.classification
		FROM device_models m JOIN organisations o ON o.id = m.manufacturer_id`)
	if err != nil {
		return nil, errs.Wrap(err, "load catalogue index")
	}
	defer rows.Close()
	for rows.Next() {
		m := &ModelRef{}
		if err := rows.Scan(&m.ID, &m.ManufacturerID, &m.Manufacturer, &m.Code, &m.DeviceType, &m.Generation, &m.Classification); err != nil {
			return nil, errs.Wrap(err, "load catalogue index")
		}
		ix.models[modelKey(m.Manufacturer, m.Code)] = m
		ix.modelIDs[m.ID] = m
	}
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, "load catalogue index")
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, "SELECT id, model_id, version FROM firmware_versions")
	if err != nil {
		return nil, errs.Wrap(err, "load catalogue index")
	}
	defer rows.Close()
	for rows.Next() {
		var f FirmwareRef
		var text string
		if err := rows.Scan(&f.ID, &f.ModelID, &text); err != nil {
			return nil, errs.Wrap(err, "load catalogue index")
		}
		if f.Version, err = ParseFirmwareVersion(text); err != nil {
			return nil, errs.Wrap(err, "load catalogue index")
		}
		ix.add(f)
	}
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, "load catalogue index")
	}
	for id := range ix.fwOf {
		slices.SortFunc(ix.fwOf[id], func(a, b FirmwareRef) int { return Compare(a.Version, b.Version) })
	}
	return ix, nil
}

func (ix *Index) add(f FirmwareRef) {
	ix.firmware[firmwareKey{f.ModelID, f.Version.String()}] = f
	ix.fwIDs[f.ID] = f
	ix.fwOf[f.ModelID] = append(ix.fwOf[f.ModelID], f)
}

// Model finds a model by its manufacturer's organisation code and its code
// (ignoring the case of the model code).
func (ix *Index) Model(manufacturer, code string) (ModelRef, bool) {
	m, ok := ix.models[modelKey(manufacturer, code)]
	if !ok {
		return ModelRef{}, false
	}
	return *m, true
}

// ModelByID finds a model by id.
func (ix *Index) ModelByID(id int64) (ModelRef, bool) {
	m, ok := ix.modelIDs[id]
	if !ok {
		return ModelRef{}, false
	}
	return *m, true
}

// Firmware finds a firmware version of a model by its exact text ("1.2" and
// "1.2.0" are different catalogue entries).
func (ix *Index) Firmware(modelID int64, version string) (FirmwareRef, bool) {
	f, ok := ix.firmware[firmwareKey{modelID, version}]
	return f, ok
}

// FirmwareByID finds a firmware version by id.
func (ix *Index) FirmwareByID(id int64) (FirmwareRef, bool) {
	f, ok := ix.fwIDs[id]
	return f, ok
}

// FirmwareOf lists a model's firmware in the catalogue's version order. The
// slice is the index's own: do not change it.
func (ix *Index) FirmwareOf(modelID int64) []FirmwareRef { return ix.fwOf[modelID] }

// Models lists every model, in no particular order.
func (ix *Index) Models() []ModelRef {
	out := make([]ModelRef, 0, len(ix.modelIDs))
	for _, m := range ix.modelIDs {
		out = append(out, *m)
	}
	return out
}

// Len is the number of models and of firmware versions.
func (ix *Index) Len() (models, firmware int) { return len(ix.modelIDs), len(ix.fwIDs) }

// AffectedFirmware returns the ids of the model's firmware versions that fall
// in any of the ranges, in version order: the firmware a vulnerability
// affects. No ranges means none affected (a vulnerability names its ranges;
// Range{} holds every version).
func (ix *Index) AffectedFirmware(modelID int64, ranges []Range) []int64 {
	var out []int64
	for _, f := range ix.fwOf[modelID] {
		if slices.ContainsFunc(ranges, func(r Range) bool { return r.Contains(f.Version) }) {
			out = append(out, f.ID)
		}
	}
	return out
}

// AffectedFirmware is ix.AffectedFirmware, for callers holding an index.
func AffectedFirmware(ix *Index, modelID int64, ranges []Range) []int64 {
	return ix.AffectedFirmware(modelID, ranges)
}
