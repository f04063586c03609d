package web

import (
	"strings"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
)

// maxEstateUpload bounds a devices or churn file: the national estate is
// some 50 million rows of under 200 bytes, and a gzip upload of it much
// less.
const maxEstateUpload = 16 << 30

// firmwareIn is the body of a firmware change.
type firmwareIn struct {
	Firmware string `json:"firmware"`
	Since    string `json:"since,omitempty"`
}

// statusIn is the body of a status change.
type statusIn struct {
	Status string `json:"status"`
}

// supplierIn is the body of a change of supplier.
type supplierIn struct {
	NewSupplier string `json:"new_supplier"`
	Effective   string `json:"effective_date,omitempty"`
}

// mapIn is the body of a change of MAP: new_map is required, "" for "no
// MAP", so an empty body changes nothing.
type mapIn struct {
	NewMAP    *string `json:"new_map"`
	Effective string  `json:"effective_date,omitempty"`
}

// transferIn is the body of a bulk transfer.
type transferIn struct {
	From      string `json:"from"`
	To        string `json:"to"`
	Effective string `json:"effective_date,omitempty"`
}

// change checks a change of supplier's fields.
func change(id estate.DeviceID, newSupplier, effective string) (estate.Change, error) {
	ch := estate.Change{DeviceID: id, NewSupplier: strings.ToUpper(strings.TrimSpace(newSupplier))}
	var fields []errs.Field
	if ch.NewSupplier == "" {
		fields = append(fields, errs.Field{Field: "new_supplier", Message: "is required: the organisation code of the new Responsible Supplier"})
	}
	d, err := optDate("effective_date", effective)
	if err != nil {
		fields = append(fields, errs.As(err).Fields...)
	}
	ch.Effective = d
	if len(fields) > 0 {
		return ch, errs.Fields("the change of supplier is not valid", fields...)
	}
	return ch, nil
}

func mapChange(id estate.DeviceID, newMAP, effective string) (estate.MAPChange, error) {
	d, err := optDate("effective_date", effective)
	if err != nil {
		return estate.MAPChange{}, err
	}
	return estate.MAPChange{DeviceID: id, NewMAP: strings.ToUpper(strings.TrimSpace(newMAP)), Effective: d}, nil
}
