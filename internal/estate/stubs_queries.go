package estate

// Placeholders for the reading and single-Device half of the Service, which
// device.go, portfolio.go and verify.go replace. Delete this file when they
// land.

import (
	"context"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/sec"
)

// Device is one Device with its supply and firmware history, if the caller
// may see it.
func (s *Service) Device(ctx context.Context, c access.Caller, id DeviceID) (Device, error) {
	return Device{}, errNotBuilt
}

// ResponsibleOn is the supply period covering day d: who was the Responsible
// Supplier for Device id on d.
func (s *Service) ResponsibleOn(ctx context.Context, c access.Caller, id DeviceID, d sec.Date) (SupplyPeriod, error) {
	return SupplyPeriod{}, errNotBuilt
}

// UpgradeFirmware records that Device id runs firmware from since.
func (s *Service) UpgradeFirmware(ctx context.Context, c access.Caller, id DeviceID, firmware string, since sec.Date) (Device, error) {
	return Device{}, errNotBuilt
}

// SetStatus moves Device id to status st.
func (s *Service) SetStatus(ctx context.Context, c access.Caller, id DeviceID, st Status) (Device, error) {
	return Device{}, errNotBuilt
}

// Portfolio is the portfolio aggregates the caller may see.
func (s *Service) Portfolio(ctx context.Context, c access.Caller, q PortfolioQuery) ([]PortfolioRow, error) {
	return nil, errNotBuilt
}

// Verify recounts the aggregates from the Device rows.
func (s *Service) Verify(ctx context.Context) (VerifyReport, error) {
	return VerifyReport{}, errNotBuilt
}
