package account

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	zxcvbnlists "github.com/nbutton23/zxcvbn-go/frequency"
	"github.com/trustelem/zxcvbn"
	"github.com/trustelem/zxcvbn/frequency"
	"github.com/trustelem/zxcvbn/match"
)

// New passwords follow NIST SP 800-63B (section 3.1.1.2): at least 12
// characters, any characters, up to 1024 bytes; refused when they are on a
// list of common, breached or dictionary passwords, or when an estimate of
// how many guesses they would take is too low. There are no composition
// rules (a digit, a capital): they make passwords harder to remember, not to
// guess.

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 12

// MinGuessesLog10 is the fewest guesses, as a power of ten, that a password
// must be estimated to need: 10^10 is zxcvbn's top score ("very
// unguessable"), which an offline attack on a leaked argon2id hash at 19 MiB
// cannot reach in useful time, while a passphrase of three unrelated common
// words passes.
const MinGuessesLog10 = 10

// estimateLimit bounds the part of a password the estimator reads: its work
// grows faster than the length (a run of l33t substitutions such as
// "4@8({[<3!1|0$5+7%2…" took 0.94 s at 100 bytes, 0.28 s at 64 and
// 0.08 s at 32 on the 2-core machine, found by FuzzCheckPassword), and a
// password whose first 64 bytes are hard to guess is hard to guess.
const estimateLimit = 64

// CheckPassword says what is wrong with a new password, or "". personal
// lists words the password must not lean on: the user's email, name and
// organisation.
func CheckPassword(pw string, personal ...string) string {
	switch {
	case !utf8.ValidString(pw):
		return "is not valid UTF-8 text"
	case utf8.RuneCountInString(pw) < MinPasswordLength:
		return fmt.Sprintf("must be at least %d characters", MinPasswordLength)
	case len(pw) > 1024:
		return "is too long (at most 1024 bytes)"
	case strings.TrimSpace(pw) == "":
		return "must not be blank"
	}
	if IsCommonPassword(pw) {
		return "is on a list of common and breached passwords that attackers try first: choose another"
	}
	in := pw
	if len(in) > estimateLimit {
		in = in[:estimateLimit]
		for !utf8.ValidString(in) {
			in = in[:len(in)-1]
		}
	}
	r := zxcvbn.PasswordStrength(in, contextWords(personal))
	if r.Guesses > 0 && math.Log10(r.Guesses) >= MinGuessesLog10 {
		return ""
	}
	return fmt.Sprintf("is too easy to guess (about 10^%d guesses%s): use a longer phrase of unrelated words",
		int(math.Log10(math.Max(r.Guesses, 1))), weakness(r.Sequence))
}

// contextWords are words a password for this service must not lean on.
func contextWords(personal []string) []string {
	out := []string{"metersec", "smart", "meter", "metering", "energy", "security", "secure", "password"}
	for _, p := range personal {
		p = strings.ToLower(p)
		out = append(out, p)
		if local, domain, ok := strings.Cut(p, "@"); ok {
			out = append(out, local)
			out = append(out, strings.Split(domain, ".")...)
		}
		out = append(out, strings.Fields(p)...)
	}
	return out
}

// weakness names the guessable parts the estimator found, so the person
// knows what to change.
func weakness(seq []*match.Match) string {
	var parts []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] && len(parts) < 3 {
			seen[s] = true
			parts = append(parts, s)
		}
	}
	for _, m := range seq {
		switch m.Pattern {
		case "repeat":
			add(fmt.Sprintf("%q repeated", m.BaseToken))
		case "sequence":
			add(fmt.Sprintf("the sequence %q", m.Token))
		case "spatial":
			add(fmt.Sprintf("the keyboard pattern %q", m.Token))
		case "date":
			add(fmt.Sprintf("the date %q", m.Token))
		case "regex":
			if m.RegexName == "recent_year" {
				add(fmt.Sprintf("the year %q", m.Token))
			}
		case "dictionary":
			switch m.DictionaryName {
			case "passwords":
				add(fmt.Sprintf("the common password %q", m.Token))
			case "user_inputs":
				add(fmt.Sprintf("%q, from your account or this service", m.Token))
			case "female_names", "male_names", "surnames":
				add(fmt.Sprintf("the name %q", m.Token))
			default:
				add(fmt.Sprintf("the common word %q", m.Token))
			}
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "; it is made of " + strings.Join(parts, ", ")
}

var (
	commonOnce sync.Once
	common     map[string]struct{}
)

// commonPasswords is the blocklist: the frequency lists that two zxcvbn
// ports ship (trustelem/zxcvbn: 30,000 passwords from breaches, 30,000
// words of English Wikipedia, 19,160 of US television and film, 14,695
// names and surnames; nbutton23/zxcvbn-go: the older lists, 7,141
// passwords, 32,545 English words, 45,402 names and surnames). Together
// they hold 128,440 distinct entries, folded to lower case; the passwords
// alone are 31,202. Attackers' dictionaries hold the same words, so a
// password that is one of them whole is refused outright.
func commonPasswords() map[string]struct{} {
	commonOnce.Do(func() {
		common = make(map[string]struct{}, 130_000)
		for _, words := range frequency.FrequencyLists {
			for _, w := range words {
				common[strings.ToLower(w)] = struct{}{}
			}
		}
		for _, l := range zxcvbnlists.Lists {
			for _, w := range l.List {
				common[strings.ToLower(w)] = struct{}{}
			}
		}
	})
	return common
}

// CommonPasswordCount is how many distinct entries the blocklist holds.
func CommonPasswordCount() int { return len(commonPasswords()) }

var separators = regexp.MustCompile(`[\s._-]+`)

// IsCommonPassword reports whether pw, ignoring case and separators, is on
// the blocklist.
func IsCommonPassword(pw string) bool {
	set := commonPasswords()
	lower := strings.ToLower(strings.TrimSpace(pw))
	if _, ok := set[lower]; ok {
		return true
	}
	_, ok := set[separators.ReplaceAllString(lower, "")]
	return ok
}
