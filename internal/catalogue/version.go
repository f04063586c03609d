package catalogue

import (
	"cmp"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Family is the way a firmware version is written. All the firmware of one
// Device Model is normally written one way; the CPL records versions as BCD
// (read as dotted decimal) or hex (DOMAIN.md §5, CPLQ).
type Family uint8

// Firmware version families, in the order Compare puts them.
const (
	// Dotted is decimal numbers separated by dots ("1.2.10", "02.01", "v3.1"),
	// optionally followed by a suffix ("1.2b", "4.0.1-rc2").
	Dotted Family = iota + 1
	// Hex is one hexadecimal number: "0x" and 1 to 16 hex digits ("0x1A2B"), or
	// exactly 4 or 8 hex digits with no prefix ("1A2B", "1A2B00FF"), the widths
	// of GBCS firmware version fields.
	Hex
)

func (f Family) String() string {
	switch f {
	case Dotted:
		return "dotted"
	case Hex:
		return "hex"
	}
	return "none"
}

const (
	maxVersionLen   = 64 // longer text is a data error, not a version
	maxVersionParts = 8  // "1.2.3.4.5.6.7.8"; keeps FirmwareVersion comparable with ==
)

// FirmwareVersion is a firmware version as written in the catalogue. It keeps
// the text exactly: two spellings of one release ("1.2" and "1.2.0", "0x1A2B"
// and "1A2B") are different versions to the catalogue, which keys firmware by
// its text, but Range treats them as the same release.
//
// The zero value means "no version" (an optional field left empty). Values are
// comparable with ==, which agrees with Compare(a, b) == 0 and with equal text.
type FirmwareVersion struct {
	text   string
	family Family
	n      uint8 // how many of parts are used
	parts  [maxVersionParts]uint64
	suffix string // Dotted only: the text after the numbers, "" if none
}

// ParseFirmwareVersion reads a firmware version in one of the two families:
//
//   - Hex: "0x" or "0X" then 1 to 16 hex digits, or exactly 4 or 8 hex digits
//     with no prefix. A bare 4- or 8-digit run is hex even when every digit is
//     decimal ("0102" is 0x0102): that is how GBCS firmware version fields are
//     written, and the CPL copies them.
//   - Dotted: an optional "v" or "V", then 1 to 8 decimal numbers separated by
//     single dots, then an optional suffix. The suffix starts with a letter or
//     one of "-_+~" and holds letters, digits and ".-_+~" ("1.2b", "2.0-rc.1").
//
// Text made only of hex digits, not 4 or 8 long, with a digit after a letter
// ("1A2", "12AB5") is refused as ambiguous rather than read as a number with a
// suffix; "10b" is release 10 with suffix "b".
//
// No spaces, at most 64 characters. The error says what is wrong and where.
func ParseFirmwareVersion(s string) (FirmwareVersion, error) {
	v := FirmwareVersion{text: s}
	switch {
	case s == "":
		return FirmwareVersion{}, fmt.Errorf("firmware version is empty")
	case len(s) > maxVersionLen:
		return FirmwareVersion{}, fmt.Errorf("firmware version %.20q… is %d bytes long: at most %d", s, len(s), maxVersionLen)
	case len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') || s == "0x" || s == "0X":
		digits := s[2:]
		if digits == "" {
			return FirmwareVersion{}, fmt.Errorf("firmware version %q: no hex digits after 0x", s)
		}
		if len(digits) > 16 {
			return FirmwareVersion{}, fmt.Errorf("firmware version %q: %d hex digits after 0x, at most 16", s, len(digits))
		}
		for i := range len(digits) {
			if unhex(digits[i]) < 0 {
				return FirmwareVersion{}, fmt.Errorf("firmware version %q: %s at position %d is not a hex digit", s, quoteAt(s, i+2), position(s, i+2))
			}
		}
		v.family, v.n, v.parts[0] = Hex, 1, hexValue(digits)
		return v, nil
	case allHex(s):
		if len(s) == 4 || len(s) == 8 {
			v.family, v.n, v.parts[0] = Hex, 1, hexValue(s)
			return v, nil
		}
		if i := strings.IndexAny(s, "abcdefABCDEF"); i >= 0 && strings.ContainsAny(s[i:], "0123456789") {
			// "1A2" could be hex or the release 1 with suffix "A2": refuse to
			// guess rather than misorder it silently. "10b" reads as release 10
			// with suffix "b": a digit after the letters is what looks hex.
			return FirmwareVersion{}, fmt.Errorf("firmware version %q looks like hex but has %d digits: write hex as 0x%s, or as exactly 4 or 8 digits", s, len(s), s)
		}
	}

	v.family = Dotted
	i := 0
	if s[0] == 'v' || s[0] == 'V' {
		i = 1
	}
	if i == len(s) || !isDigit(s[i]) {
		return FirmwareVersion{}, fmt.Errorf("firmware version %q: want dotted decimal (1.2.10), 0x and hex digits (0x1A2B), or 4 or 8 hex digits (1A2B00FF)", s)
	}
	for {
		start := i
		var n uint64
		for i < len(s) && isDigit(s[i]) {
			d := uint64(s[i] - '0')
			if n > (1<<64-1-d)/10 {
				return FirmwareVersion{}, fmt.Errorf("firmware version %q: the number at position %d is too large", s, position(s, start))
			}
			n = n*10 + d
			i++
		}
		if int(v.n) == maxVersionParts {
			return FirmwareVersion{}, fmt.Errorf("firmware version %q: more than %d dot-separated numbers", s, maxVersionParts)
		}
		v.parts[v.n] = n
		v.n++
		if i == len(s) || s[i] != '.' {
			break
		}
		i++ // the dot
		if i == len(s) {
			return FirmwareVersion{}, fmt.Errorf("firmware version %q ends with '.'", s)
		}
		if !isDigit(s[i]) {
			return FirmwareVersion{}, fmt.Errorf("firmware version %q: the '.' at position %d must be followed by a digit, found %s", s, position(s, i-1), quoteAt(s, i))
		}
	}
	if i < len(s) {
		suffix := s[i:]
		if !isLetter(suffix[0]) && !strings.ContainsRune("-_+~", rune(suffix[0])) {
			return FirmwareVersion{}, fmt.Errorf("firmware version %q: %s at position %d cannot start a suffix (a letter or one of -_+~)", s, quoteAt(s, i), position(s, i))
		}
		alnum := false
		for j := range len(suffix) {
			c := suffix[j]
			switch {
			case isLetter(c) || isDigit(c):
				alnum = true
			case strings.IndexByte(".-_+~", c) >= 0:
			default:
				return FirmwareVersion{}, fmt.Errorf("firmware version %q: %s at position %d is not allowed in a suffix (letters, digits and .-_+~)", s, quoteAt(s, i+j), position(s, i+j))
			}
		}
		if !alnum {
			return FirmwareVersion{}, fmt.Errorf("firmware version %q: suffix %q has no letter or digit", s, suffix)
		}
		v.suffix = suffix
	}
	return v, nil
}

// String is the version's text, exactly as parsed ("" for the zero value).
func (v FirmwareVersion) String() string { return v.text }

// Family says how the version is written; 0 for the zero value.
func (v FirmwareVersion) Family() Family { return v.family }

// IsZero reports whether v is the zero value, "no version".
func (v FirmwareVersion) IsZero() bool { return v.family == 0 }

// MarshalText writes the version's text.
func (v FirmwareVersion) MarshalText() ([]byte, error) { return []byte(v.text), nil }

// UnmarshalText parses a version; empty text gives the zero value, so optional
// fields can be left empty in JSON.
func (v *FirmwareVersion) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*v = FirmwareVersion{}
		return nil
	}
	p, err := ParseFirmwareVersion(string(b))
	if err != nil {
		return err
	}
	*v = p
	return nil
}

