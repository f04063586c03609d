// Package validate checks the small values every area accepts from outside:
// codes, names, email addresses, phone numbers, PGP keys. Each function
// returns a message fit to show the user, or "" when the value is good.
package validate

import (
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"
)

var codeRE = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{1,15}$`)

// Code checks an organisation code: 2 to 16 capital letters, digits or
// hyphens, starting with a letter or digit. Callers upper-case first.
func Code(s string) string {
	if !codeRE.MatchString(s) {
		return "must be 2 to 16 capital letters, digits or hyphens, starting with a letter or digit"
	}
	return ""
}

// Text checks a required one-line text of at most max characters.
func Text(s string, max int) string {
	switch {
	case strings.TrimSpace(s) == "":
		return "is required"
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case utf8.RuneCountInString(s) > max:
		return "is too long (at most " + itoa(max) + " characters)"
	case strings.ContainsAny(s, "\r\n\x00"):
		return "must be one line"
	}
	return ""
}

// Email checks a bare email address (no display name), as used for contacts
// and sign-in.
func Email(s string) string {
	if s == "" {
		return "is required"
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || len(s) > 254 {
		return "is not a valid email address (like name@example.org)"
	}
	at := strings.LastIndexByte(s, '@')
	if !strings.Contains(s[at:], ".") {
		return "is not a valid email address (the domain needs a dot)"
	}
	return ""
}

var phoneRE = regexp.MustCompile(`^\+?[0-9 ()-]{6,24}$`)

// Phone checks an optional phone number.
func Phone(s string) string {
	if s != "" && !phoneRE.MatchString(s) {
		return "is not a valid phone number (digits, spaces, +, ( ) and - only)"
	}
	return ""
}

// PGPKey checks an optional ASCII-armoured OpenPGP public key.
func PGPKey(s string) string {
	if s == "" {
		return ""
	}
	s = strings.TrimSpace(s)
	if len(s) > 64<<10 {
		return "is too long (at most 64 KiB)"
	}
	if !strings.HasPrefix(s, "-----BEGIN PGP PUBLIC KEY BLOCK-----") || !strings.HasSuffix(s, "-----END PGP PUBLIC KEY BLOCK-----") {
		return "must be an ASCII-armoured OpenPGP public key (-----BEGIN PGP PUBLIC KEY BLOCK----- … -----END PGP PUBLIC KEY BLOCK-----)"
	}
	return ""
}

var labelRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// Label checks a short lower-case label such as a contact's slot name.
func Label(s string) string {
	if !labelRE.MatchString(s) {
		return "must be 1 to 32 lower-case letters, digits or hyphens"
	}
	return ""
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
