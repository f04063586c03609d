package sec

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Version is an SEC release label such as "5.20". Versions compare part by part
// as numbers, so 5.9 < 5.20 < 5.100: comparing the labels as text or as
// decimals would put 5.9 after 5.20 and make the DP087 rules wrong.
//
// The zero Version means "not set" (see Settings.G320FixVersion).
type Version struct {
	Major, Minor int
}

// smets1UserScope is SEC v5.20, the release that brought enrolled SMETS1
// Devices into User obligations, narrowed G3.17(b) to exclude only SMETS2+
// Communications Hub and Gas Proxy Functions, and left G3.20(b) excluding all
// of them (DP087 problem statement, seeds/001).
var smets1UserScope = Version{5, 20}

// ParseVersion reads "MAJOR.MINOR" (for example "5.20"), with an optional
// leading "v". A minor part with a leading zero ("5.05") is refused because it
// would read as 5.5.
func ParseVersion(s string) (Version, error) {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "v") || strings.HasPrefix(t, "V") {
		t = t[1:]
	}
	major, minor, ok := strings.Cut(t, ".")
	if !ok {
		return Version{}, fmt.Errorf("SEC version %q: want MAJOR.MINOR, for example 5.20", s)
	}
	ma, err1 := versionPart(major)
	mi, err2 := versionPart(minor)
	if err := errors.Join(err1, err2); err != nil {
		return Version{}, fmt.Errorf("SEC version %q: want MAJOR.MINOR, for example 5.20: %w", s, err)
	}
	v := Version{ma, mi}
	if v.IsZero() {
		return Version{}, fmt.Errorf("SEC version %q: there is no version 0.0", s)
	}
	return v, nil
}

func versionPart(s string) (int, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a whole number", s)
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("%q has a leading zero", s)
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n, nil
}

// MustParseVersion is ParseVersion for literals in tables and tests; it panics
// on a bad label.
func MustParseVersion(s string) Version {
	v, err := ParseVersion(s)
	if err != nil {
		panic(err)
	}
	return v
}

// IsZero reports whether v is unset.
func (v Version) IsZero() bool { return v == Version{} }

// String is the label, "5.20", or "" when unset.
func (v Version) String() string {
	if v.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d.%d", v.Major, v.Minor)
}

// Compare returns -1, 0 or +1 as v is older than, the same as or newer than w.
func (v Version) Compare(w Version) int {
	if v.Major != w.Major {
		return cmpInt(v.Major, w.Major)
	}
	return cmpInt(v.Minor, w.Minor)
}

// AtLeast reports whether v is w or a later release.
func (v Version) AtLeast(w Version) bool { return v.Compare(w) >= 0 }

// MarshalText writes the label, so JSON and config files show "5.20".
func (v Version) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText reads a label; empty text is the unset Version.
func (v *Version) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*v = Version{}
		return nil
	}
	p, err := ParseVersion(string(b))
	if err != nil {
		return err
	}
	*v = p
	return nil
}

// Value stores the label as text; an unset Version is NULL.
func (v Version) Value() (driver.Value, error) {
	if v.IsZero() {
		return nil, nil
	}
	return v.String(), nil
}

// Scan reads a label stored as text; NULL is the unset Version.
func (v *Version) Scan(src any) error {
	switch s := src.(type) {
	case nil:
		*v = Version{}
		return nil
	case string:
		return v.UnmarshalText([]byte(s))
	case []byte:
		return v.UnmarshalText(s)
	}
	return fmt.Errorf("sec.Version: cannot scan %T", src)
}

// ErrUnknownVersion is returned, wrapped with the label and the known
// releases, when a version is not in the release table.
var ErrUnknownVersion = errors.New("unknown SEC version")

// Release is one SEC release: the version and the date it took effect.
type Release struct {
	Version   Version `json:"version"`
	Effective Date    `json:"effective"`
	Note      string  `json:"note,omitempty"`
}

// Versions is the table of SEC releases in the order they took effect. It is
// data, not code: the real history is loaded from the database; the rules only
// ask it which release was in force on a date.
type Versions struct {
	releases []Release
	// caveats say, by version, why a release's date is not from a public
	// source (see WithCaveats).
	caveats map[Version]string
}

// NewVersions checks and returns a release table. Releases must be given in
// order: each with a later effective date and a higher version than the one
// before, so "the version in force on a date" has one answer.
func NewVersions(releases []Release) (Versions, error) {
	if len(releases) == 0 {
		return Versions{}, errors.New("SEC release table is empty")
	}
	for i, r := range releases {
		if r.Version.IsZero() || r.Effective.IsZero() {
			return Versions{}, fmt.Errorf("SEC release %d: needs a version and an effective date", i+1)
		}
		if i == 0 {
			continue
		}
		p := releases[i-1]
		if !r.Effective.After(p.Effective) || r.Version.Compare(p.Version) <= 0 {
			return Versions{}, fmt.Errorf("SEC release v%s (effective %s) must come after v%s (effective %s) in both version and date",
				r.Version, r.Effective, p.Version, p.Effective)
		}
	}
	return Versions{releases: append([]Release(nil), releases...)}, nil
}

// DefaultVersions is an ILLUSTRATIVE release table for tests, demos and a fresh
// install: the labels are plausible and v5.20 is the release DP087 names, but
// the effective dates are invented. Load the real release history from SECAS
// before relying on any answer that depends on a date.
func DefaultVersions() Versions {
	const note = "illustrative: date invented, not the real release date"
	d, v := MustParseDate, MustParseVersion
	vs, err := NewVersions([]Release{
		{v("5.9"), d("2018-06-28"), note},
		{v("5.19"), d("2019-06-27"), note},
		{v("5.20"), d("2019-11-07"), note + "; brings enrolled SMETS1 Devices into User obligations (DP087)"},
		{v("5.21"), d("2020-02-27"), note},
		{v("6.3"), d("2021-11-04"), note},
	})
	if err != nil {
		panic(err)
	}
	return vs
}

// Releases returns a copy of the table, oldest first.
func (vs Versions) Releases() []Release { return append([]Release(nil), vs.releases...) }

// InForce returns the release in force on d: the latest one that took effect on
// or before d.
func (vs Versions) InForce(d Date) (Release, error) {
	if d.IsZero() {
		return Release{}, errors.New("which SEC version was in force needs a date")
	}
	for i := len(vs.releases) - 1; i >= 0; i-- {
		if !vs.releases[i].Effective.After(d) {
			return vs.releases[i], nil
		}
	}
	if len(vs.releases) == 0 {
		return Release{}, errors.New("SEC release table is empty")
	}
	first := vs.releases[0]
	return Release{}, fmt.Errorf("no SEC release in the table was in force on %s: the first, v%s, took effect on %s",
		d, first.Version, first.Effective)
}

// Find returns the release with version v, or an error wrapping
// ErrUnknownVersion.
func (vs Versions) Find(v Version) (Release, error) {
	for _, r := range vs.releases {
		if r.Version == v {
			return r, nil
		}
	}
	return Release{}, fmt.Errorf("%w v%s (known: %s)", ErrUnknownVersion, v, vs.labels())
}

// Lookup reads a version label and finds its release. The error says whether
// the label is malformed or unknown (errors.Is(err, ErrUnknownVersion)).
func (vs Versions) Lookup(label string) (Release, error) {
	v, err := ParseVersion(label)
	if err != nil {
		return Release{}, err
	}
	return vs.Find(v)
}

func (vs Versions) labels() string {
	parts := make([]string, len(vs.releases))
	for i, r := range vs.releases {
		parts[i] = r.Version.String()
	}
	return strings.Join(parts, ", ")
}
