package report

import (
	"context"

	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/sec"
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

// DefaultSources connects the standing report to the areas built so far.
func DefaultSources(cat *catalogue.Service) Sources {
	return Sources{Certificates: CatalogueCertificates{Catalogue: cat}}
}
