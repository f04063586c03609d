package generate

import (
	"fmt"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/sec"
)

// The organisations of the synthetic world. Every name is invented: none is,
// or is meant to suggest, a real supplier, manufacturer or asset provider.
// Fixed lists (rather than names drawn from syllables) let a reviewer check
// that, and keep the world recognisable across seeds.

// supplierSpec is one Supplier with its share of domestic and non-domestic
// premises, in per cent. The shares are skewed the way the GB market is: the
// top five hold about two thirds (DOMAIN.md §6).
type supplierSpec struct {
	code, name       string
	domestic, nonDom float64
}

var supplierSpecs = []supplierSpec{
	{"ALDM", "Aldermoor Energy", 20, 12},
	{"BRKP", "Brackenridge Power", 16, 10},
	{"CRVL", "Corrivale Energy", 13, 8},
	{"DNHL", "Dunhallow Supply", 10, 7},
	{"ELMW", "Elmsworth Energy", 7, 5},
	{"FNNK", "Fennick Power", 5.5, 4},
	{"GLSW", "Glasswater Energy", 4.5, 3},
	{"HRWD", "Harrowden Power and Gas", 3.8, 3},
	{"IVYM", "Ivymere Energy", 3.2, 2},
	{"JNPV", "Juniper Vale Energy", 2.8, 2},
	{"KSTM", "Kestrelmoor Supply", 2.3, 1.5},
	{"LRKL", "Larkspur Lane Energy", 2.0, 1},
	{"MSSG", "Mossgate Power", 1.7, 1},
	{"NRTF", "Northfold Energy", 1.4, 1},
	{"OKHY", "Oakhythe Energy", 1.2, 0.5},
	{"PNHL", "Penhallow Power", 1.0, 0.5},
	{"QLBK", "Quillbrook Energy", 0.9, 0.5},
	{"RVNM", "Ravenmere Supply", 0.8, 0.5},
	{"SLTM", "Saltmarsh Energy", 0.7, 0.3},
	{"THSD", "Thistledown Energy", 0.6, 0.3},
	{"UPFD", "Upperfold Power", 0.5, 0.2},
	{"VNTW", "Vantwood Energy", 0.4, 0.2},
	{"WRNF", "Wrenfield Energy", 0.3, 0.2},
	// Two business-only Suppliers: no domestic customers at all.
	{"YRWB", "Yarrowby Business Energy", 0, 14},
	{"ZLMC", "Zelmore Commercial Power", 0, 12},
}

// largeSuppliers is how many of the first suppliers are Large Suppliers: with
// 2.8% and more of premises each holds well over 250,000 domestic customers at
// GB scale, the SEC's line between Large and Small.
const largeSuppliers = 10

// Which Supplier may fail and which may take over its customers: the failure
// is a small or medium Supplier, the Supplier of Last Resort a large one.
var (
	failCandidates = []int{10, 11, 12, 13, 14}
	solrCandidates = []int{0, 1, 2, 3, 4}
)

// line is a product line: a device type and generation a manufacturer makes.
type line struct {
	typ sec.DeviceType
	gen sec.Generation
}

// manufacturerSpec is one manufacturer, the product lines it makes and the
// family its firmware versions are written in.
type manufacturerSpec struct {
	code, name string
	hex        bool
	lines      []line
}

var (
	esme1, esme2   = line{sec.ESME, sec.SMETS1}, line{sec.ESME, sec.SMETS2}
	gsme1, gsme2   = line{sec.GSME, sec.SMETS1}, line{sec.GSME, sec.SMETS2}
	chf1, chf2     = line{sec.CHF, sec.SMETS1}, line{sec.CHF, sec.SMETS2}
	gpf1, gpf2     = line{sec.GPF, sec.SMETS1}, line{sec.GPF, sec.SMETS2}
	ppmid1, ppmid2 = line{sec.PPMID, sec.SMETS1}, line{sec.PPMID, sec.SMETS2}
	hcalcs2        = line{sec.HCALCS, sec.SMETS2}
	manufacturers  = []manufacturerSpec{
		{"AURV", "Aurivolt Metering", false, []line{esme1, esme2, gsme2}},
		{"BRNM", "Brenmark Instruments", true, []line{esme1, gsme1, esme2}},
		{"CLDW", "Caldwick Metering", false, []line{gsme1, gsme2}},
		{"DLTQ", "Deltaquin Devices", true, []line{esme2, gsme2, ppmid2}},
		{"EMBL", "Emberline Controls", false, []line{esme2, hcalcs2}},
		{"FRWT", "Farrowtech Meters", false, []line{esme1, gsme1}},
		{"GNTR", "Gantry Smart Devices", true, []line{chf2, gpf2}},
		{"HLQY", "Helioquay Electronics", true, []line{chf2, gpf2}},
		{"IRNV", "Ironvale Instruments", false, []line{chf1, gpf1}},
		{"JLTM", "Joltmere Systems", true, []line{chf1, gpf1, esme1}},
		{"KLNW", "Kilnworth Devices", false, []line{ppmid1, ppmid2}},
		{"LMNW", "Lumenwick Technologies", false, []line{ppmid2, hcalcs2}},
		{"MRDN", "Meridane Metering", false, []line{esme2, gsme2}},
		{"NRVK", "Norrvik Communications", false, []line{chf2, gpf2}},
		{"ORBH", "Orbelle Hub Systems", true, []line{gsme2, esme1, gsme1}},
	}
)

