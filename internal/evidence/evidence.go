// Package evidence checks and hashes the files people attach to records:
// signed contracts, assessment evidence, Directors' Letters. A file is typed
// by its content (its name's extension must agree), refused when it is a
// program, markup or anything else not on the list, and identified by the
// SHA-256 of its bytes, which is stored with it and served as its Digest.
// Areas store the bytes in their own tables; this package owns no table.
package evidence

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/gzipped"
)

// PDF is the media type of a PDF document.
const PDF = "application/pdf"

// File is a checked file: its name, type, size and hash, and its bytes.
type File struct {
	Name      string
	MediaType string
	Size      int64
	SHA256    string
	Content   []byte
}

// Read reads a file whole from body (at most MaxSize bytes, so its type and
// hash are known before anything is stored), types it by content and hashes
// it.
func Read(name string, body io.Reader) (File, error) {
	content, err := io.ReadAll(io.LimitReader(body, MaxSize+1))
	if err != nil {
		// An HTTP body over its limit arrives here as *http.MaxBytesError,
		// which the web layer turns into 413.
		return File{}, errs.Wrap(err, "read file")
	}
	if len(content) > MaxSize {
		return File{}, errs.E(errs.TooLarge, "files may be at most %d bytes (10 MiB)", MaxSize)
	}
	name = strings.TrimSpace(name)
	mt, err := Sniff(name, content)
	if err != nil {
		return File{}, err
	}
	return File{Name: name, MediaType: mt, Size: int64(len(content)), SHA256: Hash(content), Content: content}, nil
}

// Hash is the hex SHA-256 of content.
func Hash(content []byte) string {
	sum := sha256.Sum256(content)
	return hex.EncodeToString(sum[:])
}

// MaxSize is the largest evidence file accepted: a signed contract
// or letter scanned to PDF fits easily; anything larger belongs elsewhere.
const MaxSize = 10 << 20

// fileType is a kind of evidence file accepted, recognised by its content.
type fileType struct {
	mediaType string
	label     string
	exts      []string
}

// The accepted types: documents people sign and scan. Anything else,
// HTML and SVG included (they can carry scripts), is refused.
var (
	typePDF  = fileType{"application/pdf", "a PDF document", []string{".pdf"}}
	typePNG  = fileType{"image/png", "a PNG image", []string{".png"}}
	typeJPEG = fileType{"image/jpeg", "a JPEG image", []string{".jpg", ".jpeg"}}
	typeText = fileType{"text/plain; charset=utf-8", "plain text", []string{".txt", ".text", ".md"}}
	typeDOCX = fileType{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "a Word document (DOCX)", []string{".docx"}}
)

// AcceptedTypes describes the accepted evidence files, for forms and errors.
const AcceptedTypes = "PDF, PNG, JPEG, plain text (UTF-8) or Word (DOCX), at most 10 MiB"

// Sniff decides what a file is from its content alone, then checks
// that its name's extension agrees: a file whose name claims one type and
// whose bytes are another is disguised, and refused. It returns the media
// type to store and serve the file with.
func Sniff(name string, content []byte) (string, error) {
	if m := checkFileName(name); m != "" {
		return "", errs.FieldError("name", "%s", m)
	}
	if len(content) == 0 {
		return "", errs.FieldError("file", "is empty")
	}
	if len(content) > MaxSize {
		return "", errs.E(errs.TooLarge, "the file is %d bytes; evidence files may be at most %d bytes (10 MiB)", len(content), MaxSize)
	}
	ft, why := sniff(content)
	if ft == nil {
		return "", errs.FieldError("file", "%s: evidence must be %s", why, AcceptedTypes)
	}
	ext := strings.ToLower(path.Ext(name))
	if !slices.Contains(ft.exts, ext) {
		if ext == "" {
			return "", errs.FieldError("name", "%q has no extension: the content is %s, so name it with %s", name, ft.label, ft.exts[0])
		}
		return "", errs.FieldError("file", "the name %q says %s but the content is %s: a disguised file is refused", name, ext, ft.label)
	}
	return ft.mediaType, nil
}

