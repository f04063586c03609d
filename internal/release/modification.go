package release

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Modification is an entry of the modifications register: a change to the
// SEC from Draft Proposal to the release that implements it, and the rule
// change it makes (Effect), which applies from that release.
type Modification struct {
	Ref       string       `json:"ref"`
	Title     string       `json:"title"`
	Stage     sec.ModStage `json:"stage"`
	Release   sec.Version  `json:"release,omitzero"`
	Effect    string       `json:"effect,omitempty"`
	Source    string       `json:"source,omitempty"`
	UpdatedAt time.Time    `json:"updated_at,omitzero"`
}

// shippedMods is the register shipped in the binary, which applies while
// the database's register is empty.
func shippedMods() []Modification {
	cr := csv.NewReader(bytes.NewReader(shippedModifications))
	recs, err := cr.ReadAll()
	if err != nil {
		panic("shipped modifications.csv: " + err.Error())
	}
	var out []Modification
	for _, r := range recs[1:] {
		m := Modification{Ref: r[0], Title: r[1], Stage: sec.ModStage(r[2]), Effect: r[4], Source: r[5]}
		if r[3] != "" {
			m.Release = sec.MustParseVersion(r[3])
		}
		out = append(out, m)
	}
	return out
}

func loadModifications(ctx context.Context, q store.Querier) ([]Modification, error) {
	rows, err := q.QueryContext(ctx, "SELECT ref, title, stage, release, effect, source, updated_at FROM sec_modifications ORDER BY ref")
	if err != nil {
		return nil, errs.Wrap(err, "read modifications")
	}
	defer rows.Close()
	var out []Modification
	for rows.Next() {
		var m Modification
		if err := rows.Scan(&m.Ref, &m.Title, &m.Stage, &m.Release, &m.Effect, &m.Source, &m.UpdatedAt); err != nil {
			return nil, errs.Wrap(err, "read modifications")
		}
		m.UpdatedAt = m.UpdatedAt.UTC()
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, "read modifications")
	}
	if len(out) == 0 {
		out = shippedMods()
	}
	return out, nil
}

// MoveInput moves a modification on; Release names the implementing release
// for the implement event.
type MoveInput struct {
	Event   string `json:"event"`
	Release string `json:"release,omitempty"`
}

// Move advances a modification through the register's lifecycle. The first
// change copies the shipped register into the database, so it is edited as
// data from then on.
func Move(ctx context.Context, db *store.DB, c access.Caller, ref string, in MoveInput) (Modification, error) {
	actors := []sec.Actor(nil)
	if MayEdit(c) {
		actors = []sec.Actor{sec.ActorSSC}
	}
	var out Modification
	err := db.Write(ctx, c, func(tx *store.Tx) error {
		t, err := Load(ctx, tx)
		if err != nil {
			return err
		}
		if err := materialise(ctx, tx, t.Modifications); err != nil {
			return err
		}
		i := -1
		for j, m := range t.Modifications {
			if strings.EqualFold(m.Ref, strings.TrimSpace(ref)) {
				i = j
			}
		}
		if i < 0 {
			return errs.NotFoundf("modification", ref)
		}
		m := t.Modifications[i]
		next, err := sec.ModLifecycle.Next(m.Stage, sec.ModEvent(in.Event), actors...)
		if err != nil {
			var te *sec.TransitionError
			if errors.As(err, &te) && errors.Is(err, sec.ErrNotPermitted) {
				return errs.E(errs.Forbidden, "%s", te.Error())
			}
			return errs.E(errs.Conflict, "%v", err)
		}
		if next == sec.ModImplemented {
			rel, err := t.versions.Lookup(in.Release)
			if err != nil {
				return errs.FieldError("release", "the implementing release must be in the release table: %v", err)
			}
			m.Release = rel.Version
		}
		m.Stage, m.UpdatedAt = next, tx.Now
		if _, err := tx.ExecContext(ctx, "UPDATE sec_modifications SET stage = $1, release = $2, updated_at = $3 WHERE ref = $4",
			string(m.Stage), m.Release, tx.Now, m.Ref); err != nil {
			return errs.Wrap(err, "move modification")
		}
		out = m
		return audit.Record(ctx, tx, "sec.modification."+in.Event, "sec_modification", m.Ref, m)
	})
	return out, err
}

// materialise writes the shipped register into an empty table.
func materialise(ctx context.Context, tx *store.Tx, mods []Modification) error {
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM sec_modifications").Scan(&n); err != nil {
		return errs.Wrap(err, "read modifications")
	}
	if n > 0 {
		return nil
	}
	for _, m := range mods {
		if _, err := tx.ExecContext(ctx, "INSERT INTO sec_modifications (ref, title, stage, release, effect, source, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
			m.Ref, m.Title, string(m.Stage), m.Release, m.Effect, m.Source, tx.Now); err != nil {
			return errs.Wrap(err, "write modifications")
		}
	}
	return nil
}
