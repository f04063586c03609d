package advisory

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
)

// MaxCSAFSize is the largest CSAF document ImportCSAF reads. Real advisories
// are tens of kilobytes; a few megabytes covers a manufacturer listing every
// firmware of every model, and the bound keeps schema validation cheap.
const MaxCSAFSize = 5 << 20 // 5 MiB

// maxProblems is how many schema problems an error lists; the rest are
// counted. A document that is not CSAF at all can have thousands.
const maxProblems = 20

// maxWarnings bounds Imported.Warnings likewise.
const maxWarnings = 100

// Imported is what a manufacturer's CSAF advisory says, mapped onto the
// catalogue. Nothing is stored: the vulnerability service shows it to a
// person, who confirms it and fills what the advisory cannot say (materiality,
// for one).
type Imported struct {
	TrackingID     string             `json:"tracking_id"`
	Title          string             `json:"title"`
	Description    string             `json:"description"`
	Publisher      string             `json:"publisher"`
	Status         TrackingStatus     `json:"status"`
	Version        string             `json:"version"`
	Classification sec.Classification `json:"classification"`
	InitialRelease sec.Date           `json:"initial_release,omitzero"`
	CurrentRelease sec.Date           `json:"current_release,omitzero"`
	DiscoveredOn   sec.Date           `json:"discovered_on,omitzero"` // the earliest discovery_date

	CVEs []string `json:"cves"` // sorted
	// CVSS is the advisory's score: the v4.0 one if any vulnerability has
	// one, else v3.1; among several, the highest. Nil when unscored.
	CVSS *CVSS `json:"cvss,omitempty"`

	// Products holds every mapped firmware under its status. When the
	// advisory's vulnerabilities disagree on a firmware, the most urgent
	// status wins (ProductStatuses order): one metersec vulnerability covers
	// them all. Firmware appear in the order the advisory first names them.
	Products map[ProductStatus][]FirmwareRef `json:"products"`

	// Vulnerabilities is the advisory's vulnerabilities one by one, for
	// people who need the detail.
	Vulnerabilities []ImportedVulnerability `json:"vulnerabilities"`

	// Unmapped lists every product the statuses name that could not be
	// mapped onto the catalogue, with the reason. Someone must map these by
	// hand or the fan-out misses Devices.
	Unmapped []Unmapped `json:"unmapped"`

	// Warnings are things the import did not use or had to decide, e.g. a
	// CVSS v3.0 score ignored, a document without a TLP label.
	Warnings []string `json:"warnings"`
}

// ImportedVulnerability is one entry of the advisory's vulnerabilities.
type ImportedVulnerability struct {
	CVE         string                          `json:"cve,omitempty"`
	Title       string                          `json:"title,omitempty"`
	Description string                          `json:"description,omitempty"`
	CVSS        *CVSS                           `json:"cvss,omitempty"`
	Products    map[ProductStatus][]FirmwareRef `json:"products"`
}

// Unmapped is a product of the advisory the catalogue does not know.
type Unmapped struct {
	ProductID string `json:"product_id"`
	Name      string `json:"name"` // the product's full name in the advisory
	Reason    string `json:"reason"`
}

// ImportCSAF reads a CSAF 2.0 document from r and maps its products onto the
// catalogue.
//
// It refuses, as errs.Error values: a document over MaxCSAFSize (errs.TooLarge);
// anything that is not one JSON value, or that fails the CSAF 2.0 JSON schema
// (errs.Invalid, one Field per problem, Field being the JSON pointer of the
// offending member, e.g. "/document/tracking/status"). Anything the schema
// accepts is imported; what could not be used is reported in Unmapped and
// Warnings rather than refused, so a person can finish the job.
//
// Products are mapped level by level: the vendor branch names the
// manufacturer, the product_name branch (or a model number in
// product_identification_helper) the model, and the product_version branch
// the firmware; products listed only under full_product_names are mapped
// through their CPE and model numbers; a relationship's product maps through
// the products it joins (for example a firmware installed_on a meter model).
// Version ranges are not expanded: they are listed as unmapped.
func ImportCSAF(r io.Reader, cat Catalogue) (*Imported, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxCSAFSize+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > MaxCSAFSize {
		return nil, errs.E(errs.TooLarge, "the CSAF document is larger than the %d MiB limit", MaxCSAFSize>>20)
	}
	generic, err := parseJSON(raw)
	if err != nil {
		return nil, errs.E(errs.Invalid, "the file is not a JSON document: %s", jsonErrorText(err))
	}
	problems, err := schemaProblems(generic)
	if err != nil {
		return nil, errs.Wrap(err, "CSAF schema validation")
	}
	if len(problems) > 0 {
		c := errs.Collector{Limit: maxProblems}
		for _, p := range problems {
			path, msg, ok := strings.Cut(p, ": ")
			if !ok {
				path, msg = "", p
			}
			if path == "" {
				path = "/"
			}
			c.Add(errs.Field{Field: path, Message: msg})
		}
		return nil, c.Err("the document is not valid CSAF 2.0")
	}
	var doc csafDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		// The schema accepted it, so this is metersec's model falling short.
		return nil, errs.Wrap(err, "decode schema-valid CSAF")
	}
	return importDoc(&doc, cat), nil
}

