package coverage

import (
	"context"
	"reflect"

	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/store"
)

// RebuildAggregates recomputes the portfolio aggregates from the Devices
// (estate.RebuildAggregates): the benchmark and the tests, which write
// Devices directly, call this.
func RebuildAggregates(ctx context.Context, tx *store.Tx) error {
	return estate.RebuildAggregates(ctx, tx)
}

// SameCoverage reports whether two reports say the same thing, whatever
// source they were computed from.
func SameCoverage(a, b Report) bool {
	a.Source, b.Source = "", ""
	a.Basis, b.Basis = "", ""
	return reflect.DeepEqual(a, b)
}
