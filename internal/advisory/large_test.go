package advisory

import (
	"bytes"
	"fmt"
	"testing"
)

// largeAdvisory names 9,000 firmware versions: an export just under
// MaxCSAFSize, the largest document an import accepts.
func largeAdvisory() Advisory {
	a := testAdvisory()
	a.Remediations = nil
	var models []Model
	for i := range 90 {
		md := Model{Code: fmt.Sprintf("M%03d", i), Name: fmt.Sprintf("Model %d", i)}
		for j := range 100 {
			st := KnownAffected
			if j%2 == 0 {
				st = Fixed
			}
			md.Firmware = append(md.Firmware, Firmware{fmt.Sprintf("1.%d.0", j), st})
		}
		models = append(models, md)
	}
	a.Manufacturers = []Manufacturer{{Code: "ARDM", Name: "Ardent Metering", Models: models}}
	return a
}

func BenchmarkExportCSAFLarge(b *testing.B) {
	a := largeAdvisory()
	for b.Loop() {
		if _, err := ExportCSAF(a, testPublisher); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkImportCSAFLarge(b *testing.B) {
	a := largeAdvisory()
	doc, err := ExportCSAF(a, testPublisher)
	if err != nil {
		b.Fatal(err)
	}
	if len(doc) > MaxCSAFSize {
		b.Fatalf("document is %d bytes, over the limit", len(doc))
	}
	cat := NewCatalogue(a.Manufacturers)
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		im, err := ImportCSAF(bytes.NewReader(doc), cat)
		if err != nil {
			b.Fatal(err)
		}
		if len(im.Products[KnownAffected]) != 4500 {
			b.Fatalf("%d affected", len(im.Products[KnownAffected]))
		}
	}
}
