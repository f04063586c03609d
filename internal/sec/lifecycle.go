package sec

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Actor is the part a caller plays for one record: not a user role, but a
// relation to the record, such as "the manufacturer of the affected products"
// or "the Supplier that owns this plan". The area service works out which
// actors the caller holds for the record in hand (from its organisation, its
// roles and the record) and asks the lifecycle table what they may do. A caller
// may hold several actors at once, or none.
type Actor string

// Actors that lifecycles name.
const (
	// ActorReporter is the organisation that reported the record.
	ActorReporter Actor = "reporter"
	// ActorManufacturer is the manufacturer of the affected products.
	ActorManufacturer Actor = "manufacturer"
	// ActorSupplier is a Supplier the record was sent to: for a
	// vulnerability, one operating affected Devices (G3.18).
	ActorSupplier Actor = "supplier"
	// ActorDCC is the DCC when it was sent the record: a vulnerability
	// affecting SMETS2+ Communications Hubs, which are its responsibility.
	ActorDCC Actor = "dcc"
	// ActorOwner is the organisation that owns the record: the Supplier whose
	// rectification plan it is.
	ActorOwner Actor = "owner"
	// ActorSSC is an SSC member or the secretariat, which oversees the regime
	// and receives the G3.18/G3.9 notices.
	ActorSSC Actor = "ssc"
	// ActorAssessor is the User CIO, who carries out Full and Verification
	// User Security Assessments and reviews Self-Assessments (G8).
	ActorAssessor Actor = "assessor"
	// ActorSystem is metersec itself: scheduled jobs and the fan-out. Only
	// background work holds it; no person ever does.
	ActorSystem Actor = "system"
)

// AllActors lists every actor kind.
var AllActors = []Actor{ActorReporter, ActorManufacturer, ActorSupplier, ActorDCC, ActorOwner, ActorSSC, ActorAssessor, ActorSystem}

var actorLabels = map[Actor]string{
	ActorReporter:     "reporter",
	ActorManufacturer: "manufacturer of the affected products",
	ActorSupplier:     "notified Supplier",
	ActorDCC:          "DCC",
	ActorOwner:        "owner of the record",
	ActorSSC:          "SSC member or secretariat",
	ActorAssessor:     "User CIO (assessor)",
	ActorSystem:       "system (scheduled job)",
}

// Label is the human name of the actor.
func (a Actor) Label() string { return actorLabels[a] }

// Transition is one row of a lifecycle table: from a state, an event leads to
// a state, and only the listed actors may fire it.
type Transition[S, E ~string] struct {
	From  S       `json:"from"`
	Event E       `json:"event"`
	To    S       `json:"to"`
	Who   []Actor `json:"who"`
	// Note says what the service must check or record beyond the table (a
	// reason, a date) and where the row comes from.
	Note string `json:"note,omitempty"`
}

// Lifecycle is a state machine held as data: one table of transitions that the
// API, the UI buttons and the docs all read. An illegal move is an error that
// says why, never a silent no-op.
type Lifecycle[S, E ~string] struct {
	name    string
	initial S
	rows    []Transition[S, E]
}

