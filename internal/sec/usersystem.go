package sec

import (
	"fmt"
	"slices"
)

// The clauses that bind a User for its own User Systems (seeds/001, the text
// of G3.17 and G3.20 as DP087 quotes it). Unlike clause (b) they do not
// depend on any Device, on the Responsible Supplier or on the SEC release:
// v5.20 and DP087 changed only the (b) limbs.
const (
	// ClauseG317a: "Where a User becomes aware of any material security
	// vulnerability in, or likely cause of a material adverse effect on the
	// security of: (a) any hardware, software or firmware which forms part
	// of its User Systems; … it shall comply with the requirements of
	// Section G3.18."
	ClauseG317a = "G3.17(a)"
	// ClauseG320a: "Each User shall, wherever it is practicable to do so,
	// establish with: (a) the manufacturers of the hardware and developers
	// of the software and firmware which form part of its User Systems" the
	// arrangements to be notified (DOMAIN.md §1, ASSUMPTION for the tail).
	ClauseG320a = "G3.20(a)"
)

// UserRoles are the organisation roles in which a Party is a User and so has
// User Systems: the Suppliers, Network Parties and Other Users. The DCC runs
// the DCC Systems, not User Systems; a Triage Facility Provider is a Party
// but not a User by that role.
var UserRoles = []OrgRole{LargeSupplier, SmallSupplier, NetworkParty, OtherUser}

// IsUser reports whether an organisation holding roles is a User.
func IsUser(roles []OrgRole) bool {
	return slices.ContainsFunc(roles, func(r OrgRole) bool { return slices.Contains(UserRoles, r) })
}

// InService is the days a User System is in service: from From, through To
// (inclusive) or open-ended when To is zero.
type InService struct {
	From, To Date
}

// On reports whether the system is in service on day d.
func (s InService) On(d Date) bool {
	return !d.Before(s.From) && (s.To.IsZero() || !d.After(s.To))
}

// UserSystemDuty is one clause's answer for a User System on a day.
type UserSystemDuty struct {
	Clause  string `json:"clause"`
	Applies bool   `json:"applies"`
	Reason  string `json:"reason"`
}

// UserSystemDuties says which of G3.17(a) and G3.20(a) a User carries for one
// of its User Systems on day d. Both bind a User for as long as the system
// "forms part of its User Systems": from the first day it is in service to
// the last. Neither binds an organisation that is not a User.
func UserSystemDuties(roles []OrgRole, span InService, d Date) []UserSystemDuty {
	out := []UserSystemDuty{{Clause: ClauseG317a}, {Clause: ClauseG320a}}
	var why string
	switch {
	case !IsUser(roles):
		why = "the organisation holds no User role (Supplier, Network Party or Other User): the clause binds Users only"
	case d.Before(span.From):
		why = fmt.Sprintf("on %s the system is not yet in service (from %s): it does not yet form part of the User's User Systems", d, span.From)
	case !span.To.IsZero() && d.After(span.To):
		why = fmt.Sprintf("on %s the system is out of service (last day %s): it no longer forms part of the User's User Systems", d, span.To)
	}
	if why != "" {
		for i := range out {
			out[i].Reason = out[i].Clause + " does not apply: " + why + "."
		}
		return out
	}
	out[0].Applies, out[1].Applies = true, true
	out[0].Reason = ClauseG317a + " applies: a material security vulnerability in any hardware, software or firmware of the system " +
		"must be handled under G3.18 (notify the manufacturer or developer, take reasonable steps to rectify or mitigate, tell the SSC the steps and timetable)."
	out[1].Reason = ClauseG320a + " applies: the User must, wherever practicable, establish with each manufacturer and developer of the system's " +
		"hardware, software and firmware an arrangement to be notified of material security vulnerabilities."
	return out
}

// UserSystemStatus is where one manufacturer of a User System stands under
// G3.20(a) on a day, by the same arrangement rules as a Supplier's Devices.
type UserSystemStatus string

// Statuses, best first, then the one for a system not in service.
const (
	USCovered UserSystemStatus = "covered" // a contract, or a Letter of Intent signed by both parties
	USSteps   UserSystemStatus = "steps"   // a Letter of Intent or MoU not (yet) signed by both: reasonable steps
	USGap     UserSystemStatus = "gap"     // no arrangement in force with the manufacturer
	USNoDuty  UserSystemStatus = "no_duty" // G3.20(a) does not apply on the day
)

