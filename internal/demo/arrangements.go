package demo

import (
	"context"
	"fmt"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/coverage"
	"github.com/metersec/metersec/internal/report"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// demoArrangement is an arrangement of the demo world, dated in months before
// the demo's today so that coverage improves month by month.
type demoArrangement struct {
	Kind                        arrangement.Kind
	Supplier, MAP, Manufacturer string
	Models                      []string // empty: all the manufacturer's
	Legacy                      bool
	MonthsAgo                   int // effective this many months before today
	ExpiresInDays               int // 0: no expiry
}

// materiality is the definition the demo's parties agreed.
const materiality = "A vulnerability is material when it could let someone other than the Responsible Supplier " +
	"change supply, tariffs, credit or firmware of a Device, disclose keys or consumption data, or stop " +
	"Devices communicating, at more than one premises."

// demoArrangements gives the generated market (seed 1) a mix of coverage: the
// hub makers in the SSC scheme, MAPs with contracts on both sides, direct
// contracts, a Letter of Intent, a churn contract, one arrangement about to
// expire, and Suppliers with none at all (gaps).
var demoArrangements = []demoArrangement{
	{Kind: arrangement.SSCScheme, Manufacturer: "HLQY", Legacy: true, MonthsAgo: 30},
	{Kind: arrangement.SSCScheme, Manufacturer: "NRVK", Legacy: true, MonthsAgo: 30},
	{Kind: arrangement.SSCScheme, Manufacturer: "GNTR", MonthsAgo: 4},
	{Kind: arrangement.MAPManufacturer, MAP: "ANCM", Manufacturer: "AURV", MonthsAgo: 24},
	{Kind: arrangement.MAPManufacturer, MAP: "ANCM", Manufacturer: "BRNM", MonthsAgo: 24},
	{Kind: arrangement.MAPManufacturer, MAP: "ANCM", Manufacturer: "CLDW", MonthsAgo: 5},
	{Kind: arrangement.MAPManufacturer, MAP: "BLCN", Manufacturer: "MRDN", MonthsAgo: 18},
	{Kind: arrangement.MAPManufacturer, MAP: "BLCN", Manufacturer: "EMBL", MonthsAgo: 3},
	{Kind: arrangement.SupplierMAP, Supplier: "ALDM", MAP: "ANCM", MonthsAgo: 20},
	{Kind: arrangement.SupplierMAP, Supplier: "ALDM", MAP: "BLCN", MonthsAgo: 2},
	{Kind: arrangement.SupplierMAP, Supplier: "BRKP", MAP: "ANCM", MonthsAgo: 14, ExpiresInDays: 25},
	{Kind: arrangement.SupplierManufacturer, Supplier: "ALDM", Manufacturer: "JLTM", MonthsAgo: 6},
	{Kind: arrangement.SupplierManufacturer, Supplier: "ALDM", Manufacturer: "ORBH", MonthsAgo: 1},
	{Kind: arrangement.SupplierManufacturer, Supplier: "CRVL", Manufacturer: "AURV", MonthsAgo: 9},
	{Kind: arrangement.LetterOfIntent, Supplier: "LRKL", Manufacturer: "JLTM", MonthsAgo: 2},
	{Kind: arrangement.Churn, Supplier: "LRKL", MAP: "CPFM", MonthsAgo: 5},
}

// seedArrangements records the demo arrangements as the SSC would from the
// parties' returns, with a short evidence note on each contract.
func seedArrangements(ctx context.Context, db *store.DB, sys access.Caller, today sec.Date) error {
	svc := arrangement.NewService(db)
	for _, a := range demoArrangements {
		eff := today.AddMonths(-a.MonthsAgo)
		in := arrangement.Input{Kind: string(a.Kind), Supplier: a.Supplier, MAP: a.MAP, Manufacturer: a.Manufacturer,
			AllModels: len(a.Models) == 0, Models: a.Models, Materiality: materiality,
			Legacy: a.Legacy, Signed: eff.AddDays(-14).String(), Effective: eff.String()}
		if a.ExpiresInDays > 0 {
			in.Expires = today.AddDays(a.ExpiresInDays).String()
		}
		got, err := svc.Create(ctx, sys, in)
		if err != nil {
			return fmt.Errorf("demo arrangement %s %s%s%s: %w", a.Kind, a.Supplier, a.MAP, a.Manufacturer, err)
		}
		if a.Kind == arrangement.SSCScheme || a.Kind == arrangement.LetterOfIntent {
			continue
		}
		note := fmt.Sprintf("%s\n\nSigned %s, effective %s, between %s.\nMaterial security vulnerability: %s\n",
			got.Kind.Label(), in.Signed, in.Effective, strings.Trim(a.Supplier+" "+a.MAP+" "+a.Manufacturer, " "), materiality)
		if _, err := svc.AddEvidence(ctx, sys, got.Reference, "signed-summary.txt", strings.NewReader(note)); err != nil {
			return fmt.Errorf("demo evidence for %s: %w", got.Reference, err)
		}
	}
	return nil
}

// seedOversight gives the SSC a history to look at: month-end coverage
// snapshots for the last six months (the arrangements' dates make the trend),
// today's alerts, and the last month's mailing and standing report.
func seedOversight(ctx context.Context, db *store.DB, sys access.Caller, today sec.Date) error {
	cov := coverage.NewService(db)
	for back := 6; back >= 1; back-- {
		first := sec.NewDate(today.Time().Year(), today.Time().Month(), 1).AddMonths(-back + 1)
		if _, err := cov.Snapshot(ctx, sys, first.AddDays(-1)); err != nil {
			return fmt.Errorf("demo coverage snapshot: %w", err)
		}
	}
	if _, err := cov.RunAlerts(ctx, sys, today, coverage.DefaultAlertSettings()); err != nil {
		return fmt.Errorf("demo coverage alerts: %w", err)
	}
	reports := report.NewService(db)
	m := report.MonthOf(today).Add(-1)
	if _, err := reports.RunMonthly(ctx, sys, m, report.RunOptions{Trigger: "cli"}); err != nil {
		return fmt.Errorf("demo monthly reports: %w", err)
	}
	if _, err := reports.RunStanding(ctx, sys, m, report.RunOptions{Trigger: "cli"}); err != nil {
		return fmt.Errorf("demo standing report: %w", err)
	}
	return nil
}
