package generate

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/sec"
)

// Options says what world to generate.
type Options struct {
	// Devices is the number of Devices, every type counted (CHF, GPF and
	// PPMID too), exactly: the last premises is cut short (its first types,
	// the meter before its hub) when a whole one would overshoot.
	Devices int64
	// Seed picks the world; one seed always gives the same bytes.
	Seed uint64
	// Start and End bound the simulated year [Start, End): devices.csv is the
	// estate as it stands on Start, and churn.csv the changes of supplier from
	// Start until the day before End. Dates are whole UTC days; the zero Start
	// is 2025-01-01 and the zero End a year after Start. At most ten years.
	Start, End time.Time
	// OutDir is where Run writes parties.csv, catalogue.csv, devices.csv and
	// churn.csv; it is created if missing.
	OutDir string
	// TempDir holds the churn spill files while the run lasts (see spill):
	// some tens of megabytes at GB scale. Empty means OutDir for Run and the
	// system's temporary directory for Generate.
	TempDir string
	// Progress, if set, is called now and then with the Devices written so
	// far and the target, and once at the end of the devices file.
	Progress func(done, total int64)
}

// Writers receive the four files of Generate, each a CSV file with a header.
type Writers struct {
	Parties, Catalogue, Devices, Churn io.Writer
}

// Summary says what was generated.
type Summary struct {
	Parties       int
	Suppliers     int
	Models        int
	CatalogueRows int
	Premises      int64
	Devices       int64
	ByType        map[sec.DeviceType]int64
	SMETS1        int64 // Devices of SMETS1 premises
	NonDomestic   int64 // Devices of non-domestic premises
	NoMAP         int64 // Devices with no MAP (Supplier-owned, or SMETS2+ hubs from the DCC)
	ChurnRows     int64
	Failure       Failure
}

// Failure is the Supplier of Last Resort event of the simulated year.
type Failure struct {
	Supplier string    // the Supplier that failed
	SoLR     string    `json:"solr"` // the Supplier of Last Resort that took its customers
	Date     time.Time // the day the portfolio moved
	Devices  int64     // Devices moved on that day
}

// Shares of the synthetic estate (DOMAIN.md §6 and ASSUMPTIONs there).
const (
	shareSMETS1      = 0.40  // of premises: SMETS1 was ~40% of smart meters
	shareGas         = 0.80  // premises with gas: a GSME and a GPF
	sharePPMID       = 0.06  // premises with a prepayment interface device
	shareHCALCS      = 0.003 // SMETS2+ premises with a load control switch
	shareNonDomestic = 0.05  // premises
	shareMAPOwned    = 0.85  // premises whose meters a MAP owns; the rest the Supplier
	churnPerYear     = 0.10  // premises changing supplier in a year: ~3.5m per 35m Devices
	churnTwice       = 0.05  // of those, premises changing twice
	shareNotEnrolled = 0.03  // SMETS1 premises never enrolled onto the DCC
)

// Run generates a world into opts.OutDir: parties.csv, catalogue.csv,
// devices.csv and churn.csv. On error the files written so far are left for
// inspection.
func Run(ctx context.Context, opts Options) (Summary, error) {
	if opts.OutDir == "" {
		return Summary{}, errors.New("generate: no output directory")
	}
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return Summary{}, err
	}
	if opts.TempDir == "" {
		opts.TempDir = opts.OutDir
	}
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	var ws [4]io.Writer
	for i, name := range []string{"parties.csv", "catalogue.csv", "devices.csv", "churn.csv"} {
		f, err := os.Create(filepath.Join(opts.OutDir, name))
		if err != nil {
			return Summary{}, err
		}
		files = append(files, f)
		ws[i] = f
	}
	sum, err := Generate(ctx, opts, Writers{Parties: ws[0], Catalogue: ws[1], Devices: ws[2], Churn: ws[3]})
	if err != nil {
		return sum, err
	}
	for _, f := range files {
		if err := f.Close(); err != nil {
			return sum, err
		}
	}
	files = nil
	return sum, nil
}

