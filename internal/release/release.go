// Package release keeps the SEC release history and the modifications
// register as data. The date-based rules (obligations, coverage, fan-out)
// take the release table as a value (sec.Versions); this package decides
// where the value comes from: the sec_releases table the secretariat keeps,
// or, while it is empty, the table shipped in the binary (releases.csv),
// whose dates say which are from a public source and which are not. An
// answer resting on a date that is not public says so (sec.Versions.Caveat).
//
// It owns sec_releases, sec_release_history and sec_modifications.
package release

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

//go:embed releases.csv
var shippedReleases []byte

//go:embed modifications.csv
var shippedModifications []byte

// Row is one SEC release as the data holds it.
type Row struct {
	Version   sec.Version `json:"version"`
	Effective sec.Date    `json:"effective"`
	Public    bool        `json:"public"`
	Source    string      `json:"source"`
	Note      string      `json:"note,omitempty"`
}

// Table is the release history in force, where it came from, and the
// modifications register.
type Table struct {
	Rows []Row `json:"releases"`
	// Shipped is true while the table shipped in the binary applies (the
	// secretariat has imported none).
	Shipped       bool           `json:"shipped"`
	Modifications []Modification `json:"modifications"`
	versions      sec.Versions
}

// Versions is the table as the rules take it, with a caveat for every
// release whose date is not public.
func (t Table) Versions() sec.Versions { return t.versions }

// Settings returns s with the rule changes of implemented modifications:
// G320FixVersion is the release implementing the DP087 fix, if any.
func (t Table) Settings(s sec.Settings) sec.Settings {
	if r, ok := t.EffectFrom(sec.EffectG320Fix); ok {
		s.G320FixVersion = r.Version
	}
	return s
}

// EffectFrom returns the release from which a modification's rule change
// applies (MP203's triage duties from the November 2022 release), if an
// implemented modification makes it.
func (t Table) EffectFrom(effect string) (sec.Release, bool) {
	for _, m := range t.Modifications {
		if m.Effect == effect && m.Stage == sec.ModImplemented && !m.Release.IsZero() {
			if r, err := t.versions.Find(m.Release); err == nil {
				return r, true
			}
		}
	}
	return sec.Release{}, false
}

var header = []string{"version", "effective", "public", "source", "note"}

// ParseCSV reads a release table: a header line (version, effective, public,
// source, note), then one release per line, oldest first. Every problem is
// reported with its line; a table with any problem is refused whole.
// isCSVError says whether err, from the CSV reader, is the file's fault as
// CSV (or the file is empty), rather than a failure to read it (a gzip stream
// that breaks, bytes that are not UTF-8, a body over its limit), which the
// reader's error says in its own terms.
func isCSVError(err error) bool {
	var pe *csv.ParseError
	return errors.Is(err, io.EOF) || errors.As(err, &pe)
}

func ParseCSV(r io.Reader) ([]Row, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil && !isCSVError(err) {
		return nil, err // the reader's own failure: a broken upload, a body over its limit
	}
	if err != nil {
		return nil, errs.Fields("the release table is not valid", errs.Field{Line: 1, Message: "expected the header " + strings.Join(header, ",")})
	}
	for i := range head {
		head[i] = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(head[i], "\ufeff")))
	}
	if strings.Join(head, ",") != strings.Join(header, ",") {
		return nil, errs.Fields("the release table is not valid", errs.Field{Line: 1, Message: "the header must be " + strings.Join(header, ",")})
	}
	var rows []Row
	var bad errs.Collector
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !isCSVError(err) {
			return nil, err
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			bad.Add(errs.Field{Line: line, Message: "not valid CSV: " + err.Error()})
			break
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			bad.Add(errs.Field{Line: line, Message: fmt.Sprintf("has %d fields, want %d", len(rec), len(header))})
			continue
		}
		var row Row
		if row.Version, err = sec.ParseVersion(rec[0]); err != nil {
			bad.Add(errs.Field{Line: line, Field: "version", Message: err.Error()})
		}
		if row.Effective, err = sec.ParseDate(strings.TrimSpace(rec[1])); err != nil {
			bad.Add(errs.Field{Line: line, Field: "effective", Message: err.Error()})
		}
		switch strings.ToLower(strings.TrimSpace(rec[2])) {
		case "yes", "true":
			row.Public = true
		case "no", "false":
		default:
			bad.Add(errs.Field{Line: line, Field: "public", Message: "must be yes or no: is the effective date from a public source?"})
		}
		row.Source, row.Note = strings.TrimSpace(rec[3]), strings.TrimSpace(rec[4])
		if row.Source == "" {
			bad.Add(errs.Field{Line: line, Field: "source", Message: "say where the date comes from (or that it is not public and why)"})
		}
		rows = append(rows, row)
	}
	if len(bad.Fields) > 0 {
		return nil, &errs.Error{Code: errs.Invalid, Message: "the release table is not valid", Fields: bad.Fields, More: bad.More}
	}
	if _, err := versionsOf(rows); err != nil {
		return nil, errs.FieldError("releases", "%v", err)
	}
	return rows, nil
}

