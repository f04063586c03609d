package arrangement

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/store"
)

// CSVHeader is the header of an arrangements file, one arrangement a row:
//
//	reference,kind,supplier,map,manufacturer,models,materiality,signed,effective,expires,sec_version,legacy,classification
//	C-2024-017,supplier_manufacturer,ALDM,,KLNW,*,"CVSS 7.0 or above, or any remote compromise",2024-01-10,2024-02-01,2027-01-31,5.21,,
//	L-2025-003,letter_of_intent,BRKP,MAP02,,KLNW/4A1F;AURV/D0EC,"as in the SSC's suggested wording",2025-02-01,2025-02-01,,,,GREEN
//
// kind is one of the Kind codes (or "loi", "scheme"); supplier, map and
// manufacturer are organisation codes (supplier is the User's side: an
// Energy Supplier, or with a manufacturer also a Network Party or Other User), empty where the kind names no such
// party; models is "*" for all models, or MODEL codes separated by ";"
// (MANUFACTURER/MODEL where the row names no manufacturer); legacy is "yes"
// for a scheme enrolment that takes in models certified before 22 June 2020;
// classification is AMBER when empty.
var CSVHeader = []string{"reference", "kind", "supplier", "map", "manufacturer", "models", "materiality",
	"signed", "effective", "expires", "sec_version", "legacy", "classification"}

// MaxImportRows bounds an arrangements file: there are hundreds of
// arrangements in GB, not millions.
const MaxImportRows = 20000

// ImportResult says what an import did.
type ImportResult struct {
	Rows      int    `json:"rows"`
	Created   int    `json:"created"`
	Unchanged int    `json:"unchanged"`
	Digest    string `json:"sha256"`
}

// Row is one parsed line of an arrangements file.
type Row struct {
	Line  int
	Input Input
}

