package advisory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
)

// Advisory is what a metersec vulnerability knows that may go into a CSAF
// advisory. The vulnerability service fills it from its records; which
// Suppliers were notified and which acknowledged is deliberately absent.
type Advisory struct {
	ID          string // the internal id, which becomes document.tracking.id, e.g. "MSV-2026-0042"
	Title       string
	Description string
	CVEs        []string
	CVSS        string // a v3.1 or v4.0 vector; "" when not scored

	Classification sec.Classification // becomes the TLP label
	// Material and MaterialityRationale record the G3.17 materiality
	// decision; both go into a document note.
	Material             bool
	MaterialityRationale string

	Status       TrackingStatus
	DiscoveredOn sec.Date // optional
	ReportedOn   sec.Date // optional: the day metersec was told
	LastUpdated  sec.Date // optional: current_release_date; the last revision's date when zero
	Revisions    []Revision

	// ReportedBy is the reporting organisation, credited in the advisory; ""
	// leaves it out (the service decides whether naming the reporter is
	// allowed, e.g. never one Supplier to another).
	ReportedBy string

	Manufacturers []Manufacturer
	Remediations  []Remediation
}

// TrackingStatus is the CSAF document status.
type TrackingStatus string

// The CSAF 2.0 document statuses.
const (
	Draft   TrackingStatus = "draft"
	Interim TrackingStatus = "interim"
	Final   TrackingStatus = "final"
)

// Revision is one entry of the revision history. Numbers are 1, 2, 3, … (CSAF
// integer versioning); the last one is the document version.
type Revision struct {
	Number  int
	Date    sec.Date
	Summary string
}

// RemediationCategory is the kind of a remediation, named as CSAF 2.0 names it.
type RemediationCategory string

// The CSAF 2.0 remediation categories.
const (
	VendorFix     RemediationCategory = "vendor_fix"
	Mitigation    RemediationCategory = "mitigation"
	Workaround    RemediationCategory = "workaround"
	NoFixPlanned  RemediationCategory = "no_fix_planned"
	NoneAvailable RemediationCategory = "none_available"
)

var remediationCategories = []RemediationCategory{VendorFix, Mitigation, Workaround, NoFixPlanned, NoneAvailable}

// Remediation is advice for some of the products. A vendor_fix applies to the
// affected firmware; the firmware that fixes it appears with status fixed in
// the product tree, and Details should name it ("Update to firmware 2.4.1").
type Remediation struct {
	Category RemediationCategory
	Details  string
	Date     sec.Date // optional
	URL      string   // optional
	Products []FirmwareRef
}

// Publisher is the organisation that operates metersec and issues its
// advisories: configuration, not vulnerability data.
type Publisher struct {
	Name             string // e.g. "Smart Energy Code Company (metersec)"
	Namespace        string // an http(s) URL the publisher controls, e.g. "https://metersec.example"
	ContactDetails   string // optional
	IssuingAuthority string // optional
}

// tlpV1URL says which TLP the labels follow: CSAF 2.0 knows only the TLP v1
// labels (WHITE, GREEN, AMBER, RED).
const tlpV1URL = "https://www.first.org/tlp/v1/"

// idSystem names metersec's own numbering in vulnerabilities[].ids.
const idSystem = "metersec"