// Generate writes a synthetic GB world to w: parties, catalogue, the estate of
// Devices and a year of churn. It streams: memory stays a few megabytes however
// many Devices are asked for. See Options for the knobs and the package doc
// for the shape of the world.
func Generate(ctx context.Context, opts Options, w Writers) (Summary, error) {
	if err := opts.normalise(); err != nil {
		return Summary{}, err
	}
	start, end := dayOf(opts.Start), dayOf(opts.End)
	wd := newWorld(opts.Seed, start, end)
	sum := Summary{
		Parties: len(wd.parties), Suppliers: len(wd.suppliers), Models: len(wd.models),
		CatalogueRows: len(wd.catalogue), ByType: map[sec.DeviceType]int64{},
		Failure: Failure{Supplier: wd.suppliers[wd.failed], SoLR: wd.suppliers[wd.solr], Date: dateOf(start + wd.failDay)},
	}

	if err := writeCSV(w.Parties, PartyHeader, len(wd.parties), func(i int) []string { return wd.parties[i].Record() }); err != nil {
		return sum, fmt.Errorf("parties: %w", err)
	}
	if err := writeCSV(w.Catalogue, catalogue.CatalogueHeader, len(wd.catalogue), func(i int) []string { return wd.catalogue[i].Record() }); err != nil {
		return sum, fmt.Errorf("catalogue: %w", err)
	}

	tmp := opts.TempDir
	if tmp == "" {
		tmp = os.TempDir()
	}
	sp, err := newSpill(tmp, end-start)
	if err != nil {
		return sum, err
	}
	defer sp.close()

	devices := bufio.NewWriterSize(w.Devices, 1<<20)
	g := &estateWriter{
		world: wd, r: newRNG(opts.Seed, 2), enrol: newRNG(opts.Seed, 3), start: start, days: end - start,
		out: devices, spill: sp, sum: &sum, serials: make([]uint64, len(wd.prefixes)),
	}
	devices.WriteString(strings.Join(estate.DeviceHeader, ",") + "\n")
	if err := g.run(ctx, opts.Devices, opts.Progress); err != nil {
		return sum, err
	}
	if err := devices.Flush(); err != nil {
		return sum, fmt.Errorf("devices: %w", err)
	}

	churn := bufio.NewWriterSize(w.Churn, 1<<20)
	churn.WriteString(strings.Join(estate.ChurnHeader, ",") + "\n")
	if sum.ChurnRows, err = sp.writeSorted(churn, start, wd.suppliers); err != nil {
		return sum, fmt.Errorf("churn: %w", err)
	}
	if err := churn.Flush(); err != nil {
		return sum, fmt.Errorf("churn: %w", err)
	}
	return sum, sp.close()
}

func (o *Options) normalise() error {
	if o.Devices < 0 {
		return fmt.Errorf("generate: negative number of devices %d", o.Devices)
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	o.Start = wholeDay(o.Start)
	if o.End.IsZero() {
		o.End = o.Start.AddDate(1, 0, 0)
	}
	o.End = wholeDay(o.End)
	switch {
	case o.Start.Year() < 2000:
		return fmt.Errorf("generate: start %s is before 2000: the catalogue reaches 13 years back from it", o.Start.Format(catalogue.DateLayout))
	case !o.End.After(o.Start):
		return fmt.Errorf("generate: end %s is not after start %s", o.End.Format(catalogue.DateLayout), o.Start.Format(catalogue.DateLayout))
	case o.End.After(o.Start.AddDate(10, 0, 0)):
		return fmt.Errorf("generate: more than ten years from %s to %s", o.Start.Format(catalogue.DateLayout), o.End.Format(catalogue.DateLayout))
	}
	return nil
}

func wholeDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func writeCSV(w io.Writer, header []string, n int, record func(int) []string) error {
	cw := csv.NewWriter(w)
	cw.Write(header)
	for i := range n {
		cw.Write(record(i))
	}
	cw.Flush()
	return cw.Error()
}

// estateWriter writes devices.csv premises by premises and decides each
// premises' churn as it goes, so nothing about a Device outlives its row but
// its churn rows in the spill.
type estateWriter struct {
	*world
	r       *rng
	enrol   *rng // SMETS1 enrolment dates, apart so the rest of the world does not move with them
	start   int  // day number of the first simulated day
	days    int
	out     *bufio.Writer
	spill   *spill
	sum     *Summary
	serials []uint64 // next serial per manufacturer
	line    []byte
	ids     []estate.DeviceID // the current premises' Devices
}

func (g *estateWriter) run(ctx context.Context, target int64, progress func(done, total int64)) error {
	const every = 1 << 16
	next := int64(every)
	types := make([]sec.DeviceType, 0, 6)
	for {
		domestic := !g.r.chance(shareNonDomestic)
		gen := sec.SMETS2
		if g.r.chance(shareSMETS1) {
			gen = sec.SMETS1
		}
		types = append(types[:0], sec.ESME, sec.CHF)
		if g.r.chance(shareGas) {
			types = append(types, sec.GSME, sec.GPF)
		}
		if g.r.chance(sharePPMID) {
			types = append(types, sec.PPMID)
		}
		if gen == sec.SMETS2 && g.r.chance(shareHCALCS) {
			types = append(types, sec.HCALCS)
		}
		if g.sum.Devices >= target {
			break
		}
		if left := target - g.sum.Devices; int64(len(types)) > left {
			types = types[:left]
		}
		if err := g.premises(domestic, gen, types); err != nil {
			return err
		}
		if g.sum.Devices >= next {
			next += every
			if err := ctx.Err(); err != nil {
				return err
			}
			if progress != nil {
				progress(g.sum.Devices, target)
			}
		}
	}
	if progress != nil {
		progress(g.sum.Devices, target)
	}
	return ctx.Err()
}

const year = 365

// The days SMETS1 enrolment ran between in the generated world (day numbers
// since 1970-01-01): 1 June 2019 to 31 December 2022.
var (
	enrolFrom = int(time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC).Unix() / 86400)
	enrolTo   = int(time.Date(2022, 12, 31, 0, 0, 0, 0, time.UTC).Unix() / 86400)
)

