package web

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/metersec/metersec/internal/errs"
)

// decodeJSON reads a JSON request body into v: the media type must be JSON,
// the body at most s.MaxBody bytes, one value with no unknown fields.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return errs.E(errs.Unsupported, "send the body as application/json")
	}
	var raw json.RawMessage
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.MaxBody))
	if err := dec.Decode(&raw); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errs.E(errs.Invalid, "the body must hold one JSON value and nothing after it")
	}
	// A null body decodes into nothing at all, silently: a PUT of null
	// once replaced a vulnerability's audience with nobody. Every body is
	// a JSON object (or, for the few that take one, a list).
	if string(raw) == "null" {
		return errs.E(errs.Invalid, "the body is null: send a JSON object")
	}
	dec = json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	return nil
}

// jsonError explains a decoding failure in terms of the request.
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return errs.E(errs.TooLarge, "the request body is larger than %d bytes", mbe.Limit)
	case errors.As(err, &syn):
		return errs.E(errs.Invalid, "the body is not valid JSON (at byte %d): %v", syn.Offset, syn)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the body"
		}
		return errs.FieldError(field, "must be %s, not %s", kindName(typ.Type.Kind().String()), typ.Value)
	case errors.Is(err, io.EOF):
		return errs.E(errs.Invalid, "the body is empty: send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errs.E(errs.Invalid, "the body ends in the middle of a JSON value")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		name, _ = strconv.Unquote(name)
		return errs.FieldError(name, "is not a field this request accepts")
	}
	return errs.E(errs.Invalid, "the body could not be read: %v", err)
}

func kindName(k string) string {
	switch k {
	case "string":
		return "a string"
	case "slice", "array":
		return "a list"
	case "struct", "map":
		return "an object"
	case "bool":
		return "true or false"
	}
	if strings.HasPrefix(k, "int") || strings.HasPrefix(k, "uint") || strings.HasPrefix(k, "float") {
		return "a number"
	}
	return "a " + k
}

// writeJSON writes v as the response. A listing (list, spliced) is
// written item by item: encoding/json builds a whole document in memory,
// and twice over to indent it, which for the SSC's national coverage (31 MB
// of JSON at a million Devices) was a 190 MB transient of the heap per
// request, the peak of the load test's soak.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if s, ok := v.(jsonStreamer); ok {
		bw := bufio.NewWriterSize(w, 64<<10)
		if err := s.streamJSON(bw); err != nil {
			return fmt.Errorf("write response: %w", err)
		}
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("write response: %w", err)
		}
		return nil
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write response: %w", err)
	}
	return nil
}

// jsonStreamer writes itself as writeJSON would encode it, byte for byte,
// without holding the whole document.
type jsonStreamer interface {
	streamJSON(w io.Writer) error
}

// spliced is head, an object one of whose top-level fields (field, its JSON
// name) is a slice left empty in head, with that slice's items: written as
// head with the items in place, one at a time.
type spliced[T any] struct {
	head  any
	field string
	items []T
}

func (s spliced[T]) streamJSON(w io.Writer) error {
	var head bytes.Buffer
	enc := json.NewEncoder(&head)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s.head); err != nil {
		return err
	}
	marker := []byte("\n  \"" + s.field + "\": []")
	i := bytes.Index(head.Bytes(), marker)
	if i < 0 {
		return fmt.Errorf("the field %q is not an empty list in the head", s.field)
	}
	cut := i + len(marker) - 1 // before the "]"
	if _, err := w.Write(head.Bytes()[:cut]); err != nil {
		return err
	}
	// One encoder for every item, so its buffers are reused: the most
	// held at once is about twice the largest item.
	var buf bytes.Buffer
	ienc := json.NewEncoder(&buf)
	ienc.SetIndent("    ", "  ")
	for j, item := range s.items {
		buf.Reset()
		if err := ienc.Encode(item); err != nil {
			return err
		}
		b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		sep := "\n    "
		if j > 0 {
			sep = ",\n    "
		}
		if _, err := io.WriteString(w, sep); err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	if len(s.items) > 0 {
		if _, err := io.WriteString(w, "\n  "); err != nil {
			return err
		}
	}
	_, err := w.Write(head.Bytes()[cut:])
	return err
}

// list wraps a listing so the response is always an object that can grow.
type list[T any] struct {
	Items []T `json:"items"`
}

func (l list[T]) streamJSON(w io.Writer) error {
	if l.Items == nil { // null, as encoding/json writes it
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(l)
	}
	return spliced[T]{head: list[T]{Items: []T{}}, field: "items", items: l.Items}.streamJSON(w)
}

func listOf[T any](items []T) list[T] {
	if items == nil {
		items = []T{}
	}
	return list[T]{Items: items}
}
