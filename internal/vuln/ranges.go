package vuln

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/store"
)

// AffectedInput is one affected range as a reporter gives it: a model of the
// vulnerability's manufacturer by its code, and the bounds (empty for "not
// given"), in the catalogue's version order (catalogue.Range).
type AffectedInput struct {
	Model        string `json:"model"`
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
}

// maxRanges bounds the ranges one vulnerability may carry: the catalogue has
// hundreds of models, so more than this is a mistake or an attack.
const maxRanges = 500

// rangeRow is a checked range with its model.
type rangeRow struct {
	Model ModelRef
	In    AffectedInput
	Range catalogue.Range
}

// firmwareRow is one catalogue firmware of a model.
type firmwareRow struct {
	ID      int64
	ModelID int64
	Version catalogue.FirmwareVersion
}

// modelFirmware loads the firmware of the models, parsed and in version
// order. Versions that do not parse are in no range and are left out.
func modelFirmware(ctx context.Context, q store.Querier, modelIDs []int64) (map[int64][]firmwareRow, error) {
	out := map[int64][]firmwareRow{}
	if len(modelIDs) == 0 {
		return out, nil
	}
	var args access.Args
	ph := make([]string, len(modelIDs))
	for i, id := range modelIDs {
		ph[i] = args.Add(id)
	}
	rows, err := q.QueryContext(ctx, "SELECT f.id, f.model_id, f.version FROM firmware_versions f WHERE f.model_id IN ("+
		strings.Join(ph, ", ")+")", args...)
	if err != nil {
		return nil, errs.Wrap(err, "firmware")
	}
	defer rows.Close()
	for rows.Next() {
		var f firmwareRow
		var text string
		if err := rows.Scan(&f.ID, &f.ModelID, &text); err != nil {
			return nil, errs.Wrap(err, "firmware")
		}
		v, err := catalogue.ParseFirmwareVersion(text)
		if err != nil {
			continue
		}
		f.Version = v
		out[f.ModelID] = append(out[f.ModelID], f)
	}
	for _, fs := range out {
		slices.SortFunc(fs, func(a, b firmwareRow) int { return catalogue.Compare(a.Version, b.Version) })
	}
	return out, errs.Wrap(rows.Err(), "firmware")
}

