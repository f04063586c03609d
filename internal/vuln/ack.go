package vuln

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/store"
)

// AckInput is a recipient's acknowledgement.
type AckInput struct {
	Statement     Statement `json:"statement"`
	Justification string    `json:"justification,omitempty"` // required for not_affected
}

// Acknowledge records that the caller's organisation has received the
// vulnerability and what it says of it. The first acknowledgement keeps its
// time and person; a later one changes the statement (the timeline keeps
// each). Only a person of an organisation that was told may acknowledge; for
// anyone who may not see the vulnerability it does not exist.
func (s *Service) Acknowledge(ctx context.Context, c access.Caller, ref string, in AckInput) (Recipient, error) {
	if c.UserID == 0 || c.OrgID == 0 {
		return Recipient{}, errs.E(errs.Forbidden, "a person of the organisation that was told acknowledges")
	}
	in.Justification = strings.TrimSpace(in.Justification)
	var col errs.Collector
	if !slices.Contains(Statements, in.Statement) {
		col.Add(errs.Field{Field: "statement", Message: fmt.Sprintf("%q is not one of affected, not_affected, under_investigation", in.Statement)})
	}
	if in.Statement == StatementNotAffected && in.Justification == "" {
		col.Add(errs.Field{Field: "justification", Message: "say why you are not affected"})
	}
	checkText(&col, "justification", in.Justification, maxNote, false)
	var rid int64
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		col := col // a retried transaction starts from the checks made before it
		v, err := findVuln(ctx, tx, c, ref, true)
		if err != nil {
			return err
		}
		if col.Count() > 0 {
			return col.Err("the acknowledgement is not valid")
		}
		rows, err := tx.QueryContext(ctx, `SELECT id FROM vuln_recipients WHERE vuln_id = $1 AND org_id = $2
			AND first_notified_at IS NOT NULL ORDER BY id`, v.ID, c.OrgID)
		if err != nil {
			return errs.Wrap(err, "recipient")
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return errs.Wrap(err, "recipient")
			}
			ids = append(ids, id)
		}
		rows.Close()
		if len(ids) == 0 {
			return errs.E(errs.Forbidden, "your organisation was not told of %s, so it has nothing to acknowledge", v.Ref)
		}
		if v.State.IsClosed() {
			return errs.E(errs.Conflict, "%s is %s: there is nothing left to acknowledge", v.Ref, v.State)
		}
		if err := markSeen(ctx, tx, c, v.ID, v.Ref); err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE vuln_recipients SET acknowledged_at = COALESCE(acknowledged_at, $1),
				acknowledged_by = COALESCE(acknowledged_by, $2), statement = $3, justification = $4, statement_at = $1
				WHERE id = $5`, tx.Now, c.UserID, string(in.Statement), in.Justification, id); err != nil {
				return errs.Wrap(err, "acknowledge")
			}
			note := in.Statement.Label()
			if in.Justification != "" {
				note += ": " + in.Justification
			}
			if err := addEvent(ctx, tx, v.ID, eventInput{Kind: "acknowledged", Event: string(in.Statement), RecipientID: id,
				Private: true, Note: note, ActorAs: actorRecipient}); err != nil {
				return err
			}
		}
		rid = ids[0]
		return audit.Record(ctx, tx, "vuln.acknowledge", Kind, v.ID, struct {
			Ref        string
			Recipients []int64
			In         AckInput
		}{v.Ref, ids, in})
	})
	if err != nil {
		return Recipient{}, err
	}
	rs, err := s.Recipients(ctx, c, ref)
	if err != nil {
		return Recipient{}, err
	}
	for _, r := range rs {
		if r.ID == rid {
			return r, nil
		}
	}
	return Recipient{}, errs.NotFoundf("recipient", rid)
}
