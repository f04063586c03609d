package web

import (
	"testing"

	"github.com/metersec/metersec/internal/coverage"
)

// TestHeatBands: the heat map's bands separate 0%, under 50%, 50–99% and
// 100% covered (issue 15 point 5) from the counts, not the rounded
// percentage, with reasonable steps, nothing to cover and no Devices apart.
func TestHeatBands(t *testing.T) {
	cases := []struct {
		name       string
		c          coverage.Counts
		band, text string
	}{
		{"no Devices", coverage.Counts{}, "empty", "—"},
		{"all the DCC's: nothing to cover", coverage.Counts{Devices: 5, DCC: 5}, "noduty", "—"},
		{"all covered", coverage.Counts{Devices: 10, Covered: 10}, "full", "100%"},
		{"one in a gap of a thousand is not 100%", coverage.Counts{Devices: 1000, Covered: 999, Gap: 1}, "most", "99%"},
		{"half covered is 50–99%", coverage.Counts{Devices: 10, Covered: 5, Gap: 5}, "most", "50%"},
		{"just under half", coverage.Counts{Devices: 1000, Covered: 499, Gap: 501}, "some", "49%"},
		{"one covered of a thousand is not 0%", coverage.Counts{Devices: 1000, Covered: 1, Gap: 999}, "some", "<1%"},
		{"none covered", coverage.Counts{Devices: 10, Gap: 10}, "none", "0%"},
		{"the rest under reasonable steps, no gap", coverage.Counts{Devices: 10, Covered: 3, Steps: 7}, "steps", "30%"},
		{"all under reasonable steps", coverage.Counts{Devices: 10, Steps: 10}, "steps", "0%"},
		{"not practicable (accepted) is no gap", coverage.Counts{Devices: 10, Covered: 8, Impracticable: 2}, "steps", "80%"},
		{"the DCC's Devices do not count", coverage.Counts{Devices: 20, Covered: 10, DCC: 10}, "full", "100%"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := heatBandOf(tc.c).Name; got != tc.band {
				t.Errorf("band %q, want %q", got, tc.band)
			}
			if got := heatText(tc.c); got != tc.text {
				t.Errorf("text %q, want %q", got, tc.text)
			}
		})
	}
}
