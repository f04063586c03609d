package meeting

import (
	"fmt"
	"time"

	"github.com/metersec/metersec/internal/sec"
)

// Meeting is an SSC meeting as the caller may see it: only the items their
// colour lets the caller read.
type Meeting struct {
	ID             int64              `json:"id"`
	Number         int                `json:"number"`
	Reference      string             `json:"reference"`
	HeldOn         sec.Date           `json:"held_on"`
	Starts         string             `json:"starts,omitempty"`
	Ends           string             `json:"ends,omitempty"`
	Place          string             `json:"place"`
	Status         sec.MeetingState   `json:"status"`
	Classification sec.Classification `json:"classification"`
	PublishedAt    *time.Time         `json:"published_at,omitempty"`
	NextMeeting    sec.Date           `json:"next_meeting,omitzero"`
	// Revised is when anything the headlines show last changed.
	Revised   time.Time `json:"revised"`
	Present   []Person  `json:"present"`
	Apologies []Person  `json:"apologies"`
	Items     []Item    `json:"items"`
	// Carried are the open actions of earlier meetings that come up under
	// this meeting's matters arising (those the caller may see).
	Carried []Action `json:"carried_actions"`
}

// Reference is the meeting's paper reference in the SSC's own style,
// "SSC_67_2811" (seeds/003): number, day and month.
func Reference(number int, d sec.Date) string {
	t := d.Time()
	return fmt.Sprintf("SSC_%d_%02d%02d", number, t.Day(), int(t.Month()))
}

// Person is someone on the attendance list.
type Person struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Org   string `json:"org"`
}

// PartyRef names the party an item is about.
type PartyRef struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Item is an agenda item. Its colour is its classification.
type Item struct {
	ID             int64              `json:"id"`
	Meeting        int                `json:"meeting"`
	Position       int                `json:"position"`
	Type           sec.ItemType       `json:"type"`
	TypeLabel      string             `json:"type_label"`
	Classification sec.Classification `json:"classification"`
	Title          string             `json:"title"`
	Text           string             `json:"text"`
	Discussion     string             `json:"discussion"`
	Party          *PartyRef          `json:"party,omitempty"`
	Links          []Linked           `json:"links"`
	Papers         []Paper            `json:"papers"`
	Decisions      []Decision         `json:"decisions"`
	Actions        []Action           `json:"actions"`

	partyID int64
}

// Decision is what the SSC decided on an item: a verb and its words.
type Decision struct {
	ID        int64     `json:"id"`
	Verb      sec.Verb  `json:"verb"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

// Action is something someone is to do, arising from an item.
type Action struct {
	ID             int64              `json:"id"`
	ItemID         int64              `json:"item_id"`
	Meeting        int                `json:"meeting"`
	Position       int                `json:"item_position"`
	Classification sec.Classification `json:"classification"`
	Text           string             `json:"text"`
	Owner          string             `json:"owner"`
	Due            sec.Date           `json:"due,omitzero"`
	Status         sec.ActionState    `json:"status"`
	Note           string             `json:"note,omitempty"`
	CompletedOn    sec.Date           `json:"completed_on,omitzero"`
}

// Reference is how minutes cite the action: meeting/item/id.
func (a Action) Reference() string { return fmt.Sprintf("%d/%d/%d", a.Meeting, a.Position, a.ID) }

// Overdue reports whether the action is open past its due date on day.
func (a Action) Overdue(day sec.Date) bool {
	return a.Status == sec.ActionOpen && !a.Due.IsZero() && a.Due.Before(day)
}

// Paper is a file tabled for an item.
type Paper struct {
	ID         int64     `json:"id"`
	ItemID     int64     `json:"item_id"`
	Name       string    `json:"name"`
	MediaType  string    `json:"media_type"`
	Size       int64     `json:"size"`
	SHA256     string    `json:"sha256"`
	UploadedAt time.Time `json:"uploaded_at"`
	UploadedBy string    `json:"uploaded_by"`
}

// Page is a page of a list that can grow, with the total before paging.
type Page[T any] struct {
	Items []T    `json:"items"`
	Total int    `json:"total"`
	Next  string `json:"next,omitempty"`
}

// MaxLimit is the largest page a list returns.
const MaxLimit = 200
