package web

import (
	"github.com/metersec/metersec/internal/coverage"
)

type historyOut struct {
	Supplier coverage.Org             `json:"supplier"`
	Months   []coverage.MonthCoverage `json:"months"`
}

// alertsIn is the body of a request to run the alert job.
type alertsIn struct {
	Date            string `json:"date,omitempty"`
	ExpiryDays      int    `json:"expiry_days,omitempty"`
	ChurnNoticeDays int    `json:"churn_notice_days,omitempty"`
}
