package estate

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Changes of supplier are staged (see stage.go), checked, and then applied in
// rounds: a file may change one Device more than once, so round k holds each
// Device's k-th change (ROW_NUMBER() OVER (PARTITION BY device ORDER BY
// date, line)), checked against the estate as the earlier rounds left it.
// Nearly every Device changes at most once in a year, so there are one or
// two rounds; each is a handful of set-based statements.
const (
	churnStage    = "estate_import_churn"
	churnRounds   = "estate_churn_rounds"
	churnMoves    = "estate_churn_moves"
	churnStageDef = "line BIGINT NOT NULL, id BIGINT NOT NULL, supplier_id BIGINT NOT NULL, eff @date NOT NULL, month TEXT NOT NULL"
	churnStageKey = "id, eff, line"
)

var churnStageCols = []string{"line", "id", "supplier_id", "eff", "month"}

// ImportChurn loads a churn CSV file (ChurnHeader), all or nothing, in one
// transaction, streaming.
//
// Each change closes the Device's current supply period and opens the next
// on the effective date; the Device is then inherited by its new Supplier.
// A change is refused when its date is not after the current supply start or
// its Supplier is the current one; a Device changed twice on one day, an
// unknown Device or Supplier also reject the file. A row that matches a
// supply period already recorded (same Device, start and Supplier) counts as
// Unchanged, so importing a file twice changes nothing.
//
// A Supplier's users import only changes to their own organisation.
func (s *Service) ImportChurn(ctx context.Context, c access.Caller, r io.Reader, opts ImportOptions) (ChurnResult, error) {
	own, err := bulkScope(c)
	if err != nil {
		return ChurnResult{}, err
	}
	h := sha256.New()
	var probs errs.Collector
	f, err := openCSV(io.TeeReader(r, h), ChurnHeader, CheckChurnHeader, opts, &probs)
	if err != nil {
		return ChurnResult{}, err
	}
	var res ChurnResult
	attempted := false
	err = s.DB.Write(ctx, c, func(tx *store.Tx) error {
		if attempted {
			return errs.E(errs.Conflict, "the import clashed with another change to the estate; send the file again")
		}
		attempted = true
		og, err := loadOrgs(ctx, tx)
		if err != nil {
			return err
		}
		dates := s.dateCheck(tx)
		next := func() ([]any, error) {
			for {
				rec, line := f.read()
				if rec == nil {
					return nil, nil
				}
				row, fes := ParseChurnRow(rec)
				if fes != nil {
					addFieldErrors(&probs, line, fes)
					continue
				}
				if msg := dates(row.EffectiveDate); msg != "" {
					probs.Add(errs.Field{Line: line, Field: "effective_date", Message: fmt.Sprintf("%q: %s", row.EffectiveDate.Format(catalogue.DateLayout), msg)})
					continue
				}
				sup, msg := og.supplier(row.NewSupplier)
				if msg == "" && own != 0 && sup != own {
					msg = "not your organisation: a Supplier imports only the changes that make it responsible"
				}
				if msg != "" {
					probs.Add(errs.Field{Line: line, Field: "new_supplier", Message: fmt.Sprintf("%q: %s", row.NewSupplier, msg)})
					continue
				}
				return churnValues(tx.Dialect, int64(line), row.DeviceID, sup, row.EffectiveDate), nil
			}
		}
		lost := losses{}
		changed, err := applyChurn(ctx, tx, c, og, &probs, next, func() {
			res.Rows = f.rows
			if opts.Progress != nil {
				opts.Progress(f.rows, f.counter.n)
			}
		}, lost)
		if err != nil {
			return err
		}
		if err := probs.Err(fmt.Sprintf("the file was not imported: %s", plural(int64(probs.Count()), "problem"))); err != nil {
			return err
		}
		res.Changed, res.Unchanged = changed, res.Rows-changed
		res.SHA256 = hex.EncodeToString(h.Sum(nil))
		// Each losing Supplier is told once for the file; the audit record
		// says who lost how many (the caller is not told: Suppliers never
		// learn each other's identity).
		if err := lost.notify(ctx, tx, "estate:churn:"+res.SHA256, "by a churn file"); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "estate.import_churn", "estate", res.SHA256[:16], churnAudit{res, lost.byCode(og)})
	})
	if err != nil {
		return ChurnResult{}, err
	}
	return res, nil
}

