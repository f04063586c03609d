package report

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/sec"
)

// The PDFs are checked as a reader gets them: rendered by poppler
// (pdftoppm, pdftotext, pdfdetach; Debian's poppler-utils, installed by
// .ci/run). Without poppler the test skips, unless
// METERSEC_REQUIRE_PDFTOOLS=1 (as in CI) makes that a failure.
func needPoppler(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"pdftoppm", "pdftotext", "pdfdetach"} {
		if _, err := osexec.LookPath(tool); err != nil {
			if os.Getenv("METERSEC_REQUIRE_PDFTOOLS") == "1" {
				t.Fatalf("%s is missing (apt-get install poppler-utils)", tool)
			}
			t.Skipf("%s is missing (apt-get install poppler-utils)", tool)
		}
	}
}

// Names and references as long as the register allows, with no space to
// break at in the references.
const (
	longSupplier = "Northern Powergrid Household Energy Supply and Smart Metering Services Limited"
	longMfr      = "Consolidated Metering Instruments and Communications Hub Manufacturing (Europe) plc"
	longModel    = "CMI-SMETS2-ESME-POLYPHASE-VARIANT-B-2026-0042-ULTRAWIDE"
	longRef      = "VULN-2026-000123-CMI-ESME-ZIGBEE-KEY-EXTRACTION-VIA-DEBUG-PORT"
)

func pdfDocs() map[string]*Document {
	m := Month{Year: 2026, Month: time.November}
	at := time.Date(2026, 12, 1, 0, 5, 0, 0, time.UTC)
	base := func(k Kind, recipient *OrgRef, class sec.Classification) *Document {
		code := ""
		if recipient != nil {
			code = recipient.Code
		}
		return &Document{Kind: k, Title: k.Label(), Month: m, Classification: class, Reference: Reference(k, m, code, 1),
			Recipient: recipient, GeneratedAt: at, AsAt: at}
	}

	mfr := OrgRef{Code: "CMIEUROPE", Name: longMfr}
	md := ManufacturerData{Manufacturer: mfr}
	for i := range 30 {
		so := SupplierOperating{Supplier: OrgRef{Code: fmt.Sprintf("SUP%02d", i), Name: fmt.Sprintf("%s %d", longSupplier, i)}}
		for j := range 3 {
			n := int64(1000*i + j + 1)
			so.Models = append(so.Models, ModelCount{Model: fmt.Sprintf("%s-%d", longModel, j), Name: "Polyphase electricity meter with a long catalogue name", DeviceType: sec.DeviceType("ESME"), Generation: sec.Generation("SMETS2"), Devices: n})
			so.SMETS2 += n
			so.Devices += n
		}
		md.Suppliers = append(md.Suppliers, so)
	}
	monthly := base(ManufacturerKind, &mfr, sec.Amber)
	monthly.Sections = manufacturerSections(md, m)

	sup := OrgRef{Code: "NPGHES", Name: longSupplier}
	sd := SupplierData{Supplier: sup, Manufacturers: []ManufacturerContacts{{Manufacturer: mfr, Contacts: []Contact{{Label: "Security incident desk (24 hours)", Name: "Dr Alexandra Montgomery-Fitzwilliam", Email: "product-security-incident-response@consolidated-metering.example.co.uk", Phone: "+44 20 7946 0000"}}}}}
	supplier := base(SupplierKind, &sup, sec.Amber)
	supplier.Sections = supplierSections(sd, m)

	st := StandingData{Day: m.Last(), Certificates: &CertificateSection{}, Vulnerabilities: &VulnerabilitySection{},
		Coverage: &CoverageSection{Month: m}, StandingItems: []StandingItemRow{}, Churn: ChurnSection{Month: m}}
	for i := range 250 {
		r := CertificateRow{Supplier: fmt.Sprintf("SUP%02d", i%30), Manufacturer: mfr.Code, Model: longModel, Firmware: fmt.Sprintf("v%d.%d.%d-build.%d", i/100, i/10%10, i%10, 1000+i), Status: "expired", Devices: int64(i + 1)}
		st.Certificates.Rows = append(st.Certificates.Rows, r)
		st.Certificates.Devices += r.Devices
	}
	st.Certificates.BySupplier = []StatusCount{{Supplier: sup, Status: "expired", Devices: st.Certificates.Devices}}
	st.Vulnerabilities.Open = []VulnerabilityRow{{Reference: longRef, Title: "Key extraction through an enabled debug port on a widely installed polyphase meter", State: "acknowledged", Manufacturer: mfr, Severity: "high", Devices: 1234567, Classification: sec.Amber}}
	st.Vulnerabilities.OpenCount = 1
	st.Vulnerabilities.Unacknowledged = []UnacknowledgedRow{{Reference: longRef, Title: "Key extraction", Org: sup, Role: "Supplier", Devices: 1234567, Days: 12}}
	for mm := m.Add(-11); !m.Before(mm); mm = mm.Add(1) {
		st.Coverage.Trend = append(st.Coverage.Trend, CoverageMonth{Month: mm, Snapshot: true, Covered: 900000, Gap: 5000, ReasonableSteps: 2000, SuppliersInGap: 3})
		st.Churn.Trend = append(st.Churn.Trend, MonthTotal{Month: mm, Devices: 300000})
	}
	st.Coverage.BySupplier = []SupplierCoverage{{Supplier: sup, Covered: 900000, Gap: 5000, ReasonableSteps: 2000, GapTrend: make([]int64, 12)}}
	st.Churn.Flows = []ChurnFlow{{From: sup, To: OrgRef{Code: "SUP07", Name: longSupplier + " 7"}, Devices: 300000}}
	st.Churn.Devices = 300000
	standing := base(StandingKind, nil, sec.Red)
	standing.Sections = standingSections(st, m)
	return map[string]*Document{"manufacturer": monthly, "supplier": supplier, "standing": standing}
}

