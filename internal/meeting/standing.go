package meeting

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audience"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// KindStanding is a standing item in the audience tables.
const KindStanding = "standing_item"

// StandingKind is what a standing item is.
type StandingKind string

// The standing items the SSC reviews at every meeting that the standing
// report otherwise lacks (seeds/003 item 16; DOMAIN.md "SSC monthly
// outputs").
const (
	SecurityIncident StandingKind = "security_incident"
	AnomalyDetection StandingKind = "anomaly_detection"
	SharedResource   StandingKind = "shared_resource"
)

// StandingKinds lists them.
var StandingKinds = []StandingKind{SecurityIncident, AnomalyDetection, SharedResource}

// Label is the kind for people.
func (k StandingKind) Label() string {
	switch k {
	case SecurityIncident:
		return "Security incident"
	case AnomalyDetection:
		return "Anomaly detection threshold report"
	case SharedResource:
		return "Shared resource notification"
	}
	return string(k)
}

// StandingStatus is whether a standing item is still open.
type StandingStatus string

// The statuses of a standing item.
const (
	StandingOpen   StandingStatus = "open"
	StandingClosed StandingStatus = "closed"
)

// StandingItem is one standing item: what happened, when, its impact and
// status, and the party it concerns.
type StandingItem struct {
	ID             int64              `json:"id"`
	Kind           StandingKind       `json:"kind"`
	KindLabel      string             `json:"kind_label"`
	Party          *PartyRef          `json:"party,omitempty"`
	Title          string             `json:"title"`
	What           string             `json:"what"`
	OccurredOn     sec.Date           `json:"occurred_on"`
	Impact         string             `json:"impact"`
	Status         StandingStatus     `json:"status"`
	Classification sec.Classification `json:"classification"`
	ReportedAt     time.Time          `json:"reported_at"`
	ReportedBy     string             `json:"reported_by"`

	partyID int64
}

// NewStandingItem is a standing item to record.
type NewStandingItem struct {
	Kind       string `json:"kind"`
	Party      string `json:"party,omitempty"`
	Title      string `json:"title"`
	What       string `json:"what"`
	OccurredOn string `json:"occurred_on"`
	Impact     string `json:"impact,omitempty"`
	// Classification is AMBER when empty: the party and the SSC.
	Classification string `json:"classification,omitempty"`
}

