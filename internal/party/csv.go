package party

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/store"
)

// CSVHeader is the header of a parties file. roles is a list of
// organisation role codes separated by ";" (for example
// "manufacturer;map"); the contact columns give the primary security
// contact and may be empty together.
var CSVHeader = []string{"code", "name", "roles", "contact_name", "contact_email", "contact_phone"}

// ImportResult says what an import did.
type ImportResult struct {
	Rows      int `json:"rows"`
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// Import loads a parties file: every row valid or nothing is written. A party
// that exists already is brought in line with its row, so importing the same
// file twice changes nothing the second time.
func (s *Service) Import(ctx context.Context, c access.Caller, r io.Reader) (ImportResult, error) {
	if !MayAdminister(c) {
		return ImportResult{}, errs.E(errs.Forbidden, "only SSC members and the secretariat may import organisations")
	}
	rows, err := readCSV(r)
	if err != nil {
		return ImportResult{}, err
	}
	var res ImportResult
	err = s.DB.Write(ctx, c, func(tx *store.Tx) error {
		res = ImportResult{Rows: len(rows)}
		for _, row := range rows {
			existing, err := get(ctx, tx, access.SystemCaller("import"), row.party.Code)
			switch {
			case errs.Is(err, errs.NotFound):
				if _, err := create(ctx, tx, row.party); err != nil {
					return lineErr(row.line, err)
				}
				res.Created++
				continue
			case err != nil:
				return err
			}
			changed := false
			rowRoles := sortRoles(row.party.roles)
			rolesChanged := !slices.Equal(existing.Roles, rowRoles)
			if existing.Name != row.party.Name || rolesChanged {
				if rolesChanged {
					existing.Roles = rowRoles
					if err := checkMembersKeepRoles(ctx, tx, existing); err != nil {
						return lineErr(row.line, err)
					}
					if err := setRoles(ctx, tx, existing.ID, existing.Roles); err != nil {
						return err
					}
				}
				existing.Name = row.party.Name
				if _, err := tx.ExecContext(ctx, "UPDATE organisations SET name = $1, updated_at = $2 WHERE id = $3",
					existing.Name, tx.Now, existing.ID); err != nil {
					return errs.Wrap(err, "update party")
				}
				if err := audit.Record(ctx, tx, "party.update", Kind, existing.Code, existing); err != nil {
					return err
				}
				changed = true
			}
			for _, ci := range row.party.Contacts {
				before := len(existing.Contacts)
				ct, err := setContact(ctx, tx, existing, ci)
				if err != nil {
					return lineErr(row.line, err)
				}
				if !slices.ContainsFunc(existing.Contacts[:before], func(x Contact) bool { return x.ID == ct.ID }) {
					changed = true
				}
			}
			if changed {
				res.Updated++
			} else {
				res.Unchanged++
			}
		}
		return nil
	})
	return res, err
}

type csvRow struct {
	line  int
	party NewParty
}

func lineErr(line int, err error) error {
	e := errs.As(err)
	if e.Code == errs.Internal {
		return err
	}
	return &errs.Error{Code: e.Code, Message: "the file was not imported: line " + itoa(line) + ": " + e.Message,
		Fields: []errs.Field{{Line: line, Message: e.Message}}}
}

// readCSV parses and checks every row, so that the first problem does not
// hide the rest: the error lists the first 100 with their line numbers.
func readCSV(r io.Reader) ([]csvRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errs.E(errs.Invalid, "the file is empty: it needs the header %s", strings.Join(CSVHeader, ","))
	}
	if err != nil {
		return nil, errs.E(errs.Invalid, "the file is not valid CSV: %v", err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	if !slices.Equal(header, CSVHeader) {
		return nil, errs.E(errs.Invalid, "line 1: the header must be %s, not %s", strings.Join(CSVHeader, ","), strings.Join(header, ","))
	}
	var problems errs.Collector
	var out []csvRow
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// FieldPos is only defined for a record that was read; a parse
			// error carries its own line.
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			problems.Add(errs.Field{Line: line, Message: "not valid CSV: " + err.Error()})
			if pe == nil || pe.Err != csv.ErrFieldCount {
				break
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(CSVHeader) {
			problems.Add(errs.Field{Line: line, Message: "has " + itoa(len(rec)) + " fields, the header has " + itoa(len(CSVHeader))})
			continue
		}
		p := NewParty{Code: rec[0], Name: rec[1], Roles: splitRoles(rec[2])}
		if rec[3] != "" || rec[4] != "" || rec[5] != "" {
			p.Contacts = []ContactInput{{Label: "primary", Name: rec[3], Email: rec[4], Phone: rec[5]}}
		}
		if err := p.normalise(); err != nil {
			for _, f := range errs.As(err).Fields {
				f.Line = line
				problems.Add(f)
			}
			continue
		}
		if first, dup := seen[p.Code]; dup {
			problems.Add(errs.Field{Line: line, Field: "code", Message: p.Code + " already appears on line " + itoa(first)})
			continue
		}
		seen[p.Code] = line
		out = append(out, csvRow{line: line, party: p})
	}
	if err := problems.Err("the file was not imported: " + itoa(problems.Count()) + " problems"); err != nil {
		return nil, err
	}
	return out, nil
}

func splitRoles(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
