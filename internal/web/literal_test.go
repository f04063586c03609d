package web_test

import "testing"

// TestContainsLiteral pins when a numeric marker counts as shown: as a
// number, never inside a hex id.
func TestContainsLiteral(t *testing.T) {
	for _, c := range []struct {
		body, lit string
		want      bool
	}{
		{`{"devices":1234567,"x":1}`, "1234567", true},
		{`<td class="num">1,234,567</td>`, "1,234,567", true},
		{`1234567`, "1234567", true},
		{`"request_id":"a91234567f0c2e11"`, "1234567", false},
		{`{"n":12345678}`, "1234567", false},
		{`id a91234567f then 1234567.`, "1234567", true},
		{`System VM~user_system~US2~ shown`, "System VM~user_system~US2~", true},
		{`xSystem VM~user_system~US2~y`, "System VM~user_system~US2~", true},
	} {
		if got := containsLiteral(c.body, c.lit); got != c.want {
			t.Errorf("containsLiteral(%q, %q) = %v, want %v", c.body, c.lit, got, c.want)
		}
	}
}
