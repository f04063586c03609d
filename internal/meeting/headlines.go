package meeting

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/uk"
)

// Headlines are a meeting's public record (seeds/003): WHITE, for anyone.
// GREEN and WHITE items appear in full; each RED or AMBER item only as its
// type, its pseudonymised subject, its colour, the statement that it is
// recorded in the Confidential Minutes, and its decision verbs.
type Headlines struct {
	Number         int                `json:"number"`
	Reference      string             `json:"reference"`
	Classification sec.Classification `json:"classification"`
	HeldOn         sec.Date           `json:"held_on"`
	Starts         string             `json:"starts,omitempty"`
	Ends           string             `json:"ends,omitempty"`
	Place          string             `json:"place"`
	Published      bool               `json:"published"`
	Items          []Headline         `json:"items"`
	NextMeeting    sec.Date           `json:"next_meeting,omitzero"`
	// Revised is when anything the headlines show last changed.
	Revised time.Time `json:"revised"`
}

// Headline is one agenda item in public.
type Headline struct {
	Position       int                `json:"position"`
	Heading        string             `json:"heading"`
	Classification sec.Classification `json:"classification"`
	// Withheld items carry no text: only the statement and the verbs.
	Withheld  bool      `json:"withheld"`
	Text      string    `json:"text,omitempty"`
	Statement string    `json:"statement,omitempty"`
	Decisions []Decided `json:"decisions"`
}

// Decided is a decision as the headlines print it: for a withheld item the
// verb alone.
type Decided struct {
	Verb sec.Verb `json:"verb"`
	Text string   `json:"text,omitempty"`
}

// Title is the headlines' title line.
func (h Headlines) Title() string { return h.Reference + " – SSC Meeting Headlines" }

// When is the date and time as people read it: "28 November 2018, 10:00 – 16:00".
func (h Headlines) When() string {
	s := uk.Day(h.HeldOn.Time())
	if h.Starts != "" && h.Ends != "" {
		s += ", " + h.Starts + " – " + h.Ends
	}
	return s
}

// Sentence is a withheld item's decisions as one sentence: "The SSC AGREED."
func (d Headline) Sentence() string {
	var verbs []string
	for _, x := range d.Decisions {
		if !slices.Contains(verbs, string(x.Verb)) {
			verbs = append(verbs, string(x.Verb))
		}
	}
	if len(verbs) == 0 {
		return ""
	}
	if len(verbs) > 1 {
		return "The SSC " + strings.Join(verbs[:len(verbs)-1], ", ") + " and " + verbs[len(verbs)-1] + "."
	}
	return "The SSC " + verbs[0] + "."
}

// PublicHeadlines returns the published headlines of a meeting, for anyone.
// A meeting whose headlines are not published answers exactly as one that
// does not exist.
func (s *Service) PublicHeadlines(ctx context.Context, number int) (Headlines, error) {
	return s.headlines(ctx, access.Public(), number)
}

// HeadlinesFor returns the headlines of a meeting the caller may see,
// published or not (the SSC's preview; the operator's command line).
func (s *Service) HeadlinesFor(ctx context.Context, c access.Caller, number int) (Headlines, error) {
	return s.headlines(ctx, c, number)
}

func (s *Service) headlines(ctx context.Context, c access.Caller, number int) (Headlines, error) {
	// One query answers a request for headlines that have not changed: the
	// meeting's row (visibility and revision), then the cache.
	m, err := findMeeting(ctx, s.DB, c, number)
	if err != nil {
		return Headlines{}, err
	}
	if h, ok := s.cached(m); ok {
		return h, nil
	}
	var h Headlines
	err = s.DB.Read(ctx, c, func(tx *store.Tx) error {
		m, err := findMeeting(ctx, tx, c, number)
		if err != nil {
			return err
		}
		h = Headlines{Number: m.Number, Reference: m.Reference, Classification: sec.White, HeldOn: m.HeldOn, Starts: m.Starts,
			Ends: m.Ends, Place: m.Place, Published: m.PublishedAt != nil, NextMeeting: m.NextMeeting, Revised: m.Revised, Items: []Headline{}}
		h.Items, err = headlineItems(ctx, tx, m.ID)
		return err
	})
	if err == nil && s.cache != nil {
		s.cache.mu.Lock()
		s.cache.m[number] = h
		s.cache.mu.Unlock()
	}
	return h, err
}

