// Package bench builds worlds for benchmarks and load runs, outside the
// product's areas. Files are named after the area they exercise.
package bench

import (
	"context"
	"fmt"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/meeting"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// MeetingItems is the size of the benchmark meeting: the 60 items.
const MeetingItems = 60

// Meeting holds a published meeting of n items on db, as a busy SSC meeting
// would be: every colour and type, a third about a party, each with two
// decisions, an action and a paper, and a page of text. It returns the
// meeting's number. db needs the schema and nothing else.
func Meeting(ctx context.Context, db *store.DB, number, n int) error {
	sys := access.SystemCaller("bench")
	parties := &party.Service{DB: db}
	for i := range 10 {
		code := fmt.Sprintf("BSUP%02d", i)
		if _, err := parties.Get(ctx, sys, code); err == nil {
			continue
		}
		if _, err := parties.Create(ctx, sys, party.NewParty{Code: code, Name: "Bench Supplier " + code, Roles: []string{"small_supplier"}}); err != nil {
			return err
		}
	}
	svc := meeting.NewService(db)
	if _, err := svc.Create(ctx, sys, meeting.NewMeeting{Number: number, HeldOn: "2026-11-26", Starts: "10:00", Ends: "16:00", Place: "London"}); err != nil {
		return err
	}
	text := strings.Repeat("The SSC considered the paper and the updates provided by the DCC and the User CIO. ", 12)
	for i := range n {
		class := sec.Classifications[i%4]
		typ := sec.ItemTypes[i%len(sec.ItemTypes)]
		in := meeting.NewItem{Type: string(typ), Classification: string(class), Title: fmt.Sprintf("Item %d", i+1), Text: text, Discussion: text}
		if i%3 == 0 {
			in.Party = fmt.Sprintf("BSUP%02d", i%10)
		}
		it, err := svc.AddItem(ctx, sys, number, in)
		if err != nil {
			return err
		}
		for _, v := range []string{"NOTED", "AGREED"} {
			if _, err := svc.AddDecision(ctx, sys, it.ID, meeting.NewDecision{Verb: v, Text: "the updates provided."}); err != nil {
				return err
			}
		}
		if _, err := svc.AddAction(ctx, sys, it.ID, meeting.NewAction{Text: "Follow up " + in.Title, Owner: "Secretariat", Due: "2026-12-10"}); err != nil {
			return err
		}
		if _, err := svc.AddPaper(ctx, sys, it.ID, fmt.Sprintf("paper-%d.txt", i+1), strings.NewReader(text)); err != nil {
			return err
		}
	}
	if _, err := svc.Transition(ctx, sys, number, sec.MeetingEventHold); err != nil {
		return err
	}
	_, err := svc.Publish(ctx, sys, number, "2026-12-10")
	return err
}