// jsonErrorText says where a JSON syntax error is, in bytes from the start.
func jsonErrorText(err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("%s (at byte %d)", syn.Error(), syn.Offset)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "it is empty or ends too early"
	}
	return err.Error()
}

func importDoc(doc *csafDoc, cat Catalogue) *Imported {
	d := doc.Document
	im := &Imported{
		TrackingID:      d.Tracking.ID,
		Title:           d.Title,
		Description:     noteText(d.Notes, "summary", "description", "general"),
		Publisher:       d.Publisher.Name,
		Status:          TrackingStatus(d.Tracking.Status),
		Version:         d.Tracking.Version,
		Products:        map[ProductStatus][]FirmwareRef{},
		CVEs:            []string{},
		Vulnerabilities: []ImportedVulnerability{},
		Unmapped:        []Unmapped{},
		Warnings:        []string{},
	}
	moreWarnings := 0
	warn := func(format string, args ...any) {
		if len(im.Warnings) < maxWarnings {
			im.Warnings = append(im.Warnings, fmt.Sprintf(format, args...))
		} else {
			moreWarnings++
		}
	}
	for _, p := range mandatoryProblems(doc) {
		warn("%s", p)
	}
	im.InitialRelease = parseDate(d.Tracking.InitialReleaseDate, "/document/tracking/initial_release_date", warn)
	im.CurrentRelease = parseDate(d.Tracking.CurrentReleaseDate, "/document/tracking/current_release_date", warn)
	im.Classification = classify(d.Distribution, warn)

	products := mapProducts(doc, cat)
	unmapped := map[string]bool{}
	order := map[FirmwareRef]int{} // first mention, for a stable order
	merged := map[FirmwareRef]ProductStatus{}
	cves := map[string]bool{}
	var scores []CVSS
	for vi, v := range doc.Vulnerabilities {
		vp := fmt.Sprintf("/vulnerabilities/%d", vi)
		iv := ImportedVulnerability{
			CVE:         v.CVE,
			Title:       v.Title,
			Description: noteText(v.Notes, "description", "summary"),
			Products:    map[ProductStatus][]FirmwareRef{},
		}
		if v.CVE != "" && !cves[v.CVE] {
			cves[v.CVE] = true
			im.CVEs = append(im.CVEs, v.CVE)
		}
		if dd := parseDate(v.DiscoveryDate, vp+"/discovery_date", warn); !dd.IsZero() && (im.DiscoveredOn.IsZero() || dd.Before(im.DiscoveredOn)) {
			im.DiscoveredOn = dd
		}
		if c := vulnCVSS(v, vp, warn); c != nil {
			iv.CVSS = c
			scores = append(scores, *c)
		}

		status := map[FirmwareRef]ProductStatus{}
		var seen []FirmwareRef
		for _, l := range v.ProductStatus.lists() {
			if l.status == "" {
				continue // recommended says nothing about being affected
			}
			for _, id := range l.ids {
				p, defined := products[id]
				if !defined {
					if !unmapped[id] {
						unmapped[id] = true
						im.Unmapped = append(im.Unmapped, Unmapped{ProductID: id, Reason: "not defined in the product tree"})
					}
					continue
				}
				if p.reason != "" {
					if !unmapped[id] {
						unmapped[id] = true
						im.Unmapped = append(im.Unmapped, Unmapped{ProductID: id, Name: p.name, Reason: p.reason})
					}
					continue
				}
				if _, ok := order[p.ref]; !ok {
					order[p.ref] = len(order)
				}
				old, ok := status[p.ref]
				if !ok {
					seen = append(seen, p.ref)
				}
				if !ok || l.status.rank() < old.rank() {
					status[p.ref] = l.status
				}
			}
		}
		for _, ref := range seen {
			iv.Products[status[ref]] = append(iv.Products[status[ref]], ref)
			if old, ok := merged[ref]; !ok || status[ref].rank() < old.rank() {
				merged[ref] = status[ref]
			}
		}
		im.Vulnerabilities = append(im.Vulnerabilities, iv)
	}
	refs := make([]FirmwareRef, 0, len(merged))
	for ref := range merged {
		refs = append(refs, ref)
	}
	slices.SortFunc(refs, func(a, b FirmwareRef) int { return order[a] - order[b] })
	for _, ref := range refs {
		im.Products[merged[ref]] = append(im.Products[merged[ref]], ref)
	}
	slices.Sort(im.CVEs)
	im.CVSS = pickCVSS(scores)
	if moreWarnings > 0 {
		im.Warnings = append(im.Warnings, fmt.Sprintf("… and %d more warnings", moreWarnings))
	}
	return im
}

