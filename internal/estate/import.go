package estate

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"hash"
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

// The devices staging table. On SQLite it is keyed by (id, line), WITHOUT
// ROWID: staging then sorts the rows by Device ID as it goes, so finding
// duplicates is a walk of the key, looking Devices up is a merge, and the
// INSERT into devices (whose key is the Device ID) appends in key order
// instead of writing all over the table. Measured on 1M rows this beat a
// heap table plus GROUP BY. PostgreSQL stages into a plain table (COPY is
// fastest without an index) and hashes.
const (
	devStage    = "estate_import_devices"
	devStageDef = "line BIGINT NOT NULL, id BIGINT NOT NULL, model_id BIGINT NOT NULL, firmware_id BIGINT NOT NULL, map_id BIGINT, premises TEXT NOT NULL, supplier_id BIGINT NOT NULL, supply_start @date NOT NULL, enrolled_on @date"
	devStageKey = "id, line"
)

// analyzeAfter is how many new Devices make an import refresh the planner's
// statistics of devices (ANALYZE samples a fixed number of rows: a second or
// two whatever the size).
const analyzeAfter = 100_000

var devStageCols = []string{"line", "id", "model_id", "firmware_id", "map_id", "premises", "supplier_id", "supply_start", "enrolled_on"}

// ImportDevices loads a devices CSV file (DeviceHeader), all or nothing, in
// one transaction, streaming: memory does not grow with the file.
//
// Each row must name a catalogue model and firmware of its manufacturer, with
// the model's type and generation; a Supplier, a MAP (or none) and a
// manufacturer that hold those roles; no Device twice; and no Device already
// in the estate as another model. Any problem rejects the file, and the error
// lists the first 100 with their line numbers and counts the rest. Devices
// already in the estate as the file describes them count as Unchanged, so
// importing a file twice changes nothing. A Device is installed, and its
// firmware and its current supply both date from supply_start. A Device
// already in the estate that the file names with another MAP changes MAP from
// the import's day, kept as MAP history (see importMAPChanges), and counts as
// MAPChanged.
//
// A Supplier's users import only their own organisation's Devices; SSC
// members, the secretariat, administrators and the system import anything.
func (s *Service) ImportDevices(ctx context.Context, c access.Caller, r io.Reader, opts ImportOptions) (ImportResult, error) {
	own, err := bulkScope(c)
	if err != nil {
		return ImportResult{}, err
	}
	h := sha256.New()
	var probs errs.Collector
	f, err := openCSV(io.TeeReader(r, h), DeviceHeader, CheckDeviceHeader, opts, &probs)
	if err != nil {
		return ImportResult{}, err
	}
	var res ImportResult
	attempted := false
	err = s.DB.Write(ctx, c, func(tx *store.Tx) error {
		// The file is a stream read once: a transaction retried after a
		// clash with another writer cannot read it again.
		if attempted {
			return errs.E(errs.Conflict, "the import clashed with another change to the estate; send the file again")
		}
		attempted = true
		ix, err := catalogue.LoadIndex(ctx, tx)
		if err != nil {
			return err
		}
		og, err := loadOrgs(ctx, tx)
		if err != nil {
			return err
		}
		if err := tune(ctx, tx); err != nil {
			return err
		}
		restore, err := capCache(ctx, tx)
		if err != nil {
			return err
		}
		defer restore()
		// The portfolio counts of the file, by group, as it streams past:
		// groups are bounded by the catalogue and the organisations, not by
		// the file. Counting here rather than with GROUP BY over the staged
		// rows spares SQLite a sort of the whole file (it has no hash
		// aggregate), which took 200 MB of memory a million rows.
		agg := map[group]int64{}
		dates := s.dateCheck(tx)
		empty, err := tx.EmptyForLoad(ctx, "devices")
		if err != nil {
			return errs.Wrap(err, "estate: import devices")
		}
		if empty {
			return s.importFirst(ctx, tx, f, h, ix, og, own, dates, agg, &probs, opts, &res)
		}
		if err := createTemp(ctx, tx, devStage, devStageDef, devStageKey); err != nil {
			return err
		}
		next := func() ([]any, error) {
			for {
				rec, line := f.read()
				if rec == nil {
					return nil, nil
				}
				if vals := resolveDevice(tx.Dialect, ix, og, own, dates, &probs, line, rec); vals != nil {
					agg[groupOf(vals)]++
					return vals, nil
				}
			}
		}
		staged, err := stage(ctx, tx, devStage, devStageCols, next)
		if err != nil {
			return err
		}
		res.Rows = f.rows
		if opts.Progress != nil {
			opts.Progress(f.rows, f.counter.n)
		}
		opts.phase("writing Devices")
		if err := analyze(ctx, tx, devStage); err != nil {
			return err
		}
		// finish counts, refreshes PostgreSQL's statistics, drops the
		// staging table and records the import.
		finish := func() error {
			res.Unchanged = res.Rows - res.Created - res.MAPChanged
			// PostgreSQL plans the next change (a churn file, typically) from
			// statistics autovacuum gathers only later: a first load would
			// leave it planning for an empty estate.
			if res.Created >= analyzeAfter {
				if err := tx.Analyze(ctx, "devices"); err != nil {
					return errs.Wrap(err, "estate: analyze devices")
				}
			}
			res.SHA256 = hex.EncodeToString(h.Sum(nil))
			if err := dropTemp(ctx, tx, devStage); err != nil {
				return err
			}
			opts.phase("committing")
			return audit.Record(ctx, tx, "estate.import_devices", "estate", res.SHA256[:16], res)
		}
		// The usual file is all new Devices, each once: then a plain
		// INSERT of the staged rows creates every one, which shows there
		// was nothing to check and nothing to take off the file's counts.
		// Otherwise (a key violation) the attempt is undone and the rows
		// checked (the checks need the estate as it was) and inserted as
		// below, with the same problems, counts and portfolio as ever.
		done := false
		if probs.Count() == 0 {
			if done, res.Created, err = insertAllNew(ctx, tx, staged); err != nil {
				return err
			}
		}
		if !done {
			opts.phase("checking against the estate")
			if err := checkDevices(ctx, tx, c, ix, &probs); err != nil {
				return err
			}
			if err := checkMAPChanges(ctx, tx, s.today(tx), &probs); err != nil {
				return err
			}
		}
		if err := probs.Err(fmt.Sprintf("the file was not imported: %s", plural(int64(probs.Count()), "problem"))); err != nil {
			return err
		}
		if done {
			opts.phase("updating the portfolio")
			if err := addPortfolio(ctx, tx, ix, agg); err != nil {
				return err
			}
			if err := addEnrolledStaged(ctx, tx, ""); err != nil {
				return err
			}
			return finish()
		}
		// The aggregates first: the file's counts less those of its
		// Devices already in the estate, which the INSERT then leaves alone.
		err = each(ctx, tx, `SELECT s.supplier_id, s.model_id, s.firmware_id, COALESCE(s.map_id, 0) FROM `+devStage+` s
			WHERE EXISTS (SELECT 1 FROM devices d WHERE d.id = s.id)`, func(r *sqlRows) error {
			var g group
			if err := r.Scan(&g.supplier, &g.model, &g.firmware, &g.mapID); err != nil {
				return err
			}
			agg[g]--
			return nil
		})
		if err != nil {
			return err
		}
		opts.phase("recording MAP changes")
		if res.MAPChanged, err = importMAPChanges(ctx, tx, og, s.today(tx)); err != nil {
			return err
		}
		opts.phase("updating the portfolio")
		if err := addPortfolio(ctx, tx, ix, agg); err != nil {
			return err
		}
		if err := addEnrolledStaged(ctx, tx, " AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.id = s.id)"); err != nil {
			return err
		}
		opts.phase("writing Devices")
		ins, err := tx.ExecContext(ctx, insertDevices(tx.Dialect)+` WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.id = s.id) ORDER BY s.id`)
		if err != nil {
			return errs.Wrap(err, "estate: import devices")
		}
		if res.Created, err = ins.RowsAffected(); err != nil {
			return errs.Wrap(err, "estate: import devices")
		}
		return finish()
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

// importFirst is ImportDevices into an empty estate (see firstLoad).
func (s *Service) importFirst(ctx context.Context, tx *store.Tx, f *csvFile, h hash.Hash, ix *catalogue.Index, og *orgs, own int64,
	dates func(time.Time) string, agg map[group]int64, probs *errs.Collector, opts ImportOptions, res *ImportResult) error {
	var srt sorter
	defer srt.close()
	// The SMETS1 Devices' enrolment counts, like the portfolio's, as the
	// file streams: counting them afterwards from devices took a scan, a
	// join and a sort of the whole table (a quarter of a 1M first load's
	// CPU on SQLite).
	var enrolled groupCounter
	defer enrolled.close()
	next, stop := readAhead(f)
	defer stop()
	for {
		rec, line := next()
		if rec == nil {
			break
		}
		r, ok := resolveDeviceRec(ix, og, own, dates, probs, line, rec)
		if !ok {
			continue
		}
		agg[group{supplier: r.supplier, model: r.model, firmware: r.firmware, mapID: r.mapID}]++
		if r.enrolled != noDay {
			if err := enrolled.add(enrolledGroup{supplier: r.supplier, model: r.model, mapID: r.mapID, day: r.enrolled}); err != nil {
				return errs.Wrap(err, "estate: count enrolments")
			}
		}
		if err := srt.add(r); err != nil {
			return errs.Wrap(err, "estate: sort rows")
		}
	}
	stop() // the reader's problems (a CSV syntax error ends the file) come after the rows'
	res.Rows = f.rows
	if opts.Progress != nil {
		opts.Progress(f.rows, f.counter.n)
	}
	created, err := firstLoad(ctx, tx, &srt, probs, opts.phase)
	if err != nil {
		return err
	}
	if err := probs.Err(fmt.Sprintf("the file was not imported: %s", plural(int64(probs.Count()), "problem"))); err != nil {
		return err
	}
	res.Created, res.Unchanged = created, res.Rows-created
	opts.phase("updating the portfolio")
	if err := addPortfolioFirst(ctx, tx, ix, agg); err != nil {
		return err
	}
	if err := addEnrolledCounts(ctx, tx, &enrolled); err != nil {
		return err
	}
	if res.Created >= analyzeAfter {
		opts.phase("analyzing Devices")
		if err := tx.Analyze(ctx, "devices"); err != nil {
			return errs.Wrap(err, "estate: analyze devices")
		}
	}
	res.SHA256 = hex.EncodeToString(h.Sum(nil))
	opts.phase("committing")
	return audit.Record(ctx, tx, "estate.import_devices", "estate", res.SHA256[:16], *res)
}

// insertDevices is the INSERT of the staged rows into devices, in key order.
// A SMETS1 row without an enrolment date is staged with NeverEnrolled (its
// portfolio_enrolled key); the Device itself keeps none.
func insertDevices(d store.Dialect) string {
	return `INSERT INTO devices (id, model_id, firmware_id, map_id, premises, status, supplier_id, supply_start, inherited, firmware_since, enrolled_on)
	SELECT s.id, s.model_id, s.firmware_id, s.map_id, s.premises, 'installed', s.supplier_id, s.supply_start, FALSE, s.supply_start,
		NULLIF(s.enrolled_on, ` + neverEnrolledSQL(d) + `)
	FROM ` + devStage + ` s`
}

// insertAllNew inserts the staged rows into devices when every one is a new
// Device, staged once, and says whether it did; when not, it leaves the
// estate as it found it. The INSERT has no ON CONFLICT: a Device already
// there, or twice in the file, stops it at once with a key violation, so a
// file imported again costs no wasted pass. Any error of the attempt sends
// the import the long way, which checks the rows and meets a real fault
// again.
func insertAllNew(ctx context.Context, tx *store.Tx, staged int64) (bool, int64, error) {
	if err := exec(ctx, tx, "estate: import devices", nil, "SAVEPOINT estate_import"); err != nil {
		return false, 0, err
	}
	var n int64
	ins, err := tx.ExecContext(ctx, insertDevices(tx.Dialect)+` ORDER BY s.id`)
	if err == nil {
		n, err = ins.RowsAffected()
	}
	if err == nil && n == staged {
		return true, n, exec(ctx, tx, "estate: import devices", nil, "RELEASE SAVEPOINT estate_import")
	}
	if ctx.Err() != nil {
		return false, 0, errs.Wrap(ctx.Err(), "estate: import devices")
	}
	return false, 0, exec(ctx, tx, "estate: import devices", nil, "ROLLBACK TO SAVEPOINT estate_import", "RELEASE SAVEPOINT estate_import")
}

// addEnrolledStaged counts the staged SMETS1 Devices into portfolio_enrolled
// (imported Devices are not inherited); cond narrows the staged rows to those
// the import creates. Only SMETS1 rows carry an enrolment key (NeverEnrolled
// without a date), so the GROUP BY sorts those alone.
func addEnrolledStaged(ctx context.Context, tx *store.Tx, cond string) error {
	return exec(ctx, tx, "estate: enrolled portfolio", nil, upsert("portfolio_enrolled", enrolledCols, enrolledKey,
		`SELECT s.supplier_id, s.model_id, COALESCE(s.map_id, 0), s.enrolled_on, `+notInheritedSQL(tx.Dialect)+`, COUNT(*) FROM `+devStage+` s
		WHERE s.enrolled_on IS NOT NULL`+cond+` GROUP BY s.supplier_id, s.model_id, COALESCE(s.map_id, 0), s.enrolled_on`))
}

// group is a portfolio group: map 0 for none.
type group struct{ supplier, model, firmware, mapID int64 }

// groupOf is the group of a staging row (see resolveDevice).
func groupOf(vals []any) group {
	g := group{supplier: vals[6].(int64), model: vals[2].(int64), firmware: vals[3].(int64)}
	if m, ok := vals[4].(int64); ok {
		g.mapID = m
	}
	return g
}

// The portfolio changes of an import, staged for one upsert.
const (
	portStage    = "estate_import_portfolio"
	portStageDef = "supplier_id BIGINT NOT NULL, model_id BIGINT NOT NULL, firmware_id BIGINT NOT NULL, map_id BIGINT NOT NULL, generation TEXT NOT NULL, device_type TEXT NOT NULL, devices BIGINT NOT NULL"
	portStageKey = "supplier_id, model_id, firmware_id, map_id"
)

var portStageCols = []string{"supplier_id", "model_id", "firmware_id", "map_id", "generation", "device_type", "devices"}

// addPortfolio adds counts to the portfolio. The groups (96,000 for 1M
// Devices) are staged and then upserted by one statement: on SQLite each
// upsert of several rows first copies every page it touches to a statement
// journal, so one statement copies each page once where batches of 200
// copied the same pages 480 times (3.5 s of a 13 s import).
func addPortfolio(ctx context.Context, tx *store.Tx, ix *catalogue.Index, agg map[group]int64) error {
	if err := createTemp(ctx, tx, portStage, portStageDef, portStageKey); err != nil {
		return err
	}
	rows := make([][]any, 0, len(agg))
	for g, n := range agg {
		if n == 0 {
			continue
		}
		m, _ := ix.ModelByID(g.model)
		rows = append(rows, []any{g.supplier, g.model, g.firmware, g.mapID, string(m.Generation), string(m.DeviceType), n})
	}
	next := func() ([]any, error) {
		if len(rows) == 0 {
			return nil, nil
		}
		r := rows[0]
		rows = rows[1:]
		return r, nil
	}
	if _, err := stage(ctx, tx, portStage, portStageCols, next); err != nil {
		return err
	}
	// SQLite needs the WHERE to read ON CONFLICT as an upsert.
	if err := exec(ctx, tx, "estate: portfolio", nil, upsert("portfolio", portfolioCols, portfolioKey,
		"SELECT "+portfolioCols+" FROM "+portStage+" WHERE TRUE")); err != nil {
		return err
	}
	return dropTemp(ctx, tx, portStage)
}

// upsertRows adds counts (each row's last value) to an aggregate table,
// a few hundred rows to a statement; args holds width values a row.
func upsertRows(ctx context.Context, tx *store.Tx, table, cols, key string, width int, args []any) error {
	const batch = 200
	// A full batch's statement is prepared once rather than parsed again
	// for each batch.
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	for len(args) > 0 {
		k := min(len(args), width*batch)
		if k == width*batch && full != nil {
			if _, err := full.ExecContext(ctx, args[:k]...); err != nil {
				return errs.Wrap(err, "estate: "+table)
			}
			args = args[k:]
			continue
		}
		var b strings.Builder
		for i := 0; i < k; i += width {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for j := range width {
				if j > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "$%d", i+j+1)
			}
			b.WriteByte(')')
		}
		q := upsert(table, cols, key, "VALUES "+b.String())
		if k == width*batch && len(args) > k {
			var err error
			if full, err = tx.PrepareContext(ctx, q); err != nil {
				return errs.Wrap(err, "estate: "+table)
			}
		}
		if _, err := tx.ExecContext(ctx, q, args[:k]...); err != nil {
			return errs.Wrap(err, "estate: "+table)
		}
		args = args[k:]
	}
	return nil
}

// resolveDevice parses one record and resolves its codes to the values of a
// staging row; nil when the row has problems, which it records.
func resolveDevice(d store.Dialect, ix *catalogue.Index, og *orgs, own int64, dates func(time.Time) string, probs *errs.Collector, line int, rec []string) []any {
	r, ok := resolveDeviceRec(ix, og, own, dates, probs, line, rec)
	if !ok {
		return nil
	}
	return r.staged(d)
}

// resolveDeviceRec is resolveDevice's row as a devRec; false when the row
// has problems, which it records.
func resolveDeviceRec(ix *catalogue.Index, og *orgs, own int64, dates func(time.Time) string, probs *errs.Collector, line int, rec []string) (devRec, bool) {
	row, fes := ParseDeviceRow(rec)
	if fes != nil {
		addFieldErrors(probs, line, fes)
		return devRec{}, false
	}
	bad := false
	problem := func(field, value, format string, args ...any) {
		bad = true
		probs.Add(errs.Field{Line: line, Field: field, Message: fmt.Sprintf("%q: ", value) + fmt.Sprintf(format, args...)})
	}
	if mf := og.byCode[upper(row.Manufacturer)]; mf == nil {
		problem("manufacturer", row.Manufacturer, "no such organisation")
	} else if !mf.maker {
		problem("manufacturer", row.Manufacturer, "the organisation is not a manufacturer")
	}
	m, ok := ix.Model(row.Manufacturer, row.Model)
	var fw catalogue.FirmwareRef
	if !ok {
		problem("model", row.Model, "no such model of %s in the catalogue", row.Manufacturer)
	} else {
		if m.DeviceType != row.Type {
			problem("device_type", string(row.Type), "model %s of %s is a %s", m.Code, m.Manufacturer, m.DeviceType)
		}
		if m.Generation != row.Generation {
			problem("generation", string(row.Generation), "model %s of %s is %s", m.Code, m.Manufacturer, m.Generation)
		}
		if fw, ok = ix.Firmware(m.ID, row.Firmware.String()); !ok {
			problem("firmware", row.Firmware.String(), "no such firmware of model %s of %s in the catalogue", m.Code, m.Manufacturer)
		}
	}
	sup, msg := og.supplier(row.Supplier)
	switch {
	case msg != "":
		problem("supplier", row.Supplier, "%s", msg)
	case own != 0 && sup != own:
		problem("supplier", row.Supplier, "not your organisation: a Supplier imports only its own Devices")
	}
	if msg := dates(row.SupplyStart); msg != "" {
		problem("supply_start", row.SupplyStart.Format(catalogue.DateLayout), "%s", msg)
	}
	var mapID int64
	if row.MAP != "" {
		switch mp := og.byCode[upper(row.MAP)]; {
		case mp == nil:
			problem("map", row.MAP, "no such organisation")
		case !mp.mapRole:
			problem("map", row.MAP, "the organisation is not a Meter Asset Provider")
		default:
			mapID = mp.id
		}
	}
	if bad {
		return devRec{}, false
	}
	r := devRec{line: int64(line), id: row.ID.Int64(), model: m.ID, firmware: fw.ID, mapID: mapID, supplier: sup,
		supply: dayNumber(row.SupplyStart), enrolled: noDay, nonDomestic: row.Premises == NonDomestic}
	switch {
	case !row.EnrolledOn.IsZero() && row.Generation != sec.SMETS1:
		problem("enrolled_on", row.EnrolledOn.Format(catalogue.DateLayout), "only SMETS1 Devices are enrolled; a %s Device has no enrolment date", row.Generation)
		return devRec{}, false
	case !row.EnrolledOn.IsZero():
		r.enrolled = dayNumber(row.EnrolledOn)
	case row.Generation == sec.SMETS1:
		r.enrolled = dayNumber(NeverEnrolled.Time())
	}
	return r, true
}

// checkDevices records what is wrong with the staged rows taken together and
// against the estate: a Device twice in the file, already in the estate as a
// Device the caller may not see, or as another model.
func checkDevices(ctx context.Context, tx *store.Tx, c access.Caller, ix *catalogue.Index, probs *errs.Collector) error {
	err := collect(ctx, tx, probs, `SELECT s.line, s.id, f.first FROM `+devStage+` s
		JOIN (SELECT id, MIN(line) AS first FROM `+devStage+` GROUP BY id HAVING COUNT(*) > 1) f ON f.id = s.id
		WHERE s.line > f.first ORDER BY s.line`, nil, func(r *sqlRows) (errs.Field, error) {
		var line, id, first int64
		err := r.Scan(&line, &id, &first)
		return errs.Field{Line: int(line), Field: "device_id",
			Message: fmt.Sprintf("%q: the Device is also on line %d", DeviceIDFromInt64(id).String(), first)}, err
	})
	if err != nil {
		return err
	}
	// A Device already in the estate that the caller may not see (another
	// Supplier's) is refused with one answer whatever the file says of it:
	// counting it Unchanged, or naming the model it is in the estate as, told
	// the caller what it may not see.
	args := access.Args{}
	vis := deviceVisible(c, &args)
	if vis != "TRUE" {
		vis = "COALESCE(" + vis + ", FALSE)"
		err := collect(ctx, tx, probs, `SELECT s.line, s.id FROM `+devStage+` s JOIN devices d ON d.id = s.id
			JOIN device_models m ON m.id = d.model_id WHERE NOT `+vis+` ORDER BY s.line`, args, func(r *sqlRows) (errs.Field, error) {
			var line, id int64
			err := r.Scan(&line, &id)
			return errs.Field{Line: int(line), Field: "device_id", Message: fmt.Sprintf(
				"%q: already in the estate as a Device you may not see: a Device changes Supplier by a change of supplier (churn), not by import",
				DeviceIDFromInt64(id).String())}, err
		})
		if err != nil {
			return err
		}
	}
	return collect(ctx, tx, probs, `SELECT s.line, s.id, d.model_id FROM `+devStage+` s JOIN devices d ON d.id = s.id
		JOIN device_models m ON m.id = d.model_id
		WHERE d.model_id <> s.model_id AND `+vis+` ORDER BY s.line`, args, func(r *sqlRows) (errs.Field, error) {
		var line, id, model int64
		err := r.Scan(&line, &id, &model)
		what := fmt.Sprint("model ", model)
		if m, ok := ix.ModelByID(model); ok {
			what = fmt.Sprintf("model %s of %s", m.Code, m.Manufacturer)
		}
		return errs.Field{Line: int(line), Field: "device_id",
			Message: fmt.Sprintf("%q: the Device is already in the estate as %s", DeviceIDFromInt64(id).String(), what)}, err
	})
}

// mapChangedSQL picks the staged rows of Devices already in the estate (as
// the same model: another model is a problem of its own) that the file names
// with another MAP than the estate's.
const mapChangedSQL = ` FROM ` + devStage + ` s JOIN devices d ON d.id = s.id
	WHERE d.model_id = s.model_id AND COALESCE(d.map_id, 0) <> COALESCE(s.map_id, 0)`

// checkMAPChanges records a problem for each Device the file moves to
// another MAP whose current MAP period began on or after day: a MAP change
// the import records takes effect on day (see importMAPChanges), and MAP
// periods cannot overlap or go backwards.
func checkMAPChanges(ctx context.Context, tx *store.Tx, day sec.Date, probs *errs.Collector) error {
	return collect(ctx, tx, probs, `SELECT s.line, s.id, COALESCE(d.map_since, `+firstKnownSQL+`) AS since`+mapChangedSQL+`
		AND COALESCE(d.map_since, `+firstKnownSQL+`) >= $1 ORDER BY s.line`, []any{day}, func(r *sqlRows) (errs.Field, error) {
		var line, id int64
		var since sec.Date
		err := r.Scan(&line, &id, &since)
		return errs.Field{Line: int(line), Field: "map", Message: fmt.Sprintf(
			"%q: the Device's current MAP ownership began on %s, so a change of MAP recorded today (%s) would overlap it: record it on a later day",
			DeviceIDFromInt64(id).String(), since, day)}, err
	})
}

// importMAPChanges records, for each Device already in the estate that the
// file names with another MAP, a change of MAP as ChangeMAP does (the old
// owner's period closed in map_periods, the Device moved between portfolio
// groups, an audit record) and says how many. The file carries no date for
// a change of MAP (supply_start dates the Device's supply, not its owner),
// so, as a single change without an effective date, the change takes effect
// on the import's day: the MAP the file names is the owner from today.
// checkMAPChanges has refused the file if a change cannot take effect then.
// It runs before the new Devices are inserted, so the join finds only
// Devices that were there already.
//
// The changes are read first (a MAP sale moves thousands of Devices, not
// millions) and then each is applied with moveMAP, so the import keeps the
// portfolio aggregates exactly as single changes do.
func importMAPChanges(ctx context.Context, tx *store.Tx, og *orgs, day sec.Date) (int64, error) {
	type move struct{ id, newMAP int64 }
	var moves []move
	err := each(ctx, tx, `SELECT s.id, COALESCE(s.map_id, 0)`+mapChangedSQL+` ORDER BY s.id`, func(r *sqlRows) error {
		var m move
		if err := r.Scan(&m.id, &m.newMAP); err != nil {
			return err
		}
		moves = append(moves, m)
		return nil
	})
	if err != nil {
		return 0, err
	}
	sys := access.SystemCaller("import devices")
	for _, m := range moves {
		r, err := loadDevice(ctx, tx, sys, DeviceIDFromInt64(m.id), true)
		if err != nil {
			return 0, err
		}
		var since sec.Date
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(d.map_since, `+firstKnownSQL+`) FROM devices d WHERE d.id = $1`, m.id).
			Scan(&since); err != nil {
			return 0, errs.Wrap(err, "read MAP history")
		}
		code := ""
		if m.newMAP != 0 {
			code = og.code(m.newMAP)
		}
		if err := moveMAP(ctx, tx, r, m.newMAP, code, since, day); err != nil {
			return 0, err
		}
	}
	return int64(len(moves)), nil
}

func upper(s string) string { return strings.ToUpper(s) }
