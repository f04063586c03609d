package vuln

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// TransitionInput moves a vulnerability on (sec.VulnLifecycle).
type TransitionInput struct {
	Event sec.VulnEvent `json:"event"`
	// Note is the rationale (triage, mark_not_material: required), the reason
	// (reopen: required) or a remark.
	Note string `json:"note,omitempty"`
}

const maxNote = 4000

// needsNote lists the events that must say why (sec.VulnLifecycle notes:
// "record the rationale", "record why").
var needsNote = map[sec.VulnEvent]string{
	sec.VulnEventTriage:          "say why it is material (the rationale is recorded)",
	sec.VulnEventMarkNotMaterial: "say why it is not material (the rationale is recorded)",
	sec.VulnEventReopen:          "say why it is reopened",
}

// revises lists the events that change what an advisory says, so they add
// to the CSAF revision history and tell the recipients.
var revises = map[sec.VulnEvent]string{
	sec.VulnEventTriage:          "judged material",
	sec.VulnEventMarkNotMaterial: "judged not material",
	sec.VulnEventRectify:         "rectified",
	sec.VulnEventMitigate:        "mitigated",
	sec.VulnEventClose:           "closed",
	sec.VulnEventReopen:          "reopened",
}

// Transition fires a lifecycle event on a vulnerability as the caller.
// Illegal moves are errors: a conflict with the state (the error lists the
// events possible from it), or forbidden (the error says who may).
func (s *Service) Transition(ctx context.Context, c access.Caller, ref string, in TransitionInput) (Vulnerability, error) {
	if !c.SignedIn() {
		return Vulnerability{}, errs.E(errs.Unauthenticated, "sign in to act on a vulnerability")
	}
	in.Note = strings.TrimSpace(in.Note)
	if in.Event == "" {
		return Vulnerability{}, errs.FieldError("event", "required: one of %s", eventNames())
	}
	if !knownEvent(in.Event) {
		return Vulnerability{}, errs.FieldError("event", "unknown event %q: one of %s", in.Event, eventNames())
	}
	if utf8.RuneCountInString(in.Note) > maxNote {
		return Vulnerability{}, errs.FieldError("note", "is too long (at most %d characters)", maxNote)
	}
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		v, err := findVuln(ctx, tx, c, ref, true)
		if err != nil {
			return err
		}
		actors, err := actorsFor(ctx, tx, c, v)
		if err != nil {
			return err
		}
		return s.move(ctx, tx, &v, in.Event, actors, in.Note, false)
	})
	if err != nil {
		return Vulnerability{}, err
	}
	return s.Get(ctx, c, ref)
}

func knownEvent(e sec.VulnEvent) bool {
	for _, r := range sec.VulnLifecycle.Rows() {
		if r.Event == e {
			return true
		}
	}
	return false
}

func eventNames() string {
	var names []string
	for _, r := range sec.VulnLifecycle.Rows() {
		n := string(r.Event)
		if !strings.Contains(strings.Join(names, ","), n) {
			names = append(names, n)
		}
	}
	return strings.Join(names, ", ")
}

// move fires event on v in tx, with everything that goes with it: the
// materiality decision, the timeline, the audit record, the fan-out when it
// is judged material, and the recipients told of closures and fixes. asSystem
// records metersec as the actor (the automatic notify inside a person's
// request).
func (s *Service) move(ctx context.Context, tx *store.Tx, v *vulnRow, event sec.VulnEvent, actors []sec.Actor, note string, asSystem bool) error {
	next, err := sec.VulnLifecycle.Next(v.State, event, actors...)
	if err != nil {
		return transitionError(err)
	}
	if why, ok := needsNote[event]; ok && note == "" {
		return errs.FieldError("note", "%s", why)
	}
	var who []sec.Actor
	for _, r := range sec.VulnLifecycle.Rows() {
		if r.From == v.State && r.Event == event {
			who = r.Who
		}
	}
	actor := firstActor(who, actors)
	from := v.State
	v.State = next
	set := []string{"state = $1", "updated_at = $2"}
	args := []any{string(next), tx.Now}
	switch event {
	case sec.VulnEventTriage:
		v.Material.Valid, v.Material.Bool, v.Rationale = true, true, note
	case sec.VulnEventMarkNotMaterial:
		v.Material.Valid, v.Material.Bool, v.Rationale = true, false, note
	case sec.VulnEventReopen:
		if next == sec.VulnStateReported {
			v.Material.Valid, v.Rationale = false, ""
		}
	}
	set = append(set, "material = $3", "materiality_rationale = $4")
	args = append(args, v.Material, v.Rationale)
	if _, ok := revises[event]; ok {
		v.Revision++
	}
	set = append(set, "revision = $5")
	args = append(args, v.Revision, v.ID)
	if _, err := tx.ExecContext(ctx, "UPDATE vulnerabilities SET "+strings.Join(set, ", ")+" WHERE id = $6", args...); err != nil {
		return errs.Wrap(err, "move vulnerability")
	}
	e := eventInput{Kind: "transition", Event: string(event), From: string(from), To: string(next), Note: note, ActorAs: actor,
		Revision: revises[event] != "", System: asSystem}
	if actor == sec.ActorSupplier || actor == sec.ActorDCC {
		// Which Supplier acted is its own business: the entry is public (the
		// state changed) but its actor and note go with its recipient row.
		e.RecipientID, err = ownRecipientID(ctx, tx, v.ID, tx.Actor.OrgID)
		if err != nil {
			return err
		}
	}
	if err := addEvent(ctx, tx, v.ID, e); err != nil {
		return err
	}
	if err := audit.Record(ctx, tx, "vuln."+string(event), Kind, v.ID, struct {
		Ref, From, To, Note string
		As                  sec.Actor
	}{v.Ref, string(from), string(next), note, actor}); err != nil {
		return err
	}

	switch event {
	case sec.VulnEventTriage, sec.VulnEventReopen:
		// Material now: the SSC joins the recipients and everyone operating
		// affected Devices is told (G3.18); then the system records the
		// fan-out as done.
		if _, err := s.fanout(ctx, tx, *v); err != nil {
			return err
		}
		return s.completeNotify(ctx, tx, v)
	case sec.VulnEventRectify, sec.VulnEventMitigate, sec.VulnEventClose, sec.VulnEventMarkNotMaterial:
		return s.notifyActive(ctx, tx, *v, "updated", fmt.Sprintf("revision:%d", v.Revision), revises[event]+": "+v.Title)
	}
	return nil
}

// completeNotify fires the system's notify once a material vulnerability has
// been fanned out: every recipient the state reaches has been told. A RED
// vulnerability waits (see notifies).
func (s *Service) completeNotify(ctx context.Context, tx *store.Tx, v *vulnRow) error {
	if v.State != sec.VulnStateTriaged || !notifies(*v, RoleSupplier) {
		return nil
	}
	return s.move(ctx, tx, v, sec.VulnEventNotify, []sec.Actor{sec.ActorSystem}, "", true)
}

// ownRecipientID is the caller organisation's Supplier or DCC recipient row.
func ownRecipientID(ctx context.Context, tx *store.Tx, vulnID, orgID int64) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM vuln_recipients WHERE vuln_id = $1 AND org_id = $2
		AND role IN ('supplier', 'dcc') ORDER BY role DESC LIMIT 1`, vulnID, orgID).Scan(&id)
	return id, errs.Wrap(err, "own recipient row")
}