// classify maps the TLP label onto a classification. An advisory without a
// label is treated as AMBER, restricted to the organisations it names, until
// a person decides: a guess that errs towards fewer readers.
func classify(dist *csafDistribution, warn func(string, ...any)) sec.Classification {
	if dist == nil || dist.TLP == nil {
		warn("/document/distribution/tlp: no TLP label; classified AMBER until someone decides")
		return sec.Amber
	}
	c, err := sec.ParseClassification(dist.TLP.Label)
	if err != nil {
		// The schema allows only the four labels; keep the safe default anyway.
		warn("/document/distribution/tlp/label: %v; classified AMBER", err)
		return sec.Amber
	}
	return c
}

// vulnCVSS reads a vulnerability's scores: cvss_v3 scores of version 3.1, and
// vectors in notes (where metersec's own export, and others, put CVSS v4.0
// for want of a CSAF 2.0 field). The stated base score is not trusted: the
// vector is rescored, and a disagreement is a warning.
func vulnCVSS(v csafVulnerability, vp string, warn func(string, ...any)) *CVSS {
	var found []CVSS
	for i, s := range v.Scores {
		p := fmt.Sprintf("%s/scores/%d", vp, i)
		if len(s.CVSSv2) > 0 {
			warn("%s/cvss_v2: CVSS v2 scores are not used", p)
		}
		if s.CVSSv3 == nil {
			continue
		}
		c, err := ParseCVSS(s.CVSSv3.VectorString)
		if err != nil {
			warn("%s/cvss_v3/vectorString: %s; score not used", p, errs.As(err).Message)
			continue
		}
		if diff := c.Score - s.CVSSv3.BaseScore; diff > 0.05 || diff < -0.05 {
			warn("%s/cvss_v3/baseScore: the document says %.1f but the vector scores %.1f; using %.1f", p, s.CVSSv3.BaseScore, c.Score, c.Score)
		}
		found = append(found, c)
	}
	for i, n := range v.Notes {
		for _, tok := range strings.Fields(n.Text) {
			tok = strings.TrimRight(tok, ".,;)")
			if !strings.HasPrefix(tok, "CVSS:3.1/") && !strings.HasPrefix(tok, "CVSS:4.0/") {
				continue
			}
			c, err := ParseCVSS(tok)
			if err != nil {
				warn("%s/notes/%d/text: %s; score not used", vp, i, errs.As(err).Message)
				continue
			}
			found = append(found, c)
		}
	}
	return pickCVSS(found)
}

// pickCVSS chooses one score among several: v4.0 over v3.1 (scores of
// different versions do not compare, and the newer one describes more), then
// the highest.
func pickCVSS(cs []CVSS) *CVSS {
	var best *CVSS
	for i := range cs {
		c := &cs[i]
		switch {
		case best == nil,
			c.Version > best.Version,
			c.Version == best.Version && c.Score > best.Score:
			best = c
		}
	}
	if best == nil {
		return nil
	}
	out := *best
	return &out
}

