package web

import (
	"net/http"
	"strings"

	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
)

// maxCatalogueUpload bounds a catalogue file. The GB catalogue is about
// 1,500 rows of some 200 bytes; 32 MiB leaves room for a hundred times that.
const maxCatalogueUpload = 32 << 20

// catalogueFilter reads the listing filter from the query.
func catalogueFilter(r *http.Request) (catalogue.Filter, error) {
	q := r.URL.Query()
	f := catalogue.Filter{Manufacturer: strings.TrimSpace(q.Get("manufacturer")), Query: q.Get("q")}
	var fields []errs.Field
	if t := q.Get("type"); t != "" {
		dt, err := sec.ParseDeviceType(t)
		if err != nil {
			fields = append(fields, errs.Field{Field: "type", Message: "want one of ESME, GSME, CHF, GPF, PPMID, HCALCS, IHD"})
		}
		f.DeviceType = dt
	}
	if g := q.Get("generation"); g != "" {
		gen, err := sec.ParseGeneration(g)
		if err != nil {
			fields = append(fields, errs.Field{Field: "generation", Message: "want SMETS1 or SMETS2+"})
		}
		f.Generation = gen
	}
	if len(fields) > 0 {
		return f, errs.Fields("the filter is not valid", fields...)
	}
	return f, nil
}

// importOptions reads the classification for models an import creates.
func importOptions(v string) (catalogue.ImportOptions, error) {
	var opts catalogue.ImportOptions
	if v = strings.TrimSpace(v); v != "" {
		cl, err := sec.ParseClassification(v)
		if err != nil {
			return opts, errs.FieldError("classification", "want WHITE, GREEN or AMBER")
		}
		opts.Classification = cl
	}
	return opts, nil
}