// ExportCSAF writes the vulnerability as a CSAF 2.0 csaf_security_advisory,
// indented JSON with a final newline. The same input always gives the same
// bytes: manufacturers, models, firmware, CVEs and remediations are sorted.
//
// The result is checked before it is returned: the CSAF 2.0 JSON schema
// (gocsaf's csaf.ValidateCSAF, offline) and the CSAF mandatory tests on
// product ids and statuses that gocsaf leaves to a remote service (see
// mandatoryProblems). Bad input is an errs.Invalid error listing
// every problem; a document failing the checks after that is a bug
// (errs.Internal).
//
// Decisions worth knowing:
//   - TLP: CSAF 2.0 allows only the TLP v1 labels, so WHITE is written WHITE
//     (TLP 2.0's CLEAR, as sec.Classification.TLP gives it); the others map
//     one to one. distribution.tlp.url points at TLP v1 and distribution.text
//     names the Panel Information Policy classification.
//   - CVSS v4.0: CSAF 2.0 scores hold only cvss_v2 and cvss_v3 and the schema
//     forbids other keys, so a v4.0 vector goes into a vulnerability note
//     titled "CVSS v4.0" whose text starts with the vector; ImportCSAF reads it
//     back. CSAF 2.1 adds cvss_v4; move it there when metersec moves to 2.1.
//     A v3.1 vector is a proper cvss_v3 score for the known_affected products
//     (in a note likewise when no product is known_affected, since a score
//     needs products). document.aggregate_severity carries the rating either way.
//   - Several CVEs give several vulnerabilities[] entries (CSAF has one CVE
//     per entry) with the same products and remediations; no CVE gives one
//     entry identified only by metersec's id.
//   - Product ids are ProductID(manufacturer code, model code, firmware).
func ExportCSAF(a Advisory, pub Publisher) ([]byte, error) {
	if err := check(a, pub); err != nil {
		return nil, err
	}
	doc := build(a, pub)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, errs.Wrap(err, "encode CSAF")
	}
	generic, err := parseJSON(buf.Bytes())
	if err != nil {
		return nil, errs.Wrap(err, "reparse exported CSAF")
	}
	problems, err := schemaProblems(generic)
	if err != nil {
		return nil, errs.Wrap(err, "validate exported CSAF")
	}
	problems = append(problems, mandatoryProblems(doc)...)
	if len(problems) > 0 {
		return nil, errs.Wrap(fmt.Errorf("exported CSAF fails validation: %s", strings.Join(problems, "; ")), "export CSAF")
	}
	return buf.Bytes(), nil
}

// FileName is the CSAF file name for an advisory id (CSAF 2.0 §5.1: the id in
// lower case, characters other than letters, digits, '+' and '-' replaced by
// '_', then ".json"), e.g. "msv-2026-0042.json". It is gocsaf's
// util.CleanFileName, written out to spare the dependencies of that package.
func FileName(id string) string {
	return fileNameInvalid.ReplaceAllString(strings.ToLower(id), "_") + ".json"
}

var fileNameInvalid = regexp.MustCompile(`[^+\-a-z0-9]+`)

// ProductID is the CSAF product id of one firmware version of a model:
// "MS-<manufacturer code>:<model code>:<firmware>". It is stable across
// exports, so a re-export and the receiver's records agree. Model codes are
// unique only within a manufacturer, hence the manufacturer code. Codes are
// letters, digits, '-', '_', '.' in the catalogue; anything else (':' in
// particular) is percent-encoded so two refs never share an id.
func ProductID(f FirmwareRef) string {
	return "MS-" + escapeID(f.Manufacturer) + ":" + escapeID(f.Model) + ":" + escapeID(f.Firmware)
}