// Compare orders firmware versions totally: it returns -1, 0 or +1, and 0 only
// for the same version (equal text). The order, key by key:
//
//  1. Family: the zero value, then Dotted, then Hex. One model's firmware
//     shares a family, so this only fixes where mixed lists put each family.
//  2. Value. Dotted versions compare number by number, missing numbers counting
//     as 0 ("1.2" and "1.2.0" tie here; "1.2" < "1.2.1" < "1.10"). Hex versions
//     compare as numbers ("0x1A2B" and "1A2B" tie here).
//  3. Suffix, for Dotted. No suffix comes first: a suffix marks a later build of
//     the same numbered release, as firmware vendors use it ("1.2" < "1.2a" <
//     "1.2b" < "1.2.1"). ASSUMPTION: SemVer's pre-release reading ("1.2-rc1"
//     before "1.2") is not followed; where a model's history differs, the
//     catalogue's release dates are the authority. Suffixes compare naturally:
//     runs of digits by value, other runs by ASCII text ignoring case, a digit
//     run before a non-digit run, a shorter suffix first ("rc2" < "rc10").
//  4. The text, byte by byte: the last tie-break, between spellings of one
//     release ("01.02" < "1.2" < "1.2.0" < "v1.2"), so no two versions are equal.
//
// Each key is a total preorder and the text is unique, so the whole is a total
// order: antisymmetric and transitive, safe for sorting and binary search.
func Compare(a, b FirmwareVersion) int {
	if c := compareRelease(a, b); c != 0 {
		return c
	}
	return strings.Compare(a.text, b.text)
}

