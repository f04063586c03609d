package gzipped

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestOpen(t *testing.T) {
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write([]byte("id,model\n1,A\n"))
	zw.Close()
	for name, c := range map[string]struct {
		in         []byte
		compressed bool
		want       string
		err        error
	}{
		"plain":          {[]byte("id,model\n1,A\n"), false, "id,model\n1,A\n", nil},
		"gzip":           {z.Bytes(), true, "id,model\n1,A\n", nil},
		"empty":          {nil, false, "", nil},
		"one magic byte": {[]byte{0x1f}, false, "\x1f", nil},
		"bad header":     {[]byte{0x1f, 0x8b, 0x07, 0x00, 0, 0, 0, 0, 0, 0}, true, "", gzip.ErrHeader},
	} {
		r, compressed, err := Open(bufio.NewReader(bytes.NewReader(c.in)))
		if compressed != c.compressed || !errors.Is(err, c.err) {
			t.Errorf("%s: compressed %v, error %v; want %v, %v", name, compressed, err, c.compressed, c.err)
			continue
		}
		if err != nil {
			continue
		}
		got, err := io.ReadAll(r)
		if err != nil || string(got) != c.want {
			t.Errorf("%s: read %q, %v; want %q", name, got, err, c.want)
		}
	}
	if !Is(z.Bytes()) || Is([]byte("PK")) || Is(nil) || !strings.HasPrefix(z.String(), "\x1f\x8b") {
		t.Error("Is does not match gzip's magic bytes")
	}
}

func FuzzOpen(f *testing.F) {
	for _, s := range []string{"", "\x1f", "\x1f\x8b", "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", "id\n1\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, compressed, err := Open(bufio.NewReader(bytes.NewReader(b)))
		if compressed != Is(b) {
			t.Fatalf("compressed %v for %q", compressed, b)
		}
		if err == nil {
			io.Copy(io.Discard, r)
		}
	})
}
