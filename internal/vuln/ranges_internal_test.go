package vuln

import (
	"fmt"
	"slices"
	"testing"

	"github.com/metersec/metersec/internal/advisory"
	"github.com/metersec/metersec/internal/catalogue"
)

// FuzzRangesFor: whatever firmware an imported advisory says is affected,
// the ranges made from it select exactly that firmware of the model in the
// catalogue's version order, nothing more, nothing less.
func FuzzRangesFor(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5}, uint64(0b10110))
	f.Add([]byte{9, 9, 0, 200}, uint64(0b1111))
	f.Add([]byte{0}, uint64(1))
	f.Fuzz(func(t *testing.T, seed []byte, mask uint64) {
		if len(seed) > 64 {
			seed = seed[:64]
		}
		// Distinct versions, two spellings families mixed in: dotted and hex.
		seen := map[string]bool{}
		var fws []catalogue.FirmwareVersion
		for i, b := range seed {
			s := fmt.Sprintf("%d.%d", b/16, b%16)
			if i%5 == 4 {
				s = fmt.Sprintf("0x%04X", b)
			}
			if seen[s] {
				continue
			}
			seen[s] = true
			v, err := catalogue.ParseFirmwareVersion(s)
			if err != nil {
				t.Fatal(err)
			}
			fws = append(fws, v)
		}
		slices.SortFunc(fws, catalogue.Compare)
		ref := advisory.ModelRef{Manufacturer: "M", Model: "X"}
		var versions []string
		var affected []advisory.FirmwareRef
		want := map[string]bool{}
		for i, v := range fws {
			versions = append(versions, v.String())
			if mask&(1<<(i%64)) != 0 {
				affected = append(affected, advisory.FirmwareRef{Manufacturer: "M", Model: "X", Firmware: v.String()})
				want[v.String()] = true
			}
		}
		ins := rangesFor(affected, map[advisory.ModelRef][]string{ref: versions})
		got := map[string]bool{}
		for _, in := range ins {
			r, err := catalogue.NewRange(in.Introduced, in.Fixed, in.LastAffected)
			if err != nil {
				t.Fatalf("range %+v: %v", in, err)
			}
			for _, v := range fws {
				if r.Contains(v) {
					got[v.String()] = true
				}
			}
		}
		for v := range want {
			if !got[v] {
				t.Errorf("affected %s is in no range %+v", v, ins)
			}
		}
		for v := range got {
			if !want[v] {
				t.Errorf("%s is not affected but a range %+v holds it", v, ins)
			}
		}
	})
}
