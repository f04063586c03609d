package report

import (
	"context"
	"strconv"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/meeting"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/vuln"
)

// CatalogueCertificates reads the standing report's certificate section
// from the catalogue's certificate report, as the SSC sees it.
type CatalogueCertificates struct{ Catalogue *catalogue.Service }

// CertificateReport implements CertificateSource.
func (c CatalogueCertificates) CertificateReport(ctx context.Context, day sec.Date) ([]CertificateRow, error) {
	rep, err := c.Catalogue.CertReport(ctx, sscBody(), day)
	if err != nil {
		return nil, err
	}
	out := make([]CertificateRow, 0, len(rep.Rows))
	for _, r := range rep.Rows {
		out = append(out, CertificateRow{Supplier: r.Supplier, Manufacturer: r.Manufacturer, Model: r.Model,
			Firmware: r.Firmware.String(), Status: r.Status.Label(), Devices: r.Devices})
	}
	return out, nil
}

// VulnerabilityRegister reads the standing report's vulnerability section
// from the vulnerability register's oversight for the SSC.
type VulnerabilityRegister struct{ Vulns *vuln.Service }

// StandingVulnerabilities implements VulnerabilitySource.
func (r VulnerabilityRegister) StandingVulnerabilities(ctx context.Context, viewer access.Caller, day sec.Date) (VulnerabilityFacts, error) {
	ov, err := r.Vulns.Overview(ctx, viewer, r.Vulns.DB.Now())
	if err != nil {
		return VulnerabilityFacts{}, err
	}
	f := VulnerabilityFacts{Open: []VulnerabilityRow{}, OverduePlans: []OverduePlanRow{}, Unacknowledged: []UnacknowledgedRow{}}
	for _, v := range ov.Open {
		f.Open = append(f.Open, VulnerabilityRow{Reference: v.Ref, Title: v.Title, State: string(v.State), Manufacturer: vulnOrg(v.Manufacturer),
			Material: v.Material != nil && *v.Material, Severity: v.Severity, Reported: v.ReportedOn, Devices: v.Devices,
			OverduePlans: v.OverduePlans, Unacknowledged: v.Unacknowledged, Classification: v.Classification})
	}
	for _, p := range ov.OverduePlans {
		f.OverduePlans = append(f.OverduePlans, OverduePlanRow{Reference: p.VulnRef, Title: p.VulnTitle, Owner: vulnOrg(p.Owner),
			DeclaredCompletion: p.DeclaredCompletion, NextUpdateDue: p.NextUpdateDue, Escalations: p.Escalations})
	}
	for _, u := range ov.Unacknowledged {
		f.Unacknowledged = append(f.Unacknowledged, UnacknowledgedRow{Reference: u.VulnRef, Title: u.VulnTitle, Org: vulnOrg(u.Org),
			Role: string(u.Role), Devices: u.Devices, Days: u.Days})
	}
	return f, nil
}

// vulnOrg names an organisation as the register gave it: with no name where
// the viewer may not see its directory entry.
func vulnOrg(o vuln.OrgRef) OrgRef { return OrgRef{Code: o.Code, Name: o.Name} }

// CoverageSnapshots reads the monthly G3.20 coverage snapshots that the
// coverage area keeps (coverage_snapshots, one row per Supplier and model a
// month), summed by Supplier.
type CoverageSnapshots struct{ DB *store.DB }

