package catalogue

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// ReportRow is a count of installed Devices of one Supplier on one firmware
// version whose certificates do not cover it on the report's date.
type ReportRow struct {
	Supplier     string          `json:"supplier"` // organisation code; "" for Devices with no Responsible Supplier
	Manufacturer string          `json:"manufacturer"`
	ModelID      int64           `json:"model_id"`
	Model        string          `json:"model"`
	FirmwareID   int64           `json:"firmware_id"`
	Firmware     FirmwareVersion `json:"firmware"`
	Status       Status          `json:"status"`
	Devices      int64           `json:"devices"`
}

// SupplierTotal is one Supplier's Devices on bad certificates, by state.
type SupplierTotal struct {
	Supplier          string `json:"supplier"`
	Devices           int64  `json:"devices"`
	Expired           int64  `json:"expired"`
	RenewalOverdue    int64  `json:"renewal_overdue"`
	Withdrawn         int64  `json:"withdrawn"`
	Conditional       int64  `json:"conditional"`
	ConditionsOverdue int64  `json:"conditions_overdue"` // of Conditional
	Uncertified       int64  `json:"uncertified"`
}

// CertReport lists, for a date, the installed Devices on firmware whose CPA
// certificates are expired, past renewal, withdrawn or conditional, or that
// has none, by Supplier: what the SSC's standing report on conditional
// certificates (DOMAIN.md §5) and each Supplier's own follow-up need.
type CertReport struct {
	Date      sec.Date        `json:"date"`
	Rows      []ReportRow     `json:"rows"`
	Suppliers []SupplierTotal `json:"suppliers"`
	Devices   int64           `json:"devices"`
}

// MayReport reports whether the caller may see any of the certificate report:
// Suppliers see their own Devices, manufacturers the Devices of their own
// models (with the Suppliers operating them, DESIGN.md), the SSC and the
// secretariat everything.
func MayReport(c access.Caller) bool {
	return c.System || c.IsSSC() || c.Has(sec.RoleSupplier) || c.Has(sec.RoleManufacturer)
}

// reportVisible is the caller's share of the portfolio (alias p, models m).
func reportVisible(c access.Caller, args *access.Args) string {
	if SeesEverySupplier(c) {
		return "TRUE"
	}
	var or []string
	org := args.Add(c.OrgID)
	if c.Has(sec.RoleSupplier) {
		or = append(or, "p.supplier_id = "+org)
	}
	if c.Has(sec.RoleManufacturer) {
		or = append(or, "m.manufacturer_id = "+org)
	}
	if len(or) == 0 {
		return "FALSE"
	}
	return "(" + strings.Join(or, " OR ") + ")"
}

// CertReport computes the report for date d (today when zero) from the
// portfolio aggregates joined to the certificates: it never reads Devices.
// Firmware counts as its best certificate issued by d (FirmwareStatus); the
// SQL ranks certificates as Status.rank does.
//
// Statuses are those on d of the certificates as recorded now: a report for a
// past date does not see conditions closed or renewals recorded since (the
// audit trail holds those changes).
func (s *Service) CertReport(ctx context.Context, c access.Caller, d sec.Date) (CertReport, error) {
	if !MayReport(c) {
		return CertReport{}, errs.E(errs.Forbidden, "the certificate report is for Suppliers, manufacturers, the SSC and the secretariat")
	}
	if d.IsZero() {
		d = sec.UKDay(s.DB.Now())
	}
	rep := CertReport{Date: d, Rows: []ReportRow{}, Suppliers: []SupplierTotal{}}
	args := access.Args{d}
	rows, err := s.DB.QueryContext(ctx, `SELECT COALESCE(s.code, ''), mo.code, m.id, m.code, fw.id, fw.version,
		COALESCE(fs.rnk, -1), SUM(p.devices)
		FROM portfolio p
		JOIN device_models m ON m.id = p.model_id
		JOIN organisations mo ON mo.id = m.manufacturer_id
		JOIN firmware_versions fw ON fw.id = p.firmware_id
		LEFT JOIN organisations s ON s.id = p.supplier_id
		LEFT JOIN (SELECT cf.firmware_id, MIN(`+rankSQL("$1")+`) AS rnk
			FROM cpa_certificates c JOIN cpa_certificate_firmware cf ON cf.certificate_id = c.id
			WHERE c.issued <= $1 GROUP BY cf.firmware_id) fs ON fs.firmware_id = p.firmware_id
		WHERE (fs.rnk IS NULL OR fs.rnk > 0) AND `+reportVisible(c, &args)+`
		GROUP BY s.code, mo.code, m.id, m.code, fw.id, fw.version, fs.rnk
		HAVING SUM(p.devices) > 0`, args...)
	if err != nil {
		return rep, errs.Wrap(err, "certificate report")
	}
	defer rows.Close()
	for rows.Next() {
		var r ReportRow
		var version string
		var rank int
		if err := rows.Scan(&r.Supplier, &r.Manufacturer, &r.ModelID, &r.Model, &r.FirmwareID, &version, &rank, &r.Devices); err != nil {
			return rep, errs.Wrap(err, "certificate report")
		}
		if r.Firmware, err = ParseFirmwareVersion(version); err != nil {
			return rep, errs.Wrap(err, "certificate report")
		}
		r.Status = statusOfRank(rank)
		r.Status.Reason = r.Status.Label()
		rep.Rows = append(rep.Rows, r)
	}
	if err := rows.Err(); err != nil {
		return rep, errs.Wrap(err, "certificate report")
	}
	slices.SortFunc(rep.Rows, func(a, b ReportRow) int {
		return cmp.Or(strings.Compare(a.Supplier, b.Supplier), strings.Compare(a.Manufacturer, b.Manufacturer),
			strings.Compare(a.Model, b.Model), cmp.Compare(a.ModelID, b.ModelID), Compare(a.Firmware, b.Firmware))
	})
	for _, r := range rep.Rows {
		if len(rep.Suppliers) == 0 || rep.Suppliers[len(rep.Suppliers)-1].Supplier != r.Supplier {
			rep.Suppliers = append(rep.Suppliers, SupplierTotal{Supplier: r.Supplier})
		}
		t := &rep.Suppliers[len(rep.Suppliers)-1]
		t.Devices += r.Devices
		rep.Devices += r.Devices
		switch r.Status.State {
		case Expired:
			t.Expired += r.Devices
		case RenewalOverdue:
			t.RenewalOverdue += r.Devices
		case Withdrawn:
			t.Withdrawn += r.Devices
		case Conditional:
			t.Conditional += r.Devices
			if r.Status.ConditionsOverdue {
				t.ConditionsOverdue += r.Devices
			}
		case Uncertified:
			t.Uncertified += r.Devices
		}
	}
	return rep, nil
}

// certificateRanks returns the rank the report's SQL gives each certificate
// issued by d: the test holds it to Status.rank.
func certificateRanks(ctx context.Context, q store.Querier, d sec.Date) (map[int64]int, error) {
	rows, err := q.QueryContext(ctx, "SELECT c.id, "+rankSQL("$1")+" FROM cpa_certificates c WHERE c.issued <= $1", d)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var r int
		if err := rows.Scan(&id, &r); err != nil {
			return nil, err
		}
		out[id] = r
	}
	return out, rows.Err()
}
