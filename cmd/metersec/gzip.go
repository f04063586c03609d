package main

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
)

// gunzipMaybe decompresses r if it starts with the gzip magic bytes.
func gunzipMaybe(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	head, _ := br.Peek(2)
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("the file looks like gzip but cannot be read: %w", err)
		}
		return zr, nil
	}
	return br, nil
}