// ChangeSupplier makes one change of Responsible Supplier, as one row of a
// churn file would (see ImportChurn). The effective date is today when
// zero. Asking again for a change already made changes nothing.
func (s *Service) ChangeSupplier(ctx context.Context, c access.Caller, ch Change) (ChurnResult, error) {
	own, err := bulkScope(c)
	if err != nil {
		return ChurnResult{}, err
	}
	res := ChurnResult{Rows: 1}
	err = s.DB.Write(ctx, c, func(tx *store.Tx) error {
		eff := ch.Effective
		if eff.IsZero() {
			eff = s.Today(tx.Now)
		}
		if msg := s.limits().CheckDate(eff, s.today(tx)); msg != "" {
			return errs.FieldError("effective_date", "%s", msg)
		}
		og, err := loadOrgs(ctx, tx)
		if err != nil {
			return err
		}
		sup, msg := og.supplier(ch.NewSupplier)
		if msg == "" && own != 0 && sup != own {
			msg = "not your organisation: a Supplier makes only the changes that make it responsible"
		}
		if msg != "" {
			return errs.FieldError("new_supplier", "%q: %s", ch.NewSupplier, msg)
		}
		if err := s.checkClaimLimit(ctx, tx, own, ch.DeviceID, s.today(tx)); err != nil {
			return err
		}
		var probs errs.Collector
		done := false
		next := func() ([]any, error) {
			if done {
				return nil, nil
			}
			done = true
			return churnValues(tx.Dialect, 0, ch.DeviceID, sup, eff.Time()), nil
		}
		lost := losses{}
		changed, err := applyChurn(ctx, tx, c, og, &probs, next, nil, lost)
		if err != nil {
			return err
		}
		if probs.Count() > 0 {
			p := probs.Fields[0]
			if p.Field == "device_id" {
				// As loadDevice: the answer does not repeat the ID.
				return errs.E(errs.NotFound, "no Device with that ID that you may see")
			}
			return errs.Fields("the change was not made", p)
		}
		res.Changed, res.Unchanged = changed, 1-changed
		// The losing Supplier is told in the day's summary (NotifyClaims).
		if err := recordClaims(ctx, tx, own, sup, lost, s.today(tx)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "estate.change_supplier", "device", ch.DeviceID.String(),
			claimAudit{Change{DeviceID: ch.DeviceID, NewSupplier: og.code(sup), Effective: eff}, lost.byCode(og)})
	})
	if err != nil {
		return ChurnResult{}, err
	}
	return res, nil
}

func churnValues(d store.Dialect, line int64, id DeviceID, supplier int64, eff time.Time) []any {
	return []any{line, id.Int64(), supplier, d.Date(eff), eff.Format("2006-01")}
}