// cached returns the headlines built for the meeting's current revision.
func (s *Service) cached(m Meeting) (Headlines, bool) {
	if s.cache == nil {
		return Headlines{}, false
	}
	s.cache.mu.Lock()
	h, ok := s.cache.m[m.Number]
	s.cache.mu.Unlock()
	return h, ok && h.Revised.Equal(m.Revised) && h.Published == (m.PublishedAt != nil) && h.HeldOn == m.HeldOn
}

// headlineItems builds every item's public form. It reads what the public
// form needs and no more: never the discussion, actions, papers or links,
// and for a withheld item neither its title nor its text.
func headlineItems(ctx context.Context, q store.Querier, meetingID int64) ([]Headline, error) {
	rows, err := q.QueryContext(ctx, `SELECT i.id, i.position, i.item_type, i.classification, i.title, i.body, i.party_id
		FROM meeting_items i WHERE i.meeting_id = $1 ORDER BY i.position`, meetingID)
	if err != nil {
		return nil, errs.Wrap(err, "read items")
	}
	type raw struct {
		id    int64
		h     Headline
		typ   sec.ItemType
		title string
		party sql.NullInt64
	}
	var items []raw
	byID := map[int64]int{}
	for rows.Next() {
		var r raw
		var body string
		if err := rows.Scan(&r.id, &r.h.Position, &r.typ, &r.h.Classification, &r.title, &body, &r.party); err != nil {
			rows.Close()
			return nil, errs.Wrap(err, "read items")
		}
		r.h.Withheld = sec.WithheldInPublic(r.h.Classification)
		if !r.h.Withheld {
			r.h.Text = body
		}
		r.h.Decisions = []Decided{}
		byID[r.id] = len(items)
		items = append(items, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, "read items")
	}
	dr, err := q.QueryContext(ctx, `SELECT d.item_id, d.verb, d.body FROM meeting_decisions d JOIN meeting_items i ON i.id = d.item_id
		WHERE i.meeting_id = $1 ORDER BY d.id`, meetingID)
	if err != nil {
		return nil, errs.Wrap(err, "read decisions")
	}
	for dr.Next() {
		var id int64
		var d Decided
		if err := dr.Scan(&id, &d.Verb, &d.Text); err != nil {
			dr.Close()
			return nil, errs.Wrap(err, "read decisions")
		}
		it := &items[byID[id]]
		if it.h.Withheld {
			d.Text = ""
		}
		it.h.Decisions = append(it.h.Decisions, d)
	}
	dr.Close()
	if err := dr.Err(); err != nil {
		return nil, errs.Wrap(err, "read decisions")
	}
	labels, err := pseudonymsFor(ctx, q, meetingID)
	if err != nil {
		return nil, err
	}
	out := make([]Headline, len(items))
	for i, r := range items {
		subject := ""
		if r.party.Valid {
			subject = labels[r.party.Int64]
		}
		switch {
		case r.h.Withheld:
			r.h.Heading = r.typ.Label()
			if subject != "" {
				r.h.Heading += " - " + subject
			}
			r.h.Statement = "The Agenda Item was marked as " + string(r.h.Classification) + " and therefore recorded in the Confidential Minutes."
		default:
			// In full, but the subject party by its pseudonym all the same:
			// the directory entry of a party may itself be restricted.
			r.h.Heading = r.title
			if subject != "" {
				r.h.Heading += " - " + subject
			}
		}
		out[i] = r.h
	}
	return out, nil
}

