package estate

import (
	"bufio"
	"cmp"
	"container/heap"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/store"
)

// The first load of an empty estate (issue 16). When devices holds nothing,
// no row of the file can clash with the estate, so the only check left for
// the database is a Device twice in the file. Then the rows, checked and
// resolved in Go as the file streams, are sorted by Device ID in bounded
// memory (runs of sortRun rows, spilled to temporary files and merged), the
// merge finds the duplicates, and the sorted rows go straight into devices
// (COPY on PostgreSQL, batched INSERTs on SQLite, both appending to the
// key's B-tree in order) with its secondary indexes dropped first and built
// again afterwards, all in the import's one transaction. There is no staging
// table: the staging, its second sort and the INSERT … SELECT were most of
// the time of a first load (BENCHMARKS.md, issue 16).

// sortRun is how many rows are sorted in memory at a time: 57 bytes a row
// on disk and 64 in memory, so 17 MB of run however large the file (a run
// of 524,288 rows left a 1M first load at 284 MB of peak memory).
var sortRun = 1 << 18

// noDay marks a devRec without an enrolment date (SMETS2+).
const noDay = int32(-1 << 31)

// devRec is a resolved devices row, compact enough to sort millions of.
// Days count from 1970-01-01.
type devRec struct {
	id, line, model, firmware, mapID, supplier int64
	supply, enrolled                           int32
	nonDomestic                                bool
}

const devRecSize = 6*8 + 2*4 + 1

func dayNumber(t time.Time) int32 {
	y, m, d := t.Date()
	return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func dayTime(n int32) time.Time { return time.Unix(int64(n)*86400, 0).UTC() }

func (r devRec) premises() string {
	if r.nonDomestic {
		return string(NonDomestic)
	}
	return string(Domestic)
}

// staged is the row as the staging table takes it (devStageCols).
func (r devRec) staged(d store.Dialect) []any {
	var mapID, enrolled any
	if r.mapID != 0 {
		mapID = r.mapID
	}
	if r.enrolled != noDay {
		enrolled = d.Date(dayTime(r.enrolled))
	}
	return []any{r.line, r.id, r.model, r.firmware, mapID, r.premises(), r.supplier, d.Date(dayTime(r.supply)), enrolled}
}

// deviceCols are the columns firstLoad writes, in deviceValues' order; the
// others take their defaults (installed, not inherited).
var deviceCols = []string{"id", "model_id", "firmware_id", "map_id", "premises", "supplier_id", "supply_start", "firmware_since", "enrolled_on"}

// deviceValues writes the row as devices takes it into row: on its firmware
// since supply began; a SMETS1 Device never enrolled keeps no date
// (NeverEnrolled is the aggregate's key only). days holds each day's value
// as the engine takes it, made once (a few thousand days, millions of rows).
func (r devRec) deviceValues(row []any, days *dayValues) {
	var mapID, enrolled any
	if r.mapID != 0 {
		mapID = r.mapID
	}
	if r.enrolled != noDay && r.enrolled != days.never {
		enrolled = days.value(r.enrolled)
	}
	supply := days.value(r.supply)
	premises := any(string(Domestic))
	if r.nonDomestic {
		premises = string(NonDomestic)
	}
	row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8] = r.id, r.model, r.firmware, mapID, premises, r.supplier, supply, supply, enrolled
}

// dayValues are days as the engine takes them (Dialect.Date), by day number.
type dayValues struct {
	d     store.Dialect
	never int32
	m     map[int32]any
}

func (v *dayValues) value(day int32) any {
	x, ok := v.m[day]
	if !ok {
		x = v.d.Date(dayTime(day))
		v.m[day] = x
	}
	return x
}

func (r devRec) put(b []byte) {
	for i, v := range []int64{r.id, r.line, r.model, r.firmware, r.mapID, r.supplier} {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
	}
	binary.LittleEndian.PutUint32(b[48:], uint32(r.supply))
	binary.LittleEndian.PutUint32(b[52:], uint32(r.enrolled))
	b[56] = 0
	if r.nonDomestic {
		b[56] = 1
	}
}

