package generate

import (
	"math/bits"
	"math/rand/v2"
	"time"
)

// rng is the generator's one source of randomness. Every draw goes through
// these few methods, in a fixed order, so a seed gives the same bytes; the
// bounded draws are written out here (Lemire's multiply-shift) rather than
// borrowed from math/rand, whose helpers may change between Go releases.
type rng struct{ src *rand.PCG }

func newRNG(seed, stream uint64) *rng { return &rng{rand.NewPCG(seed, stream)} }

func (r *rng) u64() uint64 { return r.src.Uint64() }

// intn is uniform in [0, n). The slight bias for huge n does not matter here.
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.src.Uint64(), uint64(n))
	return int(hi)
}

// between is uniform in [lo, hi]; lo when hi <= lo.
func (r *rng) between(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + r.intn(hi-lo+1)
}

// float is uniform in [0, 1).
func (r *rng) float() float64 { return float64(r.src.Uint64()>>11) / (1 << 53) }

// chance is true with probability p.
func (r *rng) chance(p float64) bool { return r.float() < p }

// weighted picks an index of cum, a running total of weights, with
// probability proportional to its weight.
func (r *rng) weighted(cum []float64) int {
	x := r.float() * cum[len(cum)-1]
	lo, hi := 0, len(cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if cum[mid] > x {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// cumulative turns weights into running totals for weighted.
func cumulative(w []float64) []float64 {
	c := make([]float64, len(w))
	total := 0.0
	for i, x := range w {
		total += x
		c[i] = total
	}
	return c
}

// Dates inside the generator are day numbers (days since 1970-01-01), cheap
// to draw, compare and format a hundred million times.

func dayOf(t time.Time) int { return int(t.Unix() / 86400) }

func dateOf(day int) time.Time { return time.Unix(int64(day)*86400, 0).UTC() }

// appendDate writes the day as YYYY-MM-DD (civil-from-days, H. Hinnant),
// avoiding time.Format's cost per row.
func appendDate(b []byte, day int) []byte {
	z := day + 719468
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return append(b,
		byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-',
		byte('0'+d/10), byte('0'+d%10))
}
