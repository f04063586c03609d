package meeting

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/store"
)

// MaxPaperSize is the largest paper accepted, as for arrangement evidence:
// a paper is a document, not a data set.
const MaxPaperSize = 10 << 20

// acceptedPaper lists the media types a paper may have, as the content
// says (never the name): documents, never HTML or SVG, which carry scripts.
var acceptedPaper = map[string]bool{
	"application/pdf": true, "text/plain; charset=utf-8": true, "image/png": true, "image/jpeg": true,
	"application/zip": true, // DOCX, XLSX, PPTX
}

func checkPaperName(name string) error {
	switch {
	case name == "":
		return errs.FieldError("name", "the paper needs a file name")
	case !utf8.ValidString(name) || utf8.RuneCountInString(name) > 200:
		return errs.FieldError("name", "the name must be valid UTF-8 of at most 200 characters")
	case strings.ContainsAny(name, "/\\") || strings.HasPrefix(name, "."):
		return errs.FieldError("name", "the name must be a plain file name (no / or \\, not starting with a dot)")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return errs.FieldError("name", "the name contains a control character")
		}
	}
	return nil
}

// AddPaper stores a paper for an item, hashed. body is read up to one byte
// past the limit, so an oversized paper is refused without being stored.
func (s *Service) AddPaper(ctx context.Context, c access.Caller, itemID int64, name string, body io.Reader) (Paper, error) {
	if err := mustManage(c); err != nil {
		return Paper{}, err
	}
	name = strings.TrimSpace(name)
	if err := checkPaperName(name); err != nil {
		return Paper{}, err
	}
	content, err := io.ReadAll(io.LimitReader(body, MaxPaperSize+1))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || len(content) > MaxPaperSize {
		return Paper{}, errs.E(errs.TooLarge, "papers may be at most %d bytes (10 MiB)", MaxPaperSize)
	}
	if err != nil {
		return Paper{}, errs.Wrap(err, "read paper")
	}
	if len(content) == 0 {
		return Paper{}, errs.FieldError("file", "is empty")
	}
	mt := http.DetectContentType(content)
	if !acceptedPaper[mt] {
		return Paper{}, errs.FieldError("file", "the content is %s; a paper must be PDF, plain text, PNG, JPEG or an Office document", mt)
	}
	sum := sha256.Sum256(content)
	p := Paper{ItemID: itemID, Name: name, MediaType: mt, Size: int64(len(content)), SHA256: hex.EncodeToString(sum[:]), UploadedBy: c.Name}
	err = s.DB.Write(ctx, c, func(tx *store.Tx) error {
		if _, err := findItem(ctx, tx, c, itemID); err != nil {
			return err
		}
		var dup int
		tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM meeting_papers WHERE item_id = $1 AND sha256 = $2", itemID, p.SHA256).Scan(&dup)
		if dup > 0 {
			return errs.E(errs.Conflict, "this paper (SHA-256 %s) is already tabled for the item", p.SHA256)
		}
		p.UploadedAt = tx.Now
		if err := tx.QueryRowContext(ctx, `INSERT INTO meeting_papers (item_id, name, media_type, size, sha256, content, uploaded_at, uploaded_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, itemID, p.Name, p.MediaType, p.Size, p.SHA256, content, tx.Now, p.UploadedBy).Scan(&p.ID); err != nil {
			return errs.Wrap(err, "store paper")
		}
		return audit.Record(ctx, tx, "meeting_item.paper", KindItem, itemID, p)
	})
	return p, err
}

// PaperFile returns a paper and its content, if the caller may see its item.
func (s *Service) PaperFile(ctx context.Context, c access.Caller, id int64) (Paper, []byte, error) {
	var args access.Args
	cond := "p.id = " + args.Add(id) + " AND " + c.Visible(&args, KindItem, "i", "i.party_id")
	var p Paper
	var content []byte
	err := s.DB.QueryRowContext(ctx, `SELECT p.id, p.item_id, p.name, p.media_type, p.size, p.sha256, p.uploaded_at, p.uploaded_by, p.content
		FROM meeting_papers p JOIN meeting_items i ON i.id = p.item_id WHERE `+cond, args...).
		Scan(&p.ID, &p.ItemID, &p.Name, &p.MediaType, &p.Size, &p.SHA256, &p.UploadedAt, &p.UploadedBy, &content)
	if err != nil {
		return p, nil, errs.NotFoundf("paper", id)
	}
	return p, content, nil
}

// NewLink links an item to another area's record.
type NewLink struct {
	Kind string `json:"kind"`
	Key  string `json:"key"`
}

// AddLink links an item to a record the caller may see. A record it may
// not see is refused exactly as a missing one.
func (s *Service) AddLink(ctx context.Context, c access.Caller, itemID int64, in NewLink) (Item, error) {
	if err := mustManage(c); err != nil {
		return Item{}, err
	}
	in.Kind, in.Key = strings.TrimSpace(in.Kind), strings.TrimSpace(in.Key)
	if _, ok := resolver(in.Kind); !ok {
		return Item{}, errs.FieldError("kind", "records of kind %q cannot be linked (one of %s)", in.Kind, strings.Join(LinkKinds(), ", "))
	}
	if _, ok, err := resolve(ctx, s.DB, c, in.Kind, in.Key); err != nil {
		return Item{}, err
	} else if !ok {
		return Item{}, errs.NotFoundf(in.Kind, in.Key)
	}
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		if _, err := findItem(ctx, tx, c, itemID); err != nil {
			return err
		}
		var dup int
		tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM meeting_item_links WHERE item_id = $1 AND record_kind = $2 AND record_key = $3", itemID, in.Kind, in.Key).Scan(&dup)
		if dup > 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO meeting_item_links (item_id, record_kind, record_key) VALUES ($1, $2, $3)", itemID, in.Kind, in.Key); err != nil {
			return errs.Wrap(err, "link record")
		}
		return audit.Record(ctx, tx, "meeting_item.link", KindItem, itemID, in)
	})
	if err != nil {
		return Item{}, err
	}
	return s.Item(ctx, c, itemID)
}
