package sec

import (
	"fmt"
	"slices"
	"strings"
)

// Classification is a record's marking under the Panel Information Policy
// (SEC M4.13). The colours follow the Traffic Light Protocol.
type Classification string

// The four classifications, from the most open to the most restricted.
const (
	White Classification = "WHITE"
	Green Classification = "GREEN"
	Amber Classification = "AMBER"
	Red   Classification = "RED"
)

// Classifications lists the classifications from the most open.
var Classifications = []Classification{White, Green, Amber, Red}

// ParseClassification accepts a classification in any case, and the TLP names
// (TLP:CLEAR is WHITE).
func ParseClassification(s string) (Classification, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimPrefix(t, "TLP:")
	if t == "CLEAR" {
		return White, nil
	}
	for _, c := range Classifications {
		if t == string(c) {
			return c, nil
		}
	}
	return "", fmt.Errorf("unknown classification %q (one of WHITE, GREEN, AMBER, RED)", s)
}

// TLP is the Traffic Light Protocol label the classification maps to
// (DOMAIN.md §4, ASSUMPTION: WHITE→TLP:CLEAR).
func (c Classification) TLP() string {
	if c == White {
		return "CLEAR"
	}
	return string(c)
}

// Rank orders classifications from 0 (WHITE) to 3 (RED).
func (c Classification) Rank() int { return slices.Index(Classifications, c) }

// Audience is who a record names: organisations (for AMBER) and people (for
// RED). Records of other classifications may name an audience too; it does not
// narrow or widen who sees them.
type Audience struct {
	Orgs  []int64
	Users []int64
}

// Viewer is who is looking: nobody (the public), or a signed-in user of an
// organisation with roles.
type Viewer struct {
	UserID int64 // 0 for the public
	OrgID  int64
	Roles  []Role
}

// SignedIn reports whether the viewer is a signed-in user.
func (v Viewer) SignedIn() bool { return v.UserID != 0 }

// CanSee is the machine meaning of the classifications (DESIGN.md):
//   - WHITE: anyone, including the public;
//   - GREEN: any signed-in user;
//   - AMBER: the organisations named on the record, plus the SSC and secretariat;
//   - RED: the people named on the record, and no one else.
//
// The SQL that every query carries is built to agree with this function, and
// the route-by-role test checks every response against it.
func CanSee(v Viewer, c Classification, a Audience) bool {
	switch c {
	case White:
		return true
	case Green:
		return v.SignedIn()
	case Amber:
		return v.SignedIn() && (SeesAllAmber(v.Roles) || slices.Contains(a.Orgs, v.OrgID))
	case Red:
		return v.SignedIn() && slices.Contains(a.Users, v.UserID)
	}
	return false
}