func getRec(b []byte) devRec {
	var v [6]int64
	for i := range v {
		v[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return devRec{id: v[0], line: v[1], model: v[2], firmware: v[3], mapID: v[4], supplier: v[5],
		supply: int32(binary.LittleEndian.Uint32(b[48:])), enrolled: int32(binary.LittleEndian.Uint32(b[52:])), nonDomestic: b[56] == 1}
}

func byIDLine(a, b devRec) int {
	if c := cmp.Compare(a.id, b.id); c != 0 {
		return c
	}
	return cmp.Compare(a.line, b.line)
}

// sorter sorts devRecs by (id, line) in bounded memory.
type sorter struct {
	run   []devRec
	files []*os.File
}

func (s *sorter) add(r devRec) error {
	if s.run == nil {
		// The whole run at once: grown by appending, it held its old and
		// new arrays together (1.5 times the run at the last growth).
		s.run = make([]devRec, 0, sortRun)
	}
	s.run = append(s.run, r)
	if len(s.run) == sortRun {
		return s.spill()
	}
	return nil
}

// spill sorts the run in memory and writes it to a temporary file.
func (s *sorter) spill() error {
	slices.SortFunc(s.run, byIDLine)
	f, err := os.CreateTemp("", "metersec-import-*.run")
	if err != nil {
		return err
	}
	os.Remove(f.Name()) // gone with the file when closed, whatever happens
	s.files = append(s.files, f)
	w := bufio.NewWriterSize(f, 1<<16)
	var b [devRecSize]byte
	for _, r := range s.run {
		r.put(b[:])
		if _, err := w.Write(b[:]); err != nil {
			return err
		}
	}
	s.run = s.run[:0]
	if err := w.Flush(); err != nil {
		return err
	}
	_, err = f.Seek(0, io.SeekStart)
	return err
}

func (s *sorter) close() {
	for _, f := range s.files {
		f.Close()
	}
}

// merged returns the rows in (id, line) order: the spilled runs and the one
// still in memory, merged.
func (s *sorter) merged() func() (devRec, bool, error) {
	slices.SortFunc(s.run, byIDLine)
	h := &mergeHeap{}
	mem := s.run
	h.srcs = append(h.srcs, func() (devRec, bool, error) {
		if len(mem) == 0 {
			return devRec{}, false, nil
		}
		r := mem[0]
		mem = mem[1:]
		return r, true, nil
	})
	for _, f := range s.files {
		br := bufio.NewReaderSize(f, 1<<16)
		var b [devRecSize]byte
		h.srcs = append(h.srcs, func() (devRec, bool, error) {
			if _, err := io.ReadFull(br, b[:]); err != nil {
				if errors.Is(err, io.EOF) {
					return devRec{}, false, nil
				}
				return devRec{}, false, err
			}
			return getRec(b[:]), true, nil
		})
	}
	started := false
	return func() (devRec, bool, error) {
		if !started {
			started = true
			for i, src := range h.srcs {
				r, ok, err := src()
				if err != nil {
					return devRec{}, false, err
				}
				if ok {
					h.items = append(h.items, mergeItem{r, i})
				}
			}
			heap.Init(h)
		}
		if len(h.items) == 0 {
			return devRec{}, false, nil
		}
		top := h.items[0]
		r, ok, err := h.srcs[top.src]()
		if err != nil {
			return devRec{}, false, err
		}
		if ok {
			h.items[0].rec = r
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
		}
		return top.rec, true, nil
	}
}

type mergeItem struct {
	rec devRec
	src int
}

type mergeHeap struct {
	items []mergeItem
	srcs  []func() (devRec, bool, error)
}

func (h *mergeHeap) Len() int           { return len(h.items) }
func (h *mergeHeap) Less(i, j int) bool { return byIDLine(h.items[i].rec, h.items[j].rec) < 0 }
func (h *mergeHeap) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *mergeHeap) Push(x any)         { h.items = append(h.items, x.(mergeItem)) }
func (h *mergeHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

// duplicates keeps the problems of Devices met twice: the first lines (by
// line, as the staged check lists them) and how many more.
type duplicates struct {
	kept []errs.Field
	more int
}

func (d *duplicates) add(line, first, id int64) {
	f := errs.Field{Line: int(line), Field: "device_id",
		Message: fmt.Sprintf("%q: the Device is also on line %d", DeviceIDFromInt64(id).String(), first)}
	i, _ := slices.BinarySearchFunc(d.kept, f.Line, func(a errs.Field, l int) int { return cmp.Compare(a.Line, l) })
	if len(d.kept) < 100 {
		d.kept = slices.Insert(d.kept, i, f)
		return
	}
	d.more++
	if i < len(d.kept) {
		d.kept = slices.Insert(d.kept[:len(d.kept)-1], i, f)
	}
}

func (d *duplicates) record(probs *errs.Collector) {
	for _, f := range d.kept {
		probs.Add(f)
	}
	probs.More += d.more
}

// firstLoad writes the sorted rows into the empty devices table, dropping
// its secondary indexes first and building them again after, and returns
// how many it created. With problems already found it writes nothing and
// only looks for duplicates, so the error lists every problem of the file.
func firstLoad(ctx context.Context, tx *store.Tx, s *sorter, probs *errs.Collector, phase func(string)) (int64, error) {
	next := s.merged()
	var dups duplicates
	var prev devRec
	have := false
	var first int64
	// scan yields the next row that is not a duplicate, noting those that are.
	scan := func() (devRec, bool, error) {
		for {
			r, ok, err := next()
			if err != nil || !ok {
				return r, ok, err
			}
			if have && r.id == prev.id {
				dups.add(r.line, first, r.id)
				continue
			}
			prev, have, first = r, true, r.line
			return r, true, nil
		}
	}
	if probs.Count() > 0 {
		for {
			_, ok, err := scan()
			if err != nil {
				return 0, errs.Wrap(err, "estate: sort rows")
			}
			if !ok {
				break
			}
		}
		dups.record(probs)
		return 0, nil
	}
	phase("writing Devices")
	rebuild, err := tx.DropSecondaryIndexes(ctx, "devices")
	if err != nil {
		return 0, errs.Wrap(err, "estate: import devices")
	}
	days := &dayValues{d: tx.Dialect, never: dayNumber(NeverEnrolled.Time()), m: map[int32]any{}}
	n, err := tx.Load(ctx, "devices", deviceCols, func(row []any) (bool, error) {
		r, ok, err := scan()
		if err != nil || !ok {
			return false, err
		}
		r.deviceValues(row, days)
		return true, nil
	})
	if err != nil {
		return 0, errs.Wrap(err, "estate: import devices")
	}
	if dups.more+len(dups.kept) > 0 {
		dups.record(probs)
		return 0, nil // the caller fails the import; the transaction undoes the rows
	}
	phase("indexing Devices")
	restore, err := tx.ParallelSort(ctx)
	if err != nil {
		return 0, errs.Wrap(err, "estate: index devices")
	}
	defer restore()
	if err := rebuild(ctx); err != nil {
		return 0, errs.Wrap(err, "estate: index devices")
	}
	return n, nil
}

// loadCounts writes a first load's counts into an aggregate table that
// holds none (an empty estate has no counts, but a table is only trusted
// empty when it is): rows come sorted by the table's key, so SQLite appends
// to its clustered key, and loaded like the Devices with the secondary indexes
// built after. It reports false, writing nothing, when the table holds
// rows: then the caller adds to them.
func loadCounts(ctx context.Context, tx *store.Tx, table, cols string, rows [][]any) (bool, error) {
	empty, err := tx.EmptyForLoad(ctx, table)
	if err != nil || !empty {
		return false, errs.Wrap(err, "estate: "+table)
	}
	rebuild, err := tx.DropSecondaryIndexes(ctx, table)
	if err != nil {
		return false, errs.Wrap(err, "estate: "+table)
	}
	if _, err := tx.Load(ctx, table, strings.Split(strings.ReplaceAll(cols, " ", ""), ","), func(row []any) (bool, error) {
		if len(rows) == 0 {
			return false, nil
		}
		copy(row, rows[0])
		rows = rows[1:]
		return true, nil
	}); err != nil {
		return false, errs.Wrap(err, "estate: "+table)
	}
	return true, errs.Wrap(rebuild(ctx), "estate: "+table)
}

// addPortfolioFirst adds a first load's portfolio counts (see loadCounts,
// addPortfolio).
func addPortfolioFirst(ctx context.Context, tx *store.Tx, ix *catalogue.Index, agg map[group]int64) error {
	rows := make([][]any, 0, len(agg))
	for g, n := range agg {
		m, _ := ix.ModelByID(g.model)
		rows = append(rows, []any{g.supplier, g.model, g.firmware, g.mapID, string(m.Generation), string(m.DeviceType), n})
	}
	slices.SortFunc(rows, func(a, b []any) int {
		for i := range 4 {
			if c := cmp.Compare(a[i].(int64), b[i].(int64)); c != 0 {
				return c
			}
		}
		return 0
	})
	if done, err := loadCounts(ctx, tx, "portfolio", portfolioCols, rows); err != nil || done {
		return err
	}
	return addPortfolio(ctx, tx, ix, agg)
}

// enrolledGroup is a portfolio_enrolled group of Devices not inherited:
// day is the enrolment day (NeverEnrolled's for a SMETS1 Device never
// enrolled).
type enrolledGroup struct {
	supplier, model, mapID int64
	day                    int32
}

// The enrolment counts of a first load, staged for one upsert (see
// addPortfolio).
const (
	enrolledStage    = "estate_import_enrolled"
	enrolledStageDef = "supplier_id BIGINT NOT NULL, model_id BIGINT NOT NULL, map_id BIGINT NOT NULL, enrolled_on @date NOT NULL, inherited_from @date NOT NULL, devices BIGINT NOT NULL"
	enrolledStageKey = "supplier_id, model_id, map_id, enrolled_on, inherited_from"
)

// addEnrolledCounts adds the counts of a first load's SMETS1 Devices,
// counted as the file streamed, to portfolio_enrolled.
func addEnrolledCounts(ctx context.Context, tx *store.Tx, counts *groupCounter) error {
	d := tx.Dialect
	notInherited := d.Date(NotInherited.Time())
	next, err := counts.sorted()
	if err != nil {
		return errs.Wrap(err, "estate: enrolled portfolio")
	}
	days := &dayValues{d: d, m: map[int32]any{}}
	row := func(row []any) (bool, error) {
		g, n, ok, err := next()
		if err != nil || !ok {
			return false, err
		}
		row[0], row[1], row[2], row[3], row[4], row[5] = g.supplier, g.model, g.mapID, days.value(g.day), notInherited, n
		return true, nil
	}
	empty, err := tx.EmptyForLoad(ctx, "portfolio_enrolled")
	if err != nil {
		return errs.Wrap(err, "estate: enrolled portfolio")
	}
	cols := strings.Split(strings.ReplaceAll(enrolledCols, " ", ""), ",")
	if empty {
		rebuild, err := tx.DropSecondaryIndexes(ctx, "portfolio_enrolled")
		if err != nil {
			return errs.Wrap(err, "estate: enrolled portfolio")
		}
		if _, err := tx.Load(ctx, "portfolio_enrolled", cols, row); err != nil {
			return errs.Wrap(err, "estate: enrolled portfolio")
		}
		return errs.Wrap(rebuild(ctx), "estate: enrolled portfolio")
	}
	if err := createTemp(ctx, tx, enrolledStage, enrolledStageDef, enrolledStageKey); err != nil {
		return err
	}
	if _, err := tx.Load(ctx, enrolledStage, cols, row); err != nil {
		return errs.Wrap(err, "estate: enrolled portfolio")
	}
	if err := exec(ctx, tx, "estate: enrolled portfolio", nil, upsert("portfolio_enrolled", enrolledCols, enrolledKey,
		"SELECT "+enrolledCols+" FROM "+enrolledStage+" WHERE TRUE")); err != nil {
		return err
	}
	return dropTemp(ctx, tx, enrolledStage)
}

// countRun is how many groups a groupCounter holds in memory before it
// spills them: about 20 MB of map.
var countRun = 1 << 18

// groupCounter counts enrolledGroups in bounded memory. SMETS1 enrolment
// groups are nearly as many as the Devices (a day each: 372,691 groups for
// 400,118 SMETS1 Devices of 1M), so a map of them all would grow with the
// file; instead a full map is spilled, sorted, to a temporary file, and the
// runs merged at the end with equal groups summed.
type groupCounter struct {
	m     map[enrolledGroup]int64
	files []*os.File
}

const countRecSize = 8*3 + 4 + 8

func (c *groupCounter) add(g enrolledGroup) error {
	if c.m == nil {
		c.m = make(map[enrolledGroup]int64)
	}
	c.m[g]++
	if len(c.m) >= countRun {
		return c.spill()
	}
	return nil
}

func byGroup(a, b enrolledGroup) int {
	return cmp.Or(cmp.Compare(a.supplier, b.supplier), cmp.Compare(a.model, b.model), cmp.Compare(a.mapID, b.mapID), cmp.Compare(a.day, b.day))
}

func (c *groupCounter) spill() error {
	f, err := os.CreateTemp("", "metersec-import-*.counts")
	if err != nil {
		return err
	}
	os.Remove(f.Name())
	c.files = append(c.files, f)
	w := bufio.NewWriterSize(f, 1<<16)
	var b [countRecSize]byte
	for _, g := range slices.SortedFunc(maps.Keys(c.m), byGroup) {
		binary.LittleEndian.PutUint64(b[0:], uint64(g.supplier))
		binary.LittleEndian.PutUint64(b[8:], uint64(g.model))
		binary.LittleEndian.PutUint64(b[16:], uint64(g.mapID))
		binary.LittleEndian.PutUint32(b[24:], uint32(g.day))
		binary.LittleEndian.PutUint64(b[28:], uint64(c.m[g]))
		if _, err := w.Write(b[:]); err != nil {
			return err
		}
	}
	clear(c.m)
	if err := w.Flush(); err != nil {
		return err
	}
	_, err = f.Seek(0, io.SeekStart)
	return err
}

func (c *groupCounter) close() {
	for _, f := range c.files {
		f.Close()
	}
}

// sorted returns the groups in key order with their counts, equal groups of
// the runs summed.
func (c *groupCounter) sorted() (func() (enrolledGroup, int64, bool, error), error) {
	type item struct {
		g enrolledGroup
		n int64
	}
	var srcs []func() (item, bool, error)
	mem := slices.SortedFunc(maps.Keys(c.m), byGroup)
	srcs = append(srcs, func() (item, bool, error) {
		if len(mem) == 0 {
			return item{}, false, nil
		}
		g := mem[0]
		mem = mem[1:]
		return item{g, c.m[g]}, true, nil
	})
	for _, f := range c.files {
		br := bufio.NewReaderSize(f, 1<<16)
		var b [countRecSize]byte
		srcs = append(srcs, func() (item, bool, error) {
			if _, err := io.ReadFull(br, b[:]); err != nil {
				if errors.Is(err, io.EOF) {
					return item{}, false, nil
				}
				return item{}, false, err
			}
			return item{enrolledGroup{supplier: int64(binary.LittleEndian.Uint64(b[0:])), model: int64(binary.LittleEndian.Uint64(b[8:])),
				mapID: int64(binary.LittleEndian.Uint64(b[16:])), day: int32(binary.LittleEndian.Uint32(b[24:]))},
				int64(binary.LittleEndian.Uint64(b[28:]))}, true, nil
		})
	}
	// heads holds each source's next item; few sources (a run per 262,144
	// groups), so a linear scan for the least is enough.
	heads := make([]item, len(srcs))
	live := make([]bool, len(srcs))
	for i, src := range srcs {
		var err error
		if heads[i], live[i], err = src(); err != nil {
			return nil, err
		}
	}
	return func() (enrolledGroup, int64, bool, error) {
		least := -1
		for i := range heads {
			if live[i] && (least < 0 || byGroup(heads[i].g, heads[least].g) < 0) {
				least = i
			}
		}
		if least < 0 {
			return enrolledGroup{}, 0, false, nil
		}
		g := heads[least].g
		var n int64
		for i := range heads {
			for live[i] && heads[i].g == g {
				n += heads[i].n
				var err error
				if heads[i], live[i], err = srcs[i](); err != nil {
					return g, 0, false, err
				}
			}
		}
		return g, n, true, nil
	}, nil
}

// readBatch is how many records readAhead hands over at a time.
const readBatch = 1024

// readAhead reads f (parsing the CSV and hashing the file) on a goroutine of
// its own, batches of records ahead of the caller, which checks and
// resolves them meanwhile: on a first load these were the two halves of the
// read phase, most of a first load's time on PostgreSQL. next returns the
// records in order, as f.read does. stop, which may be called more than
// once, ends the reading and adds the reader's problems to f's collector:
// after stop, f.rows and the file's hash are final.
func readAhead(f *csvFile) (next func() ([]string, int), stop func()) {
	type batch struct {
		recs  [][]string
		lines []int
	}
	ch := make(chan batch, 4)
	quit := make(chan struct{})
	finished := make(chan struct{})
	var own errs.Collector
	probs := f.probs
	f.probs = &own
	go func() {
		defer close(finished)
		defer close(ch)
		for {
			b := batch{recs: make([][]string, 0, readBatch), lines: make([]int, 0, readBatch)}
			for len(b.recs) < readBatch {
				rec, line := f.read()
				if rec == nil {
					break
				}
				b.recs, b.lines = append(b.recs, slices.Clone(rec)), append(b.lines, line)
			}
			if len(b.recs) == 0 {
				return
			}
			select {
			case ch <- b:
			case <-quit:
				return
			}
		}
	}()
	var cur batch
	next = func() ([]string, int) {
		for len(cur.recs) == 0 {
			b, ok := <-ch
			if !ok {
				return nil, 0
			}
			cur = b
		}
		rec, line := cur.recs[0], cur.lines[0]
		cur.recs, cur.lines = cur.recs[1:], cur.lines[1:]
		return rec, line
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		close(quit)
		<-finished
		f.probs = probs
		for _, p := range own.Fields {
			probs.Add(p)
		}
		probs.More += own.More
	}
	return next, stop
}
