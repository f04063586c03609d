package main

import (
	"bufio"
	"fmt"
	"io"

	"github.com/metersec/metersec/internal/gzipped"
)

// gunzipMaybe decompresses r if it starts with the gzip magic bytes.
func gunzipMaybe(r io.Reader) (io.Reader, error) {
	r, _, err := gzipped.Open(bufio.NewReaderSize(r, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("the file looks like gzip but cannot be read: %w", err)
	}
	return r, nil
}