// noteText joins the texts of the notes of the first category, in the order
// given, that has any.
func noteText(notes []csafNote, categories ...string) string {
	for _, cat := range categories {
		var texts []string
		for _, n := range notes {
			if n.Category == cat {
				texts = append(texts, n.Text)
			}
		}
		if len(texts) > 0 {
			return strings.Join(texts, "\n\n")
		}
	}
	return ""
}

// parseDate reads a CSAF date-time as the calendar date in the document's own
// offset: a manufacturer's "2026-03-01T00:30:00+01:00" is 1 March, as they
// meant it.
func parseDate(s, path string, warn func(string, ...any)) sec.Date {
	if s == "" {
		return sec.Date{}
	}
	t, err := time.Parse(time.RFC3339, strings.ToUpper(s))
	if err != nil {
		warn("%s: %q is not a date-time metersec can read; left empty", path, s)
		return sec.Date{}
	}
	return sec.DateOf(t)
}

// mapped is the outcome of mapping one product id: a firmware, or why not.
type mapped struct {
	name   string
	ref    FirmwareRef
	reason string // empty when ref is set
}

// partial is what one product names, level by level, before the catalogue
// has the last word.
type partial struct {
	name       string
	vendor     string   // vendor branch, CPE vendor, or the publisher if a vendor
	products   []string // candidate product names and model numbers, best first
	version    string
	versionWhy string // why there is no version, when there is none
}

// mapProducts maps every product id the product tree defines. The first
// definition of an id wins (a second one is a 6.1.2 warning already).
func mapProducts(doc *csafDoc, cat Catalogue) map[string]mapped {
	out := map[string]mapped{}
	parts := map[string]partial{}
	pt := doc.ProductTree
	if pt == nil {
		return out
	}
	publisherVendor := ""
	if doc.Document.Publisher.Category == "vendor" {
		publisherVendor = doc.Document.Publisher.Name
	}
	record := func(p *csafProduct, pa partial) {
		if _, dup := parts[p.ProductID]; dup {
			return
		}
		pa.name = p.Name
		addHelper(&pa, p.Helper, publisherVendor)
		parts[p.ProductID] = pa
		out[p.ProductID] = resolve(pa, cat)
	}

	var walk func(bs []csafBranch, ctx partial)
	walk = func(bs []csafBranch, ctx partial) {
		for i := range bs {
			b := &bs[i]
			c := ctx
			c.products = slices.Clone(ctx.products)
			switch b.Category {
			case "vendor":
				c.vendor = b.Name
			case "product_name":
				c.products = append(productNames(b.Name), c.products...)
			case "product_family":
				c.products = append(c.products, productNames(b.Name)...)
			case "product_version":
				c.version, c.versionWhy = b.Name, ""
			case "product_version_range":
				c.version, c.versionWhy = "", fmt.Sprintf("version range %q is not expanded: list the affected versions or map them by hand", b.Name)
			}
			if b.Product != nil {
				record(b.Product, c)
			}
			walk(b.Branches, c)
		}
	}
	walk(pt.Branches, partial{})
	for i := range pt.FullProductNames {
		record(&pt.FullProductNames[i], partial{})
	}

	// A relationship's product is the firmware it joins: the model from
	// whichever side names a known model, the version from whichever side
	// has one (product_reference first: in "firmware 2.3.1 installed_on
	// AM200" the firmware is the product_reference).
	for i := range pt.Relationships {
		r := &pt.Relationships[i]
		id := r.FullProductName.ProductID
		if _, dup := parts[id]; dup {
			continue
		}
		a, aok := parts[r.ProductReference]
		b, bok := parts[r.RelatesToProduct]
		if !aok || !bok {
			parts[id] = partial{name: r.FullProductName.Name}
			out[id] = mapped{name: r.FullProductName.Name, reason: "a relationship refers to a product id the product tree does not define"}
			continue
		}
		pa := partial{name: r.FullProductName.Name, vendor: a.vendor}
		if pa.vendor == "" {
			pa.vendor = b.vendor
		}
		pa.products = append(slices.Clone(a.products), b.products...)
		pa.version, pa.versionWhy = a.version, a.versionWhy
		if pa.version == "" {
			pa.version, pa.versionWhy = b.version, b.versionWhy
		}
		addHelper(&pa, r.FullProductName.Helper, publisherVendor)
		parts[id] = pa
		res := resolve(pa, cat)
		// The two sides may belong to different vendors' trees; try the
		// related product's vendor before giving up.
		if res.reason != "" && b.vendor != "" && b.vendor != pa.vendor {
			pb := pa
			pb.vendor = b.vendor
			if alt := resolve(pb, cat); alt.reason == "" {
				res = alt
			}
		}
		out[id] = res
	}
	return out
}

