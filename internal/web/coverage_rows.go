package web

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/metersec/metersec/internal/coverage"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
)

// A Supplier's coverage is computed whole in memory from the portfolio
// aggregates (a few hundred models at national scale), so its rows are
// paged here, by keyset all the same: a cursor holds the sort key and model
// id of the row a page ends on, and the next page is the rows after it, so
// a model that appears between two pages neither repeats a row nor pushes
// one off the page it was due on.

// coverageSorts are the orders of a Supplier's rows, as ?sort= spells them.
var coverageSorts = []string{"model", "-model", "devices", "-devices"}

const (
	coverageDefaultSort  = "-devices"
	coverageDefaultLimit = 20
)

type rowCursor struct {
	Sort string `json:"s"`
	Text string `json:"t,omitempty"`
	N    int64  `json:"n,omitempty"`
	ID   int64  `json:"i"`
	Back bool   `json:"b,omitempty"`
}

func rowKey(mc coverage.ModelCoverage) string { return mc.Manufacturer.Code + "/" + mc.Model.Code }

// compareRow orders rows by sort, then model id.
func compareRow(sort string, a, b coverage.ModelCoverage) int {
	name, desc := strings.CutPrefix(sort, "-")
	var c int
	if name == "devices" {
		c = cmp.Compare(a.Counts.Devices, b.Counts.Devices)
	} else {
		c = cmp.Compare(rowKey(a), rowKey(b))
	}
	c = cmp.Or(c, cmp.Compare(a.ModelID(), b.ModelID()))
	if desc {
		return -c
	}
	return c
}

// compareCursor is how row compares with the cursor's row in sort.
func compareCursor(sort string, row coverage.ModelCoverage, cur rowCursor) int {
	name, desc := strings.CutPrefix(sort, "-")
	var c int
	if name == "devices" {
		c = cmp.Compare(row.Counts.Devices, cur.N)
	} else {
		c = cmp.Compare(rowKey(row), cur.Text)
	}
	c = cmp.Or(c, cmp.Compare(row.ModelID(), cur.ID))
	if desc {
		return -c
	}
	return c
}

func encodeRowCursor(sort string, mc coverage.ModelCoverage, back bool) string {
	c := rowCursor{Sort: sort, ID: mc.ModelID(), Back: back}
	if strings.TrimPrefix(sort, "-") == "devices" {
		c.N = mc.Counts.Devices
	} else {
		c.Text = rowKey(mc)
	}
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// rowPage is one page of a Supplier's rows.
type rowPage struct {
	Rows       []coverage.ModelCoverage
	Total      int
	Next, Prev string
	Limit      int
	Sort       string
}

// pageCoverageRows sorts rows and cuts the page the query asks for.
func pageCoverageRows(rows []coverage.ModelCoverage, sort, cursor, limitText string) (rowPage, error) {
	if sort == "" {
		sort = coverageDefaultSort
	}
	if !slices.Contains(coverageSorts, sort) {
		return rowPage{}, errs.FieldError("sort", "must be one of %s", strings.Join(coverageSorts, ", "))
	}
	// 20 models a page by default, not the lists' 50: a model's row
	// carries its route, MAPs and arrangements with its shares folded
	// beneath, and at a million Devices 25 of them were 5,770 px tall.
	limit := coverageDefaultLimit
	if limitText != "" {
		n, err := strconv.Atoi(limitText)
		if err != nil || n < 1 || n > 500 {
			return rowPage{}, errs.FieldError("limit", "must be a whole number from 1 to 500")
		}
		limit = n
	}
	p := rowPage{Total: len(rows), Limit: limit, Sort: sort}
	slices.SortFunc(rows, func(a, b coverage.ModelCoverage) int { return compareRow(sort, a, b) })
	start, end := 0, min(limit, len(rows))
	if cursor != "" {
		var cur rowCursor
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || json.Unmarshal(b, &cur) != nil || cur.Sort != sort {
			return rowPage{}, errs.FieldError("cursor", "is not a cursor this list gave (start again from the first page)")
		}
		// The first row after the cursor's (or, going back, the cursor's
		// row itself or the first after it, and the page before that).
		i, _ := slices.BinarySearchFunc(rows, cur, func(row coverage.ModelCoverage, c rowCursor) int { return compareCursor(sort, row, c) })
		if cur.Back {
			start, end = max(0, i-limit), i
		} else {
			if i < len(rows) && compareCursor(sort, rows[i], cur) == 0 {
				i++
			}
			start, end = i, min(i+limit, len(rows))
		}
	}
	p.Rows = rows[start:end]
	if start > 0 && len(p.Rows) > 0 {
		p.Prev = encodeRowCursor(sort, p.Rows[0], true)
	}
	if end < len(rows) && len(p.Rows) > 0 {
		p.Next = encodeRowCursor(sort, p.Rows[len(p.Rows)-1], false)
	}
	return p, nil
}

// coverageModelRow is a model's row on a Supplier's coverage page: what
// its shares (a share per MAP and route) have in common, the shares
// themselves folded beneath. At a million Devices a model's Devices under
// one status split among up to a dozen MAPs, and a row per share made a
// page of 25 models 19,000 px tall.
type coverageModelRow struct {
	M            coverage.ModelCoverage
	Routes, MAPs []string
	Arrangements []coverage.ArrangementRef
	// Until is the earliest day a share's status holds until (a churn
	// window closing, a Letter of Intent's end); zero when none ends.
	Until sec.Date
}

func modelRows(ms []coverage.ModelCoverage) []coverageModelRow {
	out := make([]coverageModelRow, len(ms))
	for i, mc := range ms {
		r := coverageModelRow{M: mc}
		seen := map[string]bool{}
		for _, p := range mc.Parts {
			if l := p.Route.Label(); !slices.Contains(r.Routes, l) {
				r.Routes = append(r.Routes, l)
			}
			if p.MAP != nil && !slices.Contains(r.MAPs, p.MAP.Code) {
				r.MAPs = append(r.MAPs, p.MAP.Code)
			}
			for _, a := range p.Arrangements {
				key := a.Reference + "|" + a.KindLabel + "|" + strings.Join(a.Parties, "–")
				if !seen[key] {
					seen[key] = true
					r.Arrangements = append(r.Arrangements, a)
				}
			}
			if !p.Until.IsZero() && (r.Until.IsZero() || p.Until.Before(r.Until)) {
				r.Until = p.Until
			}
		}
		out[i] = r
	}
	return out
}