// checkRanges resolves the affected ranges against the catalogue: every
// model must be the manufacturer's and visible to the caller, every range
// valid (not empty, not reversed) and selecting at least one catalogued
// firmware, so a report never fans out to nobody by mistake. All problems
// are reported at once.
func checkRanges(ctx context.Context, q store.Querier, c access.Caller, manufacturerID int64, in []AffectedInput) ([]rangeRow, error) {
	var col errs.Collector
	bad := func(i int, field, format string, args ...any) {
		col.Add(errs.Field{Field: fmt.Sprintf("affected[%d].%s", i, field), Message: fmt.Sprintf(format, args...)})
	}
	if len(in) == 0 {
		return nil, errs.FieldError("affected", "name at least one affected model and firmware range")
	}
	if len(in) > maxRanges {
		return nil, errs.FieldError("affected", "%d ranges is more than the %d one vulnerability may carry", len(in), maxRanges)
	}
	models := map[string]ModelRef{}
	var args access.Args
	rows, err := q.QueryContext(ctx, "SELECT m.id, m.code, m.name, m.device_type, m.generation FROM device_models m WHERE m.manufacturer_id = "+
		args.Add(manufacturerID)+" AND "+c.Visible(&args, modelKind, "m", "m.manufacturer_id"), args...)
	if err != nil {
		return nil, errs.Wrap(err, "models")
	}
	for rows.Next() {
		var m ModelRef
		if err := rows.Scan(&m.ID, &m.Code, &m.Name, &m.DeviceType, &m.Generation); err != nil {
			rows.Close()
			return nil, errs.Wrap(err, "models")
		}
		models[strings.ToUpper(m.Code)] = m
	}
	rows.Close()

	var out []rangeRow
	var ids []int64
	seen := map[string]int{}
	for i, a := range in {
		a.Model = strings.TrimSpace(a.Model)
		a.Introduced, a.Fixed, a.LastAffected = strings.TrimSpace(a.Introduced), strings.TrimSpace(a.Fixed), strings.TrimSpace(a.LastAffected)
		m, ok := models[strings.ToUpper(a.Model)]
		if a.Model == "" {
			bad(i, "model", "required")
			continue
		}
		if !ok {
			bad(i, "model", "the manufacturer has no model %q in the catalogue", a.Model)
			continue
		}
		r, err := catalogue.NewRange(a.Introduced, a.Fixed, a.LastAffected)
		if err != nil {
			bad(i, "range", "%v", err)
			continue
		}
		key := fmt.Sprint(m.ID, "|", r.String())
		if j, dup := seen[key]; dup {
			bad(i, "range", "repeats affected[%d]", j)
			continue
		}
		seen[key] = i
		a.Model = m.Code
		out = append(out, rangeRow{Model: m, In: a, Range: r})
		ids = append(ids, m.ID)
	}
	if col.Count() > 0 {
		return nil, col.Err("the affected products are not valid")
	}
	fws, err := modelFirmware(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	for i, r := range out {
		if len(selectFirmware(fws[r.Model.ID], r.Range)) == 0 {
			known := make([]string, 0, len(fws[r.Model.ID]))
			for _, f := range fws[r.Model.ID] {
				known = append(known, f.Version.String())
			}
			msg := "the model has no firmware in the catalogue"
			if len(known) > 0 {
				msg = "the catalogue's firmware of the model is " + summarise(known, 8)
			}
			bad(i, "range", "%s selects none of model %s's firmware (%s): add the firmware to the catalogue first, or correct the range",
				r.Range, r.Model.Code, msg)
		}
	}
	return out, col.Err("the affected products are not valid")
}

// selectFirmware lists the firmware in the range, in version order.
func selectFirmware(fws []firmwareRow, r catalogue.Range) []firmwareRow {
	var out []firmwareRow
	for _, f := range fws {
		if r.Contains(f.Version) {
			out = append(out, f)
		}
	}
	return out
}

func summarise(ss []string, n int) string {
	if len(ss) <= n {
		return strings.Join(ss, ", ")
	}
	return strings.Join(ss[:n/2], ", ") + ", … " + strings.Join(ss[len(ss)-n/2:], ", ")
}

// writeRanges replaces a vulnerability's ranges.
func writeRanges(ctx context.Context, tx *store.Tx, vulnID int64, rs []rangeRow) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM vuln_ranges WHERE vuln_id = $1", vulnID); err != nil {
		return errs.Wrap(err, "ranges")
	}
	for _, r := range rs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO vuln_ranges (vuln_id, model_id, introduced, fixed, last_affected)
			VALUES ($1, $2, $3, $4, $5)`, vulnID, r.Model.ID, r.In.Introduced, r.In.Fixed, r.In.LastAffected); err != nil {
			return errs.Wrap(err, "ranges")
		}
	}
	return nil
}

// storedRanges reads a vulnerability's ranges (the system's view: the
// models were checked when the ranges were written).
func storedRanges(ctx context.Context, q store.Querier, vulnID int64) ([]rangeRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT m.id, m.code, m.name, m.device_type, m.generation, r.introduced, r.fixed, r.last_affected
		FROM vuln_ranges r JOIN device_models m ON m.id = r.model_id WHERE r.vuln_id = $1 ORDER BY m.code, r.id`, vulnID)
	if err != nil {
		return nil, errs.Wrap(err, "ranges")
	}
	defer rows.Close()
	var out []rangeRow
	for rows.Next() {
		var r rangeRow
		if err := rows.Scan(&r.Model.ID, &r.Model.Code, &r.Model.Name, &r.Model.DeviceType, &r.Model.Generation,
			&r.In.Introduced, &r.In.Fixed, &r.In.LastAffected); err != nil {
			return nil, errs.Wrap(err, "ranges")
		}
		r.In.Model = r.Model.Code
		// Stored ranges were valid when written; a parse failure now would
		// mean the code's order changed, and the range then selects nothing.
		r.Range, _ = catalogue.NewRange(r.In.Introduced, r.In.Fixed, r.In.LastAffected)
		out = append(out, r)
	}
	return out, errs.Wrap(rows.Err(), "ranges")
}

