package sec

import (
	"encoding/json"
	"testing"
)

func TestDefaultSettingsAreValid(t *testing.T) {
	s := DefaultSettings()
	if err := s.Validate(DefaultVersions()); err != nil {
		t.Fatal(err)
	}
	if !s.G320FixVersion.IsZero() || s.IHDInSMSScope || s.ChurnWindowMonths != 6 {
		t.Errorf("defaults changed: %+v", s)
	}
}

func TestSettingsValidate(t *testing.T) {
	vs := DefaultVersions()
	with := func(f func(*Settings)) Settings {
		s := DefaultSettings()
		f(&s)
		return s
	}
	tests := []struct {
		name string
		s    Settings
		ok   bool
	}{
		{"DP087 fix in a later known release", with(func(s *Settings) { s.G320FixVersion = MustParseVersion("5.21") }), true},
		{"DP087 fix cannot be v5.20 itself", with(func(s *Settings) { s.G320FixVersion = MustParseVersion("5.20") }), false},
		{"DP087 fix cannot predate v5.20", with(func(s *Settings) { s.G320FixVersion = MustParseVersion("5.9") }), false},
		{"DP087 fix must be a known release", with(func(s *Settings) { s.G320FixVersion = MustParseVersion("6.1") }), false},
		{"LC50.5 churn window of zero months", with(func(s *Settings) { s.ChurnWindowMonths = 0 }), false},
		{"acknowledgement reminder of zero days", with(func(s *Settings) { s.AckReminderDays = 0 }), false},
	}
	for _, tt := range tests {
		err := tt.s.Validate(vs)
		if (err == nil) != tt.ok {
			t.Errorf("%s: Validate = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestSettingsJSON(t *testing.T) {
	var s Settings
	in := `{"g320_fix_version":"5.21","ihd_in_sms_scope":true,"churn_window_months":6,"ack_reminder_days":5}`
	if err := json.Unmarshal([]byte(in), &s); err != nil {
		t.Fatal(err)
	}
	if s.G320FixVersion != (Version{5, 21}) || !s.IHDInSMSScope {
		t.Errorf("got %+v", s)
	}
}

func TestChurnWindowEnds(t *testing.T) {
	s := DefaultSettings()
	// LC50.5: within six months of the change of supplier.
	if got := s.ChurnWindowEnds(MustParseDate("2023-08-31")); got != MustParseDate("2024-02-29") {
		t.Errorf("ChurnWindowEnds = %v", got)
	}
}

func TestAckReminderDue(t *testing.T) {
	s := DefaultSettings() // 5 days
	sent := MustParseDate("2024-01-01")
	if s.AckReminderDue(sent, MustParseDate("2024-01-05")) {
		t.Error("reminder due after 4 days")
	}
	if !s.AckReminderDue(sent, MustParseDate("2024-01-06")) {
		t.Error("reminder not due after 5 days")
	}
	if s.AckReminderDue(Date{}, MustParseDate("2024-01-06")) {
		t.Error("reminder due for a notification never sent")
	}
}