// ParseCSV reads an arrangements file into rows, checking the shape of each
// (fields, kind, dates, flags); what needs the database (parties, models,
// overlaps) is checked by Import. Every problem is listed, up to 100.
func ParseCSV(r io.Reader) ([]Row, string, error) {
	h := sha256.New()
	cr := csv.NewReader(io.TeeReader(r, h))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, "", errs.E(errs.Invalid, "the file is empty: it needs the header %s", strings.Join(CSVHeader, ","))
	}
	if err != nil {
		return nil, "", errs.E(errs.Invalid, "the file is not valid CSV: %v", err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	if !slices.Equal(header, CSVHeader) {
		return nil, "", errs.E(errs.Invalid, "line 1: the header must be %s, not %s", strings.Join(CSVHeader, ","), strings.Join(header, ","))
	}
	var problems errs.Collector
	var out []Row
	refs := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// FieldPos is not valid after a parse error: the error has the line.
			var pe *csv.ParseError
			line := 0
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			problems.Add(errs.Field{Line: line, Message: "not valid CSV: " + err.Error()})
			if pe == nil || pe.Err != csv.ErrFieldCount {
				break
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		if len(out) >= MaxImportRows {
			return nil, "", errs.E(errs.TooLarge, "the file has more than %d arrangements; split it", MaxImportRows)
		}
		if len(rec) != len(CSVHeader) {
			problems.Add(errs.Field{Line: line, Message: fmt.Sprintf("has %d fields, the header has %d", len(rec), len(CSVHeader))})
			continue
		}
		row, fields := parseRow(rec)
		for _, f := range fields {
			f.Line = line
			problems.Add(f)
		}
		if len(fields) > 0 {
			continue
		}
		if row.Reference != "" {
			if prev, dup := refs[strings.ToUpper(row.Reference)]; dup {
				problems.Add(errs.Field{Line: line, Field: "reference", Message: fmt.Sprintf("%s is also on line %d", row.Reference, prev)})
				continue
			}
			refs[strings.ToUpper(row.Reference)] = line
		}
		out = append(out, Row{Line: line, Input: row})
	}
	if err := problems.Err("the file was not imported: fix these lines"); err != nil {
		return nil, "", err
	}
	if len(out) == 0 {
		return nil, "", errs.E(errs.Invalid, "the file has a header but no arrangements")
	}
	return out, hex.EncodeToString(h.Sum(nil)), nil
}

// parseRow reads one record's fields into an Input; the service checks the
// rest.
func parseRow(rec []string) (Input, []errs.Field) {
	get := func(name string) string { return strings.TrimSpace(rec[slices.Index(CSVHeader, name)]) }
	var fields []errs.Field
	in := Input{Reference: get("reference"), Kind: get("kind"), Supplier: get("supplier"), MAP: get("map"),
		Manufacturer: get("manufacturer"), Materiality: get("materiality"), Signed: get("signed"),
		Effective: get("effective"), Expires: get("expires"), SECVersion: get("sec_version"),
		Classification: get("classification")}
	if in.Reference == "" {
		fields = append(fields, errs.Field{Field: "reference", Message: "is required in a file, so that importing it again changes nothing"})
	}
	if _, err := ParseKind(in.Kind); err != nil {
		fields = append(fields, errs.Field{Field: "kind", Message: err.Error()})
	}
	switch models := get("models"); models {
	case "*", "all", "ALL":
		in.AllModels = true
	case "":
		fields = append(fields, errs.Field{Field: "models", Message: `is required: "*" for all models, or model codes separated by ";"`})
	default:
		for _, m := range strings.Split(models, ";") {
			if m = strings.TrimSpace(m); m != "" {
				in.Models = append(in.Models, m)
			}
		}
	}
	switch strings.ToLower(get("legacy")) {
	case "", "no", "false", "0":
	case "yes", "true", "1":
		in.Legacy = true
	default:
		fields = append(fields, errs.Field{Field: "legacy", Message: fmt.Sprintf("%q: want yes or no", get("legacy"))})
	}
	return in, fields
}

// Import loads an arrangements file: every row valid or nothing is stored.
// A row whose reference exists already with the same terms is left alone,
// so importing the same file twice changes nothing; one whose terms differ is
// an error (change it with an update, not an import). The caller must be
// entitled to record every row (a party to it, or the SSC). One audit record
// covers the whole import, with counts and the file's digest.
func (s *Service) Import(ctx context.Context, c access.Caller, r io.Reader) (ImportResult, error) {
	rows, digest, err := ParseCSV(r)
	if err != nil {
		return ImportResult{}, err
	}
	var res ImportResult
	err = s.DB.Write(ctx, c, func(tx *store.Tx) error {
		res = ImportResult{Rows: len(rows), Digest: digest}
		rv := newResolver(tx)
		today := s.today(tx.Now)
		var problems errs.Collector
		var created []string
		fail := func(line int, err error) error {
			e := errs.As(err)
			if e.Code == errs.Internal {
				return err
			}
			if len(e.Fields) == 0 {
				problems.Add(errs.Field{Line: line, Message: e.Message})
			}
			for _, f := range e.Fields {
				f.Line = line
				problems.Add(f)
			}
			return nil
		}
		for _, row := range rows {
			t, err := s.check(ctx, rv, row.Input, today)
			if err != nil {
				if err := fail(row.Line, err); err != nil {
					return err
				}
				continue
			}
			existing, err := s.get(ctx, tx, access.SystemCaller("import"), t.reference)
			switch {
			case errs.Is(err, errs.NotFound):
			case err != nil:
				return err
			default:
				if !mayChange(c, existing.partyIDs()) {
					// Say no more than "not found" would to a caller who
					// may not see it.
					problems.Add(errs.Field{Line: row.Line, Field: "reference", Message: t.reference + " is taken by an arrangement you are not a party to"})
					continue
				}
				if sameTerms(existing, t) {
					res.Unchanged++
					continue
				}
				problems.Add(errs.Field{Line: row.Line, Field: "reference", Message: t.reference + " exists with different terms: change it with an update, not an import"})
				continue
			}
			if _, err := s.create(ctx, tx, t, false); err != nil {
				if err := fail(row.Line, err); err != nil {
					return err
				}
				continue
			}
			created = append(created, t.reference)
			res.Created++
		}
		if err := problems.Err("the file was not imported: fix these lines"); err != nil {
			return err
		}
		// One audit record for the file: counts, the references created and
		// the file's digest (GUIDE: bulk operations are audited once).
		return audit.Record(ctx, tx, "arrangement.import", RecordKind, "import:"+digest[:16],
			map[string]any{"rows": res.Rows, "created": res.Created, "unchanged": res.Unchanged, "sha256": digest, "references": created})
	})
	return res, err
}

// sameTerms reports whether a stored arrangement says what a file row says.
func sameTerms(a Arrangement, t terms) bool {
	if a.Kind != t.kind || a.Title != t.title || a.AllModels != t.allModels || a.Materiality != t.materiality ||
		a.SECVersion != t.secVersion || a.Legacy != t.legacy || a.Signed != t.signed || a.Effective != t.effective ||
		a.Expires != t.expires || a.Classification != t.classification {
		return false
	}
	ids := func(o *Org) int64 {
		if o == nil {
			return 0
		}
		return o.ID
	}
	if ids(a.Supplier) != idOf(t.supplier) || ids(a.MAP) != idOf(t.mapOrg) || ids(a.Manufacturer) != idOf(t.manufacturer) {
		return false
	}
	var have, want []int64
	for _, m := range a.Models {
		have = append(have, m.ID)
	}
	for _, m := range t.models {
		want = append(want, m.id)
	}
	slices.Sort(have)
	slices.Sort(want)
	return slices.Equal(have, want)
}

// Record is the CSV record that ParseCSV reads back as the arrangement.
func (a Arrangement) Record() []string {
	in := a.input()
	models := "*"
	if !a.AllModels {
		models = strings.Join(in.Models, ";")
	}
	legacy := ""
	if a.Legacy {
		legacy = "yes"
	}
	return []string{a.Reference, string(a.Kind), in.Supplier, in.MAP, in.Manufacturer, models, a.Materiality,
		in.Signed, in.Effective, in.Expires, in.SECVersion, legacy, string(a.Classification)}
}