func escapeID(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' || c == ':' || c <= ' ' || c >= 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

var cvePattern = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,}$`)

// check lists every problem with the input, so the user fixes them in one go.
func check(a Advisory, pub Publisher) error {
	var c errs.Collector
	bad := func(field, format string, args ...any) {
		c.Add(errs.Field{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	required := func(field, v string) {
		if strings.TrimSpace(v) == "" {
			bad(field, "required")
		}
	}

	if strings.TrimSpace(a.ID) == "" {
		bad("id", "required")
	} else if a.ID != strings.TrimSpace(a.ID) {
		bad("id", "%q starts or ends with white space", a.ID)
	}
	required("title", a.Title)
	required("description", a.Description)
	if slices.Index(sec.Classifications, a.Classification) < 0 {
		bad("classification", "%q is not one of WHITE, GREEN, AMBER, RED", a.Classification)
	}
	if a.Status != Draft && a.Status != Interim && a.Status != Final {
		bad("status", "%q is not one of draft, interim, final", a.Status)
	}
	seenCVE := map[string]bool{}
	for i, cve := range a.CVEs {
		f := fmt.Sprintf("cves[%d]", i)
		switch {
		case !cvePattern.MatchString(cve):
			bad(f, "%q is not a CVE id (CVE-YYYY-NNNN)", cve)
		case seenCVE[cve]:
			bad(f, "%s is listed twice", cve)
		}
		seenCVE[cve] = true
	}
	if a.CVSS != "" {
		if _, err := ParseCVSS(a.CVSS); err != nil {
			bad("cvss", "%s", errs.As(err).Message)
		}
	}

	if len(a.Revisions) == 0 {
		bad("revisions", "at least one revision is required")
	}
	for i, r := range a.Revisions {
		f := fmt.Sprintf("revisions[%d]", i)
		if r.Number != i+1 {
			bad(f+".number", "is %d, want %d: revisions are numbered 1, 2, 3, … in order", r.Number, i+1)
		}
		if r.Date.IsZero() {
			bad(f+".date", "required")
		} else if i > 0 && r.Date.Before(a.Revisions[i-1].Date) {
			bad(f+".date", "%s is before the previous revision's %s", r.Date, a.Revisions[i-1].Date)
		}
		required(f+".summary", r.Summary)
	}
	if n := len(a.Revisions); n > 0 && !a.LastUpdated.IsZero() && a.LastUpdated.Before(a.Revisions[n-1].Date) {
		bad("last_updated", "%s is before the last revision's date %s", a.LastUpdated, a.Revisions[n-1].Date)
	}

	required("publisher.name", pub.Name)
	if u, err := url.Parse(pub.Namespace); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		bad("publisher.namespace", "%q is not an http(s) URL", pub.Namespace)
	}

	products := map[FirmwareRef]bool{}
	seenMfr := map[string]bool{}
	for i, m := range a.Manufacturers {
		f := fmt.Sprintf("manufacturers[%d]", i)
		required(f+".code", m.Code)
		required(f+".name", m.Name)
		if seenMfr[m.Code] {
			bad(f+".code", "%q is listed twice", m.Code)
		}
		seenMfr[m.Code] = true
		seenModel := map[string]bool{}
		for j, md := range m.Models {
			f := fmt.Sprintf("%s.models[%d]", f, j)
			required(f+".code", md.Code)
			if seenModel[md.Code] {
				bad(f+".code", "%q is listed twice for manufacturer %s", md.Code, m.Code)
			}
			seenModel[md.Code] = true
			if md.DeviceType != "" && !slices.Contains(sec.DeviceTypes, md.DeviceType) {
				bad(f+".device_type", "unknown device type %q", md.DeviceType)
			}
			if md.Generation != "" && !slices.Contains(sec.Generations, md.Generation) {
				bad(f+".generation", "unknown generation %q", md.Generation)
			}
			if len(md.Firmware) == 0 {
				bad(f+".firmware", "a model needs at least one firmware version")
			}
			for k, fw := range md.Firmware {
				f := fmt.Sprintf("%s.firmware[%d]", f, k)
				ref := FirmwareRef{m.Code, md.Code, fw.Version}
				switch {
				case strings.TrimSpace(fw.Version) == "":
					bad(f+".version", "required")
				case products[ref]:
					bad(f+".version", "%q is listed twice for model %s", fw.Version, md.Code)
				}
				products[ref] = true
				if !fw.Status.valid() {
					bad(f+".status", "%q is not one of known_affected, fixed, known_not_affected, under_investigation", fw.Status)
				}
			}
		}
	}
	if len(products) == 0 {
		bad("manufacturers", "a security advisory names at least one product")
	}

	for i, r := range a.Remediations {
		f := fmt.Sprintf("remediations[%d]", i)
		if !slices.Contains(remediationCategories, r.Category) {
			bad(f+".category", "%q is not one of vendor_fix, mitigation, workaround, no_fix_planned, none_available", r.Category)
		}
		required(f+".details", r.Details)
		if r.URL != "" {
			if u, err := url.Parse(r.URL); err != nil || u.Scheme == "" || u.Host == "" {
				bad(f+".url", "%q is not an absolute URL", r.URL)
			}
		}
		if len(r.Products) == 0 {
			bad(f+".products", "a remediation applies to at least one product (CSAF 6.1.29)")
		}
		for j, p := range r.Products {
			if !products[p] {
				bad(fmt.Sprintf("%s.products[%d]", f, j), "firmware %s of model %s of manufacturer %s is not among the advisory's products", p.Firmware, p.Model, p.Manufacturer)
			}
		}
	}
	return c.Err("the advisory cannot be exported as CSAF")
}

// build assembles the CSAF document from checked input.
func build(a Advisory, pub Publisher) *csafDoc {
	score, _ := ParseCVSS(a.CVSS) // checked; zero when a.CVSS is ""

	// Product tree, and the product ids of each status in tree order.
	byStatus := map[ProductStatus][]string{}
	var tree []csafBranch
	for _, m := range sortedManufacturers(a.Manufacturers) {
		vendor := csafBranch{Category: "vendor", Name: m.Name}
		for _, md := range sortedModels(m.Models) {
			label := modelLabel(md)
			product := csafBranch{Category: "product_name", Name: label}
			for _, fw := range sortedFirmware(md.Firmware) {
				id := ProductID(FirmwareRef{m.Code, md.Code, fw.Version})
				byStatus[fw.Status] = append(byStatus[fw.Status], id)
				product.Branches = append(product.Branches, csafBranch{
					Category: "product_version",
					Name:     fw.Version,
					Product: &csafProduct{
						Name:      m.Name + " " + label + " firmware " + fw.Version,
						ProductID: id,
						Helper:    &csafHelper{ModelNumbers: []string{md.Code}},
					},
				})
			}
			vendor.Branches = append(vendor.Branches, product)
		}
		tree = append(tree, vendor)
	}
	status := &csafProductStatus{
		KnownAffected:      byStatus[KnownAffected],
		Fixed:              byStatus[Fixed],
		KnownNotAffected:   byStatus[KnownNotAffected],
		UnderInvestigation: byStatus[UnderInvestigation],
	}

	// What every vulnerabilities[] entry carries.
	notes := []csafNote{{Category: "description", Title: "Description", Text: a.Description}}
	if t := timeline(a, pub); t != "" {
		notes = append(notes, csafNote{Category: "details", Title: "Timeline", Text: t})
	}
	var scores []csafScore
	if a.CVSS != "" {
		affected := byStatus[KnownAffected]
		if score.Version == "3.1" && len(affected) > 0 {
			scores = []csafScore{{
				CVSSv3: &csafCVSS3{
					Version:      "3.1",
					VectorString: score.Vector,
					BaseScore:    score.Score,
					BaseSeverity: strings.ToUpper(score.Severity),
				},
				Products: affected,
			}}
		} else {
			notes = append(notes, cvssNote(score))
		}
	}
	var acks []csafAcknowledged
	if a.ReportedBy != "" {
		acks = []csafAcknowledged{{Organization: a.ReportedBy, Summary: "reported this vulnerability"}}
	}
	var rems []csafRemediation
	for _, r := range sortedRemediations(a.Remediations) {
		ids := make([]string, 0, len(r.Products))
		for _, p := range r.Products {
			ids = append(ids, ProductID(p))
		}
		rem := csafRemediation{
			Category:   string(r.Category),
			Details:    r.Details,
			URL:        r.URL,
			ProductIDs: treeOrder(ids, byStatus),
		}
		if !r.Date.IsZero() {
			rem.Date = dateTime(r.Date)
		}
		rems = append(rems, rem)
	}
	newVuln := func(cve string) csafVulnerability {
		v := csafVulnerability{
			CVE:             cve,
			IDs:             []csafID{{SystemName: idSystem, Text: a.ID}},
			Title:           a.Title,
			Notes:           notes,
			Acknowledgments: acks,
			ProductStatus:   status,
			Scores:          scores,
			Remediations:    rems,
		}
		if !a.DiscoveredOn.IsZero() {
			v.DiscoveryDate = dateTime(a.DiscoveredOn)
		}
		return v
	}
	var vulns []csafVulnerability
	cves := slices.Clone(a.CVEs)
	slices.Sort(cves)
	for _, cve := range cves {
		vulns = append(vulns, newVuln(cve))
	}
	if len(vulns) == 0 {
		vulns = []csafVulnerability{newVuln("")}
	}

	// The document.
	var revs []csafRevision
	for _, r := range a.Revisions {
		revs = append(revs, csafRevision{Number: strconv.Itoa(r.Number), Date: dateTime(r.Date), Summary: r.Summary})
	}
	last := a.Revisions[len(a.Revisions)-1]
	current := a.LastUpdated
	if current.IsZero() {
		current = last.Date
	}
	gen := &csafGenerator{}
	gen.Engine.Name = "metersec"
	doc := csafDocument{
		Category:    "csaf_security_advisory",
		CSAFVersion: "2.0",
		Title:       a.Title,
		Publisher: csafPublisher{
			Category:         "coordinator",
			Name:             pub.Name,
			Namespace:        pub.Namespace,
			ContactDetails:   pub.ContactDetails,
			IssuingAuthority: pub.IssuingAuthority,
		},
		Tracking: csafTracking{
			ID:                 a.ID,
			Status:             string(a.Status),
			Version:            strconv.Itoa(last.Number),
			InitialReleaseDate: dateTime(a.Revisions[0].Date),
			CurrentReleaseDate: dateTime(current),
			RevisionHistory:    revs,
			Generator:          gen,
		},
		Distribution: &csafDistribution{
			Text: fmt.Sprintf("Classified %s under the SEC Panel Information Policy (TLP:%s). Share only as that classification allows.", a.Classification, a.Classification.TLP()),
			TLP:  &csafTLP{Label: csafTLPLabel(a.Classification), URL: tlpV1URL},
		},
		Lang: "en-GB",
		Notes: []csafNote{
			{Category: "summary", Title: "Summary", Text: a.Description},
			{Category: "other", Title: "Materiality (SEC G3.17)", Text: materiality(a)},
		},
	}
	if a.CVSS != "" {
		doc.AggregateSeverity = &csafSeverity{Text: score.Severity}
	}
	return &csafDoc{Document: doc, ProductTree: &csafProductTree{Branches: tree}, Vulnerabilities: vulns}
}

// csafTLPLabel maps a classification onto the TLP v1 label CSAF 2.0 allows.
func csafTLPLabel(c sec.Classification) string {
	if c == sec.White {
		return "WHITE"
	}
	return c.TLP()
}

// modelLabel names a model in the tree and in product names, with what a
// reader in the SEC regime needs to recognise it: "AM200 (model 4A1F, ESME,
// SMETS2+)".
func modelLabel(md Model) string {
	name := md.Name
	if strings.TrimSpace(name) == "" {
		name = md.Code
	}
	parts := []string{"model " + md.Code}
	if md.DeviceType != "" {
		parts = append(parts, string(md.DeviceType))
	}
	if md.Generation != "" {
		parts = append(parts, string(md.Generation))
	}
	return name + " (" + strings.Join(parts, ", ") + ")"
}

func materiality(a Advisory) string {
	s := "Not material."
	if a.Material {
		s = "Material security vulnerability."
	}
	if r := strings.TrimSpace(a.MaterialityRationale); r != "" {
		s += " Rationale: " + r
	}
	return s
}

func timeline(a Advisory, pub Publisher) string {
	var lines []string
	if !a.DiscoveredOn.IsZero() {
		lines = append(lines, "Discovered: "+a.DiscoveredOn.String())
	}
	if !a.ReportedOn.IsZero() {
		lines = append(lines, "Reported to "+pub.Name+": "+a.ReportedOn.String())
	}
	return strings.Join(lines, "\n")
}

// cvssNote carries a vector CSAF 2.0 has no score field for (see
// ExportCSAF): the vector first, so ImportCSAF can read it back.
func cvssNote(c CVSS) csafNote {
	return csafNote{Category: "other", Title: "CVSS v" + c.Version,
		Text: fmt.Sprintf("%s\nScore %.1f (%s).", c.Vector, c.Score, c.Severity)}
}

// dateTime writes a civil date as the CSAF date-time at its start, in UTC.
func dateTime(d sec.Date) string { return d.String() + "T00:00:00Z" }

// treeOrder returns ids, without duplicates, in the order the product tree
// lists them.
func treeOrder(ids []string, byStatus map[ProductStatus][]string) []string {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	var all []string
	for _, s := range ProductStatuses {
		all = append(all, byStatus[s]...)
	}
	order := map[string]int{}
	for i, id := range all {
		order[id] = i
	}
	out := make([]string, 0, len(want))
	for id := range want {
		out = append(out, id)
	}
	slices.SortFunc(out, func(x, y string) int { return order[x] - order[y] })
	return out
}

func sortedManufacturers(ms []Manufacturer) []Manufacturer {
	ms = slices.Clone(ms)
	slices.SortFunc(ms, func(x, y Manufacturer) int {
		if c := strings.Compare(fold(x.Name), fold(y.Name)); c != 0 {
			return c
		}
		return strings.Compare(x.Code, y.Code)
	})
	return ms
}

func sortedModels(ms []Model) []Model {
	ms = slices.Clone(ms)
	slices.SortFunc(ms, func(x, y Model) int { return strings.Compare(x.Code, y.Code) })
	return ms
}

func sortedFirmware(fs []Firmware) []Firmware {
	fs = slices.Clone(fs)
	slices.SortFunc(fs, func(x, y Firmware) int { return compareVersions(x.Version, y.Version) })
	return fs
}

func sortedRemediations(rs []Remediation) []Remediation {
	rs = slices.Clone(rs)
	slices.SortStableFunc(rs, func(x, y Remediation) int {
		if c := slices.Index(remediationCategories, x.Category) - slices.Index(remediationCategories, y.Category); c != 0 {
			return c
		}
		if c := x.Date.Compare(y.Date); c != 0 {
			return c
		}
		return strings.Compare(x.Details, y.Details)
	})
	return rs
}

// compareVersions orders firmware versions for display: runs of digits compare
// as numbers, so 2.10 comes after 2.9; the rest compares as text. Ties fall
// back to plain string order, so the order is total and exports are stable.
// It is not the catalogue's version order (which knows BCD and hex); the
// affected/fixed decision is made there, this only lays out the tree.
func compareVersions(a, b string) int {
	x, y := a, b
	for x != "" && y != "" {
		xd, yd := isDigit(x[0]), isDigit(y[0])
		if xd != yd {
			if xd {
				return -1
			}
			return 1
		}
		xi, yi := run(x, xd), run(y, yd)
		xs, ys := x[:xi], y[:yi]
		if xd {
			xs, ys = strings.TrimLeft(xs, "0"), strings.TrimLeft(ys, "0")
			if len(xs) != len(ys) {
				return len(xs) - len(ys)
			}
		}
		if c := strings.Compare(xs, ys); c != 0 {
			return c
		}
		x, y = x[xi:], y[yi:]
	}
	if c := len(x) - len(y); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func run(s string, digits bool) int {
	i := 0
	for i < len(s) && isDigit(s[i]) == digits {
		i++
	}
	return i
}