// CoverageSnapshots implements CoverageSource.
func (c CoverageSnapshots) CoverageSnapshots(ctx context.Context, first, last Month) ([]CoverageRow, error) {
	rows, err := c.DB.QueryContext(ctx, `SELECT cs.month, o.code, SUM(cs.covered), SUM(cs.steps), SUM(cs.gap)
		FROM coverage_snapshots cs JOIN organisations o ON o.id = cs.supplier_id
		WHERE cs.month >= $1 AND cs.month <= $2 GROUP BY cs.month, o.code ORDER BY cs.month, o.code`, first.String(), last.String())
	if err != nil {
		return nil, errs.Wrap(err, "coverage snapshots")
	}
	defer rows.Close()
	var out []CoverageRow
	for rows.Next() {
		var r CoverageRow
		var month string
		if err := rows.Scan(&month, &r.Supplier, &r.Covered, &r.ReasonableSteps, &r.Gap); err != nil {
			return nil, errs.Wrap(err, "coverage snapshots")
		}
		if r.Month, err = ParseMonth(month); err != nil {
			return nil, errs.Wrap(err, "coverage snapshots")
		}
		out = append(out, r)
	}
	return out, errs.Wrap(rows.Err(), "coverage snapshots")
}

// DefaultSources connects the standing report to the areas that own its
// records: the catalogue, the vulnerability register and G3.20 coverage.
func DefaultSources(db *store.DB) Sources {
	return Sources{
		Certificates:    CatalogueCertificates{Catalogue: &catalogue.Service{DB: db}},
		Vulnerabilities: VulnerabilityRegister{Vulns: vuln.NewService(db, nil)},
		Coverage:        CoverageSnapshots{DB: db},
		StandingItems:   MeetingStandingItems{Meetings: meeting.NewService(db)},
	}
}

// MeetingStandingItems reads the standing items the meetings area keeps.
type MeetingStandingItems struct{ Meetings *meeting.Service }

// StandingItems implements StandingItemSource: the items open on day (or
// closed since first) and those that occurred in the month.
func (m MeetingStandingItems) StandingItems(ctx context.Context, viewer access.Caller, first, day sec.Date) ([]StandingItemRow, error) {
	var out []StandingItemRow
	var after int64
	for {
		p, err := m.Meetings.StandingItems(ctx, viewer, meeting.StandingFilter{AfterID: after, Limit: meeting.MaxLimit})
		if err != nil {
			return nil, err
		}
		for _, it := range p.Items {
			if it.OccurredOn.After(day) || (it.Status != "open" && it.OccurredOn.Before(first)) {
				continue
			}
			party := ""
			if it.Party != nil {
				party = it.Party.Code
			}
			out = append(out, StandingItemRow{Kind: it.KindLabel, Occurred: it.OccurredOn, Party: party, Title: it.Title,
				Impact: it.Impact, Status: string(it.Status), Classification: it.Classification})
		}
		if p.Next == "" {
			return out, nil
		}
		after, _ = strconv.ParseInt(p.Next, 10, 64)
	}
}

// DeliveryQueue sends report notices through the delivery queue: the notice lands
// in the recipient organisation's inbox and goes by email to its current
// security contacts and by webhook to its endpoints, written in the run's
// transaction.
type DeliveryQueue struct{}

// Notify implements Notifier with delivery.Notify.
func (DeliveryQueue) Notify(ctx context.Context, tx *store.Tx, n delivery.Notice) (delivery.Sent, error) {
	return delivery.Notify(ctx, tx, n)
}

// jobs reads the delivery queue's record of a report's notice: each email
// and webhook job with its outcome, as far as the caller may see them.
func (s *Service) jobs(ctx context.Context, c access.Caller, r *Report) error {
	ds, err := (&delivery.Service{DB: s.DB}).RecordDeliveries(ctx, c, RecordKind, r.ID)
	if err != nil {
		return err
	}
	for i := range r.Deliveries {
		for _, d := range ds {
			to := d.Email
			if d.Channel == delivery.Webhook {
				to = "endpoint " + strconv.FormatInt(d.EndpointID, 10)
			}
			r.Deliveries[i].Jobs = append(r.Deliveries[i].Jobs, Job{Channel: string(d.Channel), To: to, State: string(d.State),
				Attempts: d.Attempts, DeliveredAt: d.DeliveredAt, LastError: d.LastError})
		}
	}
	return nil
}
