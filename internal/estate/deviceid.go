package estate

import (
	"fmt"
	"unicode/utf8"
)

// DeviceID is a Device's identifier: the EUI-64 allocated under GBCS for SMETS2+
// Devices and under the SMETS1 Supporting Requirements for SMETS1 Devices.
//
// The ID says nothing about the Device's type, generation or manufacturer:
// SECMP0014's proposal to structure it was withdrawn, and every Device is
// pre-notified to the Smart Metering Inventory with its type (DOMAIN.md §5). Code
// must take those facts from the estate record, never from bits of the ID.
type DeviceID uint64

// ParseDeviceID reads an EUI-64 written as 16 hex digits in either case, either
// run together ("001A2B3C4D5E6F70") or as eight pairs separated by hyphens or by
// colons ("00-1A-2B-3C-4D-5E-6F-70", "00:1a:2b:3c:4d:5e:6f:70"). One kind of
// separator throughout; no spaces, no "0x" prefix. Errors say what is wrong and
// where (positions count characters from 1).
func ParseDeviceID(s string) (DeviceID, error) {
	switch len(s) {
	case 16:
		return parseHex16(s, false)
	case 23:
		sep := s[2]
		if sep != '-' && sep != ':' {
			return 0, fmt.Errorf("device id %q: character %s at position 3 should be a separator '-' or ':'", s, quoteAt(s, 2))
		}
		for at := 5; at < 23; at += 3 {
			switch c := s[at]; {
			case c == sep:
			case c == '-' || c == ':':
				return 0, fmt.Errorf("device id %q: mixed separators ('%c' at position 3, '%c' at position %d): use one kind", s, sep, c, position(s, at))
			default:
				return 0, fmt.Errorf("device id %q: character %s at position %d should be the separator '%c'", s, quoteAt(s, at), position(s, at), sep)
			}
		}
		return parseHex16(s, true)
	}
	if s == "" {
		return 0, fmt.Errorf("device id is empty: want 16 hex digits such as 00-1A-2B-3C-4D-5E-6F-70")
	}
	return 0, fmt.Errorf("device id %q has %d characters: want 16 hex digits, run together or as 8 pairs separated by '-' or ':' (00-1A-2B-3C-4D-5E-6F-70)",
		s, utf8.RuneCountInString(s))
}

// parseHex16 reads the 16 hex digits of s, which are either run together or,
// when separated, the first two of every three characters (the separators have
// been checked already).
func parseHex16(s string, separated bool) (DeviceID, error) {
	var v uint64
	for i := range 16 {
		at := i
		if separated {
			at = i/2*3 + i%2
		}
		d := unhex(s[at])
		if d < 0 {
			return 0, fmt.Errorf("device id %q: character %s at position %d is not a hex digit", s, quoteAt(s, at), position(s, at))
		}
		v = v<<4 | uint64(d)
	}
	return DeviceID(v), nil
}

// position is the 1-based character position of byte i of s.
func position(s string, i int) int { return utf8.RuneCountInString(s[:i]) + 1 }

// quoteAt quotes the character starting at byte i, decoding a multi-byte
// character whole so the message shows what the user typed.
func quoteAt(s string, i int) string {
	r, _ := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError {
		return fmt.Sprintf("byte 0x%02X", s[i])
	}
	return fmt.Sprintf("%q", r)
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

const upperHex = "0123456789ABCDEF"

// String is the canonical form: uppercase pairs separated by hyphens, the way
// GBCS displays a Device ID ("00-1A-2B-3C-4D-5E-6F-70").
func (id DeviceID) String() string {
	var b [23]byte
	return string(id.appendTo(b[:0]))
}

// AppendText appends the canonical form to b. It lets bulk writers (the
// generator, exports) format millions of IDs without an allocation each.
func (id DeviceID) AppendText(b []byte) ([]byte, error) { return id.appendTo(b), nil }

func (id DeviceID) appendTo(b []byte) []byte {
	for i := 7; i >= 0; i-- {
		o := byte(id >> (8 * i))
		b = append(b, upperHex[o>>4], upperHex[o&0xF])
		if i > 0 {
			b = append(b, '-')
		}
	}
	return b
}

// MarshalText writes the canonical form, so JSON carries IDs as strings.
func (id DeviceID) MarshalText() ([]byte, error) { return id.appendTo(make([]byte, 0, 23)), nil }

// UnmarshalText accepts every form ParseDeviceID does.
func (id *DeviceID) UnmarshalText(b []byte) error {
	v, err := ParseDeviceID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// Int64 is the same 64 bits read as a signed integer, for a BIGINT column:
// IDs with the top bit set become negative. Storage order of the signed value
// is not the order of the IDs; nothing should depend on it.
func (id DeviceID) Int64() int64 { return int64(id) }

// DeviceIDFromInt64 undoes Int64.
func DeviceIDFromInt64(v int64) DeviceID { return DeviceID(uint64(v)) }