// checkFileName accepts a plain file name: no directories, no control
// characters, at most 200 characters, not hidden.
func checkFileName(name string) string {
	switch {
	case name == "":
		return "the file needs a name"
	case !utf8.ValidString(name):
		return "the name is not valid UTF-8"
	case utf8.RuneCountInString(name) > 200:
		return "the name is too long (at most 200 characters)"
	case strings.ContainsAny(name, "/\\"):
		return "the name must not contain / or \\"
	case strings.HasPrefix(name, "."):
		return "the name must not start with a dot"
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return "the name contains a control character"
		}
	}
	return ""
}

// sniff recognises the content, or says what it seems to be instead.
func sniff(b []byte) (*fileType, string) {
	switch {
	case bytes.HasPrefix(b, []byte("%PDF-")):
		// A PDF ends with %%EOF (possibly followed by a line end); one that
		// does not is truncated or something else wearing a PDF header.
		tail := b[max(0, len(b)-1024):]
		if !bytes.Contains(tail, []byte("%%EOF")) {
			return nil, "the file starts like a PDF but has no end-of-file marker (truncated or not a PDF)"
		}
		return &typePDF, ""
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		if len(b) < 16 || !bytes.Equal(b[12:16], []byte("IHDR")) {
			return nil, "the file has a PNG signature but no image header"
		}
		return &typePNG, ""
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		if len(b) < 4 {
			return nil, "the file is a truncated JPEG"
		}
		return &typeJPEG, ""
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return sniffZip(b)
	case bytes.HasPrefix(b, []byte("MZ")):
		return nil, "the file is a Windows program"
	case bytes.HasPrefix(b, []byte("\x7fELF")):
		return nil, "the file is a program (ELF)"
	case bytes.HasPrefix(b, []byte("GIF8")):
		return nil, "the file is a GIF image"
	case bytes.HasPrefix(b, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return nil, "the file is an old Office document (DOC/XLS)"
	case gzipped.Is(b):
		return nil, "the file is gzip-compressed"
	}
	return sniffText(b)
}

// sniffZip accepts a Word document: a ZIP holding [Content_Types].xml and
// word/document.xml. Only the central directory is read, so a ZIP bomb costs
// nothing; macro-enabled documents are refused.
func sniffZip(b []byte) (*fileType, string) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, "the file starts like a ZIP archive but cannot be read as one"
	}
	var types, doc bool
	for _, f := range zr.File {
		switch strings.ToLower(f.Name) {
		case "[content_types].xml":
			types = true
		case "word/document.xml":
			doc = true
		case "word/vbaproject.bin":
			return nil, "the file is a Word document with macros"
		}
	}
	if !types || !doc {
		return nil, "the file is a ZIP archive, not a Word document"
	}
	return &typeDOCX, ""
}

// sniffText accepts UTF-8 text without NUL or other control characters
// (tab, line ends and form feed aside) that is not HTML, SVG or XML.
func sniffText(b []byte) (*fileType, string) {
	t := bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
	if !utf8.Valid(t) {
		return nil, "the file is binary data of no accepted type"
	}
	for _, r := range string(t) {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r' && r != '\f') || r == 0x7f {
			return nil, "the file is binary data of no accepted type (it holds control characters)"
		}
	}
	head := strings.ToLower(string(bytes.TrimLeft(t[:min(len(t), 1024)], " \t\r\n\f")))
	for _, markup := range []string{"<!doctype", "<html", "<?xml", "<svg", "<script", "<head", "<body", "<iframe"} {
		if strings.HasPrefix(head, markup) || strings.Contains(head, markup) && strings.HasPrefix(head, "<") {
			return nil, "the file is HTML or XML markup, which is not accepted as plain text"
		}
	}
	return &typeText, ""
}
