package web

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"unicode/utf8"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/gzipped"
)

// Uploads are decoded in one place, here: every upload route passes its file
// through openUpload, so a broken upload is the client's error (400 with a
// problem document) on every route, whichever service reads it and however
// deep in that service the read fails. Before this, a truncated gzip file
// surfaced as a read error in the middle of the vulnerability import and
// answered 500.

// openUpload returns the upload's content: decompressed if it starts with the
// gzip magic bytes (clients may send CSV or CSV.gz without saying which) and,
// when text is set (CSV and JSON files), checked to be UTF-8 as it streams.
// A bad gzip header fails here; a stream that breaks later (truncated,
// corrupt, a checksum that does not match) or bytes that are not UTF-8 fail
// the Read that meets them, with an errs.Invalid error that carries no field
// list, so the problem document's status is 400. A body over its size limit
// still fails with the *http.MaxBytesError, which the web layer answers 413.
func openUpload(rc io.ReadCloser, text bool) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(rc, 64<<10)
	r, compressed, err := gzipped.Open(br)
	if err != nil {
		return nil, gzipError(err)
	}
	if compressed {
		r = &gunzipReader{zr: r}
	}
	if text {
		r = &utf8Reader{r: r}
	}
	return struct {
		io.Reader
		io.Closer
	}{r, rc}, nil
}

// uploadBody returns the body of a text file upload (CSV or JSON), limited to
// max bytes and decoded by openUpload.
func uploadBody(w http.ResponseWriter, r *http.Request, max int64) (io.ReadCloser, error) {
	return openUpload(http.MaxBytesReader(w, r.Body, max), true)
}

// gzipError says what is wrong with a gzip stream in the client's terms. A
// body over its limit keeps its own error.
func gzipError(err error) error {
	var mbe *http.MaxBytesError
	var corrupt flate.CorruptInputError
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return errs.E(errs.Invalid, "the upload is gzip-compressed but ends early: the file is truncated")
	case errors.Is(err, gzip.ErrHeader):
		return errs.E(errs.Invalid, "the upload looks like gzip but its header is not valid gzip")
	case errors.Is(err, gzip.ErrChecksum):
		return errs.E(errs.Invalid, "the upload is gzip-compressed but its checksum does not match: the file is corrupt")
	case errors.As(err, &corrupt):
		return errs.E(errs.Invalid, "the upload is gzip-compressed but its compressed data is corrupt (at byte %d)", int64(corrupt))
	}
	return errs.E(errs.Invalid, "the gzip-compressed upload could not be read: %v", err)
}

// gunzipReader turns the gzip reader's failures into gzipError's.
type gunzipReader struct{ zr io.Reader }

func (g *gunzipReader) Read(p []byte) (int, error) {
	n, err := g.zr.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = gzipError(err)
	}
	return n, err
}

// utf8Reader passes bytes through, failing at the first that is not UTF-8. A
// character split across two reads is passed on but remembered, and checked
// when the rest arrives; a file ending in the middle of one is not UTF-8
// either.
type utf8Reader struct {
	r       io.Reader
	partial [utf8.UTFMax]byte // the start of a character cut off by the last read
	np      int
	offset  int64 // bytes passed on before this read
	err     error
}

func (u *utf8Reader) Read(p []byte) (int, error) {
	if u.err != nil {
		return 0, u.err
	}
	n, err := u.r.Read(p)
	b := p[:n]
	if u.np > 0 && n > 0 {
		// Complete the character the last read cut off.
		var buf [utf8.UTFMax]byte
		k := copy(buf[:], u.partial[:u.np])
		used := 0
		for !utf8.FullRune(buf[:k]) && used < len(b) {
			buf[k] = b[used]
			k++
			used++
		}
		if utf8.FullRune(buf[:k]) {
			if r, size := utf8.DecodeRune(buf[:k]); r == utf8.RuneError && size <= 1 || size != k {
				return u.fail(u.offset - int64(u.np))
			}
			u.np = 0
		} else {
			u.np = copy(u.partial[:], buf[:k])
		}
		u.offset += int64(used)
		b = b[used:]
	}
	// Remember a character cut off at the end of this read.
	end := len(b)
	for j := len(b) - 1; j >= 0 && j > len(b)-utf8.UTFMax; j-- {
		if utf8.RuneStart(b[j]) {
			if !utf8.FullRune(b[j:]) {
				end = j
			}
			break
		}
	}
	if !utf8.Valid(b[:end]) {
		at := 0
		for at < end {
			r, size := utf8.DecodeRune(b[at:end])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			at += size
		}
		return u.fail(u.offset + int64(at))
	}
	if end < len(b) {
		u.np = copy(u.partial[:], b[end:])
	}
	u.offset += int64(len(b))
	if errors.Is(err, io.EOF) && u.np > 0 {
		return u.fail(u.offset - int64(u.np))
	}
	return n, err
}

func (u *utf8Reader) fail(at int64) (int, error) {
	u.err = errs.E(errs.Invalid, "the upload is not UTF-8 text: the bytes at offset %d are not a UTF-8 character", at)
	return 0, u.err
}
