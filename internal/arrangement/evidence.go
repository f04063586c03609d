package arrangement

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/evidence"
	"github.com/metersec/metersec/internal/store"
)

// MaxEvidenceSize is the largest evidence file accepted (evidence.MaxSize).
const MaxEvidenceSize = evidence.MaxSize

// AcceptedTypes describes the accepted evidence files, for forms and errors.
const AcceptedTypes = evidence.AcceptedTypes

// Evidence is a file proving an arrangement: a signed contract, a Letter of
// Intent, the SSC's confirmation.
type Evidence = evidence.Stored

// SniffEvidence types an evidence file by its content (evidence.Sniff).
func SniffEvidence(name string, content []byte) (string, error) { return evidence.Sniff(name, content) }

// AddEvidence attaches a file to an arrangement: its parties and the SSC may.
// The body is read whole (it is at most MaxEvidenceSize) so that its type and
// hash are known before anything is stored.
func (s *Service) AddEvidence(ctx context.Context, c access.Caller, ref, name string, body io.Reader) (Evidence, error) {
	f, err := evidence.Read(name, body)
	if err != nil {
		return Evidence{}, err
	}
	content := f.Content
	ev := evidence.StoredOf(f)
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
	return evidence.ScanStored(q.QueryContext(ctx, "SELECT "+evidence.StoredColumns+" FROM arrangement_evidence WHERE arrangement_id = $1 ORDER BY id", id))
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