// mapSpecs are the Meter Asset Providers with their share of MAP-owned meters.
var mapSpecs = []struct {
	code, name string
	share      float64
}{
	{"ANCM", "Anchorpoint Meter Assets", 30},
	{"BLCN", "Bluecairn Asset Finance", 24},
	{"CPFM", "Copperfold Meter Assets", 18},
	{"DRFT", "Driftstone Asset Management", 13},
	{"EVNL", "Evenlode Meter Capital", 9},
	{"FRHV", "Fairhaven Meter Funding", 6},
}

// dccCode is the DCC's organisation code. The DCC provides SMETS2+
// Communications Hubs but is no MAP, so those Devices have no map.
const dccCode = "DCC"

var (
	firstNames = []string{"Alex", "Priya", "Morgan", "Tomasz", "Eilidh", "Kwame", "Siobhan", "Rhys",
		"Hannah", "Imran", "Ffion", "Declan", "Aisha", "Gareth", "Mei", "Callum"}
	lastNames = []string{"Ashdown", "Brightwell", "Carrick", "Dalby", "Everleigh", "Fairbairn", "Greaves",
		"Hollins", "Ingram", "Jessop", "Kerridge", "Lockhart", "Marlow", "Nettleton", "Orchard", "Pennock"}
	conditionTexts = []string{
		"Close test lab finding on tamper event logging",
		"Provide evidence of secure boot key rotation",
		"Correct rate limiting of HAN join requests",
		"Complete re-test of firmware image signature checks",
		"Remove debug interface from production build",
	}
)

// mp209 is the date Lifetime CPA Certificates began (MP209, 1 Aug 2022).
var mp209 = dayOf(time.Date(2022, 8, 1, 0, 0, 0, 0, time.UTC))

// model is one Device Model of the synthetic catalogue.
type model struct {
	manufacturer int
	code         string
	line         line
	firmware     []string  // release order, which is also version order
	firmwareCum  []float64 // weights of installed firmware: newer is likelier
	rowPrefix    []byte    // "TYPE,GEN,MANUFACTURER,MODEL," for device rows
}

// pool is the models of one device type and generation, with their weights.
type pool struct {
	models []int
	cum    []float64
}

// world is everything fixed before the first Device is written: parties,
// catalogue, shares and the Supplier failure. It depends on the seed and the
// dates, never on the number of Devices, so a small run and a large run of one
// seed share their parties and catalogue.
type world struct {
	parties      []PartyRow
	suppliers    []string // codes, in supplierSpecs order
	maps         []string
	catalogue    []catalogue.CatalogueRow
	models       []model
	pools        map[line]*pool
	domCum       []float64 // supplier weights for domestic premises
	nonDomCum    []float64
	mapCum       []float64
	prefixes     []uint64 // 24-bit EUI-64 prefix per manufacturer
	idKeys       []uint64 // serial scramble key per manufacturer
	failed, solr int      // supplier indexes
	failDay      int      // days from start
}