func versionsOf(rows []Row) (sec.Versions, error) {
	rels := make([]sec.Release, len(rows))
	caveats := map[sec.Version]string{}
	for i, r := range rows {
		rels[i] = sec.Release{Version: r.Version, Effective: r.Effective, Note: r.Note}
		if !r.Public {
			caveats[r.Version] = r.Source
		}
	}
	vs, err := sec.NewVersions(rels)
	if err != nil {
		return vs, err
	}
	return vs.WithCaveats(caveats), nil
}

// CSV writes rows in the form ParseCSV reads.
func CSV(rows []Row) string {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(header)
	for _, r := range rows {
		pub := "no"
		if r.Public {
			pub = "yes"
		}
		w.Write([]string{r.Version.String(), r.Effective.String(), pub, r.Source, r.Note})
	}
	w.Flush()
	return b.String()
}

// Shipped is the table shipped in the binary.
func Shipped() []Row {
	rows, err := ParseCSV(bytes.NewReader(shippedReleases))
	if err != nil {
		panic("shipped releases.csv: " + err.Error())
	}
	return rows
}

// Load reads the release table in force and the modifications register.
func Load(ctx context.Context, q store.Querier) (Table, error) {
	t := Table{}
	rows, err := q.QueryContext(ctx, "SELECT version, effective, public, source, note FROM sec_releases")
	if err != nil {
		return t, errs.Wrap(err, "read releases")
	}
	for rows.Next() {
		var r Row
		if err := rows.Scan(&r.Version, &r.Effective, &r.Public, &r.Source, &r.Note); err != nil {
			rows.Close()
			return t, errs.Wrap(err, "read releases")
		}
		t.Rows = append(t.Rows, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return t, errs.Wrap(err, "read releases")
	}
	if len(t.Rows) == 0 {
		t.Rows, t.Shipped = Shipped(), true
	}
	sortRows(t.Rows)
	if t.versions, err = versionsOf(t.Rows); err != nil {
		return t, errs.Wrap(err, "release table")
	}
	t.Modifications, err = loadModifications(ctx, q)
	return t, err
}

func sortRows(rows []Row) {
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0 && rows[j].Effective.Before(rows[j-1].Effective); j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
}

// MayEdit reports whether the caller may change the release table or the
// register: the secretariat and the SSC, and operators at the command line.
func MayEdit(c access.Caller) bool { return c.System || c.IsSSC() }

// Import replaces the release table with a CSV file, whole or not at all,
// keeping the table as it was in the history with the reason.
func Import(ctx context.Context, db *store.DB, c access.Caller, r io.Reader, reason string) (Table, error) {
	if !MayEdit(c) {
		return Table{}, errs.E(errs.Forbidden, "only the secretariat and the SSC may change the SEC release table")
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Table{}, errs.FieldError("reason", "say why the release table changes (it is kept in the history)")
	}
	rows, err := ParseCSV(r)
	if err != nil {
		return Table{}, err
	}
	err = db.Write(ctx, c, func(tx *store.Tx) error {
		before, err := Load(ctx, tx)
		if err != nil {
			return err
		}
		for _, m := range before.Modifications {
			if !m.Release.IsZero() && !hasVersion(rows, m.Release) {
				return errs.FieldError("releases", "modification %s is implemented in v%s, which the new table lacks", m.Ref, m.Release)
			}
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM sec_releases"); err != nil {
			return errs.Wrap(err, "replace releases")
		}
		for _, r := range rows {
			if _, err := tx.ExecContext(ctx, "INSERT INTO sec_releases (version, effective, public, source, note) VALUES ($1, $2, $3, $4, $5)",
				r.Version.String(), r.Effective, r.Public, r.Source, r.Note); err != nil {
				return errs.Wrap(err, "replace releases")
			}
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO sec_release_history (changed_at, changed_by, reason, previous, current)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, tx.Now, c.Name, reason, CSV(before.Rows), CSV(rows)).Scan(&id); err != nil {
			return errs.Wrap(err, "release history")
		}
		return audit.Record(ctx, tx, "sec.releases.import", "sec_release_history", id, rows)
	})
	if err != nil {
		return Table{}, err
	}
	return Load(ctx, db)
}

func hasVersion(rows []Row, v sec.Version) bool {
	for _, r := range rows {
		if r.Version == v {
			return true
		}
	}
	return false
}

// Change is one replacement of the release table.
type Change struct {
	ID        int64     `json:"id"`
	ChangedAt time.Time `json:"changed_at"`
	ChangedBy string    `json:"changed_by"`
	Reason    string    `json:"reason"`
	Previous  string    `json:"previous_csv"`
	Current   string    `json:"current_csv"`
}

// HistorySpec is what the history of the release table accepts (issue 15):
// newest first, a page at a time (each change carries the table before and
// after, so pages are short), q over the reason and who made the change,
// and a range of days.
var HistorySpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "id", Label: "Change", Expr: "h.id", Kind: listing.Int},
		{Name: "changed_at", Label: "When", Expr: "h.changed_at", Kind: listing.Time},
		{Name: "changed_by", Label: "Who", Expr: "h.changed_by", Kind: listing.Text},
	},
	Default: "-id",
	ID:      "h.id",
	Search:  "text in the reason or the name of who made the change",
	Dates:   "day of the change (UTC)",
	Limit:   100,
}

