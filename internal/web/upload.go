package web

import (
	"bufio"
	"compress/gzip"
	"io"

	"github.com/metersec/metersec/internal/errs"
)

// maybeGunzip returns r, decompressed if it starts with the gzip magic bytes,
// so clients may send CSV or CSV.gz without saying which.
func maybeGunzip(rc io.ReadCloser) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(rc, 64<<10)
	head, _ := br.Peek(2)
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, errs.E(errs.Invalid, "the upload looks like gzip but cannot be read: %v", err)
		}
		return struct {
			io.Reader
			io.Closer
		}{zr, rc}, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{br, rc}, nil
}