func newWorld(seed uint64, start, end int) *world {
	r := newRNG(seed, 1)
	w := &world{pools: map[line]*pool{}}

	contact := func(code string) (name, email, phone string) {
		name = firstNames[r.intn(len(firstNames))] + " " + lastNames[r.intn(len(lastNames))]
		// Ofcom's drama range 01632 960000-960999 and the reserved .example
		// domain: no real person or mailbox can be reached by accident.
		return name, "security@" + strings.ToLower(code) + ".example", fmt.Sprintf("01632 960%03d", r.intn(1000))
	}
	addParty := func(code, name string, roles ...sec.OrgRole) {
		cn, ce, cp := contact(code)
		w.parties = append(w.parties, PartyRow{Code: code, Name: name, Roles: roles, ContactName: cn, ContactEmail: ce, ContactPhone: cp})
	}

	dom := make([]float64, len(supplierSpecs))
	nonDom := make([]float64, len(supplierSpecs))
	for i, s := range supplierSpecs {
		role := sec.SmallSupplier
		if i < largeSuppliers {
			role = sec.LargeSupplier
		}
		addParty(s.code, s.name, role)
		w.suppliers = append(w.suppliers, s.code)
		dom[i], nonDom[i] = s.domestic, s.nonDom
	}
	w.domCum, w.nonDomCum = cumulative(dom), cumulative(nonDom)
	for _, m := range manufacturers {
		addParty(m.code, m.name, sec.Manufacturer)
	}
	shares := make([]float64, len(mapSpecs))
	for i, m := range mapSpecs {
		addParty(m.code, m.name, sec.MAP)
		w.maps = append(w.maps, m.code)
		shares[i] = m.share
	}
	w.mapCum = cumulative(shares)
	addParty(dccCode, "Data Communications Company (synthetic)", sec.DCC)

	w.failed = failCandidates[r.intn(len(failCandidates))]
	w.solr = solrCandidates[r.intn(len(solrCandidates))]
	days := end - start
	w.failDay = r.between(min(60, days/2), max(days-60, days/2))

	// EUI-64 prefixes: 24 bits per manufacturer with the "locally
	// administered" bit set and the multicast bit clear, so no synthetic ID can
	// collide with a real manufacturer's OUI.
	seen := map[uint64]bool{}
	for range manufacturers {
		for {
			p := r.u64()&0xFCFFFF | 0x020000
			if !seen[p] {
				seen[p] = true
				w.prefixes = append(w.prefixes, p)
				break
			}
		}
	}
	for range manufacturers {
		w.idKeys = append(w.idKeys, r.u64())
	}

	w.buildCatalogue(r, start)
	return w
}

// buildCatalogue makes a few hundred models with several firmware versions
// each and a CPA certificate per firmware: expiring ones (some long expired,
// as the first SMETS1 certificates were), lifetime ones after MP209, a few
// conditional and a few withdrawn.
func (w *world) buildCatalogue(r *rng, start int) {
	const year = 365
	certs := 0
	for mi, ms := range manufacturers {
		usedCodes := map[string]bool{}
		for _, ln := range ms.lines {
			lineWeight := float64(r.between(1, 10))
			p := w.pools[ln]
			if p == nil {
				p = &pool{}
				w.pools[ln] = p
			}
			nModels := r.between(4, 12)
			for k := range nModels {
				var code string
				for {
					code = fmt.Sprintf("%04X", r.intn(1<<16))
					if !usedCodes[code] {
						usedCodes[code] = true
						break
					}
				}
				// SMETS1 Devices were designed 2011-2019, SMETS2 from 2016.
				intro := r.between(start-13*year, start-7*year)
				if ln.gen == sec.SMETS2 {
					intro = r.between(start-8*year, start-year)
				}
				hw := []string{"1.0", "1.1", "2.0", "2.1", "3.0"}[r.intn(5)]
				m := model{manufacturer: mi, code: code, line: ln}
				v := newVersioner(r, ms.hex)
				nFirmware := r.between(3, 8)
				released := intro
				for f := range nFirmware {
					if f > 0 {
						released += r.between(120, 500)
					}
					if released >= start-30 {
						break
					}
					fw := v.next(r)
					m.firmware = append(m.firmware, fw)
					m.firmwareCum = append(m.firmwareCum, float64(int(1)<<f))
					certs++
					row := catalogueRow(r, ms.code, code, ln, hw, fw, released, start, certs)
					row.ModelName = modelName(ms, code, ln)
					w.catalogue = append(w.catalogue, row)
				}
				m.firmwareCum = cumulative(m.firmwareCum)
				m.rowPrefix = fmt.Appendf(nil, "%s,%s,%s,%s,", ln.typ, ln.gen, ms.code, code)
				p.models = append(p.models, len(w.models))
				// Within a line the first models sell best.
				p.cum = append(p.cum, lineWeight/float64(k+1))
				w.models = append(w.models, m)
			}
		}
	}
	for _, p := range w.pools {
		p.cum = cumulative(p.cum)
	}
}

// modelName names a model for people, as a catalogue lists it: the maker's
// brand, a product series and the model's code, then what it is, e.g.
// "Aurivolt Keystone 4A1F electricity meter (SMETS2)". It is drawn from the
// code alone, not the random stream, so naming models changes nothing else
// the generator makes.
func modelName(ms manufacturerSpec, code string, ln line) string {
	brand, _, _ := strings.Cut(ms.name, " ")
	var h uint32
	for _, c := range code {
		h = h*31 + uint32(c)
	}
	what := map[sec.DeviceType]string{sec.ESME: "electricity meter", sec.GSME: "gas meter", sec.CHF: "communications hub",
		sec.GPF: "gas proxy function", sec.PPMID: "prepayment interface", sec.HCALCS: "load control switch"}[ln.typ]
	if what == "" {
		what = string(ln.typ)
	}
	return fmt.Sprintf("%s %s %s %s (%s)", brand, modelSeries[h%uint32(len(modelSeries))], code, what, ln.gen)
}

