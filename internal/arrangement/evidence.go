package arrangement

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/store"
)

// MaxEvidenceSize is the largest evidence file accepted: a signed contract
// or letter scanned to PDF fits easily; anything larger belongs elsewhere.
const MaxEvidenceSize = 10 << 20

// Evidence is a file proving an arrangement: a signed contract, a Letter of
// Intent, the SSC's confirmation.
type Evidence struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	MediaType  string    `json:"media_type"`
	Size       int64     `json:"size"`
	SHA256     string    `json:"sha256"`
	UploadedAt time.Time `json:"uploaded_at"`
	UploadedBy string    `json:"uploaded_by"`
}

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

// SniffEvidence decides what a file is from its content alone, then checks
// that its name's extension agrees: a file whose name claims one type and
// whose bytes are another is disguised, and refused. It returns the media
// type to store and serve the file with.
func SniffEvidence(name string, content []byte) (string, error) {
	if m := checkFileName(name); m != "" {
		return "", errs.FieldError("name", "%s", m)
	}
	if len(content) == 0 {
		return "", errs.FieldError("file", "is empty")
	}
	if len(content) > MaxEvidenceSize {
		return "", errs.E(errs.TooLarge, "the file is %d bytes; evidence files may be at most %d bytes (10 MiB)", len(content), MaxEvidenceSize)
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
	case bytes.HasPrefix(b, []byte{0x1F, 0x8B}):
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

// AddEvidence attaches a file to an arrangement: its parties and the SSC may.
// The body is read whole (it is at most MaxEvidenceSize) so that its type and
// hash are known before anything is stored.
func (s *Service) AddEvidence(ctx context.Context, c access.Caller, ref, name string, body io.Reader) (Evidence, error) {
	content, err := io.ReadAll(io.LimitReader(body, MaxEvidenceSize+1))
	if err != nil {
		// An HTTP body over its limit arrives here as *http.MaxBytesError,
		// which the web layer turns into 413.
		return Evidence{}, errs.Wrap(err, "read evidence")
	}
	if len(content) > MaxEvidenceSize {
		return Evidence{}, errs.E(errs.TooLarge, "evidence files may be at most %d bytes (10 MiB)", MaxEvidenceSize)
	}
	name = strings.TrimSpace(name)
	mt, err := SniffEvidence(name, content)
	if err != nil {
		return Evidence{}, err
	}
	sum := sha256.Sum256(content)
	ev := Evidence{Name: name, MediaType: mt, Size: int64(len(content)), SHA256: hex.EncodeToString(sum[:])}
	err = s.DB.Write(ctx, c, func(tx *store.Tx) error {
		a, err := s.get(ctx, tx, c, ref)
		if err != nil {
			return err
		}
		if !mayChange(c, a.partyIDs()) {
			return errs.E(errs.Forbidden, "only the parties to an arrangement, the SSC and the secretariat may add evidence to it")
		}
		ev.UploadedAt, ev.UploadedBy = tx.Now, c.Name
		err = tx.QueryRowContext(ctx, `INSERT INTO arrangement_evidence (arrangement_id, name, media_type, size, sha256, content, uploaded_at, uploaded_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, a.ID, ev.Name, ev.MediaType, ev.Size, ev.SHA256, content,
			tx.Now, c.Name).Scan(&ev.ID)
		if store.IsUniqueViolation(err) {
			return errs.E(errs.Conflict, "this file (SHA-256 %s) is already attached to %s", ev.SHA256, a.Reference)
		}
		if err != nil {
			return errs.Wrap(err, "store evidence")
		}
		return audit.Record(ctx, tx, "arrangement.evidence", RecordKind, a.Reference, ev)
	})
	return ev, err
}

func evidenceOf(ctx context.Context, q store.Querier, id int64) ([]Evidence, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, name, media_type, size, sha256, uploaded_at, uploaded_by
		FROM arrangement_evidence WHERE arrangement_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, errs.Wrap(err, "list evidence")
	}
	defer rows.Close()
	var out []Evidence
	for rows.Next() {
		var e Evidence
		if err := rows.Scan(&e.ID, &e.Name, &e.MediaType, &e.Size, &e.SHA256, &e.UploadedAt, &e.UploadedBy); err != nil {
			return nil, errs.Wrap(err, "list evidence")
		}
		e.UploadedAt = e.UploadedAt.UTC()
		out = append(out, e)
	}
	return out, errs.Wrap(rows.Err(), "list evidence")
}

// EvidenceFile returns one evidence file with its content, if the caller may
// see its arrangement.
func (s *Service) EvidenceFile(ctx context.Context, c access.Caller, ref string, id int64) (Evidence, []byte, error) {
	var args access.Args
	q := `SELECT e.id, e.name, e.media_type, e.size, e.sha256, e.uploaded_at, e.uploaded_by, e.content
		FROM arrangement_evidence e JOIN arrangements a ON a.id = e.arrangement_id
		WHERE e.id = ` + args.Add(id) + ` AND a.reference = ` + args.Add(strings.TrimSpace(ref)) + ` AND ` +
		c.Visible(&args, RecordKind, "a", "a.supplier_id", "a.map_id", "a.manufacturer_id")
	var e Evidence
	var content []byte
	err := s.DB.QueryRowContext(ctx, q, args...).Scan(&e.ID, &e.Name, &e.MediaType, &e.Size, &e.SHA256, &e.UploadedAt, &e.UploadedBy, &content)
	if err == sql.ErrNoRows {
		return e, nil, errs.NotFoundf("evidence file", fmt.Sprintf("%s/%d", ref, id))
	}
	if err != nil {
		return e, nil, errs.Wrap(err, "read evidence")
	}
	e.UploadedAt = e.UploadedAt.UTC()
	return e, content, nil
}