// pseudonymsFor returns the subject label of every party an item of the
// meeting is about.
func pseudonymsFor(ctx context.Context, q store.Querier, meetingID int64) (map[int64]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT p.org_id, p.label FROM meeting_pseudonyms p
		JOIN meeting_items i ON i.party_id = p.org_id WHERE i.meeting_id = $1`, meetingID)
	if err != nil {
		return nil, errs.Wrap(err, "read pseudonyms")
	}
	labels := map[int64]string{}
	for rows.Next() {
		var id int64
		var l string
		if err := rows.Scan(&id, &l); err != nil {
			rows.Close()
			return nil, errs.Wrap(err, "read pseudonyms")
		}
		labels[id] = l
	}
	rows.Close()
	if len(labels) == 0 {
		return labels, errs.Wrap(rows.Err(), "read pseudonyms")
	}
	ix, err := party.LoadIndex(ctx, q)
	if err != nil {
		return nil, err
	}
	for id, l := range labels {
		ref, _ := ix.ID(id)
		labels[id] = sec.Subject(subjectRole(ref), l)
	}
	return labels, nil
}

// PublicList lists the meetings whose headlines are published, newest
// first.
func (s *Service) PublicList(ctx context.Context, f ListFilter) (Page[Meeting], error) {
	return s.List(ctx, access.Public(), f)
}

// Text renders the headlines as plain text.
func (h Headlines) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "This document is classified as WHITE in accordance with the Panel Information Policy.\n\n")
	fmt.Fprintf(&b, "Security Sub-Committee (SSC) Meeting Headlines\n%s, %s\n%s\n", h.When(), h.Place, h.Title())
	if !h.Published {
		b.WriteString("DRAFT: not yet published\n")
	}
	for _, it := range h.Items {
		fmt.Fprintf(&b, "\n%d. %s (%s)\n", it.Position, it.Heading, it.Classification)
		if it.Withheld {
			fmt.Fprintf(&b, "%s\n", it.Statement)
			if s := it.Sentence(); s != "" {
				fmt.Fprintf(&b, "%s\n", s)
			}
			continue
		}
		if it.Text != "" {
			fmt.Fprintf(&b, "%s\n", it.Text)
		}
		for _, d := range it.Decisions {
			fmt.Fprintf(&b, "The SSC %s %s\n", d.Verb, d.Text)
		}
	}
	if !h.NextMeeting.IsZero() {
		fmt.Fprintf(&b, "\nNext Meeting: %s\n", uk.Day(h.NextMeeting.Time()))
	}
	return b.String()
}

var headlinesHTML = template.Must(template.New("h").Parse(`<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body>
<p><strong>TLP:CLEAR</strong> This document is classified as WHITE in accordance with the Panel Information Policy.</p>
<h1>Security Sub-Committee (SSC) Meeting Headlines</h1>
<p>{{.When}}, {{.Place}}</p>
<p>{{.Title}}{{if not .Published}} (DRAFT: not yet published){{end}}</p>
{{range .Items}}<section>
<h2>{{.Position}}. {{.Heading}} ({{.Classification}})</h2>
{{if .Withheld}}<p>{{.Statement}}</p>{{with .Sentence}}<p>{{.}}</p>{{end}}
{{else}}{{with .Text}}<p>{{.}}</p>{{end}}{{range .Decisions}}<p>The SSC <strong>{{.Verb}}</strong> {{.Text}}</p>{{end}}{{end}}
</section>
{{end}}{{if not .NextMeeting.IsZero}}<p>Next Meeting: {{.NextMeeting.Time.Format "2 January 2006"}}</p>{{end}}
</body></html>
`))

// HTML renders the headlines as a self-contained HTML page.
func (h Headlines) HTML() ([]byte, error) {
	var b bytes.Buffer
	err := headlinesHTML.Execute(&b, h)
	return b.Bytes(), err
}
