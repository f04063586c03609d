package assurance

import (
	"context"
	"strconv"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/meeting"
	"github.com/metersec/metersec/internal/store"
)

// Agenda items link assessments and remediation plans by id (seed 003: the
// SSC considers a FUSA, a VUSA, a self-assessment or a Remediation Plan at a
// meeting). The item shows a link only to those who may see the record; to
// anyone else the link is absent, exactly as if it had never been made.
func init() {
	meeting.RegisterLink("assessment", func(ctx context.Context, db *store.DB, c access.Caller, key string) (meeting.Linked, error) {
		id, err := linkID(key)
		if err != nil {
			return meeting.Linked{}, err
		}
		a, err := NewService(db).Get(ctx, c, id)
		if err != nil {
			return meeting.Linked{}, err
		}
		return meeting.Linked{Title: a.Title, Href: "/assessments/" + key}, nil
	})
	meeting.RegisterLink("remediation_plan", func(ctx context.Context, db *store.DB, c access.Caller, key string) (meeting.Linked, error) {
		id, err := linkID(key)
		if err != nil {
			return meeting.Linked{}, err
		}
		p, err := NewService(db).GetPlan(ctx, c, id)
		if err != nil {
			return meeting.Linked{}, err
		}
		return meeting.Linked{Title: p.Title, Href: "/remediation-plans/" + key}, nil
	})
}

// linkID reads a link's key as a record id; a key that is not one names no
// record, and answers as one that does not exist.
func linkID(key string) (int64, error) {
	id, err := strconv.ParseInt(key, 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.NotFoundf("record", key)
	}
	return id, nil
}