func (g *estateWriter) premises(domestic bool, gen sec.Generation, types []sec.DeviceType) error {
	r := g.r
	supplier := r.weighted(g.domCum)
	premises := "domestic"
	if !domestic {
		supplier = r.weighted(g.nonDomCum)
		premises = "non_domestic"
	}
	// Installed in its generation's years; with the current Supplier since then
	// or since a change of supplier before the simulated year.
	install := r.between(g.start-13*year, g.start-6*year)
	if gen == sec.SMETS2 {
		install = r.between(g.start-7*year, g.start-1)
	}
	supplyStart := install
	if r.chance(0.5) {
		supplyStart = r.between(install, g.start-1)
	}
	mapIdx := -1
	if r.chance(shareMAPOwned) {
		mapIdx = r.weighted(g.mapCum)
	}
	// SMETS1 premises were enrolled onto the DCC from mid 2019 to the end
	// of 2022, all of a premises' Devices on one day; a few never were.
	enrolled := -1
	if gen == sec.SMETS1 && !g.enrol.chance(shareNotEnrolled) {
		enrolled = g.enrol.between(max(install, enrolFrom), enrolTo)
	}

	g.ids = g.ids[:0]
	for _, t := range types {
		p := g.pools[line{t, gen}]
		m := &g.models[p.models[r.weighted(p.cum)]]
		fw := m.firmware[r.weighted(m.firmwareCum)]
		id := g.deviceID(m.manufacturer)
		g.ids = append(g.ids, id)

		b, _ := id.AppendText(g.line[:0])
		b = append(b, ',')
		b = append(b, m.rowPrefix...)
		b = append(b, fw...)
		b = append(b, ',')
		b = append(b, g.suppliers[supplier]...)
		b = append(b, ',')
		b = appendDate(b, supplyStart)
		b = append(b, ',')
		// SMETS2+ Communications Hubs come from the DCC, which is no MAP.
		if mapIdx >= 0 && !(gen == sec.SMETS2 && t.IsCommsHub()) {
			b = append(b, g.maps[mapIdx]...)
		} else {
			g.sum.NoMAP++
		}
		b = append(b, ',')
		b = append(b, premises...)
		b = append(b, ',')
		if enrolled >= 0 {
			b = appendDate(b, enrolled)
		}
		b = append(b, '\n')
		g.line = b
		if _, err := g.out.Write(b); err != nil {
			return fmt.Errorf("devices: %w", err)
		}
		g.sum.ByType[t]++
	}
	n := int64(len(types))
	g.sum.Premises++
	g.sum.Devices += n
	if gen == sec.SMETS1 {
		g.sum.SMETS1 += n
	}
	if !domestic {
		g.sum.NonDomestic += n
	}
	return g.churn(supplier, domestic)
}

// churn decides the premises' changes of supplier in the simulated year; all
// its Devices move together. The failed Supplier's customers on the failure
// day move to the Supplier of Last Resort on that day, and after it the failed
// Supplier wins no one. Dates per Device strictly increase, and all are after
// supply_start, which is before the year.
func (g *estateWriter) churn(supplier int, domestic bool) error {
	r := g.r
	var planned [2]int
	n := 0
	if r.chance(churnPerYear) {
		planned[0] = r.intn(g.days)
		n = 1
		if r.chance(churnTwice) && planned[0] < g.days-1 {
			planned[1] = r.between(planned[0]+1, g.days-1)
			n = 2
		}
	}
	cur, last := supplier, -1
	failed := false
	emit := func(day, to int) error {
		for _, id := range g.ids {
			if err := g.spill.add(day, to, id); err != nil {
				return err
			}
		}
		cur, last = to, day
		return nil
	}
	fail := func() error {
		failed = true
		if cur != g.failed {
			return nil
		}
		g.sum.Failure.Devices += int64(len(g.ids))
		return emit(g.failDay, g.solr)
	}
	for _, day := range planned[:n] {
		if !failed && day >= g.failDay {
			if err := fail(); err != nil {
				return err
			}
			if day == last {
				continue // moved by the failure that day already
			}
		}
		to := g.newSupplier(cur, domestic, failed)
		if err := emit(day, to); err != nil {
			return err
		}
	}
	if !failed {
		return fail()
	}
	return nil
}

// newSupplier picks a gaining Supplier by market share: never the current
// one, and never the failed one once it has failed.
func (g *estateWriter) newSupplier(cur int, domestic, afterFailure bool) int {
	cum := g.domCum
	if !domestic {
		cum = g.nonDomCum
	}
	for {
		s := g.r.weighted(cum)
		if s != cur && !(afterFailure && s == g.failed) {
			return s
		}
	}
}
