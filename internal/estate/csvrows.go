package estate

import (
	"fmt"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/sec"
)

// FieldError is one problem with one field of a CSV record; the estate and
// catalogue formats share it so importers report them alike.
type FieldError = catalogue.FieldError

// Premises says whether a Device serves domestic or non-domestic premises,
// which weights a Supplier's risk profile in the G8 assessment chooser
// (SECMP0059).
type Premises string

// Kinds of premises.
const (
	Domestic    Premises = "domestic"
	NonDomestic Premises = "non_domestic"
)

// DeviceHeader is the header of a devices CSV file, one row per Device as the
// estate stands on a date:
//
//	device_id,device_type,generation,manufacturer,model,firmware,supplier,supply_start,map,premises,enrolled_on
//	00-1A-2B-3C-4D-5E-6F-70,ESME,SMETS2+,MF01,4A1F,2.1.0,SUP03,2019-06-12,MAP02,domestic,
//	02-44-19-00-00-3A-11-C4,CHF,SMETS2+,MF07,0C01,0x0104,SUP03,2019-06-12,,domestic,
//	00-0D-6F-00-00-12-34-56,ESME,SMETS1,MF02,S1A,1.4,SUP03,2016-03-01,MAP02,domestic,2020-11-16
//
// device_id is an EUI-64 (see ParseDeviceID); manufacturer, supplier and map
// are organisation codes, model the model code within the manufacturer, and
// (manufacturer, model, firmware) names a catalogue row. supply_start is the
// date the current Supplier became responsible (YYYY-MM-DD). map is empty when
// no MAP owns the Device: Supplier-owned meters, and the Communications Hubs of
// SMETS2+ premises, which the DCC provides. premises is domestic or
// non_domestic. enrolled_on (optional, and the column itself may be left out)
// is the day a SMETS1 Device was enrolled onto the DCC: v5.20 brought in User
// obligations for enrolled SMETS1 Devices only (seeds/001), so without it no
// User carries G3.17(b) or G3.20(b) for the Device. SMETS2+ Devices have none.
var DeviceHeader = []string{
	"device_id", "device_type", "generation", "manufacturer", "model", "firmware",
	"supplier", "supply_start", "map", "premises", "enrolled_on",
}

// deviceHeaderNoEnrolment is DeviceHeader without its optional last column,
// the header of files written before enrolment dates were kept.
var deviceHeaderNoEnrolment = DeviceHeader[:len(DeviceHeader)-1]

// DeviceRow is one record of a devices CSV file: see DeviceHeader.
type DeviceRow struct {
	ID           DeviceID
	Type         sec.DeviceType
	Generation   sec.Generation
	Manufacturer string
	Model        string
	Firmware     catalogue.FirmwareVersion
	Supplier     string
	SupplyStart  time.Time // UTC midnight
	MAP          string    // "" when no MAP owns the Device
	Premises     Premises
	EnrolledOn   time.Time // UTC midnight; zero when not enrolled (or SMETS2+)
}

// ChurnHeader is the header of a churn CSV file, one row per change of
// Responsible Supplier of one Device, bulk transfers (Supplier of Last Resort)
// included:
//
//	device_id,new_supplier,effective_date
//	00-1A-2B-3C-4D-5E-6F-70,SUP07,2025-03-14
//
// From effective_date (YYYY-MM-DD) the new Supplier is responsible. Files are
// sorted by effective_date; checking that against the estate needs the estate,
// so the importer does it.
var ChurnHeader = []string{"device_id", "new_supplier", "effective_date"}

// ChurnRow is one record of a churn CSV file: see ChurnHeader.
type ChurnRow struct {
	DeviceID      DeviceID
	NewSupplier   string
	EffectiveDate time.Time // UTC midnight
}

// CheckDeviceHeader reports a header that is not exactly DeviceHeader, with
// or without its optional last column enrolled_on.
func CheckDeviceHeader(header []string) error {
	if len(header) == len(deviceHeaderNoEnrolment) && catalogue.CheckHeader(header, deviceHeaderNoEnrolment) == nil {
		return nil
	}
	return catalogue.CheckHeader(header, DeviceHeader)
}

// CheckChurnHeader reports a header that is not exactly ChurnHeader.
func CheckChurnHeader(header []string) error { return catalogue.CheckHeader(header, ChurnHeader) }

// ParseDeviceRow reads one record of a devices CSV file. Fields are trimmed of
// surrounding spaces. On any problem the row is the zero value and the problems
// name their fields, in column order.
func ParseDeviceRow(rec []string) (DeviceRow, []FieldError) {
	if len(rec) == len(deviceHeaderNoEnrolment) {
		rec = append(rec[:len(rec):len(rec)], "")
	}
	if p := checkCount(rec, DeviceHeader); p != nil {
		return DeviceRow{}, p
	}
	f := fields{rec: rec, header: DeviceHeader}
	r := DeviceRow{
		ID:           f.deviceID(0),
		Type:         f.deviceType(1),
		Generation:   f.generation(2),
		Manufacturer: f.code(3, true),
		Model:        f.code(4, true),
		Firmware:     f.firmware(5),
		Supplier:     f.code(6, true),
		SupplyStart:  f.date(7),
		MAP:          f.code(8, false),
		Premises:     f.premises(9),
		EnrolledOn:   f.optDate(10),
	}
	if f.probs != nil {
		return DeviceRow{}, f.probs
	}
	return r, nil
}

