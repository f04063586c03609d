package sec

import (
	"strings"
	"testing"
)

// The sentences the User System rules implement.
const (
	seedG317a   = `seeds/001 G3.17: "Where a User becomes aware of any material security vulnerability in … (a) any hardware, software or firmware which forms part of its User Systems"`
	seedG320a   = `seeds/001 G3.20: "Each User shall, wherever it is practicable to do so, establish with: (a) the manufacturers of the hardware and developers of the software and firmware which form part of its User Systems"`
	seedLoI     = `seeds/000: "The SSC will expect to see a contract or Letter of Intent signed by both parties"`
	seedMP57    = `seeds/003: SECMP0057 'Notification of a second or subsequent User System': "should a User decide to employ any new and/or additional User Systems"`
	domainDue57 = `DOMAIN.md deadlines: "Second User System: before first use"`
)

func TestUserSystemDuties(t *testing.T) {
	from, to := MustParseDate("2024-03-01"), MustParseDate("2026-02-28")
	span := InService{From: from, To: to}
	supplier := []OrgRole{LargeSupplier}
	tests := []struct {
		name  string
		roles []OrgRole
		span  InService
		d     Date
		want  bool
	}{
		{seedG317a + ": the day before the system enters service → no duty", supplier, span, from.AddDays(-1), false},
		{seedG317a + ": the first day in service → both clauses", supplier, span, from, true},
		{seedG320a + ": the last day in service → both clauses", supplier, span, to, true},
		{seedG320a + ": the day after the last day in service → no duty", supplier, span, to.AddDays(1), false},
		{seedG320a + ": still in service (no end) years later → both clauses", supplier, InService{From: from}, MustParseDate("2040-01-01"), true},
		{seedG317a + ": a Network Party is a User", []OrgRole{NetworkParty}, span, from, true},
		{seedG317a + ": an Other User is a User", []OrgRole{OtherUser}, span, from, true},
		{seedG320a + ": a manufacturer is not a User → no duty", []OrgRole{Manufacturer}, span, from, false},
		{seedG320a + ": the DCC runs DCC Systems, not User Systems → no duty", []OrgRole{DCC}, span, from, false},
	}
	for _, tt := range tests {
		got := UserSystemDuties(tt.roles, tt.span, tt.d)
		if len(got) != 2 || got[0].Clause != ClauseG317a || got[1].Clause != ClauseG320a {
			t.Fatalf("%s: clauses %+v", tt.name, got)
		}
		for _, d := range got {
			if d.Applies != tt.want || !strings.HasPrefix(d.Reason, d.Clause) {
				t.Errorf("%s:\n %s got %+v, want applies=%v", tt.name, d.Clause, d, tt.want)
			}
		}
	}
}

func TestUserSystemG320(t *testing.T) {
	tests := []struct {
		name string
		duty bool
		link UserSystemLink
		want UserSystemStatus
	}{
		{seedG320a + ": out of service → no duty, whatever is linked", false, UserSystemLink{Linked: true, Names: true, InForce: true, Contract: true}, USNoDuty},
		{seedG320a + ": no arrangement recorded → gap", true, UserSystemLink{}, USGap},
		{seedG320a + ": a contract with another manufacturer → gap", true, UserSystemLink{Linked: true, InForce: true, Contract: true}, USGap},
		{seedG320a + ": a contract not in force on the day (expired the day before) → gap", true, UserSystemLink{Linked: true, Names: true, Contract: true}, USGap},
		{seedG320a + ": a contract in force on the day → covered", true, UserSystemLink{Linked: true, Names: true, InForce: true, Contract: true}, USCovered},
		{seedLoI + ": a Letter of Intent signed by both by the day → covered", true, UserSystemLink{Linked: true, Names: true, InForce: true, LetterSignedByBoth: true}, USCovered},
		{seedLoI + ": a Letter of Intent signed by one party only → reasonable steps", true, UserSystemLink{Linked: true, Names: true, InForce: true}, USSteps},
	}
	for _, tt := range tests {
		got, why := UserSystemG320(tt.duty, tt.link)
		if got != tt.want || why == "" || got.Label() == "" {
			t.Errorf("%s:\n got %q (%s), want %q", tt.name, got, why, tt.want)
		}
	}
	if USCovered.Rank() >= USSteps.Rank() || USSteps.Rank() >= USGap.Rank() || USNoDuty.Rank() != 0 {
		t.Error("ranks out of order")
	}
}

func TestSecondUserSystem(t *testing.T) {
	use := MustParseDate("2026-06-01")
	tests := []struct {
		name             string
		earlier          int
		registered       Date
		required, onTime bool
	}{
		{seedMP57 + ": the User's first User System is not a notification", 0, use.AddDays(-30), false, false},
		{seedMP57 + ": the first, registered after its first use, is still not one", 0, use.AddDays(30), false, false},
		{seedMP57 + "; " + domainDue57 + ": the second, registered the day before first use → on time", 1, use.AddDays(-1), true, true},
		{seedMP57 + "; " + domainDue57 + ": the second, registered on the day of first use → late", 1, use, true, false},
		{seedMP57 + "; " + domainDue57 + ": a fifth, a month ahead → on time", 4, use.AddDays(-31), true, true},
		{seedMP57 + "; " + domainDue57 + ": a third, a week after first use → late", 2, use.AddDays(7), true, false},
	}
	for _, tt := range tests {
		n := SecondUserSystem(tt.earlier, tt.registered, use)
		if n.Required != tt.required || n.OnTime != tt.onTime || n.Ordinal != tt.earlier+1 || n.Reason == "" {
			t.Errorf("%s:\n got %+v", tt.name, n)
		}
		if n.Required && n.Due != use.AddDays(-1) {
			t.Errorf("%s: due %s, want the day before first use", tt.name, n.Due)
		}
	}
}
