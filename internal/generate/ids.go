package generate

import "github.com/metersec/metersec/internal/estate"

// Device IDs are EUI-64s: the manufacturer's 24-bit prefix (see newWorld) and a
// 40-bit serial. Serials count up per manufacturer, then go through a
// bijection of 40 bits keyed per manufacturer, so IDs are unique by construction yet arrive in no
// order: importers meet them as they would meet real ones, scattered over the
// key space (BASELINES.md: the random key is what makes loading slow).
func (g *estateWriter) deviceID(manufacturer int) estate.DeviceID {
	s := g.serials[manufacturer]
	g.serials[manufacturer]++
	return estate.DeviceID(g.prefixes[manufacturer]<<40 | scramble40(s, g.idKeys[manufacturer]))
}

const mask40 = 1<<40 - 1

// scramble40 is a bijection on [0, 2^40): each step (xor with a key,
// multiplication by an odd number modulo 2^40, xor with a right shift of
// itself) can be undone, so distinct serials give distinct IDs.
func scramble40(x, key uint64) uint64 {
	x = (x ^ key) & mask40
	x = x * 0x9E3779B97F4A7C15 & mask40
	x ^= x >> 19
	x = x * 0xBF58476D1CE4E5B9 & mask40
	x ^= x >> 23
	return x
}
