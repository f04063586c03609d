package report

import (
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/meeting"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/uk"
)

// HeadlinesKind is an SSC meeting's public headlines, printed with the
// reports' PDF writer so that every document the SSC issues looks alike.
const HeadlinesKind Kind = "headlines"

// HeadlinesPDF renders a meeting's public headlines (WHITE) as a PDF. It
// prints only what the headlines hold: withheld items are already reduced to
// their subject, colour, statement and verbs.
func HeadlinesPDF(h meeting.Headlines, at time.Time) ([]byte, error) {
	d := &Document{Kind: HeadlinesKind, Title: "SSC Meeting Headlines", Month: MonthOf(h.HeldOn), Classification: sec.White,
		Reference: h.Reference, Version: 1, GeneratedAt: at, AsAt: h.HeldOn.Time()}
	d.Notes = append(d.Notes, "This document is classified as WHITE in accordance with the Panel Information Policy. "+
		"Information can be shared with the public.", h.When()+", "+h.Place+".")
	if !h.Published {
		d.Notes = append(d.Notes, "DRAFT: these headlines are not yet published.")
	}
	for _, it := range h.Items {
		var words []string
		if it.Withheld {
			words = append(words, it.Statement)
			if s := it.Sentence(); s != "" {
				words = append(words, s)
			}
		} else {
			if it.Text != "" {
				words = append(words, it.Text)
			}
			for _, dec := range it.Decisions {
				words = append(words, strings.TrimSpace("The SSC "+string(dec.Verb)+" "+dec.Text))
			}
		}
		d.Sections = append(d.Sections, Section{Heading: strconv.Itoa(it.Position) + ". " + it.Heading + " (" + string(it.Classification) + ")",
			Intro: strings.Join(words, "\n")})
	}
	if !h.NextMeeting.IsZero() {
		d.Sections = append(d.Sections, Section{Heading: "Next Meeting", Intro: uk.Day(h.NextMeeting.Time())})
	}
	return renderPDF(d)
}