// applyChurn stages the changes next yields, checks them and, when nothing
// is wrong, applies them with the aggregates. It returns how many changed a
// Device; rows matching a supply period already recorded change nothing.
// staged runs once the rows are staged.
func applyChurn(ctx context.Context, tx *store.Tx, c access.Caller, og *orgs, probs *errs.Collector, next func() ([]any, error), staged func(), lost losses) (int64, error) {
	if err := tune(ctx, tx); err != nil {
		return 0, err
	}
	// The rounds sort the file several times (the window, the index, the
	// GROUP BY of portfolio_inherited): capCache bounds SQLite's sorter too.
	restore, err := capCache(ctx, tx)
	if err != nil {
		return 0, err
	}
	defer restore()
	if err := createTemp(ctx, tx, churnStage, churnStageDef, churnStageKey); err != nil {
		return 0, err
	}
	if _, err := stage(ctx, tx, churnStage, churnStageCols, next); err != nil {
		return 0, err
	}
	if staged != nil {
		staged()
	}
	if err := analyze(ctx, tx, churnStage); err != nil {
		return 0, err
	}
	// A Device the caller may not see answers as one that does not exist
	// whenever its change would fail against the estate (a date not after
	// its supply start, its own Supplier again): the failure would tell the
	// caller its supply start or its Supplier. Every row of such a Device is
	// refused, as every row of a missing Device is, so that the problems and
	// their count are the same as for a Device that does not exist. A change
	// that succeeds is the gaining-Supplier model: any Supplier may claim a
	// Device by its ID, and the losing Supplier is told.
	args := access.Args{}
	unseen := ""
	if vis := deviceVisible(c, &args); vis != "TRUE" {
		unseen = ` OR s.id IN (SELECT s2.id FROM ` + churnStage + ` s2 JOIN devices d ON d.id = s2.id JOIN device_models m ON m.id = d.model_id
			WHERE NOT COALESCE(` + vis + `, FALSE) AND (s2.eff <= d.supply_start OR s2.supplier_id = d.supplier_id)
			AND NOT EXISTS (SELECT 1 FROM supply_periods p WHERE p.device_id = s2.id AND p.start = s2.eff AND p.supplier_id = s2.supplier_id)
			AND NOT (d.supply_start = s2.eff AND d.supplier_id = s2.supplier_id))`
	}
	err = collect(ctx, tx, probs, `SELECT s.line, s.id FROM `+churnStage+` s
		WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.id = s.id)`+unseen+` ORDER BY s.line`, args, func(r *sqlRows) (errs.Field, error) {
		var line, id int64
		err := r.Scan(&line, &id)
		return errs.Field{Line: int(line), Field: "device_id", Message: fmt.Sprintf("%q: no such Device in the estate", DeviceIDFromInt64(id).String())}, err
	})
	if err != nil {
		return 0, err
	}
	err = collect(ctx, tx, probs, `SELECT s.line, s.id, f.first FROM `+churnStage+` s
		JOIN (SELECT id, eff, MIN(line) AS first FROM `+churnStage+` GROUP BY id, eff HAVING COUNT(*) > 1) f ON f.id = s.id AND f.eff = s.eff
		WHERE s.line > f.first ORDER BY s.line`, nil, func(r *sqlRows) (errs.Field, error) {
		var line, id, first int64
		err := r.Scan(&line, &id, &first)
		return errs.Field{Line: int(line), Field: "effective_date",
			Message: fmt.Sprintf("the Device %s also changes supplier on this date on line %d", DeviceIDFromInt64(id), first)}, err
	})
	if err != nil || probs.Count() > 0 {
		return 0, err
	}
	// The changes still to make: not those matching a supply period already
	// recorded, closed or current.
	sel := `SELECT s.line, s.id, s.supplier_id, s.eff, s.month, ROW_NUMBER() OVER (PARTITION BY s.id ORDER BY s.eff, s.line) AS rnd
		FROM ` + churnStage + ` s
		WHERE NOT EXISTS (SELECT 1 FROM supply_periods p WHERE p.device_id = s.id AND p.start = s.eff AND p.supplier_id = s.supplier_id)
		AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.id = s.id AND d.supply_start = s.eff AND d.supplier_id = s.supplier_id)`
	if err := tx.CreateStagingAs(ctx, churnRounds, sel); err != nil {
		return 0, errs.Wrap(err, "estate: churn rounds")
	}
	if err := exec(ctx, tx, "estate: churn rounds", nil,
		"CREATE INDEX "+churnRounds+"_by_round ON "+churnRounds+" (rnd, id)"); err != nil {
		return 0, err
	}
	if err := analyze(ctx, tx, churnRounds); err != nil {
		return 0, err
	}
	ix, err := catalogue.LoadIndex(ctx, tx)
	if err != nil {
		return 0, err
	}
	var rounds, changed int64
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(rnd), 0), COUNT(*) FROM "+churnRounds).Scan(&rounds, &changed); err != nil {
		return 0, errs.Wrap(err, "estate: churn rounds")
	}
	for k := int64(1); k <= rounds; k++ {
		if err := churnRound(ctx, tx, ix, og, probs, k, lost); err != nil {
			return 0, err
		}
		if probs.Count() > 0 {
			// Later rounds build on this one: checking them would only
			// report its problems again.
			return 0, nil
		}
	}
	if err := exec(ctx, tx, "estate: churn", nil,
		"DELETE FROM portfolio WHERE devices = 0",
		"DELETE FROM portfolio_inherited WHERE devices = 0",
		"DELETE FROM portfolio_enrolled WHERE devices = 0"); err != nil {
		return 0, err
	}
	return changed, dropTemp(ctx, tx, churnRounds, churnStage)
}

