package web_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/store/storetest"
)

// TestUploadsRefuseBrokenEncodings sends every upload route in the route
// table files whose compression or text encoding is broken: each must answer
// 400 (a problem document on the API), never 500, and never 422 as if the
// file's rows were at fault. Before the one upload decoder, a truncated gzip
// file sent to the vulnerability import answered 500.
func TestUploadsRefuseBrokenEncodings(t *testing.T) {
	// Every fault lies in the file's first line (there is no newline), so
	// it is met while the header is read, before any check of the columns;
	// and the text is long enough that its compressed form spans several
	// reads, so a cut lands in the middle of the stream, not in its header.
	var text strings.Builder
	text.WriteString("code")
	for i := range 8000 {
		fmt.Fprintf(&text, ",c%d-%x", i, i*104729)
	}
	gzipped := func(b string) []byte {
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write([]byte(b))
		zw.Close()
		return gz.Bytes()
	}
	whole := gzipped(text.String())
	corrupt := bytes.Clone(whole)
	for i := 40; i < len(corrupt)-8; i += 97 {
		corrupt[i] ^= 0x5a
	}
	broken := map[string][]byte{
		"truncated gzip":          whole[:len(whole)/2],
		"gzip cut in its header":  whole[:6],
		"bad gzip header":         append([]byte{0x1f, 0x8b, 0x07, 0x00}, whole[4:]...),
		"corrupt gzip data":       corrupt,
		"Latin-1, not UTF-8":      []byte("code,name,Caf\xe9 Ltd,manufacturer"),
		"Latin-1 inside gzip":     gzipped("code,name,Caf\xe9 Ltd,manufacturer"),
		"UTF-8 cut mid-character": []byte("code,name,roles,Caf\xc3"),
	}
	// uploadOn names, for the text uploads that act on a record or need a
	// parameter, a real record and a caller allowed to use the route, so
	// that the file is really read: on a placeholder id, or without the
	// parameter, the route answers before it reads a byte.
	uploadOn := map[string]func(w *world) (*viewer, string){
		"PUT /api/v1/sec/releases": func(w *world) (*viewer, string) {
			return w.byRole["secretariat"], "/api/v1/sec/releases?reason=broken+encodings"
		},
		"POST /api/v1/triage/facilities/{id}/intake": func(w *world) (*viewer, string) {
			return w.byRole["triage"], fmt.Sprintf("/api/v1/triage/facilities/%d/intake", w.ids[marker("tfacility", "F1")])
		},
		"POST /triage/facilities/{id}/intake": func(w *world) (*viewer, string) {
			return w.byRole["triage"], fmt.Sprintf("/triage/facilities/%d/intake", w.ids[marker("tfacility", "F1")])
		},
	}
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			w := newWorld(t, engine)
			n := 0
			for _, rt := range w.srv.Routes() {
				if !rt.Upload {
					continue
				}
				n++
				caller, path := w.byRole["ssc"], strings.NewReplacer("{ref}", "NO-SUCH-REF").Replace(rt.Path)
				if on := uploadOn[rt.Pattern()]; on != nil {
					caller, path = on(w)
				} else if !rt.StoredAsSent && strings.Contains(path, "{") {
					t.Errorf("%s: give it a real record and a caller in uploadOn, or its file is never read", rt.Pattern())
					continue
				}
				if rt.API {
					sep := "?"
					if strings.Contains(path, "?") {
						sep = "&"
					}
					path += sep + "name=evidence.csv"
				}
				for name, b := range broken {
					ct, body := "application/octet-stream", b
					if !rt.API {
						ct, body = multipartFile(t, "file", "evidence.csv", b)
					}
					status, hdr, got := w.doRaw(caller, rt.Method, path, ct, body)
					gotCT := hdr.Get("Content-Type")
					if rt.StoredAsSent {
						// Evidence, papers and letters are stored as sent, in
						// any of their accepted types: there is nothing to
						// decompress or decode, and a file that is not one of
						// them is refused as such.
						if status >= 500 || status < 400 {
							t.Errorf("%s with %s: status %d: %.300s", rt.Pattern(), name, status, got)
						}
						continue
					}
					if status != http.StatusBadRequest {
						t.Errorf("%s with %s: status %d, want 400: %.300s", rt.Pattern(), name, status, got)
						continue
					}
					if rt.API && (gotCT != "application/problem+json" || !strings.Contains(got, `"status":400`)) {
						t.Errorf("%s with %s: not a problem document: %s %.300s", rt.Pattern(), name, gotCT, got)
					}
					if !strings.Contains(got, "gzip") && !strings.Contains(got, "UTF-8") {
						t.Errorf("%s with %s: the answer does not say what is wrong: %.300s", rt.Pattern(), name, got)
					}
				}
			}
			if n < 10 {
				t.Errorf("only %d upload routes found", n)
			}
		})
	}
}