// ReportStanding records a standing item. A party reports for itself (a
// Supplier its own incident); the SSC and the secretariat for any party.
func (s *Service) ReportStanding(ctx context.Context, c access.Caller, in NewStandingItem) (StandingItem, error) {
	if !c.SignedIn() {
		return StandingItem{}, errs.E(errs.Unauthenticated, "sign in to report a standing item")
	}
	var fields []errs.Field
	kind := StandingKind(strings.TrimSpace(in.Kind))
	if kind != SecurityIncident && kind != AnomalyDetection && kind != SharedResource {
		fields = append(fields, errs.Field{Field: "kind", Message: "must be security_incident, anomaly_detection or shared_resource"})
	}
	title := checkText(&fields, "title", in.Title, true)
	what := checkText(&fields, "what", in.What, true)
	impact := checkText(&fields, "impact", in.Impact, false)
	d, err := sec.ParseDate(strings.TrimSpace(in.OccurredOn))
	if err != nil {
		fields = append(fields, errs.Field{Field: "occurred_on", Message: err.Error()})
	}
	class := sec.Amber
	if strings.TrimSpace(in.Classification) != "" {
		if class, err = sec.ParseClassification(in.Classification); err != nil {
			fields = append(fields, errs.Field{Field: "classification", Message: err.Error()})
		}
	}
	if len(fields) > 0 {
		return StandingItem{}, errs.Fields("the standing item is not valid", fields...)
	}
	var id int64
	err = s.DB.Write(ctx, c, func(tx *store.Tx) error {
		var partyID any
		code := strings.ToUpper(strings.TrimSpace(in.Party))
		switch {
		case MayManage(c) && code != "":
			ix, err := party.LoadIndex(ctx, tx)
			if err != nil {
				return err
			}
			ref, ok := ix.Code(code)
			if !ok {
				return errs.FieldError("party", "no organisation has the code %s", code)
			}
			partyID = ref.ID
		case MayManage(c):
		case code != "" && code != c.OrgCode:
			return errs.E(errs.Forbidden, "a party reports its own standing items; the SSC and the secretariat report for others")
		default:
			partyID = c.OrgID
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO standing_items (kind, party_id, title, what, occurred_on, impact, status, classification, reported_at, reported_by)
			VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9) RETURNING id`, string(kind), partyID, title, what, d, impact, string(class), tx.Now, c.Name).Scan(&id); err != nil {
			return errs.Wrap(err, "record standing item")
		}
		if class == sec.Red {
			// A RED item names the SSC member or secretary who recorded it;
			// only they may mark one RED.
			if !MayManage(c) {
				return errs.FieldError("classification", "only the SSC and the secretariat mark a standing item RED")
			}
			if c.UserID > 0 {
				if err := audience.SetUsers(ctx, tx, KindStanding, []int64{id}, []int64{c.UserID}); err != nil {
					return err
				}
			}
		}
		return audit.Record(ctx, tx, "standing_item.report", KindStanding, id, in)
	})
	if err != nil {
		return StandingItem{}, err
	}
	p, err := s.StandingItems(ctx, c, StandingFilter{ID: id})
	if err != nil || len(p.Items) == 0 {
		return StandingItem{}, errs.Wrap(err, "read standing item")
	}
	return p.Items[0], nil
}

// StandingFilter narrows the standing items.
type StandingFilter struct {
	ID      int64
	Open    bool
	Kind    StandingKind
	Since   sec.Date // occurred on or after
	AfterID int64    // the cursor
	Limit   int
}

// StandingItems lists the standing items the caller may see, oldest first,
// paged by id, with the total.
func (s *Service) StandingItems(ctx context.Context, c access.Caller, f StandingFilter) (Page[StandingItem], error) {
	out := Page[StandingItem]{Items: []StandingItem{}}
	limit := f.Limit
	if limit <= 0 || limit > MaxLimit {
		limit = 50
	}
	var args access.Args
	cond := c.Visible(&args, KindStanding, "si", "si.party_id")
	if f.ID > 0 {
		cond += " AND si.id = " + args.Add(f.ID)
	}
	if f.Open {
		cond += " AND si.status = 'open'"
	}
	if f.Kind != "" {
		cond += " AND si.kind = " + args.Add(string(f.Kind))
	}
	if !f.Since.IsZero() {
		cond += " AND si.occurred_on >= " + args.Add(f.Since)
	}
	if err := s.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM standing_items si WHERE "+cond, args...).Scan(&out.Total); err != nil {
		return out, errs.Wrap(err, "count standing items")
	}
	if f.AfterID > 0 {
		cond += " AND si.id > " + args.Add(f.AfterID)
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT si.id, si.kind, si.party_id, si.title, si.what, si.occurred_on, si.impact, si.status,
		si.classification, si.reported_at, si.reported_by FROM standing_items si WHERE `+cond+" ORDER BY si.id LIMIT "+strconv.Itoa(limit+1), args...)
	if err != nil {
		return out, errs.Wrap(err, "list standing items")
	}
	for rows.Next() {
		it, err := scanStanding(rows)
		if err != nil {
			rows.Close()
			return out, errs.Wrap(err, "list standing items")
		}
		out.Items = append(out.Items, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, errs.Wrap(err, "list standing items")
	}
	if len(out.Items) > limit {
		out.Items = out.Items[:limit]
		out.Next = strconv.FormatInt(out.Items[limit-1].ID, 10)
	}
	if len(out.Items) == 0 {
		return out, nil
	}
	name, err := s.partyNamer(ctx, c)
	if err != nil {
		return out, err
	}
	for i := range out.Items {
		name(&out.Items[i])
	}
	return out, nil
}

// CloseStanding closes a standing item the SSC has finished with.
func (s *Service) CloseStanding(ctx context.Context, c access.Caller, id int64) (StandingItem, error) {
	if err := mustManage(c); err != nil {
		return StandingItem{}, err
	}
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		var args access.Args
		cond := "si.id = " + args.Add(id) + " AND " + c.Visible(&args, KindStanding, "si", "si.party_id")
		var status string
		if err := tx.QueryRowContext(ctx, "SELECT si.status FROM standing_items si WHERE "+cond, args...).Scan(&status); err != nil {
			return errs.NotFoundf("standing item", id)
		}
		if status == "closed" {
			return errs.E(errs.Conflict, "standing item %d is closed already", id)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE standing_items SET status = 'closed', closed_at = $1 WHERE id = $2", tx.Now, id); err != nil {
			return errs.Wrap(err, "close standing item")
		}
		return audit.Record(ctx, tx, "standing_item.close", KindStanding, id, nil)
	})
	if err != nil {
		return StandingItem{}, err
	}
	p, err := s.StandingItems(ctx, c, StandingFilter{ID: id})
	if err != nil || len(p.Items) == 0 {
		return StandingItem{}, errs.Wrap(err, "read standing item")
	}
	return p.Items[0], nil
}