// HistoryHeader is the header of the history's CSV export.
var HistoryHeader = []string{"id", "changed_at", "changed_by", "reason", "previous_csv", "current_csv"}

// CSV is the change as a row of the export (ISO times).
func (ch Change) CSV() []string {
	return []string{strconv.FormatInt(ch.ID, 10), ch.ChangedAt.UTC().Format(time.RFC3339), ch.ChangedBy, ch.Reason, ch.Previous, ch.Current}
}

var historyQuery = listing.Query[Change]{
	What:    "release history",
	Columns: func(*access.Args) string { return "h.id, h.changed_at, h.changed_by, h.reason, h.previous, h.current" },
	From:    " FROM sec_release_history h",
	Where: func(args *access.Args, req listing.Request) string {
		where := []string{"TRUE"}
		if req.Q != "" {
			like := args.Add(listing.Like(req.Q))
			where = append(where, "(lower(h.reason) LIKE "+like+" ESCAPE '\\' OR lower(h.changed_by) LIKE "+like+" ESCAPE '\\')")
		}
		if !req.From.IsZero() {
			where = append(where, "h.changed_at >= "+args.Add(req.From.Time()))
		}
		if !req.To.IsZero() {
			where = append(where, "h.changed_at < "+args.Add(req.To.AddDays(1).Time()))
		}
		return strings.Join(where, " AND ")
	},
	Scan: func(r listing.Scanner) (Change, error) {
		var ch Change
		err := r.Scan(&ch.ID, &ch.ChangedAt, &ch.ChangedBy, &ch.Reason, &ch.Previous, &ch.Current)
		ch.ChangedAt = ch.ChangedAt.UTC()
		return ch, err
	},
	Key: func(ch Change, req listing.Request) (any, int64) {
		switch req.Sort.Name {
		case "changed_at":
			return ch.ChangedAt, ch.ID
		case "changed_by":
			return ch.ChangedBy, ch.ID
		}
		return ch.ID, ch.ID
	},
}

// History lists every change to the release table, newest first.
func History(ctx context.Context, db *store.DB) ([]Change, error) {
	out := []Change{}
	err := historyQuery.Each(ctx, db, HistorySpec.First().Export(), func(ch Change) error { out = append(out, ch); return nil })
	return out, err
}

// HistoryPage is one page of the history with the total the filters match.
func HistoryPage(ctx context.Context, db *store.DB, c access.Caller, req listing.Request) (listing.Page[Change], error) {
	var page listing.Page[Change]
	err := db.Read(ctx, c, func(tx *store.Tx) error {
		var err error
		page, err = historyQuery.Page(ctx, tx, req)
		return err
	})
	return page, err
}

// ExportHistory writes every change the filters match to w, row by row.
func ExportHistory(ctx context.Context, db *store.DB, c access.Caller, req listing.Request, w listing.Writer) error {
	return db.Read(ctx, c, func(tx *store.Tx) error {
		return historyQuery.Export(ctx, tx, req, w, Change.CSV)
	})
}
