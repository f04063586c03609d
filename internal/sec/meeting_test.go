package sec

import (
	"errors"
	"testing"
)

func TestPseudonymLabel(t *testing.T) {
	for _, c := range []struct {
		name string
		n    int
		want string
	}{
		{"seeds/003 item 6: the first label, \"Large Supplier 'A'\"", 1, "A"},
		{"seeds/003 item 4: \"Small Supplier 'D'\"", 4, "D"},
		{"last single letter", 26, "Z"},
		{"first two-letter label after Z", 27, "AA"},
		{"seeds/003 item 3: \"Small Supplier 'BV'\"", 74, "BV"},
		{"last two-letter label", 702, "ZZ"},
		{"first three-letter label", 703, "AAA"},
		{"no label before the first", 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := PseudonymLabel(c.n); got != c.want {
				t.Errorf("PseudonymLabel(%d) = %q, want %q", c.n, got, c.want)
			}
		})
	}
}

func TestValidPseudonym(t *testing.T) {
	for _, c := range []struct {
		name, label, code, party string
		ok                       bool
	}{
		{"seeds/003: 'BV' for a party it says nothing about", "BV", "KLNW", "Kelvin Northwest Energy", true},
		{"the party's code is not a pseudonym", "KLN", "KLN", "Kelvin Energy", false},
		{"the start of the party's code is not a pseudonym", "KL", "KLNW", "Kelvin Northwest Energy", false},
		{"the party's initials are not a pseudonym", "KNE", "ZZZZ", "Kelvin Northwest Energy", false},
		{"lower case is refused", "bv", "KLNW", "Kelvin", false},
		{"four letters are too many", "ABCD", "KLNW", "Kelvin", false},
		{"empty is refused", "", "KLNW", "Kelvin", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := ValidPseudonym(c.label, c.code, c.party)
			if (err == nil) != c.ok {
				t.Errorf("ValidPseudonym(%q, %q, %q) = %v, want ok=%v", c.label, c.code, c.party, err, c.ok)
			}
		})
	}
}

func TestMeetingRules(t *testing.T) {
	for _, c := range []struct {
		name     string
		class    Classification
		withheld bool
		draft    bool
	}{
		{"seeds/003 item 3: \"marked as RED and therefore recorded in the Confidential Minutes\"", Red, true, false},
		{"seeds/003 item 14: \"marked as AMBER and therefore recorded in the Confidential Minutes\"", Amber, true, false},
		{"seeds/003 item 5: a GREEN item appears in full", Green, false, true},
		{"a WHITE item appears in full", White, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if WithheldInPublic(c.class) != c.withheld || InDraftMinutes(c.class) != c.draft {
				t.Errorf("%s: withheld %v draft %v", c.class, WithheldInPublic(c.class), InDraftMinutes(c.class))
			}
		})
	}
	for _, c := range []struct {
		name string
		in   string
		ok   bool
	}{
		{"seeds/003 item 2: \"The SSC APPROVED the Draft Minutes\"", "APPROVED", true},
		{"seeds/003 item 4: \"The SSC AGREED the Compliance Status\"", "agreed", true},
		{"seeds/003 item 6: \"The SSC NOTED the Self-Assessment\"", "Noted", true},
		{"a verb outside the list is refused", "REJECTED", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := ParseVerb(c.in); (err == nil) != c.ok {
				t.Errorf("ParseVerb(%q): %v", c.in, err)
			}
		})
	}
	if got := Subject(SmallSupplier, "BV"); got != "Small Supplier 'BV'" {
		t.Errorf("Subject = %q", got)
	}
	if _, err := MinutesLifecycle.Next(MinutesApproved, MinutesEventEdit, ActorSSC); !errors.Is(err, ErrNoTransition) {
		t.Errorf("editing approved minutes: %v", err)
	}
	if _, err := MinutesLifecycle.Next(MinutesApproved, MinutesEventApprove, ActorSSC); !errors.Is(err, ErrNoTransition) {
		t.Errorf("approving minutes twice: %v", err)
	}
	if _, err := MinutesLifecycle.Next(MinutesDraft, MinutesEventApprove, ActorOwner); !errors.Is(err, ErrNotPermitted) {
		t.Errorf("approving as a party: %v", err)
	}
}