// productNames gives the names to try for a product_name branch: the name,
// and the name without a trailing parenthesis ("AM200 (model 4A1F, ESME)"
// is tried as "AM200" too).
func productNames(name string) []string {
	names := []string{name}
	if i := strings.LastIndex(name, " ("); i > 0 && strings.HasSuffix(name, ")") {
		names = append(names, name[:i])
	}
	return names
}

// addHelper adds what product_identification_helper says: model numbers and
// SKUs are tried before branch names (they are codes, not prose), and a CPE
// fills the vendor, product and version when the tree has none.
func addHelper(pa *partial, h *csafHelper, publisherVendor string) {
	if h != nil {
		codes := append(slices.Clone(h.ModelNumbers), h.SKUs...)
		pa.products = append(codes, pa.products...)
		if vendor, product, version, ok := parseCPE(h.CPE); ok {
			if pa.vendor == "" {
				pa.vendor = vendor
			}
			pa.products = append(pa.products, product)
			if pa.version == "" && pa.versionWhy == "" {
				pa.version = version
			}
		}
	}
	if pa.vendor == "" {
		pa.vendor = publisherVendor
	}
}

// parseCPE reads vendor, product and version from a CPE 2.3 formatted string
// ("cpe:2.3:h:ardent_metering:am200:2.3.1:*:…") or a CPE 2.2 URI
// ("cpe:/h:ardent_metering:am200:2.3.1"). Underscores become spaces, so
// "ardent_metering" matches "Ardent Metering"; "*" and "-" mean no value.
func parseCPE(s string) (vendor, product, version string, ok bool) {
	var fields []string
	switch {
	case strings.HasPrefix(s, "cpe:2.3:"):
		fields = splitCPE(s[len("cpe:2.3:"):])
	case strings.HasPrefix(s, "cpe:/"):
		fields = splitCPE(s[len("cpe:/"):])
	default:
		return "", "", "", false
	}
	get := func(i int) string {
		if i >= len(fields) || fields[i] == "*" || fields[i] == "-" {
			return ""
		}
		return strings.ReplaceAll(fields[i], "_", " ")
	}
	vendor, product, version = get(1), get(2), get(3)
	return vendor, product, version, vendor != "" || product != ""
}

// splitCPE splits on ':' not escaped by '\', and drops the escapes.
func splitCPE(s string) []string {
	var fields []string
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case s[i] == ':':
			fields = append(fields, b.String())
			b.Reset()
		default:
			b.WriteByte(s[i])
		}
	}
	return append(fields, b.String())
}

// resolve asks the catalogue level by level and says where it stopped.
func resolve(pa partial, cat Catalogue) mapped {
	m := mapped{name: pa.name}
	if strings.TrimSpace(pa.vendor) == "" {
		m.reason = "no vendor: the product is not under a vendor branch and has no CPE"
		return m
	}
	mfr, ok := cat.FindManufacturer(pa.vendor)
	if !ok {
		m.reason = fmt.Sprintf("vendor %q is not a manufacturer in the catalogue", pa.vendor)
		return m
	}
	var tried []string
	var model ModelRef
	found := false
	for _, p := range pa.products {
		if strings.TrimSpace(p) == "" || slices.Contains(tried, p) {
			continue
		}
		tried = append(tried, p)
		if model, found = cat.FindModel(mfr, p); found {
			break
		}
	}
	if !found {
		if len(tried) == 0 {
			m.reason = fmt.Sprintf("no product name or model number to look up among the models of %s", mfr)
		} else {
			m.reason = fmt.Sprintf("no model of manufacturer %s is called %s", mfr, quoteList(tried))
		}
		return m
	}
	if pa.version == "" {
		m.reason = pa.versionWhy
		if m.reason == "" {
			m.reason = fmt.Sprintf("no firmware version given for model %s", model.Model)
		}
		return m
	}
	fw, ok := cat.FindFirmware(model, pa.version)
	if !ok {
		m.reason = fmt.Sprintf("model %s of manufacturer %s has no firmware version %q in the catalogue", model.Model, mfr, pa.version)
		return m
	}
	m.ref = fw
	return m
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}
