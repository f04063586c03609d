package arrangement_test

import (
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
)

// FuzzSniffEvidence: whatever the name and bytes, sniffing never panics, an
// accepted file's extension names its detected type, and a refusal is a
// clear error, never an internal one.
func FuzzSniffEvidence(f *testing.F) {
	f.Add("contract.pdf", pdf)
	f.Add("scan.png", png)
	f.Add("scan.jpg", jpeg)
	f.Add("letter.txt", []byte("We agree.\n"))
	f.Add("letter.docx", docx(f, "[Content_Types].xml", "word/document.xml"))
	f.Add("scan.pdf", png)
	f.Add("page.txt", []byte("<html><script>x</script>"))
	f.Add("x.docx", []byte("PK\x03\x04\x14\x00"))
	f.Fuzz(func(t *testing.T, name string, content []byte) {
		mt, err := arrangement.SniffEvidence(name, content)
		if err != nil {
			if c := errs.CodeOf(err); c != errs.Invalid && c != errs.TooLarge {
				t.Fatalf("%q: error code %s: %v", name, c, err)
			}
			return
		}
		ext := strings.ToLower(path.Ext(name))
		want := map[string][]string{
			"application/pdf": {".pdf"}, "image/png": {".png"}, "image/jpeg": {".jpg", ".jpeg"},
			"text/plain; charset=utf-8": {".txt", ".text", ".md"},
			"application/vnd.openxmlformats-officedocument.wordprocessingml.document": {".docx"},
		}[mt]
		if !slices.Contains(want, ext) {
			t.Fatalf("%q accepted as %s", name, mt)
		}
		if len(content) == 0 || strings.ContainsAny(name, "/\\") {
			t.Fatalf("%q (%d bytes) accepted", name, len(content))
		}
	})
}

// FuzzParseCSV: an arrangements file never panics the parser, and every
// row it accepts has a reference and a known kind.
func FuzzParseCSV(f *testing.F) {
	h := strings.Join(arrangement.CSVHeader, ",") + "\n"
	f.Add(h + `C-10,supplier_manufacturer,SUPA,,MFA,*,"CVSS 7, or remote",2024-01-10,2024-02-01,2027-01-31,5.21,,` + "\n")
	f.Add(h + `L-10,loi,SUPA,MAPA,,MFA/E1;MFB/G1,x,2025-02-01,2025-02-01,,,,GREEN` + "\n")
	f.Add(h + `S-10,scheme,,,MFB,*,,2020-09-15,2020-09-15,,,yes,` + "\n")
	f.Add(h + "\"C-31,loi\n")
	f.Add(h + "C-30,loi\n")
	f.Add("\ufeff" + h)
	f.Add("")
	f.Fuzz(func(t *testing.T, file string) {
		rows, digest, err := arrangement.ParseCSV(strings.NewReader(file))
		if err != nil {
			if c := errs.CodeOf(err); c != errs.Invalid && c != errs.TooLarge {
				t.Fatalf("error code %s: %v", c, err)
			}
			return
		}
		if len(digest) != 64 || len(rows) == 0 {
			t.Fatalf("accepted with digest %q and %d rows", digest, len(rows))
		}
		for _, r := range rows {
			if r.Input.Reference == "" || r.Line < 2 {
				t.Fatalf("row %+v", r)
			}
			if _, err := arrangement.ParseKind(r.Input.Kind); err != nil {
				t.Fatalf("row with kind %q accepted", r.Input.Kind)
			}
		}
	})
}

// FuzzParseList feeds arbitrary query strings to the arrangement list's
// request parser: it must never panic, a refusal names a field, and a
// request it accepts holds only days that parse and a look-ahead in range,
// so the list's SQL never meets a value it did not check.
func FuzzParseList(f *testing.F) {
	for _, s := range []string{"kind=loi&state=expired", "in_force_on=2025-06-15&expires_from=2025-01-01&expires_to=2026-01-01",
		"expiring_within=60&sort=expires", "expiring_within=-1", "from=2025-02-30", "kind=Supplier%E2%80%93MAP+contract", "party=%00&q=%25_"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		q, err := url.ParseQuery(in)
		if err != nil {
			return
		}
		r, err := arrangement.ParseList(q)
		if err != nil {
			if fs := errs.As(err).Fields; len(fs) != 1 || fs[0].Field == "" {
				t.Fatalf("refusal names no field: %v", err)
			}
			return
		}
		for _, name := range []string{"in_force_on", "expires_from", "expires_to"} {
			if v := r.Facet(name); v != "" {
				if _, err := sec.ParseDate(v); err != nil {
					t.Fatalf("accepted %s=%q", name, v)
				}
			}
		}
		if v := r.Facet("expiring_within"); v != "" {
			if n, err := strconv.Atoi(v); err != nil || n < 0 || n > arrangement.MaxExpiringWithin {
				t.Fatalf("accepted expiring_within=%q", v)
			}
		}
		if v := r.Facet("kind"); v != "" && !slices.Contains(arrangement.Kinds, arrangement.Kind(v)) {
			t.Fatalf("accepted kind %q", v)
		}
	})
}
