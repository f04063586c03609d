package estate

import (
	"time"

	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Service keeps the installed estate in the database: Devices, their supply
// periods and firmware history, and the portfolio aggregates, which every
// change here keeps exact in its own transaction.
type Service struct {
	DB *store.DB
	// Today turns the transaction clock into the day changes take effect on
	// when a request names none. sec.UKDay (the UK calendar day) by
	// default.
	Today func(time.Time) sec.Date
	// Limits bound the dates callers may give and how many Devices a
	// Supplier may claim one by one; DefaultLimits when zero.
	Limits Limits
}

// NewService is a Service on db.
func NewService(db *store.DB) *Service {
	return &Service{DB: db, Today: sec.UKDay, Limits: DefaultLimits()}
}

// limits are s.Limits, or the defaults when they were never set.
func (s *Service) limits() Limits {
	if s.Limits == (Limits{}) {
		return DefaultLimits()
	}
	return s.Limits
}

// Status is where a Device stands. Only installed Devices count in the
// portfolio aggregates.
type Status string

// The statuses.
const (
	Installed Status = "installed"
	Removed   Status = "removed"
	InTriage  Status = "in_triage"
	Disposed  Status = "disposed"
)

// Device is one Device as a caller may see it, with its history.
type Device struct {
	ID            DeviceID       `json:"device_id"`
	DeviceType    sec.DeviceType `json:"device_type"`
	Generation    sec.Generation `json:"generation"`
	Manufacturer  string         `json:"manufacturer"`
	Model         string         `json:"model"`
	Firmware      string         `json:"firmware"`
	FirmwareSince sec.Date       `json:"firmware_since"`
	MAP           string         `json:"map,omitempty"`
	Premises      Premises       `json:"premises"`
	Status        Status         `json:"status"`
	Supplier      string         `json:"supplier"`
	SupplyStart   sec.Date       `json:"supply_start"`
	Inherited     bool           `json:"inherited"`
	// EnrolledOn is when a SMETS1 Device was enrolled onto the DCC; zero
	// for SMETS2+ and for a SMETS1 Device never enrolled (v5.20 brought in
	// User obligations for enrolled SMETS1 Devices only).
	EnrolledOn sec.Date `json:"enrolled_on,omitzero"`
	// Supply is every supply period, the current one (End zero) first.
	Supply []SupplyPeriod `json:"supply"`
	// FirmwareHistory is every firmware the Device ran, the current first.
	FirmwareHistory []FirmwarePeriod `json:"firmware_history"`
	// MAPHistory is every MAP that owned the Device, the current first.
	MAPHistory []MAPPeriod `json:"map_history"`
}

// SupplyPeriod is a Responsible Supplier from Start up to (not including)
// End; End is zero for the current period.
type SupplyPeriod struct {
	Supplier string   `json:"supplier"`
	Start    sec.Date `json:"start"`
	End      sec.Date `json:"end,omitzero"`
}

// FirmwarePeriod is a firmware version a Device ran from Since up to Until
// (zero for the current one).
type FirmwarePeriod struct {
	Firmware string   `json:"firmware"`
	Since    sec.Date `json:"since"`
	Until    sec.Date `json:"until,omitzero"`
}

// ImportOptions tune a bulk import.
type ImportOptions struct {
	// Progress, when set, is called now and then with the rows read so far
	// and the bytes read so far: never two calls at once, but not always
	// on the importing goroutine (a first load reads ahead on its own).
	Progress func(rows, bytes int64)
	// Phase, when set, is called as a devices import moves from reading the
	// file to each step of writing it (one statement each, so no row counts),
	// with the step's name for people: "writing Devices", "updating the
	// portfolio", "committing".
	Phase func(name string)
}

func (o ImportOptions) phase(name string) {
	if o.Phase != nil {
		o.Phase(name)
	}
}

// ImportResult says what a devices import did. Re-importing a file adds
// nothing: Devices already in the estate as the file describes them count as
// Unchanged.
type ImportResult struct {
	Rows      int64 `json:"rows"`
	Created   int64 `json:"created"`
	Unchanged int64 `json:"unchanged"`
	// MAPChanged counts the Devices already in the estate that the file
	// names with another MAP: each is recorded as a MAP change (a new MAP
	// period), as ChangeMAP records one.
	MAPChanged int64  `json:"map_changed"`
	SHA256     string `json:"sha256"`
}

// ChurnResult says what a churn import or a single change did.
type ChurnResult struct {
	Rows      int64 `json:"rows"`
	Changed   int64 `json:"changed"`
	Unchanged int64 `json:"unchanged"`
	// SHA256 is the file's digest (empty for a single change).
	SHA256 string `json:"sha256,omitempty"`
}

// Change is one change of Responsible Supplier.
type Change struct {
	DeviceID    DeviceID `json:"device_id"`
	NewSupplier string   `json:"new_supplier"`
	Effective   sec.Date `json:"effective_date"`
}

// Transfer moves every Device of a failed Supplier to a Supplier of Last
// Resort on one day.
type Transfer struct {
	From      string   `json:"from"`
	To        string   `json:"to"`
	Effective sec.Date `json:"effective_date"`
}

// TransferResult says how many Devices moved.
type TransferResult struct {
	Transfer
	Devices int64 `json:"devices"`
}

// PortfolioQuery narrows the portfolio; empty fields match everything the
// caller may see.
type PortfolioQuery struct {
	Supplier     string `json:"supplier,omitempty"`
	Manufacturer string `json:"manufacturer,omitempty"`
	MAP          string `json:"map,omitempty"`
}

// PortfolioRow is one aggregate: installed Devices of one model and firmware
// whose Responsible Supplier is Supplier, owned by MAP ("" for none).
type PortfolioRow struct {
	Supplier     string         `json:"supplier"`
	Manufacturer string         `json:"manufacturer"`
	Model        string         `json:"model"`
	Firmware     string         `json:"firmware"`
	Generation   sec.Generation `json:"generation"`
	DeviceType   sec.DeviceType `json:"device_type"`
	MAP          string         `json:"map,omitempty"`
	Devices      int64          `json:"devices"`
	id           int64          // the list's tie-breaker (portfolioID)
}

// Drift is a portfolio group whose stored count differs from the Devices.
type Drift struct {
	SupplierID int64 `json:"supplier_id"`
	ModelID    int64 `json:"model_id"`
	FirmwareID int64 `json:"firmware_id"`
	MAPID      int64 `json:"map_id"`
	Stored     int64 `json:"stored"`
	Counted    int64 `json:"counted"`
	// SupplyStart is the inherited group's day (portfolio_inherited only).
	SupplyStart sec.Date `json:"supply_start,omitzero"`
	// EnrolledOn and InheritedFrom key an enrolled SMETS1 group
	// (portfolio_enrolled only).
	EnrolledOn    sec.Date `json:"enrolled_on,omitzero"`
	InheritedFrom sec.Date `json:"inherited_from,omitzero"`
}

// VerifyReport is the outcome of recounting the aggregates from the Devices.
type VerifyReport struct {
	Devices   int64   `json:"installed_devices"`
	Groups    int64   `json:"groups"`
	Drift     []Drift `json:"drift"`
	Inherited []Drift `json:"inherited_drift"`
	Enrolled  []Drift `json:"enrolled_drift"`
}

// OK says there is no drift.
func (r VerifyReport) OK() bool {
	return len(r.Drift) == 0 && len(r.Inherited) == 0 && len(r.Enrolled) == 0
}
