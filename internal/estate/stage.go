package estate

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// The bulk changes share one shape, chosen so memory stays bounded however
// many rows a file has (35 million Devices is the GB estate) and so both
// engines run the same SQL:
//
//  1. Each row is parsed and its codes resolved to ids in Go, against small
//     maps of organisations and the catalogue (thousands of entries).
//  2. The resolved rows are staged, streaming, in a table of the
//     transaction (store.Tx.CreateStaging and Stage): on PostgreSQL through
//     one COPY for the whole file, on SQLite through prepared multi-row
//     INSERTs.
//  3. What needs the estate or the whole file (duplicates, clashes with
//     Devices already there, supply periods moving backwards) is checked in
//     SQL over the staged rows, and only the first problems are fetched.
//  4. The change is applied set-based: one INSERT … SELECT for the Devices,
//     one INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE for each
//     aggregate. No row of the file is ever held in Go.
//
// Everything happens in the caller's transaction, so a file is all or
// nothing.

// progressEvery is how often, in rows, a bulk change reports progress.
const progressEvery = 100_000

// createTemp makes an empty staging table for this transaction (see
// store.Tx.CreateStaging): cols in BIGINT, TEXT and @date; key, on SQLite,
// the primary key the rows are kept in.
func createTemp(ctx context.Context, tx *store.Tx, name, cols, key string) error {
	return errs.Wrap(tx.CreateStaging(ctx, name, cols, key), "estate: staging table")
}

// tune sets PostgreSQL up for one bulk change, for this transaction only:
// the planner guesses groups of staged rows by the million (it cannot know
// that a million Devices fall into a few thousand portfolio groups), so with
// the default 4 MB of work_mem it plans hash aggregates that spill to disk,
// and it JIT-compiles every such statement, which costs more than it saves
// on statements that each run once.
func tune(ctx context.Context, tx *store.Tx) error {
	if err := tx.SetLocal(ctx, "work_mem", "64MB"); err != nil {
		return errs.Wrap(err, "estate: tune")
	}
	return errs.Wrap(tx.SetLocal(ctx, "jit", "off"), "estate: tune")
}

// capCache bounds SQLite's page cache, and with it its sorter, which may hold
// as much per sort, for one bulk change; restore puts the connection's size
// back. Those two are most of the process's memory in a bulk change (see
// BENCHMARKS.md): a 10M-row devices file peaked at 231 MB with the
// connection's 64 MB cache and at 143 MB with 16 MB, for 15% more time; a
// 1.3M-row churn file on a 10M-Device estate at 434 MB and 189 MB, for a
// quarter more. PostgreSQL's memory is the server's: nothing to do.
func capCache(ctx context.Context, tx *store.Tx) (restore func(), err error) {
	restore, err = tx.CapCache(ctx, 16384)
	return restore, errs.Wrap(err, "estate: cache size")
}

// dropTemp removes staging tables (see store.Tx.DropStaging).
func dropTemp(ctx context.Context, tx *store.Tx, names ...string) error {
	return errs.Wrap(tx.DropStaging(ctx, names...), "estate: staging table")
}

// analyze gives PostgreSQL's planner the size of a staging table: it never
// gathers statistics for temporary tables by itself, and guesses badly for
// millions of rows.
func analyze(ctx context.Context, tx *store.Tx, name string) error {
	return errs.Wrap(tx.Analyze(ctx, name), "estate: analyze staging table")
}

// stage copies the rows next yields (nil at the end) into table (see
// store.Tx.Stage). Dates in the rows must be the dialect's Date.
func stage(ctx context.Context, tx *store.Tx, table string, cols []string, next func() ([]any, error)) (int64, error) {
	n, err := tx.Stage(ctx, table, cols, next)
	return n, errs.Wrap(err, "estate: stage rows")
}

// orgInfo is an organisation and the roles that matter to the estate.
type orgInfo struct {
	id                       int64
	code                     string
	supplier, mapRole, maker bool
}

// orgs is every organisation by code (upper case) and by id: hundreds at
// most.
type orgs struct {
	byCode map[string]*orgInfo
	byID   map[int64]*orgInfo
}

func loadOrgs(ctx context.Context, tx *store.Tx) (*orgs, error) {
	o := &orgs{byCode: map[string]*orgInfo{}, byID: map[int64]*orgInfo{}}
	rows, err := tx.QueryContext(ctx, `SELECT o.id, o.code, COALESCE(r.role, '') FROM organisations o
		LEFT JOIN organisation_roles r ON r.org_id = o.id`)
	if err != nil {
		return nil, errs.Wrap(err, "estate: organisations")
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var code, role string
		if err := rows.Scan(&id, &code, &role); err != nil {
			return nil, errs.Wrap(err, "estate: organisations")
		}
		oi := o.byID[id]
		if oi == nil {
			oi = &orgInfo{id: id, code: code}
			o.byID[id] = oi
			o.byCode[strings.ToUpper(code)] = oi
		}
		switch r := sec.OrgRole(role); {
		case r.IsSupplier():
			oi.supplier = true
		case r == sec.MAP:
			oi.mapRole = true
		case r == sec.Manufacturer:
			oi.maker = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, "estate: organisations")
	}
	return o, nil
}

