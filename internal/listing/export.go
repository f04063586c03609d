package listing

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Writer streams an export row by row: CSV with a header line, or a JSON
// array, never holding the whole list. A list's service calls Row for each
// row as it scans it, then Close.
type Writer interface {
	// Row writes one row: cells for CSV (in the header's order), v for JSON.
	Row(cells []string, v any) error
	Close() error
}

// ContentType is the media type of an export in format.
func ContentType(format string) string {
	if format == "csv" {
		return "text/csv; charset=utf-8"
	}
	return "application/json"
}

// NewWriter starts an export in format ("csv" or "json") on w; header is the
// CSV header line.
func NewWriter(w io.Writer, format string, header []string) (Writer, error) {
	bw := bufio.NewWriterSize(w, 32<<10)
	if format == "csv" {
		cw := csv.NewWriter(bw)
		if err := cw.Write(header); err != nil {
			return nil, err
		}
		return &csvWriter{bw: bw, cw: cw}, nil
	}
	if _, err := bw.WriteString("["); err != nil {
		return nil, err
	}
	return &jsonWriter{bw: bw}, nil
}

type csvWriter struct {
	bw *bufio.Writer
	cw *csv.Writer
	n  int
}

func (c *csvWriter) Row(cells []string, _ any) error {
	for i, s := range cells {
		cells[i] = safeCell(s)
	}
	if err := c.cw.Write(cells); err != nil {
		return err
	}
	c.n++
	if c.n%500 == 0 {
		c.cw.Flush()
		return c.cw.Error()
	}
	return nil
}

func (c *csvWriter) Close() error {
	c.cw.Flush()
	if err := c.cw.Error(); err != nil {
		return err
	}
	return c.bw.Flush()
}

// safeCell keeps a spreadsheet from running a cell as a formula (CSV
// injection): a text cell starting =, +, - or @ gets a leading apostrophe.
// Negative numbers are left alone.
func safeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '@', '\t', '\r':
		return "'" + s
	case '-':
		if strings.TrimLeft(s[1:], "0123456789.") != "" {
			return "'" + s
		}
	}
	return s
}

type jsonWriter struct {
	bw *bufio.Writer
	n  int
}

func (j *jsonWriter) Row(_ []string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("export row: %w", err)
	}
	sep := ",\n"
	if j.n == 0 {
		sep = "\n"
	}
	j.n++
	if _, err := j.bw.WriteString(sep); err != nil {
		return err
	}
	_, err = j.bw.Write(b)
	return err
}

func (j *jsonWriter) Close() error {
	end := "\n]\n"
	if j.n == 0 {
		end = "]\n"
	}
	if _, err := j.bw.WriteString(end); err != nil {
		return err
	}
	return j.bw.Flush()
}