var usStatusLabels = map[UserSystemStatus]string{
	USCovered: "Covered", USSteps: "Reasonable steps", USGap: "Gap", USNoDuty: "No G3.20(a) duty",
}

// Label is the human name of the status.
func (s UserSystemStatus) Label() string { return usStatusLabels[s] }

// Rank orders statuses from the best (1) to the worst (3); 0 for no duty.
func (s UserSystemStatus) Rank() int {
	switch s {
	case USCovered:
		return 1
	case USSteps:
		return 2
	case USGap:
		return 3
	}
	return 0
}

// UserSystemLink is what the register records for one manufacturer of a
// User System: the arrangement the User relies on, as it stood on the day.
type UserSystemLink struct {
	// Linked: an arrangement is named for the manufacturer.
	Linked bool
	// InForce: confirmed, effective, not expired and not ended on the day.
	InForce bool
	// Names: the arrangement is between the User and this manufacturer.
	Names bool
	// Contract: the arrangement is a contract; LetterSignedByBoth: it is a
	// Letter of Intent both parties had signed by the day (seeds/000: "a
	// contract or Letter of Intent signed by both parties").
	Contract, LetterSignedByBoth bool
}

// UserSystemG320 says whether one manufacturer of a User System is Covered,
// under Reasonable steps or a Gap on a day, with the reason. duty is whether
// G3.20(a) applies that day (UserSystemDuties).
func UserSystemG320(duty bool, l UserSystemLink) (UserSystemStatus, string) {
	switch {
	case !duty:
		return USNoDuty, "G3.20(a) does not apply on the day."
	case !l.Linked:
		return USGap, "No arrangement is recorded with this manufacturer: G3.20(a) asks for one wherever practicable."
	case !l.Names:
		return USGap, "The arrangement recorded is not between the User and this manufacturer."
	case !l.InForce:
		return USGap, "The arrangement recorded is not in force on the day (pending, not yet effective, expired or ended)."
	case l.Contract:
		return USCovered, "A contract with the manufacturer in force on the day."
	case l.LetterSignedByBoth:
		return USCovered, "A Letter of Intent signed by both parties, which the SSC accepts as it does a contract."
	}
	return USSteps, "A Letter of Intent or MoU not signed by both parties: reasonable steps, not yet an arrangement."
}

// UserSystemNotice is SECMP0057's answer for a User System being registered:
// whether it is a notification to the SSC, and whether it came in time.
type UserSystemNotice struct {
	// Ordinal is the system's place among the User's User Systems: 1 for the
	// first, which the User Entry Process assessed.
	Ordinal  int    `json:"ordinal"`
	Required bool   `json:"required"`
	Due      Date   `json:"due,omitzero"` // the last day to notify: the day before first use
	OnTime   bool   `json:"on_time"`
	Reason   string `json:"reason"`
}

// SecondUserSystem applies SECMP0057 ("Notification of a second or
// subsequent User System", seeds/003): a User that decides "to employ any
// new and/or additional User Systems" notifies the SSC. earlier is how many
// User Systems the User registered before this one (retired ones count:
// a replacement is a new User System too); the first is not a notification.
// The notice is due before first use (DOMAIN.md, deadlines: "Second User
// System: before first use"): by the day before the system enters service.
func SecondUserSystem(earlier int, registered, firstUse Date) UserSystemNotice {
	n := UserSystemNotice{Ordinal: earlier + 1}
	if earlier < 1 {
		n.Reason = "The User's first User System: its User Entry Process assessed it, so registering it is not a notification to the SSC (SECMP0057 is about a second or subsequent one)."
		return n
	}
	n.Required = true
	n.Due = firstUse.AddDays(-1)
	n.OnTime = registered.Before(firstUse)
	if n.OnTime {
		n.Reason = fmt.Sprintf("User System number %d: registering it notifies the SSC (SECMP0057), on %s, before its first use on %s.", n.Ordinal, registered, firstUse)
	} else {
		n.Reason = fmt.Sprintf("User System number %d: registering it notifies the SSC (SECMP0057), but on %s, not before its first use on %s (due by %s): late.", n.Ordinal, registered, firstUse, n.Due)
	}
	return n
}
