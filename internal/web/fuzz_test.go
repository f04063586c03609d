package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/party"
)

// FuzzDecodeJSON sends arbitrary bodies through the JSON decoder every API
// handler uses: it must never panic, and every failure must be a client
// error with a message, never an internal one.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"code": "X1", "name": "X", "roles": ["dcc"]}`,
		`{"code": 7}`, `{"colour": "red"}`, `{} {}`, `{"code": "X1",`, `[]`, `null`, `"x"`,
		`{"contacts": [{"name": "A", "email": "a@b.org", "extra": 1}]}`,
	} {
		f.Add(s)
	}
	s := &Server{MaxBody: 1 << 10}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/api/v1/parties", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var in party.NewParty
		err := s.decodeJSON(httptest.NewRecorder(), r, &in)
		if err == nil {
			return
		}
		e := errs.As(err)
		if e.Code == errs.Internal || e.Message == "" {
			t.Fatalf("decoding %q gave %v (%s)", body, err, e.Code)
		}
	})
}

// FuzzOpenUpload sends arbitrary bytes, plain and gzip-compressed, through
// the one upload decoder, read whole and one byte at a time: it must never
// panic; plain input is passed through unchanged exactly when it is UTF-8;
// every failure is a client error (never internal) without a field list, so
// it answers 400; and the two ways of reading agree.
func FuzzOpenUpload(f *testing.F) {
	for _, s := range []string{
		"code,name\nX1,Café\n", "Caf\xe9", "Caf\xc3", "\xc3\xa9", "\xf0\x9f\x98", "\xf0\x9f\x98\x80 ok", "\xed\xa0\x80",
		"\x1f\x8b", "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", "", "\xef\xbb\xbfheader\n",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, in []byte, compress bool) {
		body := in
		if compress {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write(in)
			zw.Close()
			body = b.Bytes()
			if len(in) > 0 {
				body = body[:len(body)-int(in[0])%len(body)] // sometimes truncated
			}
		}
		read := func(oneByte bool) ([]byte, error) {
			rc, err := openUpload(io.NopCloser(bytes.NewReader(body)), true)
			if err != nil {
				return nil, err
			}
			var r io.Reader = rc
			if oneByte {
				r = iotest.OneByteReader(rc)
			}
			return io.ReadAll(r)
		}
		whole, errWhole := read(false)
		_, errOne := read(true)
		for _, err := range []error{errWhole, errOne} {
			if err == nil {
				continue
			}
			if e := errs.As(err); e.Code != errs.Invalid || len(e.Fields) > 0 || e.Message == "" {
				t.Fatalf("%q: %v (%s)", body, err, e.Code)
			}
		}
		if (errWhole == nil) != (errOne == nil) {
			t.Fatalf("%q: read whole %v, one byte at a time %v", body, errWhole, errOne)
		}
		isGzip := len(body) >= 2 && body[0] == 0x1f && body[1] == 0x8b
		if !isGzip {
			if utf8.Valid(body) != (errWhole == nil) {
				t.Fatalf("%q: UTF-8 %v, error %v", body, utf8.Valid(body), errWhole)
			}
			if errWhole == nil && !bytes.Equal(whole, body) {
				t.Fatalf("%q passed as %q", body, whole)
			}
		}
	})
}

// FuzzQueryValues: the small values every route reads from a path, a query
// string or a form: optional dates, whole numbers, Device IDs and a triage
// step's Device ID and step. Never a panic; a refusal is a field error
// naming the field it was read from; what is accepted reads back as itself.
func FuzzQueryValues(f *testing.F) {
	for _, s := range []string{"2024-01-02", " 2024-01-02 ", "", "2024-02-30", "12", "-1", "+3", "0x10", "9223372036854775808",
		"00-11-22-33-44-55-66-77", "0011223344556677", "received", "RECEIVED ", "%zz", "a&b=c",
		"a\x00b", "caf\xff", "caf\u00e9", "\xc3\x28"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		fieldErr := func(what string, err error, fields ...string) {
			t.Helper()
			e := errs.As(err)
			if e.Code != errs.Invalid || len(e.Fields) == 0 {
				t.Fatalf("%s %q: %v (%s) is not a field error", what, v, err, e.Code)
			}
			for _, fe := range e.Fields {
				if !slices.Contains(fields, fe.Field) || fe.Message == "" {
					t.Fatalf("%s %q: error on %q (%q), want one of %q", what, v, fe.Field, fe.Message, fields)
				}
			}
		}
		if d, err := optDate("review_date", v); err != nil {
			fieldErr("date", err, "review_date")
		} else if d.String() != strings.TrimSpace(v) {
			t.Fatalf("date %q read as %q", v, d)
		}

		r := httptest.NewRequest("GET", "/api/v1/meetings?"+url.Values{"limit": {v}}.Encode(), nil)
		if n, err := queryInt(r, "limit"); err != nil {
			fieldErr("limit", err, "limit")
		} else if p, perr := strconv.ParseInt(strings.TrimSpace(v), 10, 64); n < 0 || strings.TrimSpace(v) != "" && (perr != nil || p != n) {
			t.Fatalf("limit %q read as %d", v, n)
		}

		// Every route's check of text (checkText): a NUL or invalid UTF-8
		// in a query or form value is refused, naming the field; any other
		// text passes.
		bad := strings.IndexByte(v, 0) >= 0 || !utf8.ValidString(v)
		form := httptest.NewRequest("POST", "/x?"+url.Values{"limit": {v}}.Encode(), strings.NewReader(url.Values{"title": {v}}.Encode()))
		form.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for name, r := range map[string]*http.Request{"limit": r, "title": form} {
			if name == "title" {
				r.URL.RawQuery = ""
			}
			if err := checkText(r, Route{}); err != nil {
				if !bad {
					t.Fatalf("%s %q refused: %v", name, v, err)
				}
				fieldErr("text", err, name)
			} else if bad {
				t.Fatalf("%s %q passed the text check", name, v)
			}
		}

		if id, err := parseDeviceID(v); err != nil {
			fieldErr("device id", err, "device_id")
		} else if again, err := parseDeviceID(id.String()); err != nil || again != id {
			t.Fatalf("device id %q → %v → %v, %v", v, id, again, err)
		}

		in := stepIn{DeviceID: v, Step: v}
		if st, err := in.parse(); err != nil {
			fieldErr("step", err, "device_id", "step")
		} else if again, err := (stepIn{DeviceID: st.DeviceID.String(), Step: string(st.Step)}).parse(); err != nil ||
			again.DeviceID != st.DeviceID || again.Step != st.Step {
			t.Fatalf("step %q → %v %v → %v, %v", v, st.DeviceID, st.Step, again, err)
		}
	})
}
