package web

import (
	"encoding/csv"
	"net/http"
	"strconv"

	"github.com/metersec/metersec/internal/errs"
)

// formatParam is the format query parameter of a list endpoint that also
// exports: JSON (the default) or CSV with the same filters.
var formatParam = Param{Name: "format", Description: "json (default) or csv: the same rows, with the same filters, as a CSV file", Enum: []string{"json", "csv"}}

// wantCSV reads the format parameter.
func wantCSV(r *http.Request) (bool, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "", "json":
		return false, nil
	case "csv":
		return true, nil
	default:
		return false, errs.FieldError("format", "format must be json or csv, not %q", f)
	}
}

// csvExport starts a CSV download named name, its header row written; rows
// go straight to the response as they are written (flushed as the csv
// package's buffer fills), never held whole.
func csvExport(w http.ResponseWriter, name string, header ...string) *csv.Writer {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	cw.Write(header)
	return cw
}

func i64(n int64) string { return strconv.FormatInt(n, 10) }
