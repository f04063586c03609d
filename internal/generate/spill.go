package generate

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"

	"github.com/metersec/metersec/internal/estate"
)

// spill holds churn rows between deciding them (premises by premises, in
// random date order) and writing them sorted by date, without keeping them in
// memory: at GB scale there are four to five million of them.
//
// Rows go to one temporary file per week of the simulated year, as 11-byte
// records (day, supplier, device ID). Writing the churn file reads each week's
// file once per day that has rows, keeping that day's records, so memory stays
// a few buffers whatever the size; rows of one day keep the order they were
// decided in, which makes the output deterministic. Re-reading a week seven
// times costs little: the files are small and sit in the page cache.
type spill struct {
	dir    string
	files  []*os.File
	bufs   []*bufio.Writer
	counts []int64 // rows per day
	rec    [spillRecord]byte
}

const (
	spillGroupDays = 7
	spillRecord    = 11
)

func newSpill(parent string, days int) (*spill, error) {
	dir, err := os.MkdirTemp(parent, "metersec-churn-*")
	if err != nil {
		return nil, fmt.Errorf("churn spill directory: %w", err)
	}
	groups := (days + spillGroupDays - 1) / spillGroupDays
	return &spill{
		dir:    dir,
		files:  make([]*os.File, groups),
		bufs:   make([]*bufio.Writer, groups),
		counts: make([]int64, days),
	}, nil
}

func (s *spill) add(day int, supplier int, id estate.DeviceID) error {
	g := day / spillGroupDays
	if s.files[g] == nil {
		f, err := os.Create(fmt.Sprintf("%s/week-%04d", s.dir, g))
		if err != nil {
			return fmt.Errorf("churn spill file: %w", err)
		}
		s.files[g], s.bufs[g] = f, bufio.NewWriterSize(f, 32<<10)
	}
	// The record lives in the spill: a local array would escape to the heap
	// through Write, one allocation per row.
	binary.LittleEndian.PutUint16(s.rec[0:], uint16(day))
	s.rec[2] = byte(supplier)
	binary.LittleEndian.PutUint64(s.rec[3:], uint64(id))
	s.counts[day]++
	_, err := s.bufs[g].Write(s.rec[:])
	return err
}

// writeSorted writes every row as a churn CSV line, by day; start is the day
// number of day 0 and suppliers the codes by index.
func (s *spill) writeSorted(w *bufio.Writer, start int, suppliers []string) (int64, error) {
	var (
		rows int64
		line []byte
		r    = bufio.NewReaderSize(nil, 64<<10)
		rec  [spillRecord]byte
	)
	for g, f := range s.files {
		if f == nil {
			continue
		}
		if err := s.bufs[g].Flush(); err != nil {
			return rows, fmt.Errorf("churn spill: %w", err)
		}
		for day := g * spillGroupDays; day < min((g+1)*spillGroupDays, len(s.counts)); day++ {
			if s.counts[day] == 0 {
				continue
			}
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				return rows, fmt.Errorf("churn spill: %w", err)
			}
			r.Reset(f)
			date := appendDate(nil, start+day)
			for {
				if _, err := io.ReadFull(r, rec[:]); err == io.EOF {
					break
				} else if err != nil {
					return rows, fmt.Errorf("churn spill: %w", err)
				}
				if int(binary.LittleEndian.Uint16(rec[0:])) != day {
					continue
				}
				line, _ = estate.DeviceID(binary.LittleEndian.Uint64(rec[3:])).AppendText(line[:0])
				line = append(line, ',')
				line = append(line, suppliers[rec[2]]...)
				line = append(line, ',')
				line = append(line, date...)
				line = append(line, '\n')
				if _, err := w.Write(line); err != nil {
					return rows, err
				}
				rows++
			}
		}
	}
	return rows, nil
}

// close removes the spill files.
func (s *spill) close() error {
	for _, f := range s.files {
		if f != nil {
			f.Close()
		}
	}
	return os.RemoveAll(s.dir)
}