// wantedFirmware is the catalogue's firmware the ranges select, with each
// one's model.
func wantedFirmware(ctx context.Context, q store.Querier, rs []rangeRow) (map[int64]int64, error) {
	ids := make([]int64, 0, len(rs))
	for _, r := range rs {
		ids = append(ids, r.Model.ID)
	}
	fws, err := modelFirmware(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	want := map[int64]int64{} // firmware → model
	for _, r := range rs {
		for _, f := range selectFirmware(fws[r.Model.ID], r.Range) {
			want[f.ID] = f.ModelID
		}
	}
	return want, nil
}

// storedFirmware is the affected firmware set as stored.
func storedFirmware(ctx context.Context, q store.Querier, vulnID int64) (map[int64]bool, error) {
	have := map[int64]bool{}
	rows, err := q.QueryContext(ctx, "SELECT firmware_id FROM vuln_firmware WHERE vuln_id = $1", vulnID)
	if err != nil {
		return nil, errs.Wrap(err, "affected firmware")
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, errs.Wrap(err, "affected firmware")
		}
		have[id] = true
	}
	return have, errs.Wrap(rows.Err(), "affected firmware")
}

// firmwarePending reports whether the stored affected firmware differs from
// what the ranges select in the catalogue as it is now.
func firmwarePending(ctx context.Context, q store.Querier, vulnID int64, rs []rangeRow) (bool, error) {
	want, err := wantedFirmware(ctx, q, rs)
	if err != nil {
		return false, err
	}
	have, err := storedFirmware(ctx, q, vulnID)
	if err != nil || len(want) != len(have) {
		return err == nil, err
	}
	for id := range want {
		if !have[id] {
			return true, nil
		}
	}
	return false, nil
}

// syncFirmware brings the stored affected firmware set in line with the
// ranges and the catalogue as it is now (new firmware may have been added to
// an affected model). It reports whether anything changed.
func syncFirmware(ctx context.Context, tx *store.Tx, vulnID int64, rs []rangeRow) (bool, error) {
	want, err := wantedFirmware(ctx, tx, rs)
	if err != nil {
		return false, err
	}
	have, err := storedFirmware(ctx, tx, vulnID)
	if err != nil {
		return false, err
	}
	changed := false
	for id := range have {
		if _, ok := want[id]; !ok {
			changed = true
			if _, err := tx.ExecContext(ctx, "DELETE FROM vuln_firmware WHERE vuln_id = $1 AND firmware_id = $2", vulnID, id); err != nil {
				return false, errs.Wrap(err, "affected firmware")
			}
		}
	}
	for id, model := range want {
		if !have[id] {
			changed = true
			if _, err := tx.ExecContext(ctx, "INSERT INTO vuln_firmware (vuln_id, firmware_id, model_id) VALUES ($1, $2, $3)", vulnID, id, model); err != nil {
				return false, errs.Wrap(err, "affected firmware")
			}
		}
	}
	return changed, nil
}

// affectedView shapes the ranges for a caller, with the firmware each selects.
func affectedView(ctx context.Context, q store.Querier, rs []rangeRow) ([]Affected, error) {
	ids := make([]int64, 0, len(rs))
	for _, r := range rs {
		ids = append(ids, r.Model.ID)
	}
	fws, err := modelFirmware(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Affected, 0, len(rs))
	for _, r := range rs {
		a := Affected{Model: r.Model, Introduced: r.In.Introduced, Fixed: r.In.Fixed, LastAffected: r.In.LastAffected,
			Range: r.Range.String(), Firmware: []string{}}
		for _, f := range selectFirmware(fws[r.Model.ID], r.Range) {
			a.Firmware = append(a.Firmware, f.Version.String())
		}
		out = append(out, a)
	}
	return out, nil
}