// Record is the CSV record that ParseDeviceRow reads back as r.
func (r DeviceRow) Record() []string {
	return []string{
		r.ID.String(), string(r.Type), string(r.Generation), r.Manufacturer, r.Model,
		r.Firmware.String(), r.Supplier, r.SupplyStart.Format(catalogue.DateLayout), r.MAP, string(r.Premises), enrolledText(r.EnrolledOn),
	}
}

func enrolledText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(catalogue.DateLayout)
}

// ParseChurnRow reads one record of a churn CSV file, as ParseDeviceRow does.
func ParseChurnRow(rec []string) (ChurnRow, []FieldError) {
	if p := checkCount(rec, ChurnHeader); p != nil {
		return ChurnRow{}, p
	}
	f := fields{rec: rec, header: ChurnHeader}
	r := ChurnRow{
		DeviceID:      f.deviceID(0),
		NewSupplier:   f.code(1, true),
		EffectiveDate: f.date(2),
	}
	if f.probs != nil {
		return ChurnRow{}, f.probs
	}
	return r, nil
}

// Record is the CSV record that ParseChurnRow reads back as r.
func (r ChurnRow) Record() []string {
	return []string{r.DeviceID.String(), r.NewSupplier, r.EffectiveDate.Format(catalogue.DateLayout)}
}

func checkCount(rec, header []string) []FieldError {
	if len(rec) == len(header) {
		return nil
	}
	return []FieldError{{Problem: fmt.Sprintf("record has %d fields, want %d (%s)", len(rec), len(header), strings.Join(header, ","))}}
}

// fields reads the fields of one record by position, in column order, so the
// problems come out in column order too.
type fields struct {
	rec    []string
	header []string
	probs  []FieldError
}

func (f *fields) get(i int) string { return strings.TrimSpace(f.rec[i]) }

func (f *fields) problem(i int, msg string) {
	f.probs = append(f.probs, FieldError{Field: f.header[i], Value: f.get(i), Problem: msg})
}

func (f *fields) deviceID(i int) DeviceID {
	s := f.get(i)
	if s == "" {
		f.problem(i, "required")
		return 0
	}
	id, err := ParseDeviceID(s)
	if err != nil {
		// The problem shows the text already: keep only what is wrong.
		msg := err.Error()
		if j := strings.Index(msg, fmt.Sprintf("%q", s)); j >= 0 {
			msg = strings.TrimLeft(msg[j+len(fmt.Sprintf("%q", s)):], ": ")
		}
		f.problem(i, msg)
	}
	return id
}

func (f *fields) deviceType(i int) sec.DeviceType {
	t, err := sec.ParseDeviceType(f.get(i))
	if err != nil {
		f.problem(i, "want one of ESME, GSME, CHF, GPF, PPMID, HCALCS, IHD")
	}
	return t
}

func (f *fields) generation(i int) sec.Generation {
	g, err := sec.ParseGeneration(f.get(i))
	if err != nil {
		f.problem(i, "want SMETS1 or SMETS2+")
	}
	return g
}

// code reads an organisation or model code, by the catalogue's rule so the
// same codes are valid in every file.
func (f *fields) code(i int, required bool) string {
	s := f.get(i)
	if s == "" && !required {
		return ""
	}
	if err := catalogue.CheckCode(s); err != nil {
		f.problem(i, err.Error())
	}
	return s
}

func (f *fields) firmware(i int) catalogue.FirmwareVersion {
	s := f.get(i)
	if s == "" {
		f.problem(i, "required")
		return catalogue.FirmwareVersion{}
	}
	v, err := catalogue.ParseFirmwareVersion(s)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), fmt.Sprintf("firmware version %q", s))
		f.problem(i, strings.TrimLeft(msg, ": "))
	}
	return v
}

func (f *fields) date(i int) time.Time {
	s := f.get(i)
	if s == "" {
		f.problem(i, "required (YYYY-MM-DD)")
		return time.Time{}
	}
	d, err := catalogue.ParseDate(s)
	if err != nil {
		f.problem(i, err.Error())
	}
	return d
}

// optDate reads an optional date: zero when empty.
func (f *fields) optDate(i int) time.Time {
	s := f.get(i)
	if s == "" {
		return time.Time{}
	}
	d, err := catalogue.ParseDate(s)
	if err != nil {
		f.problem(i, err.Error())
	}
	return d
}

func (f *fields) premises(i int) Premises {
	switch strings.ToLower(f.get(i)) {
	case "domestic":
		return Domestic
	case "non_domestic", "non-domestic":
		return NonDomestic
	}
	f.problem(i, "want domestic or non_domestic")
	return ""
}