// compareRelease is Compare without the last tie-break: 0 means a and b are
// spellings of the same release. Ranges use it.
func compareRelease(a, b FirmwareVersion) int {
	if c := cmp.Compare(a.family, b.family); c != 0 {
		return c
	}
	for i := range max(a.n, b.n) {
		// Unused parts are 0, which is what "missing counts as 0" needs.
		if c := cmp.Compare(a.parts[i], b.parts[i]); c != 0 {
			return c
		}
	}
	return compareSuffix(a.suffix, b.suffix)
}

// compareSuffix compares suffixes naturally (see Compare).
func compareSuffix(a, b string) int {
	for a != "" && b != "" {
		var ta, tb string
		ta, a = nextToken(a)
		tb, b = nextToken(b)
		da, db := isDigit(ta[0]), isDigit(tb[0])
		switch {
		case da && db:
			ta, tb = strings.TrimLeft(ta, "0"), strings.TrimLeft(tb, "0")
			if c := cmp.Compare(len(ta), len(tb)); c != 0 {
				return c
			}
			if c := strings.Compare(ta, tb); c != 0 {
				return c
			}
		case da:
			return -1
		case db:
			return +1
		default:
			if c := compareFold(ta, tb); c != 0 {
				return c
			}
		}
	}
	return cmp.Compare(len(a), len(b)) // "" (exhausted) first; both "" is 0
}

// nextToken splits off the leading run of digits, or of non-digits.
func nextToken(s string) (token, rest string) {
	d := isDigit(s[0])
	i := 1
	for i < len(s) && isDigit(s[i]) == d {
		i++
	}
	return s[:i], s[i:]
}

