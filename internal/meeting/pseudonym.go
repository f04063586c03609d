package meeting

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Pseudonym is the label a party has in public headlines.
type Pseudonym struct {
	Org     string `json:"org"`
	Label   string `json:"label"`
	Subject string `json:"subject"`
}

// pseudonym returns the party's label, allocating the next one of the
// sequence A, B, … the first time the party is the subject of an item. The
// label comes from the sequence alone, never from the party's name or code;
// a label already set by hand is skipped.
func pseudonym(ctx context.Context, tx *store.Tx, ref party.Ref) (string, error) {
	var label string
	err := tx.QueryRowContext(ctx, "SELECT label FROM meeting_pseudonyms WHERE org_id = $1", ref.ID).Scan(&label)
	if err == nil {
		return label, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", errs.Wrap(err, "read pseudonym")
	}
	var seq int
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM meeting_pseudonyms").Scan(&seq); err != nil {
		return "", errs.Wrap(err, "allocate pseudonym")
	}
	for {
		seq++
		label = sec.PseudonymLabel(seq)
		var taken int
		tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM meeting_pseudonyms WHERE label = $1", label).Scan(&taken)
		if taken == 0 && sec.ValidPseudonym(label, ref.Code, ref.Name) == nil {
			break
		}
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO meeting_pseudonyms (org_id, label, seq, created_at) VALUES ($1, $2, $3, $4)",
		ref.ID, label, seq, tx.Now); err != nil {
		return "", errs.Wrap(err, "allocate pseudonym")
	}
	return label, audit.Record(ctx, tx, "meeting.pseudonym", "party", ref.ID, map[string]any{"label": label})
}

// subjectRole is the role a headline names a party by: its Supplier role
// first, as the headlines do ("Small Supplier 'BV'").
func subjectRole(ref party.Ref) sec.OrgRole {
	for _, r := range sec.OrgRoles {
		if ref.Has(r) {
			return r
		}
	}
	return ""
}

// SetPseudonym gives a party a label by hand (to carry over one used before
// metersec). A label another party holds is a clash, refused; so is one
// derived from the party's own name or code. A party keeps its label for
// good once it has appeared in headlines, so changing one is refused too.
func (s *Service) SetPseudonym(ctx context.Context, c access.Caller, code, label string) (Pseudonym, error) {
	if err := mustManage(c); err != nil {
		return Pseudonym{}, err
	}
	label = strings.TrimSpace(label)
	var out Pseudonym
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		ix, err := party.LoadIndex(ctx, tx)
		if err != nil {
			return err
		}
		ref, ok := ix.Code(strings.ToUpper(strings.TrimSpace(code)))
		if !ok {
			return errs.NotFoundf("party", code)
		}
		if err := sec.ValidPseudonym(label, ref.Code, ref.Name); err != nil {
			return errs.FieldError("label", "%v", err)
		}
		var holder int64
		err = tx.QueryRowContext(ctx, "SELECT org_id FROM meeting_pseudonyms WHERE label = $1", label).Scan(&holder)
		if err == nil && holder != ref.ID {
			return errs.E(errs.Conflict, "pseudonym clash: another party already has the label %q", label)
		}
		var current string
		err = tx.QueryRowContext(ctx, "SELECT label FROM meeting_pseudonyms WHERE org_id = $1", ref.ID).Scan(&current)
		switch {
		case err == nil && current == label:
		case err == nil:
			return errs.E(errs.Conflict, "%s already has the pseudonym %q; pseudonyms stay stable across meetings", ref.Code, current)
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, "INSERT INTO meeting_pseudonyms (org_id, label, seq, created_at) VALUES ($1, $2, NULL, $3)",
				ref.ID, label, tx.Now); err != nil {
				return errs.Wrap(err, "set pseudonym")
			}
			if err := audit.Record(ctx, tx, "meeting.pseudonym", "party", ref.ID, map[string]any{"label": label}); err != nil {
				return err
			}
		default:
			return errs.Wrap(err, "read pseudonym")
		}
		out = Pseudonym{Org: ref.Code, Label: label, Subject: sec.Subject(subjectRole(ref), label)}
		return nil
	})
	return out, err
}
