package estate

// Placeholders for the bulk and supply-changing half of the Service, which
// import.go and churn.go replace. Delete this file when they land.

import (
	"context"
	"io"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
)

var errNotBuilt = errs.E(errs.Unavailable, "this part of the estate is not built yet")

// ImportDevices loads a devices CSV file (DeviceHeader), all or nothing.
func (s *Service) ImportDevices(ctx context.Context, c access.Caller, r io.Reader, opts ImportOptions) (ImportResult, error) {
	return ImportResult{}, errNotBuilt
}

// ImportChurn loads a churn CSV file (ChurnHeader), all or nothing.
func (s *Service) ImportChurn(ctx context.Context, c access.Caller, r io.Reader, opts ImportOptions) (ChurnResult, error) {
	return ChurnResult{}, errNotBuilt
}

// ChangeSupplier makes one change of Responsible Supplier.
func (s *Service) ChangeSupplier(ctx context.Context, c access.Caller, ch Change) (ChurnResult, error) {
	return ChurnResult{}, errNotBuilt
}

// TransferAll moves every Device of a failed Supplier to a Supplier of Last
// Resort in one transaction.
func (s *Service) TransferAll(ctx context.Context, c access.Caller, t Transfer) (TransferResult, error) {
	return TransferResult{}, errNotBuilt
}