// compareFold compares ASCII text ignoring case.
func compareFold(a, b string) int {
	for i := range min(len(a), len(b)) {
		if c := cmp.Compare(lower(a[i]), lower(b[i])); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

// Range is a span of affected firmware versions of one Device Model, as a
// vulnerability records it (the OSV "introduced / fixed / last_affected" shape):
//
//   - Introduced: the first affected version, inclusive; zero means from the
//     first version.
//   - Fixed: the first version not affected, exclusive; zero means none yet.
//   - LastAffected: the last affected version, inclusive; zero means none.
//     Fixed and LastAffected are mutually exclusive.
//
// Ranges compare releases, not spellings: "1.2" and "1.2.0" are in or out
// together (Compare's text tie-break only orders spellings in lists). A range
// with no bounds at all holds every version. A bounded range holds only
// versions of its bounds' family: the order across families is a convention,
// not a release history.
type Range struct {
	Introduced   FirmwareVersion
	Fixed        FirmwareVersion
	LastAffected FirmwareVersion
}

// NewRange parses the three bounds (empty text for "not given") and validates
// the range.
func NewRange(introduced, fixed, lastAffected string) (Range, error) {
	var r Range
	for _, b := range []struct {
		name string
		text string
		dst  *FirmwareVersion
	}{
		{"introduced", introduced, &r.Introduced},
		{"fixed", fixed, &r.Fixed},
		{"last affected", lastAffected, &r.LastAffected},
	} {
		if b.text == "" {
			continue
		}
		v, err := ParseFirmwareVersion(b.text)
		if err != nil {
			return Range{}, fmt.Errorf("%s version: %w", b.name, err)
		}
		*b.dst = v
	}
	if err := r.Validate(); err != nil {
		return Range{}, err
	}
	return r, nil
}

// Validate reports a range that holds no version or makes no sense: both a
// fixed and a last affected version, bounds of different families, a fixed
// version not after the introduced one, or a last affected version before it.
func (r Range) Validate() error {
	if !r.Fixed.IsZero() && !r.LastAffected.IsZero() {
		return fmt.Errorf("range has both fixed %s and last affected %s: give one or the other", r.Fixed, r.LastAffected)
	}
	upper, upperName := r.Fixed, "fixed"
	if !r.LastAffected.IsZero() {
		upper, upperName = r.LastAffected, "last affected"
	}
	if r.Introduced.IsZero() || upper.IsZero() {
		return nil
	}
	if r.Introduced.family != upper.family {
		return fmt.Errorf("range mixes a %s introduced version %s with a %s %s version %s", r.Introduced.family, r.Introduced, upper.family, upperName, upper)
	}
	c := compareRelease(r.Introduced, upper)
	switch {
	case upperName == "fixed" && c == 0:
		return fmt.Errorf("range is empty: introduced %s is the same release as fixed %s, and fixed is not affected", r.Introduced, r.Fixed)
	case c > 0:
		return fmt.Errorf("range is reversed: introduced %s comes after %s %s", r.Introduced, upperName, upper)
	}
	return nil
}

// Contains reports whether v is in the range. It assumes the range is valid
// (NewRange and Validate ensure it) and never holds the zero version.
func (r Range) Contains(v FirmwareVersion) bool {
	if v.IsZero() {
		return false
	}
	for _, b := range []FirmwareVersion{r.Introduced, r.Fixed, r.LastAffected} {
		if !b.IsZero() && b.family != v.family {
			return false
		}
	}
	if !r.Introduced.IsZero() && compareRelease(v, r.Introduced) < 0 {
		return false
	}
	if !r.Fixed.IsZero() && compareRelease(v, r.Fixed) >= 0 {
		return false
	}
	if !r.LastAffected.IsZero() && compareRelease(v, r.LastAffected) > 0 {
		return false
	}
	return true
}

// String writes the range for people: ">=1.2 <1.4", ">=1.2 <=1.3", "<1.4",
// "all versions".
func (r Range) String() string {
	var parts []string
	if !r.Introduced.IsZero() {
		parts = append(parts, ">="+r.Introduced.text)
	}
	if !r.Fixed.IsZero() {
		parts = append(parts, "<"+r.Fixed.text)
	}
	if !r.LastAffected.IsZero() {
		parts = append(parts, "<="+r.LastAffected.text)
	}
	if parts == nil {
		return "all versions"
	}
	return strings.Join(parts, " ")
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= lower(c) && lower(c) <= 'z' }

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func unhex(c byte) int {
	switch {
	case isDigit(c):
		return int(c - '0')
	case 'a' <= lower(c) && lower(c) <= 'f':
		return int(lower(c)-'a') + 10
	}
	return -1
}

func allHex(s string) bool {
	for i := range len(s) {
		if unhex(s[i]) < 0 {
			return false
		}
	}
	return true
}

// hexValue reads at most 16 hex digits already checked by allHex.
func hexValue(s string) uint64 {
	var v uint64
	for i := range len(s) {
		v = v<<4 | uint64(unhex(s[i]))
	}
	return v
}

// position is the 1-based character position of byte i of s.
func position(s string, i int) int { return utf8.RuneCountInString(s[:i]) + 1 }

// quoteAt quotes the character starting at byte i of s, whole.
func quoteAt(s string, i int) string {
	r, _ := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError {
		return fmt.Sprintf("byte 0x%02X", s[i])
	}
	return fmt.Sprintf("%q", r)
}
