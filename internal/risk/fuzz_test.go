package risk

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/metersec/metersec/internal/errs"
)

// FuzzCheck: a risk as typed in the form or sent as JSON. Never a panic; a
// refusal is a field error naming only fields the risk has; what is accepted
// has a title and owner, likelihood and impact of 1 to 5, a real review date,
// and text that is trimmed, valid UTF-8 without NUL (PostgreSQL stores
// nothing else) and at most 4000 characters.
func FuzzCheck(f *testing.F) {
	f.Add("SMKI key compromise", "", "DCC", "HSM audit", 2, 5, "2027-01-31", "")
	f.Add(" x ", "d", " o ", "", 1, 1, "2027-01-01", "red")
	f.Add("", "", "", "", 0, 6, "soon", "purple")
	f.Add("Café", "", "o", "", 3, 3, "2027-02-29", "TLP:CLEAR")
	f.Add(strings.Repeat("é", 4001), "", "o", "", 5, 5, "2028-02-29", "amber")
	f.Fuzz(func(t *testing.T, title, desc, owner, treatment string, l, i int, review, class string) {
		in := Input{Title: title, Description: desc, Owner: owner, Likelihood: l, Impact: i, Treatment: treatment, ReviewDate: review, Classification: class}
		c, err := check(in)
		if err != nil {
			e := errs.As(err)
			if e.Code != errs.Invalid || len(e.Fields) == 0 {
				t.Fatalf("%+v: %v (%s) is not a field error", in, err, e.Code)
			}
			for _, fe := range e.Fields {
				switch fe.Field {
				case "title", "description", "owner", "treatment", "likelihood", "impact", "review_date", "classification":
				default:
					t.Fatalf("%+v: error names %q", in, fe.Field)
				}
				if fe.Message == "" {
					t.Fatalf("%+v: no message for %q", in, fe.Field)
				}
			}
			return
		}
		if c.title == "" || c.owner == "" || c.l < 1 || c.l > 5 || c.i < 1 || c.i > 5 || c.review.IsZero() || c.class == "" {
			t.Fatalf("%+v accepted as %+v", in, c)
		}
		if c.review.String() != review {
			t.Fatalf("review date %q accepted as %v", review, c.review)
		}
		for _, v := range []string{c.title, c.desc, c.owner, c.treatment} {
			if v != strings.TrimSpace(v) || !utf8.ValidString(v) || strings.ContainsRune(v, 0) || utf8.RuneCountInString(v) > 4000 {
				t.Fatalf("%+v: text %q accepted", in, v)
			}
		}
	})
}
