package generate

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/sec"
)

type files struct{ parties, catalogue, devices, churn bytes.Buffer }

func generate(t testing.TB, opts Options) (*files, Summary) {
	t.Helper()
	var f files
	if opts.TempDir == "" {
		opts.TempDir = t.TempDir()
	}
	sum, err := Generate(context.Background(), opts, Writers{&f.parties, &f.catalogue, &f.devices, &f.churn})
	if err != nil {
		t.Fatal(err)
	}
	return &f, sum
}

func TestDeterministic(t *testing.T) {
	a, _ := generate(t, Options{Devices: 20_000, Seed: 1})
	b, _ := generate(t, Options{Devices: 20_000, Seed: 1})
	for _, p := range []struct {
		name string
		a, b *bytes.Buffer
	}{{"parties", &a.parties, &b.parties}, {"catalogue", &a.catalogue, &b.catalogue}, {"devices", &a.devices, &b.devices}, {"churn", &a.churn, &b.churn}} {
		if !bytes.Equal(p.a.Bytes(), p.b.Bytes()) {
			t.Errorf("%s differs between two runs of one seed", p.name)
		}
	}
	c, _ := generate(t, Options{Devices: 20_000, Seed: 2})
	if bytes.Equal(a.devices.Bytes(), c.devices.Bytes()) {
		t.Error("seeds 1 and 2 gave the same devices")
	}
	// The parties and catalogue do not depend on the number of Devices.
	d, _ := generate(t, Options{Devices: 500, Seed: 1})
	if !bytes.Equal(a.catalogue.Bytes(), d.catalogue.Bytes()) || !bytes.Equal(a.parties.Bytes(), d.parties.Bytes()) {
		t.Error("catalogue or parties depend on the number of devices")
	}
}

func TestDeviceTarget(t *testing.T) {
	// Whole premises hold 2 to 6 Devices, so most of these counts end part way
	// through one; the file must still hold exactly n.
	for _, n := range []int64{0, 1, 2, 3, 7, 1000, 1001, 9_999, 65_537} {
		f, sum := generate(t, Options{Devices: n, Seed: 3})
		if sum.Devices != n {
			t.Errorf("asked for %d devices, got %d", n, sum.Devices)
		}
		if lines := int64(bytes.Count(f.devices.Bytes(), []byte("\n"))) - 1; lines != sum.Devices {
			t.Errorf("devices.csv has %d rows, summary says %d", lines, sum.Devices)
		}
	}
}

