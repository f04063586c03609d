package assurance

import (
	"context"
	"database/sql"
	"fmt"
	"io"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/evidence"
	"github.com/metersec/metersec/internal/store"
)

// Evidence is a file attached to an assessment, checked and hashed as every
// evidence file is (internal/evidence).
type Evidence = evidence.Stored

func evidenceOf(ctx context.Context, q store.Querier, id int64) ([]Evidence, error) {
	return evidence.ScanStored(q.QueryContext(ctx, "SELECT "+evidence.StoredColumns+" FROM assessment_evidence WHERE assessment_id = $1 ORDER BY id", id))
}

// AddEvidence attaches a file to an assessment: the SSC, the CIO and the
// assessed party may, while it is open.
func (s *Service) AddEvidence(ctx context.Context, c access.Caller, id int64, name string, body io.Reader) (Evidence, error) {
	f, err := evidence.Read(name, body)
	if err != nil {
		return Evidence{}, err
	}
	ev := evidence.StoredOf(f)
	err = s.DB.Write(ctx, c, func(tx *store.Tx) error {
		a, err := s.find(ctx, tx, c, id)
		if err != nil {
			return err
		}
		if !attaches(actorsFor(c, a)) {
			return errs.E(errs.Forbidden, "only the SSC, the User CIO and the assessed party may add evidence to an assessment")
		}
		if !a.State.IsOpen() {
			return errs.E(errs.Conflict, "assessment %d is %s: its evidence is closed", a.ID, a.State)
		}
		ev.UploadedAt, ev.UploadedBy = tx.Now, c.Name
		err = tx.QueryRowContext(ctx, `INSERT INTO assessment_evidence (assessment_id, name, media_type, size, sha256, content, uploaded_at, uploaded_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, a.ID, ev.Name, ev.MediaType, ev.Size, ev.SHA256, f.Content, tx.Now, c.Name).Scan(&ev.ID)
		if store.IsUniqueViolation(err) {
			return errs.E(errs.Conflict, "this file (SHA-256 %s) is already attached to assessment %d", ev.SHA256, a.ID)
		}
		if err != nil {
			return errs.Wrap(err, "store evidence")
		}
		if err := addEvent(ctx, tx, a.ID, "", "evidence", "", "", fmt.Sprintf("%s (SHA-256 %s)", ev.Name, ev.SHA256)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "assessment.evidence", KindAssessment, a.ID, ev)
	})
	return ev, err
}

// EvidenceFile returns one evidence file with its content, if the caller may
// see its assessment.
func (s *Service) EvidenceFile(ctx context.Context, c access.Caller, id, fileID int64) (Evidence, []byte, error) {
	var args access.Args
	q := `SELECT e.id, e.name, e.media_type, e.size, e.sha256, e.uploaded_at, e.uploaded_by, e.content
		FROM assessment_evidence e JOIN assessments a ON a.id = e.assessment_id
		WHERE e.id = ` + args.Add(fileID) + ` AND a.id = ` + args.Add(id) + ` AND ` + visible(c, &args)
	var e Evidence
	var content []byte
	err := s.DB.QueryRowContext(ctx, q, args...).Scan(&e.ID, &e.Name, &e.MediaType, &e.Size, &e.SHA256, &e.UploadedAt, &e.UploadedBy, &content)
	if err == sql.ErrNoRows {
		return e, nil, errs.NotFoundf("evidence file", fmt.Sprintf("%d/%d", id, fileID))
	}
	if err != nil {
		return e, nil, errs.Wrap(err, "read evidence")
	}
	e.UploadedAt = e.UploadedAt.UTC()
	return e, content, nil
}