// NewLifecycle checks and returns a lifecycle table. Every row needs its
// states, its event and at least one actor; an event may appear once per
// state, so the next state is never ambiguous.
func NewLifecycle[S, E ~string](name string, initial S, rows []Transition[S, E]) (*Lifecycle[S, E], error) {
	var errs []error
	type key struct {
		from S
		ev   E
	}
	seen := map[key]bool{}
	startsSomewhere := false
	for i, r := range rows {
		switch {
		case r.From == "" || r.Event == "" || r.To == "":
			errs = append(errs, fmt.Errorf("%s row %d: needs from, event and to", name, i+1))
		case len(r.Who) == 0:
			errs = append(errs, fmt.Errorf("%s row %d (%s --%s-->): nobody may fire it", name, i+1, r.From, r.Event))
		case seen[key{r.From, r.Event}]:
			errs = append(errs, fmt.Errorf("%s row %d: %q from %q appears twice", name, i+1, r.Event, r.From))
		}
		for _, a := range r.Who {
			if !slices.Contains(AllActors, a) {
				errs = append(errs, fmt.Errorf("%s row %d: unknown actor %q", name, i+1, a))
			}
		}
		seen[key{r.From, r.Event}] = true
		startsSomewhere = startsSomewhere || r.From == initial
	}
	if !startsSomewhere {
		errs = append(errs, fmt.Errorf("%s: nothing leaves the initial state %q", name, initial))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Lifecycle[S, E]{name: name, initial: initial, rows: slices.Clone(rows)}, nil
}

func mustLifecycle[S, E ~string](name string, initial S, rows []Transition[S, E]) *Lifecycle[S, E] {
	l, err := NewLifecycle(name, initial, rows)
	if err != nil {
		panic(err)
	}
	return l
}

// Name is the lifecycle's name, used in error messages.
func (l *Lifecycle[S, E]) Name() string { return l.name }

// Initial is the state a new record starts in.
func (l *Lifecycle[S, E]) Initial() S { return l.initial }

// Rows returns a copy of the table, in the order it was written, for docs and
// the API.
func (l *Lifecycle[S, E]) Rows() []Transition[S, E] {
	out := slices.Clone(l.rows)
	for i := range out {
		out[i].Who = slices.Clone(out[i].Who)
	}
	return out
}

// States lists every state the table names, the initial state first, then in
// the order they first appear.
func (l *Lifecycle[S, E]) States() []S {
	out := []S{l.initial}
	for _, r := range l.rows {
		for _, s := range []S{r.From, r.To} {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// Next returns the state that event leads to from from, if one of actors may
// fire it. The error is a *TransitionError: errors.Is(err, ErrNoTransition)
// when the table has no such move (it lists the events possible from the
// state), errors.Is(err, ErrNotPermitted) when the move exists but none of the
// caller's actors may make it (it says who may).
func (l *Lifecycle[S, E]) Next(from S, event E, actors ...Actor) (S, error) {
	i := slices.IndexFunc(l.rows, func(r Transition[S, E]) bool { return r.From == from && r.Event == event })
	if i < 0 {
		te := &TransitionError{Lifecycle: l.name, From: string(from), Event: string(event),
			UnknownState: !slices.Contains(l.States(), from)}
		for _, r := range l.rows {
			if r.From == from {
				te.Possible = append(te.Possible, string(r.Event))
			}
		}
		return from, te
	}
	r := l.rows[i]
	if !slices.ContainsFunc(actors, func(a Actor) bool { return slices.Contains(r.Who, a) }) {
		return from, &TransitionError{Lifecycle: l.name, From: string(from), Event: string(event),
			Who: slices.Clone(r.Who), Held: slices.Clone(actors)}
	}
	return r.To, nil
}

// Events lists the events the actors may fire from the state, in table order:
// the buttons a UI shows.
func (l *Lifecycle[S, E]) Events(from S, actors ...Actor) []E {
	var out []E
	for _, r := range l.rows {
		if r.From == from && slices.ContainsFunc(actors, func(a Actor) bool { return slices.Contains(r.Who, a) }) {
			out = append(out, r.Event)
		}
	}
	return out
}

// Permits reports whether one of the actors may fire the event from some
// state of the table: whether the caller may make such a move at all, asked
// before the state is (a refusal then says who may, not where the record
// stands).
func (l *Lifecycle[S, E]) Permits(event E, actors ...Actor) bool {
	return slices.ContainsFunc(l.rows, func(r Transition[S, E]) bool {
		return r.Event == event && slices.ContainsFunc(actors, func(a Actor) bool { return slices.Contains(r.Who, a) })
	})
}

// Errors a lifecycle move can fail with; test with errors.Is. The web layer
// maps ErrNoTransition to 409 Conflict and ErrNotPermitted to 403 Forbidden.
var (
	ErrNoTransition = errors.New("no such transition")
	ErrNotPermitted = errors.New("not permitted")
)

// TransitionError says why a move was refused, with enough detail for a
// problem document.
type TransitionError struct {
	Lifecycle    string
	From, Event  string
	UnknownState bool     // From is not a state of this lifecycle
	Possible     []string // no such move: the events the table has from From
	Who          []Actor  // not permitted: who may make the move
	Held         []Actor  // not permitted: the actors the caller held
}

func (e *TransitionError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: ", e.Lifecycle)
	switch {
	case e.UnknownState:
		fmt.Fprintf(&b, "unknown state %q", e.From)
	case e.Who == nil && len(e.Possible) == 0:
		fmt.Fprintf(&b, "cannot %q from %q: nothing can happen from %q", e.Event, e.From, e.From)
	case e.Who == nil:
		fmt.Fprintf(&b, "cannot %q from %q; possible from %q: %s", e.Event, e.From, e.From, strings.Join(e.Possible, ", "))
	default:
		fmt.Fprintf(&b, "%q from %q may be done only by: %s (you act as: %s)",
			e.Event, e.From, actorList(e.Who), cmp.Or(actorList(e.Held), "nothing on this record"))
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNoTransition) and errors.Is(err, ErrNotPermitted)
// work.
func (e *TransitionError) Is(target error) bool {
	if e.Who != nil {
		return target == ErrNotPermitted
	}
	return target == ErrNoTransition
}

func actorList(as []Actor) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = cmp.Or(a.Label(), string(a))
	}
	return strings.Join(parts, ", ")
}