func TestOptionsErrors(t *testing.T) {
	day := func(s string) time.Time { d, _ := catalogue.ParseDate(s); return d }
	for _, o := range []Options{
		{Devices: -1},
		{Start: day("2025-01-01"), End: day("2025-01-01")},
		{Start: day("2025-01-01"), End: day("2036-01-02")},
		{Start: day("1999-01-01")},
	} {
		if _, err := Generate(context.Background(), o, Writers{io.Discard, io.Discard, io.Discard, io.Discard}); err == nil {
			t.Errorf("Generate(%+v) succeeded", o)
		}
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Generate(ctx, Options{Devices: 1 << 20, TempDir: t.TempDir()}, Writers{io.Discard, io.Discard, io.Discard, io.Discard})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// readCSV reads a whole small file, checking its header.
func readCSV(t *testing.T, name string, b []byte, check func([]string) error) [][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if err := check(recs[0]); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return recs[1:]
}

// TestWorld reads every file back with the importers' row parsers and checks
// the world holds together: references resolve to the right roles, churn runs
// forward per Device, and the shares are near what the package promises.
func TestWorld(t *testing.T) {
	opts := Options{Devices: 200_000, Seed: 42}
	f, sum := generate(t, opts)
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(1, 0, 0)

	roles := map[string][]sec.OrgRole{}
	for i, rec := range readCSV(t, "parties", f.parties.Bytes(), CheckPartyHeader) {
		p, probs := ParsePartyRow(rec)
		if probs != nil {
			t.Fatalf("parties row %d: %v", i+1, probs)
		}
		if roles[p.Code] != nil {
			t.Fatalf("party %s twice", p.Code)
		}
		roles[p.Code] = p.Roles
	}
	has := func(code string, want ...sec.OrgRole) bool {
		return slices.ContainsFunc(roles[code], func(r sec.OrgRole) bool { return slices.Contains(want, r) })
	}
	if len(roles) != sum.Parties || sum.Suppliers < 20 {
		t.Errorf("%d parties, %d suppliers", len(roles), sum.Suppliers)
	}

	type modelKey struct{ manufacturer, model string }
	type fwKey struct {
		modelKey
		fw string
	}
	entries := map[fwKey]catalogue.CatalogueRow{}
	models := map[modelKey][]catalogue.CatalogueRow{}
	refs := map[string]bool{}
	var expired, lifetime, conditional, withdrawn int
	for i, rec := range readCSV(t, "catalogue", f.catalogue.Bytes(), catalogue.CheckCatalogueHeader) {
		row, probs := catalogue.ParseCatalogueRow(rec)
		if probs != nil {
			t.Fatalf("catalogue row %d: %v", i+1, probs)
		}
		k := fwKey{modelKey{row.Manufacturer, row.Model}, row.Firmware.String()}
		if _, dup := entries[k]; dup {
			t.Fatalf("catalogue entry %v twice", k)
		}
		if refs[row.CPA.Reference] {
			t.Fatalf("certificate %s twice", row.CPA.Reference)
		}
		refs[row.CPA.Reference] = true
		if !has(row.Manufacturer, sec.Manufacturer) {
			t.Fatalf("catalogue row %d: %s is not a manufacturer", i+1, row.Manufacturer)
		}
		entries[k] = row
		models[k.modelKey] = append(models[k.modelKey], row)
		c := row.CPA
		if c.Kind == catalogue.CPAExpiring && c.Expiry.Before(start) {
			expired++
		}
		if c.Kind == catalogue.CPALifetime {
			lifetime++
		}
		if c.Conditional {
			conditional++
		}
		if !c.Withdrawn.IsZero() {
			withdrawn++
		}
	}
	if len(models) < 200 || len(entries) < 800 || len(entries) != sum.CatalogueRows {
		t.Errorf("%d models, %d catalogue rows", len(models), len(entries))
	}
	if expired == 0 || lifetime == 0 || conditional == 0 || withdrawn == 0 {
		t.Errorf("certificates: %d expired, %d lifetime, %d conditional, %d withdrawn: want some of each", expired, lifetime, conditional, withdrawn)
	}
	families := map[catalogue.Family]int{}
	for k, rows := range models {
		first := rows[0]
		for i, r := range rows {
			if r.DeviceType != first.DeviceType || r.Generation != first.Generation || r.HardwareVersion != first.HardwareVersion {
				t.Fatalf("model %v: model fields differ between firmware rows", k)
			}
			if i > 0 && catalogue.Compare(rows[i-1].Firmware, r.Firmware) >= 0 {
				t.Fatalf("model %v: firmware %s listed after %s", k, r.Firmware, rows[i-1].Firmware)
			}
			if !r.Released.IsZero() && !r.Released.Before(start) {
				t.Fatalf("model %v: firmware %s released in the simulated year", k, r.Firmware)
			}
		}
		families[first.Firmware.Family()]++
	}
	if families[catalogue.Dotted] == 0 || families[catalogue.Hex] == 0 {
		t.Errorf("firmware families %v: want both", families)
	}

	type state struct {
		supplier string
		last     time.Time
	}
	devices := map[estate.DeviceID]*state{}
	var smets1, nonDom, noMAP int64
	byType := map[sec.DeviceType]int64{}
	for i, rec := range readCSV(t, "devices", f.devices.Bytes(), estate.CheckDeviceHeader) {
		d, probs := estate.ParseDeviceRow(rec)
		if probs != nil {
			t.Fatalf("devices row %d: %v", i+1, probs)
		}
		if devices[d.ID] != nil {
			t.Fatalf("device %s twice", d.ID)
		}
		e, ok := entries[fwKey{modelKey{d.Manufacturer, d.Model}, d.Firmware.String()}]
		if !ok {
			t.Fatalf("device %s: %s %s %s not in the catalogue", d.ID, d.Manufacturer, d.Model, d.Firmware)
		}
		if e.DeviceType != d.Type || e.Generation != d.Generation {
			t.Fatalf("device %s is %s %s, its model %s %s", d.ID, d.Type, d.Generation, e.DeviceType, e.Generation)
		}
		if !has(d.Supplier, sec.LargeSupplier, sec.SmallSupplier) {
			t.Fatalf("device %s: %s is not a supplier", d.ID, d.Supplier)
		}
		if d.MAP != "" && !has(d.MAP, sec.MAP) {
			t.Fatalf("device %s: %s is not a MAP", d.ID, d.MAP)
		}
		if d.Generation == sec.SMETS2 && d.Type.IsCommsHub() && d.MAP != "" {
			t.Fatalf("device %s: a SMETS2+ hub with MAP %s", d.ID, d.MAP)
		}
		if !d.SupplyStart.Before(start) {
			t.Fatalf("device %s: supply start %s not before the simulated year", d.ID, d.SupplyStart)
		}
		devices[d.ID] = &state{supplier: d.Supplier, last: d.SupplyStart}
		byType[d.Type]++
		if d.Generation == sec.SMETS1 {
			smets1++
		}
		if d.Premises == estate.NonDomestic {
			nonDom++
		}
		if d.MAP == "" {
			noMAP++
		}
	}
	n := int64(len(devices))
	if n != sum.Devices || smets1 != sum.SMETS1 || nonDom != sum.NonDomestic || noMAP != sum.NoMAP || !maps.Equal(byType, sum.ByType) {
		t.Errorf("summary %+v disagrees with the file", sum)
	}

	var prev time.Time
	churned := map[estate.DeviceID]bool{}
	var moved int64
	failDate := sum.Failure.Date
	failureChecked := false
	checkFailure := func() {
		// The day after the failure nobody is with the failed Supplier.
		for id, s := range devices {
			if s.supplier == sum.Failure.Supplier {
				t.Fatalf("device %s still with failed supplier %s after %s", id, s.supplier, failDate)
			}
		}
		failureChecked = true
	}
	for i, rec := range readCSV(t, "churn", f.churn.Bytes(), estate.CheckChurnHeader) {
		c, probs := estate.ParseChurnRow(rec)
		if probs != nil {
			t.Fatalf("churn row %d: %v", i+1, probs)
		}
		if c.EffectiveDate.Before(prev) {
			t.Fatalf("churn row %d: %s after %s, not sorted", i+1, c.EffectiveDate, prev)
		}
		if c.EffectiveDate.After(failDate) && !failureChecked {
			checkFailure()
		}
		prev = c.EffectiveDate
		if c.EffectiveDate.Before(start) || !c.EffectiveDate.Before(end) {
			t.Fatalf("churn row %d: %s outside the simulated year", i+1, c.EffectiveDate)
		}
		s := devices[c.DeviceID]
		if s == nil {
			t.Fatalf("churn row %d: unknown device %s", i+1, c.DeviceID)
		}
		if !c.EffectiveDate.After(s.last) {
			t.Fatalf("churn row %d: device %s changes on %s, not after %s", i+1, c.DeviceID, c.EffectiveDate, s.last)
		}
		if c.NewSupplier == s.supplier || !has(c.NewSupplier, sec.LargeSupplier, sec.SmallSupplier) {
			t.Fatalf("churn row %d: device %s from %s to %s", i+1, c.DeviceID, s.supplier, c.NewSupplier)
		}
		if c.NewSupplier == sum.Failure.Supplier && !c.EffectiveDate.Before(failDate) {
			t.Fatalf("churn row %d: failed supplier gains device %s on %s", i+1, c.DeviceID, c.EffectiveDate)
		}
		if c.EffectiveDate.Equal(failDate) && s.supplier == sum.Failure.Supplier {
			if c.NewSupplier != sum.Failure.SoLR {
				t.Fatalf("churn row %d: failed supplier's device %s goes to %s, not the SoLR", i+1, c.DeviceID, c.NewSupplier)
			}
			moved++
		}
		s.supplier, s.last = c.NewSupplier, c.EffectiveDate
		churned[c.DeviceID] = true
	}
	if !failureChecked {
		checkFailure()
	}
	if moved != sum.Failure.Devices || moved == 0 {
		t.Errorf("%d devices moved on the failure, summary says %d", moved, sum.Failure.Devices)
	}
	rows := int64(bytes.Count(f.churn.Bytes(), []byte("\n"))) - 1
	if rows != sum.ChurnRows {
		t.Errorf("churn.csv has %d rows, summary says %d", rows, sum.ChurnRows)
	}

	near := func(what string, got, want, tol float64) {
		t.Helper()
		if got < want-tol || got > want+tol {
			t.Errorf("%s = %.3f, want %.3f ± %.3f", what, got, want, tol)
		}
	}
	fn := float64(n)
	near("SMETS1 share of devices", float64(smets1)/fn, 0.40, 0.02)
	near("gas meters per electricity meter", float64(byType[sec.GSME])/float64(byType[sec.ESME]), shareGas, 0.02)
	near("hubs per premises", float64(byType[sec.CHF])/float64(sum.Premises), 1, 0)
	near("non-domestic share", float64(nonDom)/fn, shareNonDomestic, 0.01)
	near("devices churning (failure excluded)", float64(rows-moved)/fn, churnPerYear*(1+churnTwice), 0.01)
	if byType[sec.PPMID] == 0 || byType[sec.GPF] != byType[sec.GSME] {
		t.Errorf("by type: %v", byType)
	}
}

func TestRunWritesFiles(t *testing.T) {
	dir := t.TempDir()
	var calls int
	var last int64
	sum, err := Run(context.Background(), Options{Devices: 100_000, Seed: 5, OutDir: dir, Progress: func(done, total int64) {
		calls++
		if done < last || total != 100_000 {
			t.Errorf("progress %d/%d after %d", done, total, last)
		}
		last = done
	}})
	if err != nil {
		t.Fatal(err)
	}
	if calls < 2 || last != sum.Devices {
		t.Errorf("progress called %d times, last %d, devices %d", calls, last, sum.Devices)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"catalogue.csv", "churn.csv", "devices.csv", "parties.csv"}; !slices.Equal(names, want) {
		t.Errorf("files %v, want %v (spill files removed)", names, want)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "devices.csv"))
	if got := int64(bytes.Count(b, []byte("\n")) - 1); got != sum.Devices {
		t.Errorf("devices.csv has %d rows, summary %d", got, sum.Devices)
	}
}

func TestScramble40(t *testing.T) {
	seen := make(map[uint64]bool, 1<<20)
	for x := range uint64(1 << 20) {
		y := scramble40(x, 0x1234_5678_9ABC)
		if y > mask40 || seen[y] {
			t.Fatalf("scramble40(%d) = %#x: out of range or repeated", x, y)
		}
		seen[y] = true
	}
	// Consecutive serials do not give consecutive IDs.
	if scramble40(1, 0)-scramble40(0, 0) == 1 {
		t.Error("scramble40 keeps order")
	}
}

func TestAppendDate(t *testing.T) {
	for day := dayOf(time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)); day < dayOf(time.Date(2101, 1, 1, 0, 0, 0, 0, time.UTC)); day++ {
		want := dateOf(day).Format("2006-01-02")
		if got := string(appendDate(nil, day)); got != want {
			t.Fatalf("appendDate(%d) = %s, want %s", day, got, want)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	n := int64(1_000_000)
	if s := os.Getenv("METERSEC_BENCH_DEVICES"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		n = v
	}
	dir := b.TempDir()
	var sum Summary
	for b.Loop() {
		var err error
		sum, err = Run(context.Background(), Options{Devices: n, Seed: 1, OutDir: dir})
		if err != nil {
			b.Fatal(err)
		}
	}
	perRun := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(sum.Devices)/perRun, "devices/s")
	b.ReportMetric(float64(sum.Devices+sum.ChurnRows)/perRun, "rows/s")
}

// TestModelsAreNamed: the catalogue names every model for people (issue 15
// point 9), the same name on every firmware row of a model.
func TestModelsAreNamed(t *testing.T) {
	w := newWorld(7, 20000, 20400)
	names := map[string]string{}
	for _, row := range w.catalogue {
		if row.ModelName == "" {
			t.Fatalf("model %s %s has no name", row.Manufacturer, row.Model)
		}
		key := row.Manufacturer + "/" + row.Model
		if n, ok := names[key]; ok && n != row.ModelName {
			t.Errorf("model %s is named %q and %q", key, n, row.ModelName)
		}
		names[key] = row.ModelName
	}
	if got := modelName(manufacturers[0], "4A1F", esme2); !strings.HasPrefix(got, "Aurivolt ") || !strings.Contains(got, "4A1F electricity meter") {
		t.Errorf("modelName = %q", got)
	}
}