// upsert adds a SELECT's counts (the last column; negative to take away) to
// an aggregate table.
func upsert(table, cols, key, sel string) string {
	return "INSERT INTO " + table + " (" + cols + ") " + sel + " ON CONFLICT (" + key + ") DO UPDATE SET devices = " + table + ".devices + excluded.devices"
}

const (
	portfolioCols = "supplier_id, model_id, firmware_id, map_id, generation, device_type, devices"
	portfolioKey  = "supplier_id, model_id, firmware_id, map_id"
	inheritedCols = "supplier_id, model_id, map_id, supply_start, devices"
	inheritedKey  = "supplier_id, model_id, map_id, supply_start"
	enrolledCols  = "supplier_id, model_id, map_id, enrolled_on, inherited_from, devices"
	enrolledKey   = "supplier_id, model_id, map_id, enrolled_on, inherited_from"
	churnCols     = "month, from_supplier, to_supplier, devices"
	churnKey      = "month, from_supplier, to_supplier"
)

// churnRound checks and applies the k-th change of each Device. The round's
// changes are first joined once with the Devices as they stand into a small
// table of moves (old and new Supplier, model, firmware, MAP, status), which
// the checks and every aggregate then read without going back to devices:
// on PostgreSQL each join with devices is a scan of the whole estate.
func churnRound(ctx context.Context, tx *store.Tx, ix *catalogue.Index, og *orgs, probs *errs.Collector, k int64, lost losses) error {
	if err := dropTemp(ctx, tx, churnMoves); err != nil {
		return err
	}
	if err := tx.CreateStagingAs(ctx, churnMoves, `
		SELECT r.line, r.id, r.supplier_id AS new_supplier, r.eff, r.month, d.supplier_id AS old_supplier, d.supply_start,
			d.model_id, d.firmware_id, COALESCE(d.map_id, 0) AS map_id, d.status = 'installed' AS installed, d.inherited,
			`+enrolledKeySQL(tx.Dialect)+` AS enrolled_on
		FROM `+churnRounds+` r JOIN devices d ON d.id = r.id JOIN device_models m ON m.id = d.model_id WHERE r.rnd = `+fmt.Sprint(k)); err != nil {
		return errs.Wrap(err, "estate: change supplier")
	}
	if err := analyze(ctx, tx, churnMoves); err != nil {
		return err
	}
	err := collect(ctx, tx, probs, `SELECT line, eff, supply_start, new_supplier FROM `+churnMoves+`
		WHERE eff <= supply_start OR new_supplier = old_supplier ORDER BY line`, nil,
		func(r *sqlRows) (errs.Field, error) {
			var line, sup int64
			var eff, start sec.Date
			if err := r.Scan(&line, &eff, &start, &sup); err != nil {
				return errs.Field{}, err
			}
			if !eff.After(start) {
				return errs.Field{Line: int(line), Field: "effective_date", Message: fmt.Sprintf(
					"%s is not after the Device's current supply start %s: supply periods cannot overlap or go backwards", eff, start)}, nil
			}
			return errs.Field{Line: int(line), Field: "new_supplier", Message: fmt.Sprintf(
				"%q: already the Device's Responsible Supplier", og.code(sup))}, nil
		})
	if err != nil || probs.Count() > 0 {
		return err
	}
	// The portfolio and the monthly churn, counted in Go from the moves as
	// they stream past: their groups are bounded by the catalogue and the
	// organisations, not by the file, and SQLite would sort the round's
	// moves in memory for each GROUP BY. portfolio_inherited is not: its
	// groups are by day, nearly one a move on a large file (a Go map of
	// them took 700 MB for 1.3M moves), so SQL groups it.
	port := map[group]int64{}
	type monthKey struct {
		month    string
		from, to int64
	}
	months := map[monthKey]int64{}
	err = each(ctx, tx, `SELECT new_supplier, old_supplier, model_id, firmware_id, map_id, installed, month, id, eff
		FROM `+churnMoves, func(r *sqlRows) error {
		var to, model, fw, mapID, id int64
		var from sql.NullInt64
		var installed bool
		var month string
		var eff sec.Date
		if err := r.Scan(&to, &from, &model, &fw, &mapID, &installed, &month, &id, &eff); err != nil {
			return err
		}
		if from.Valid {
			lost.add(from.Int64, DeviceIDFromInt64(id), eff)
		}
		months[monthKey{month, from.Int64, to}]++
		if installed && from.Valid {
			port[group{from.Int64, model, fw, mapID}]--
			port[group{to, model, fw, mapID}]++
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := addPortfolio(ctx, tx, ix, port); err != nil {
		return err
	}
	mv := ` FROM ` + churnMoves + ` v WHERE v.installed AND v.old_supplier IS NOT NULL `
	from := `CASE WHEN v.inherited THEN v.supply_start ELSE ` + notInheritedSQL(tx.Dialect) + ` END`
	if err := exec(ctx, tx, "estate: change supplier", nil,
		upsert("portfolio_inherited", inheritedCols, inheritedKey,
			`SELECT v.old_supplier, v.model_id, v.map_id, v.supply_start, -COUNT(*)`+mv+
				`AND v.inherited GROUP BY v.old_supplier, v.model_id, v.map_id, v.supply_start`),
		upsert("portfolio_inherited", inheritedCols, inheritedKey,
			`SELECT v.new_supplier, v.model_id, v.map_id, v.eff, COUNT(*)`+mv+
				`GROUP BY v.new_supplier, v.model_id, v.map_id, v.eff`),
		// Enrolled SMETS1 Devices move too, and their churn window opens.
		upsert("portfolio_enrolled", enrolledCols, enrolledKey,
			`SELECT v.old_supplier, v.model_id, v.map_id, v.enrolled_on, `+from+`, -COUNT(*)`+mv+
				`AND v.enrolled_on IS NOT NULL GROUP BY v.old_supplier, v.model_id, v.map_id, v.enrolled_on, `+from),
		upsert("portfolio_enrolled", enrolledCols, enrolledKey,
			`SELECT v.new_supplier, v.model_id, v.map_id, v.enrolled_on, v.eff, COUNT(*)`+mv+
				`AND v.enrolled_on IS NOT NULL GROUP BY v.new_supplier, v.model_id, v.map_id, v.enrolled_on, v.eff`)); err != nil {
		return err
	}
	var args []any
	for g, n := range months {
		args = append(args, g.month, g.from, g.to, n)
	}
	if err := upsertRows(ctx, tx, "churn_monthly", churnCols, churnKey, 4, args); err != nil {
		return err
	}
	if err := exec(ctx, tx, "estate: change supplier", nil, `INSERT INTO supply_periods (device_id, start, "end", supplier_id)
		SELECT id, supply_start, eff, old_supplier FROM `+churnMoves+` WHERE old_supplier IS NOT NULL`); err != nil {
		return err
	}
	if err := exec(ctx, tx, "estate: change supplier", []any{k},
		`UPDATE devices SET supplier_id = r.supplier_id, supply_start = r.eff, inherited = TRUE
			FROM `+churnRounds+` r WHERE r.rnd = $1 AND devices.id = r.id`); err != nil {
		return err
	}
	return dropTemp(ctx, tx, churnMoves)
}

// TransferAll moves every Device of a failed Supplier to a Supplier of Last
// Resort on one day, in one transaction: each Device's supply period closes
// and the new one, inherited, opens on the effective date (today when zero).
// It is refused if any Device's supply began on or after that day.
//
// A whole portfolio moves, so the aggregates move group by group (the
// portfolio's rows, not the Devices), and the Devices change in two
// statements over the supplier index: 1.5 million Devices is an ordinary
// transfer. Only SSC members, the secretariat, administrators and the
// system may transfer.
func (s *Service) TransferAll(ctx context.Context, c access.Caller, t Transfer) (TransferResult, error) {
	if !(c.System || c.IsSSC() || c.Has(sec.RoleAdmin)) {
		return TransferResult{}, errs.E(errs.Forbidden, "only SSC members, the secretariat and administrators may transfer a Supplier's Devices")
	}
	var res TransferResult
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		if t.Effective.IsZero() {
			t.Effective = s.Today(tx.Now)
		}
		if msg := s.limits().CheckDate(t.Effective, s.today(tx)); msg != "" {
			return errs.FieldError("effective_date", "%s", msg)
		}
		og, err := loadOrgs(ctx, tx)
		if err != nil {
			return err
		}
		from, msg := og.supplier(t.From)
		if msg != "" {
			return errs.FieldError("from", "%q: %s", t.From, msg)
		}
		to, msg := og.supplier(t.To)
		if msg != "" {
			return errs.FieldError("to", "%q: %s", t.To, msg)
		}
		if from == to {
			return errs.FieldError("to", "%q: the Devices are already that Supplier's", t.To)
		}
		t.From, t.To = og.code(from), og.code(to)
		if err := tune(ctx, tx); err != nil {
			return err
		}
		var late int64
		var example sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), MIN(id) FROM devices WHERE supplier_id = $1 AND supply_start >= $2`,
			from, t.Effective).Scan(&late, &example); err != nil {
			return errs.Wrap(err, "estate: transfer")
		}
		if late > 0 {
			return errs.FieldError("effective_date", "%s: %s of %s began supply on or after that day (for example %s): supply periods cannot overlap or go backwards",
				t.Effective, plural(late, "Device"), t.From, DeviceIDFromInt64(example.Int64))
		}
		day := tx.Dialect.DateParam("$3")
		for _, st := range []struct {
			q    string
			args []any
		}{
			{upsert("churn_monthly", churnCols, churnKey, `SELECT CAST($3 AS TEXT), CAST($1 AS BIGINT), CAST($2 AS BIGINT), COUNT(*)
				FROM devices WHERE supplier_id = $1 HAVING COUNT(*) > 0`), []any{from, to, t.Effective.String()[:7]}},
			{upsert("portfolio_inherited", inheritedCols, inheritedKey, `SELECT CAST($2 AS BIGINT), model_id, map_id, `+day+`, SUM(devices)
				FROM portfolio WHERE supplier_id = $1 GROUP BY model_id, map_id`), []any{from, to, t.Effective}},
			{"DELETE FROM portfolio_inherited WHERE supplier_id = $1", []any{from}},
			{upsert("portfolio_enrolled", enrolledCols, enrolledKey, `SELECT CAST($2 AS BIGINT), model_id, map_id, enrolled_on, `+day+`, SUM(devices)
				FROM portfolio_enrolled WHERE supplier_id = $1 GROUP BY model_id, map_id, enrolled_on`), []any{from, to, t.Effective}},
			{"DELETE FROM portfolio_enrolled WHERE supplier_id = $1", []any{from}},
			{upsert("portfolio", portfolioCols, portfolioKey, `SELECT CAST($2 AS BIGINT), model_id, firmware_id, map_id, generation, device_type, devices
				FROM portfolio WHERE supplier_id = $1`), []any{from, to}},
			{"DELETE FROM portfolio WHERE supplier_id = $1", []any{from}},
			{`INSERT INTO supply_periods (device_id, start, "end", supplier_id)
				SELECT id, supply_start, ` + strings.Replace(day, "$3", "$2", 1) + `, supplier_id FROM devices WHERE supplier_id = $1`, []any{from, t.Effective}},
		} {
			if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
				return errs.Wrap(err, "estate: transfer")
			}
		}
		up, err := tx.ExecContext(ctx, `UPDATE devices SET supplier_id = $2, supply_start = $3, inherited = TRUE WHERE supplier_id = $1`,
			from, to, t.Effective)
		if err != nil {
			return errs.Wrap(err, "estate: transfer")
		}
		if res.Devices, err = up.RowsAffected(); err != nil {
			return errs.Wrap(err, "estate: transfer")
		}
		res.Transfer = t
		return audit.Record(ctx, tx, "estate.transfer", "organisation", t.From, res)
	})
	if err != nil {
		return TransferResult{}, err
	}
	return res, nil
}