var modelSeries = []string{"Keystone", "Vantage", "Horizon", "Sentinel", "Meridian", "Summit", "Beacon", "Pioneer"}

func catalogueRow(r *rng, manufacturer, modelCode string, ln line, hw, fw string, released, start, serial int) catalogue.CatalogueRow {
	const year = 365
	version, err := catalogue.ParseFirmwareVersion(fw)
	if err != nil {
		panic(fmt.Sprintf("generator made a bad firmware version %q: %v", fw, err))
	}
	row := catalogue.CatalogueRow{
		Manufacturer: manufacturer, Model: modelCode, DeviceType: ln.typ, Generation: ln.gen,
		HardwareVersion: hw, Firmware: version,
	}
	if r.chance(0.9) {
		row.Released = dateOf(released)
	}
	if r.chance(0.7) {
		row.ImageHash = fmt.Sprintf("%016x%016x%016x%016x", r.u64(), r.u64(), r.u64(), r.u64())
	}
	issued := released - r.between(20, 120)
	c := &row.CPA
	c.Reference = fmt.Sprintf("CPA-%d-%04d", dateOf(issued).Year(), serial)
	c.Issued = dateOf(issued)
	if issued >= mp209 && r.chance(0.85) {
		c.Kind, c.Renewal = catalogue.CPALifetime, dateOf(issued+6*year)
	} else {
		c.Kind, c.Expiry = catalogue.CPAExpiring, dateOf(issued+6*year)
	}
	if r.chance(0.06) {
		c.Conditional = true
		c.Conditions = conditionTexts[r.intn(len(conditionTexts))]
		c.ConditionsDue = dateOf(issued + r.between(180, 540))
	}
	if r.chance(0.03) && issued+year < start-1 {
		w := r.between(issued+year, start-1)
		c.Withdrawn = dateOf(w)
		// Chosen from the date, not the random stream, so that worlds made
		// before withdrawals carried reasons stay the same.
		c.WithdrawnReason = withdrawalReasons[w%len(withdrawalReasons)]
	}
	return row
}

// withdrawalReasons are why the generator's CPA certificates are withdrawn.
var withdrawalReasons = []string{
	"NCSC withdrew the certification after a re-evaluation found an unmitigated finding",
	"the manufacturer asked for withdrawal: the firmware is superseded and no longer supplied",
	"a condition of the certificate was not closed by its due date",
	"a vulnerability reported under the scheme invalidated the security target",
}

// versioner writes one model's firmware versions in one style of its
// manufacturer's family, each later than the last.
type versioner struct {
	style               int
	made                int // versions written so far
	major, minor, patch int
}

const (
	dotted3      = iota // 2.1.10
	dotted2             // 02.01
	dottedLetter        // 3.1, 3.1a, 3.1b
	hex0x               // 0x0104
	hex4                // 0104
	hex8                // 01040003
)

func newVersioner(r *rng, hex bool) *versioner {
	v := &versioner{major: r.between(1, 4)}
	if hex {
		v.style = hex0x + r.intn(3)
	} else {
		v.style = dotted3 + r.intn(3)
	}
	return v
}

func (v *versioner) next(r *rng) string {
	if v.made > 0 {
		// Styles with two numbers have no patch level: a patch is a minor step.
		switch x := r.float(); {
		case x < 0.6 && v.style != dotted2 && v.style != hex0x && v.style != hex4:
			v.patch++
		case x < 0.9:
			v.minor, v.patch = v.minor+1, 0
		default:
			v.major, v.minor, v.patch = v.major+1, 0, 0
		}
	}
	v.made++
	switch v.style {
	case dotted3:
		return fmt.Sprintf("%d.%d.%d", v.major, v.minor, v.patch)
	case dotted2:
		return fmt.Sprintf("%02d.%02d", v.major, v.minor)
	case dottedLetter:
		s := fmt.Sprintf("%d.%d", v.major, v.minor)
		if v.patch > 0 {
			s += string(rune('a' + v.patch - 1))
		}
		return s
	case hex0x:
		return fmt.Sprintf("0x%02X%02X", v.major, v.minor)
	case hex4:
		return fmt.Sprintf("%02X%02X", v.major, v.minor)
	default:
		return fmt.Sprintf("%02X%02X%04X", v.major, v.minor, v.patch)
	}
}