func TestPDFsRenderWhole(t *testing.T) {
	needPoppler(t)
	dir := t.TempDir()
	space := regexp.MustCompile(`\s+`)
	for name, d := range pdfDocs() {
		t.Run(name, func(t *testing.T) {
			b, err := renderPDF(d)
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, name+".pdf")
			if err := os.WriteFile(file, b, 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := osexec.Command("pdftotext", "-raw", "-enc", "UTF-8", file, "-").Output()
			if err != nil {
				t.Fatalf("pdftotext: %v", err)
			}
			text := string(out)
			flat := space.ReplaceAllString(text, " ")
			// Every reference and name in the tables appears whole: a
			// reference on one line, a name at most wrapped between words.
			want := []string{d.Reference}
			if d.Recipient != nil {
				want = append(want, d.Recipient.Name)
			}
			for _, s := range d.Sections {
				if s.Table == nil {
					continue
				}
				for _, r := range s.Table.Rows[:min(len(s.Table.Rows), pdfMaxRows)] {
					for i, c := range s.Table.Columns {
						if !c.Num && i < len(r) && r[i] != "" && r[i] != "—" {
							want = append(want, r[i])
						}
					}
				}
			}
			for _, w := range want {
				if !strings.Contains(flat, w) {
					t.Errorf("%q is not whole in the text of the PDF", w)
				}
			}
			for _, ref := range []string{d.Reference, longRef, longModel} {
				if strings.Contains(flat, ref[:min(20, len(ref))]) && !strings.Contains(text, ref) {
					t.Errorf("reference %q is broken across lines", ref)
				}
			}
			if strings.Contains(text, "…") {
				t.Errorf("the PDF cuts text short with an ellipsis")
			}

			// Summarised tables are attached whole.
			list, err := osexec.Command("pdfdetach", "-list", file).Output()
			if err != nil {
				t.Fatalf("pdfdetach: %v", err)
			}
			for _, s := range d.Sections {
				long := s.Table != nil && len(s.Table.Rows) > pdfMaxRows
				att := TableFileName(d.Reference, s.ID)
				if long != strings.Contains(string(list), att) {
					t.Errorf("section %s (%d rows): attachment %s listed %v, want %v:\n%s", s.ID, rowsOf(s), att, !long, long, list)
				}
				if long {
					csvFile := filepath.Join(dir, att)
					if out, err := osexec.Command("pdfdetach", "-save", attachmentNumber(t, string(list), att), "-o", csvFile, file).CombinedOutput(); err != nil {
						t.Fatalf("pdfdetach -savefile: %v %s", err, out)
					}
					body, err := os.ReadFile(csvFile)
					if err != nil {
						t.Fatal(err)
					}
					if rows := readAll(t, dropComments(body)); len(rows) != 1+len(s.Table.Rows)+footRows(s.Table) {
						t.Errorf("attachment %s has %d lines, want header, %d rows and totals", att, len(rows), len(s.Table.Rows))
					}
				}
			}

			// Every page shows something.
			if out, err := osexec.Command("pdftoppm", "-r", "24", "-png", file, filepath.Join(dir, name)).CombinedOutput(); err != nil {
				t.Fatalf("pdftoppm: %v %s", err, out)
			}
			pages, _ := filepath.Glob(filepath.Join(dir, name+"-*.png"))
			if len(pages) == 0 {
				t.Fatal("pdftoppm drew no page")
			}
			for _, pg := range pages {
				if ink := inked(t, pg); ink < 0.01 {
					t.Errorf("%s is blank (%.3f of it inked)", filepath.Base(pg), ink)
				}
			}
		})
	}
}

func rowsOf(s Section) int {
	if s.Table == nil {
		return 0
	}
	return len(s.Table.Rows)
}

func footRows(t *Table) int {
	if t.Foot != nil {
		return 1
	}
	return 0
}

func dropComments(b []byte) []byte {
	var out []byte
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		if !bytes.HasPrefix(line, []byte("#")) {
			out = append(out, line...)
		}
	}
	return out
}

// inked is the share of a page image's pixels that are not near white.
func inked(t *testing.T, file string) float64 {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var dark, all int
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			all++
			if (r+g+bl)/3 < 0xd000 {
				dark++
			}
		}
	}
	return float64(dark) / float64(all)
}

// attachmentNumber finds a file's number in pdfdetach -list's output ("1:
// name").
func attachmentNumber(t *testing.T, list, name string) string {
	t.Helper()
	for _, line := range strings.Split(list, "\n") {
		if n, file, ok := strings.Cut(line, ": "); ok && strings.TrimSpace(file) == name {
			return strings.TrimSpace(n)
		}
	}
	t.Fatalf("no attachment %s in %s", name, list)
	return ""
}
