// Package gzipped recognises gzip-compressed input by its magic bytes: CSV
// imports are accepted plain or gzip-compressed without the sender saying
// which, on the command line and over HTTP alike, and evidence uploads refuse
// compressed files.
package gzipped

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
)

// magic is how every gzip stream starts (RFC 1952, ID1 ID2).
var magic = []byte{0x1f, 0x8b}

// Is reports whether b starts as a gzip stream does.
func Is(b []byte) bool { return bytes.HasPrefix(b, magic) }

// Open returns what br holds, decompressed when it starts with the gzip
// magic bytes, and whether it was. The error is gzip.NewReader's (a bad
// header) for the caller to put in its own words.
func Open(br *bufio.Reader) (r io.Reader, compressed bool, err error) {
	head, _ := br.Peek(len(magic))
	if !Is(head) {
		return br, false, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, true, err
	}
	return zr, true, nil
}