func (o *orgs) code(id int64) string {
	if oi := o.byID[id]; oi != nil {
		return oi.code
	}
	return fmt.Sprint(id)
}

// supplier resolves a Supplier's code, or says what is wrong with it.
func (o *orgs) supplier(code string) (int64, string) {
	oi := o.byCode[strings.ToUpper(code)]
	switch {
	case oi == nil:
		return 0, "no such organisation"
	case !oi.supplier:
		return 0, "the organisation is not a Supplier"
	}
	return oi.id, ""
}

// bulkScope says whose rows a caller may import: every row (0), or only those
// of its own organisation (the Supplier's id).
func bulkScope(c access.Caller) (int64, error) {
	switch {
	case c.System, c.IsSSC(), c.Has(sec.RoleAdmin):
		return 0, nil
	case c.Has(sec.RoleSupplier) && c.OrgID != 0:
		return c.OrgID, nil
	}
	return 0, errs.E(errs.Forbidden, "only Suppliers, SSC members, the secretariat and administrators may change the estate")
}

// countingReader counts the bytes read through it, for progress.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// csvFile reads a CSV file as records with their line numbers, collecting
// the problems of the file's syntax.
type csvFile struct {
	cr       *csv.Reader
	counter  *countingReader
	progress func(rows, bytes int64)
	rows     int64
	probs    *errs.Collector
	done     bool
}

// read returns the next record and its line, or nil at the end of the file
// or at a CSV syntax error (after which nothing can be read reliably).
func (f *csvFile) read() ([]string, int) {
	if f.done {
		return nil, 0
	}
	rec, err := f.cr.Read()
	if errors.Is(err, io.EOF) {
		f.done = true
		return nil, 0
	}
	if err != nil {
		line := 0
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			line = pe.Line
		}
		f.probs.Add(errs.Field{Line: line, Message: "not valid CSV: " + csvMessage(err)})
		f.done = true
		return nil, 0
	}
	line, _ := f.cr.FieldPos(0)
	f.rows++
	if f.progress != nil && f.rows%progressEvery == 0 {
		f.progress(f.rows, f.counter.n)
	}
	return rec, line
}

// openCSV checks the header of a CSV file and returns a reader of the rest.
func openCSV(r io.Reader, header []string, check func([]string) error, opts ImportOptions, probs *errs.Collector) (*csvFile, error) {
	cnt := &countingReader{r: r}
	cr := csv.NewReader(cnt)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	h, err := cr.Read()
	switch {
	case errors.Is(err, io.EOF):
		return nil, errs.E(errs.Invalid, "the file is empty: it needs the header %s", strings.Join(header, ","))
	case err != nil:
		return nil, errs.E(errs.Invalid, "line 1: the file is not valid CSV: %v", csvMessage(err))
	}
	if err := check(h); err != nil {
		return nil, errs.E(errs.Invalid, "line 1: %v", err)
	}
	return &csvFile{cr: cr, counter: cnt, progress: opts.Progress, probs: probs}, nil
}

// csvMessage is a CSV error without the position the caller reports itself.
func csvMessage(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if pe.Column > 0 {
			return fmt.Sprintf("%v (column %d)", pe.Err, pe.Column)
		}
		return pe.Err.Error()
	}
	return err.Error()
}

// addFieldErrors records a row's parse problems.
func addFieldErrors(probs *errs.Collector, line int, fes []FieldError) {
	for _, p := range fes {
		msg := p.Problem
		if p.Value != "" && p.Field != "" {
			msg = fmt.Sprintf("%q: %s", p.Value, p.Problem)
		}
		probs.Add(errs.Field{Line: line, Field: p.Field, Message: msg})
	}
}

// collect runs a query whose rows are problems and records each.
func collect(ctx context.Context, tx *store.Tx, probs *errs.Collector, q string, args []any, scan func(*sqlRows) (errs.Field, error)) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return errs.Wrap(err, "estate: check rows")
	}
	defer rows.Close()
	for rows.Next() {
		f, err := scan(rows)
		if err != nil {
			return errs.Wrap(err, "estate: check rows")
		}
		probs.Add(f)
	}
	return errs.Wrap(rows.Err(), "estate: check rows")
}

type sqlRows = sql.Rows

// each runs a query and calls fn on each row.
func each(ctx context.Context, tx *store.Tx, q string, fn func(*sqlRows) error) error {
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return errs.Wrap(err, "estate: read staged rows")
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return errs.Wrap(err, "estate: read staged rows")
		}
	}
	return errs.Wrap(rows.Err(), "estate: read staged rows")
}

// exec runs statements in order.
func exec(ctx context.Context, tx *store.Tx, what string, args []any, qs ...string) error {
	for _, q := range qs {
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return errs.Wrap(err, what)
		}
	}
	return nil
}

func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
