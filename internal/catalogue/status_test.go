package catalogue

import (
	"testing"
	"time"

	"github.com/metersec/metersec/internal/sec"
)

var day = sec.MustParseDate

func expiring(issued, expiry string) Certificate {
	return Certificate{Reference: "CPA-E", Issued: day(issued), Kind: CPAExpiring, Expiry: day(expiry)}
}

func lifetime(issued, renewal string) Certificate {
	return Certificate{Reference: "CPA-L", Issued: day(issued), Kind: CPALifetime, Renewal: day(renewal)}
}

func conditional(c Certificate, due string) Certificate {
	c.Conditional, c.Conditions, c.ConditionsDue = true, "Close finding 4", day(due)
	return c
}

func withdrawn(c Certificate, on string) Certificate {
	c.Withdrawn = day(on)
	return c
}

// TestCertificateStatus names the rule each case checks.
func TestCertificateStatus(t *testing.T) {
	for _, tc := range []struct {
		rule    string
		cert    Certificate
		date    string
		want    State
		overdue bool
	}{
		{"before the issue date the certificate is not yet in force", expiring("2021-02-01", "2027-02-01"), "2021-01-31", NotIssued, false},
		{"in force from its issue date", expiring("2021-02-01", "2027-02-01"), "2021-02-01", Valid, false},
		{"valid the day before its expiry date", expiring("2021-02-01", "2027-02-01"), "2027-01-31", Valid, false},
		{"expired from its expiry date (MP209 background: first Devices expired 30 Aug 2022)", expiring("2016-08-30", "2022-08-30"), "2022-08-30", Expired, false},
		{"expired after its expiry date", expiring("2016-08-30", "2022-08-30"), "2030-01-01", Expired, false},
		{"MP209 lifetime certificate valid up to its renewal date", lifetime("2022-08-01", "2028-08-01"), "2028-08-01", Valid, false},
		{"MP209 lifetime certificate overdue the day after its renewal date", lifetime("2022-08-01", "2028-08-01"), "2028-08-02", RenewalOverdue, false},
		{"MP209 lifetime certificate never expires: no expiry date applies", lifetime("2022-08-01", "2099-01-01"), "2060-01-01", Valid, false},
		{"conditional certificate (standing RED SSC item) with conditions open", conditional(expiring("2023-05-10", "2029-05-10"), "2024-05-10"), "2024-05-10", Conditional, false},
		{"conditional certificate with conditions overdue the day after they were due", conditional(expiring("2023-05-10", "2029-05-10"), "2024-05-10"), "2024-05-11", Conditional, true},
		{"expiry outranks open conditions", conditional(expiring("2023-05-10", "2029-05-10"), "2024-05-10"), "2029-05-10", Expired, false},
		{"renewal overdue outranks open conditions", conditional(lifetime("2023-05-10", "2025-05-10"), "2024-05-10"), "2025-06-01", RenewalOverdue, false},
		{"withdrawn from the withdrawal date", withdrawn(expiring("2021-02-01", "2027-02-01"), "2023-03-01"), "2023-03-01", Withdrawn, false},
		{"valid the day before its withdrawal", withdrawn(expiring("2021-02-01", "2027-02-01"), "2023-03-01"), "2023-02-28", Valid, false},
		{"withdrawal outranks expiry", withdrawn(expiring("2021-02-01", "2022-02-01"), "2021-06-01"), "2025-01-01", Withdrawn, false},
		{"withdrawal outranks conditions", withdrawn(conditional(lifetime("2023-05-10", "2029-05-10"), "2024-05-10"), "2024-01-01"), "2025-01-01", Withdrawn, false},
	} {
		got := CertificateStatus(tc.cert, day(tc.date))
		if got.State != tc.want || got.ConditionsOverdue != tc.overdue {
			t.Errorf("%s: CertificateStatus on %s = %s (overdue %v), want %s (overdue %v)", tc.rule, tc.date, got.State, got.ConditionsOverdue, tc.want, tc.overdue)
		}
		if got.Reason == "" {
			t.Errorf("%s: no reason given", tc.rule)
		}
	}
}

// TestFirmwareStatus: firmware is as well certified as its best certificate
// issued by the date.
func TestFirmwareStatus(t *testing.T) {
	old := expiring("2016-01-01", "2022-01-01")
	renewed := lifetime("2021-12-01", "2027-12-01")
	renewed.Reference = "CPA-R"
	cond := conditional(expiring("2023-01-01", "2029-01-01"), "2023-06-01")
	cond.Reference = "CPA-C"
	for _, tc := range []struct {
		rule    string
		certs   []Certificate
		date    string
		want    State
		overdue bool
	}{
		{"no certificate at all: uncertified", nil, "2024-01-01", Uncertified, false},
		{"a certificate not yet issued does not certify", []Certificate{cond}, "2022-12-31", Uncertified, false},
		{"an expired certificate alone", []Certificate{old}, "2024-01-01", Expired, false},
		{"re-certified under a new reference: the new one covers it", []Certificate{old, renewed}, "2024-01-01", Valid, false},
		{"before the new one was issued, the old one still governs", []Certificate{old, renewed}, "2021-11-30", Valid, false},
		{"conditional beats expired", []Certificate{old, cond}, "2023-03-01", Conditional, false},
		{"open conditions beat overdue conditions", []Certificate{cond, conditional(lifetime("2023-01-01", "2030-01-01"), "2024-06-01")}, "2024-01-01", Conditional, false},
		{"overdue conditions beat an expired certificate", []Certificate{old, cond}, "2024-01-01", Conditional, true},
	} {
		got := FirmwareStatus(tc.certs, day(tc.date))
		if got.State != tc.want || got.ConditionsOverdue != tc.overdue {
			t.Errorf("%s: FirmwareStatus = %+v, want %s (overdue %v)", tc.rule, got, tc.want, tc.overdue)
		}
	}
}

func TestStatusRankRoundTrip(t *testing.T) {
	for r := 0; r <= 5; r++ {
		if got := statusOfRank(r).rank(); got != r {
			t.Errorf("statusOfRank(%d).rank() = %d", r, got)
		}
	}
	if st := statusOfRank(-1); st.State != Uncertified || !st.Bad() {
		t.Errorf("statusOfRank(-1) = %+v", st)
	}
	if (Status{State: Valid}).Bad() || (Status{State: NotIssued}).Bad() {
		t.Error("valid or not issued counted as bad")
	}
}

func TestToday(t *testing.T) {
	// 23:30 UTC on 30 June is already 1 July in London (BST).
	now := time.Date(2024, 6, 30, 23, 30, 0, 0, time.UTC)
	want := "2024-07-01" // the zone data is embedded (internal/uk): no UTC fallback
	if got := sec.UKDay(now).String(); got != want {
		t.Errorf("sec.UKDay(%s) = %s, want %s", now, got, want)
	}
}
