package advisory

import (
	"slices"
	"strings"

	"github.com/metersec/metersec/internal/sec"
)

// Manufacturer is a Device manufacturer with the models an advisory names.
// The same tree serves export (which firmware is affected) and, through
// NewCatalogue, import (what the catalogue holds).
type Manufacturer struct {
	Code   string // the organisation code in the catalogue, e.g. "MF01"
	Name   string // the name advisories use, e.g. "Ardent Metering"
	Models []Model
}

// Model is a Device Model. Its Code is unique within its manufacturer only
// (the GBCS Device Model identifier), so a model is always named together
// with its manufacturer's code.
type Model struct {
	Code       string // e.g. "4A1F"
	Name       string // e.g. "AM200 Electricity Meter"; Code when empty
	DeviceType sec.DeviceType
	Generation sec.Generation
	Firmware   []Firmware
}

// Firmware is one firmware version of a model in the catalogue, with its
// status for the vulnerability (export only; NewCatalogue ignores Status).
type Firmware struct {
	Version string
	Status  ProductStatus
}

// ProductStatus is what an advisory says of one firmware version. The
// vulnerability service computes it from the affected ranges in the
// catalogue's version order.
type ProductStatus string

// The four statuses metersec records, named as CSAF 2.0 names them.
const (
	KnownAffected      ProductStatus = "known_affected"
	Fixed              ProductStatus = "fixed"
	KnownNotAffected   ProductStatus = "known_not_affected"
	UnderInvestigation ProductStatus = "under_investigation"
)

// ProductStatuses lists the statuses from the most to the least urgent. When
// one firmware carries several statuses (across the vulnerabilities of one
// imported advisory), the first in this list wins.
var ProductStatuses = []ProductStatus{KnownAffected, UnderInvestigation, Fixed, KnownNotAffected}

func (s ProductStatus) valid() bool {
	for _, x := range ProductStatuses {
		if s == x {
			return true
		}
	}
	return false
}

func (s ProductStatus) rank() int {
	for i, x := range ProductStatuses {
		if s == x {
			return i
		}
	}
	return len(ProductStatuses)
}

// ModelRef names a Device Model in the catalogue by its natural key.
type ModelRef struct {
	Manufacturer string `json:"manufacturer"` // manufacturer code
	Model        string `json:"model"`        // model code
}

// FirmwareRef names one firmware version of a Device Model: the natural key
// of a catalogue row. Export uses it for the products a remediation applies
// to; import returns it for every product it could map.
type FirmwareRef struct {
	Manufacturer string `json:"manufacturer"` // manufacturer code
	Model        string `json:"model"`        // model code
	Firmware     string `json:"firmware"`     // firmware version as the catalogue writes it
}

// Catalogue is what an import needs of the Device catalogue: three lookups,
// one per level of a CSAF product tree (vendor, product, version), so an
// import can say at which level a product failed to map. Implementations
// decide how loosely names match; NewCatalogue's rules are a good default.
type Catalogue interface {
	// FindManufacturer returns the code of the manufacturer a CSAF vendor
	// name refers to.
	FindManufacturer(vendor string) (code string, ok bool)
	// FindModel finds the model of that manufacturer a CSAF product name or
	// model number refers to.
	FindModel(manufacturer, product string) (ModelRef, bool)
	// FindFirmware finds a firmware version of the model.
	FindFirmware(model ModelRef, version string) (FirmwareRef, bool)
}

// NewCatalogue returns an in-memory Catalogue over a manufacturer tree (the
// firmware statuses are ignored). The catalogue is small (hundreds of models,
// low thousands of firmware rows), so the vulnerability service can load the
// whole of it for an import.
//
// Matching, all case-insensitive with runs of white space treated as one
// space: a vendor matches a manufacturer's name or code; a product matches a
// model's code or name; a version matches a firmware version, ignoring a
// leading "v" on either side ("v2.3.1" is "2.3.1"). Names that match more than
// one model do not match at all: a guess would put devices in the wrong
// Suppliers' fan-out.
func NewCatalogue(ms []Manufacturer) Catalogue {
	c := &memCatalogue{
		vendors:  map[string][]string{},
		models:   map[string]map[string][]ModelRef{},
		firmware: map[ModelRef]map[string]string{},
	}
	for _, m := range ms {
		addUnique(c.vendors, fold(m.Name), m.Code)
		addUnique(c.vendors, fold(m.Code), m.Code)
		byName := c.models[m.Code]
		if byName == nil {
			byName = map[string][]ModelRef{}
			c.models[m.Code] = byName
		}
		for _, md := range m.Models {
			ref := ModelRef{m.Code, md.Code}
			addUnique(byName, fold(md.Code), ref)
			addUnique(byName, fold(md.Name), ref)
			fws := c.firmware[ref]
			if fws == nil {
				fws = map[string]string{}
				c.firmware[ref] = fws
			}
			for _, fw := range md.Firmware {
				if _, dup := fws[foldVersion(fw.Version)]; !dup {
					fws[foldVersion(fw.Version)] = fw.Version
				}
			}
		}
	}
	return c
}

// memCatalogue indexes the folded names, so an import of thousands of
// products does not fold the catalogue's names once per product.
type memCatalogue struct {
	vendors  map[string][]string              // folded name or code → manufacturer codes
	models   map[string]map[string][]ModelRef // manufacturer code → folded name or code → models
	firmware map[ModelRef]map[string]string   // model → folded version → version
}

func addUnique[T comparable](m map[string][]T, key string, v T) {
	if key == "" || slices.Contains(m[key], v) {
		return
	}
	m[key] = append(m[key], v)
}

func (c *memCatalogue) FindManufacturer(vendor string) (string, bool) {
	if found := c.vendors[fold(vendor)]; len(found) == 1 {
		return found[0], true
	}
	return "", false
}

func (c *memCatalogue) FindModel(manufacturer, product string) (ModelRef, bool) {
	if found := c.models[manufacturer][fold(product)]; len(found) == 1 {
		return found[0], true
	}
	return ModelRef{}, false
}

func (c *memCatalogue) FindFirmware(ref ModelRef, version string) (FirmwareRef, bool) {
	v, ok := c.firmware[ref][foldVersion(version)]
	if !ok || strings.TrimSpace(version) == "" {
		return FirmwareRef{}, false
	}
	return FirmwareRef{ref.Manufacturer, ref.Model, v}, true
}

// fold prepares a name for comparison: lower case, white space collapsed.
func fold(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

func foldVersion(s string) string {
	s = fold(s)
	if len(s) > 1 && s[0] == 'v' && s[1] >= '0' && s[1] <= '9' {
		s = s[1:]
	}
	return s
}
