package report

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Report is a stored report, without its content.
type Report struct {
	ID             int64              `json:"id"`
	RunID          int64              `json:"run_id"`
	Kind           Kind               `json:"kind"`
	Month          Month              `json:"month"`
	Version        int                `json:"version"`
	Reference      string             `json:"reference"`
	Recipient      *OrgRef            `json:"recipient,omitempty"`
	Title          string             `json:"title"`
	Classification sec.Classification `json:"classification"`
	Digest         string             `json:"digest"`
	CreatedAt      time.Time          `json:"created_at"`
	Files          []File             `json:"files"`
	Deliveries     []Delivery         `json:"deliveries"`
	// Overrides are the organisations the report names under its duty
	// against their directory markings (filled in by Get).
	Overrides []Override `json:"duty_overrides,omitempty"`
}

// Override is one organisation a report names to its recipient under the
// SSC's monthly duty although the organisation's directory marking alone
// would keep it from the recipient (or, Recipient, the recipient itself,
// whose own entry is RED). Only those who may read the report see these:
// the recipient, and whoever may see every entry named.
type Override struct {
	Org       OrgRef             `json:"org"`
	Duty      sec.MonthlyDuty    `json:"duty"`
	DutyLabel string             `json:"duty_label"`
	Marking   sec.Classification `json:"marking"`
	Recipient bool               `json:"recipient"`
	Reason    string             `json:"reason"`
}

// Delivery is the record of a report's notice to its recipient: when it was
// queued, to which addresses, and, once the delivery queue has tried, each
// job's outcome.
type Delivery struct {
	Org      string    `json:"org"`
	NoticeID int64     `json:"notice_id"`
	Emails   []string  `json:"emails"`
	Webhooks int       `json:"webhooks"`
	Repeated bool      `json:"repeated"`
	QueuedAt time.Time `json:"queued_at"`
	Jobs     []Job     `json:"jobs"`
}

// Job is one delivery attempt's outcome as the delivery queue records it.
type Job struct {
	Channel     string     `json:"channel"` // email or webhook
	To          string     `json:"to"`      // the address, or the webhook endpoint's id
	State       string     `json:"state"`   // pending, sending, delivered, dead
	Attempts    int        `json:"attempts"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
}

// Filter narrows a listing of reports.
type Filter struct {
	Month Month
	Kind  Kind
	Org   string // the recipient's organisation code
	Limit int
}

const reportColumns = `r.id, r.run_id, r.kind, r.month, r.version, r.reference, o.code, o.name, r.title, r.classification, r.digest, r.created_at`

func scanReport(sc interface{ Scan(...any) error }) (Report, error) {
	var r Report
	var month string
	var code, name *string
	if err := sc.Scan(&r.ID, &r.RunID, &r.Kind, &month, &r.Version, &r.Reference, &code, &name, &r.Title, &r.Classification, &r.Digest, &r.CreatedAt); err != nil {
		return r, err
	}
	r.Month, _ = ParseMonth(month)
	r.CreatedAt = r.CreatedAt.UTC()
	if code != nil {
		r.Recipient = &OrgRef{Code: *code, Name: *name}
	}
	r.Files, r.Deliveries = []File{}, []Delivery{}
	return r, nil
}

// visible is the caller's condition on reports r: AMBER reports are seen by
// their recipient (by its column, and any organisation the SSC names) and the
// SSC; RED standing reports by the people they name. A report that names an
// organisation under its duty against that organisation's marking
// (report_disclosures) is read, besides its recipient, only by those who may
// see every such directory entry: the duty overrides the marking for the
// recipient alone, and every third party, the SSC members the entry does not
// name included, is kept from it.
func visible(c access.Caller, args *access.Args) string {
	base := c.Visible(args, RecordKind, "r", "r.recipient_org_id")
	if c.System {
		return base
	}
	own := "r.recipient_org_id = " + args.Add(c.OrgID)
	entry := c.Visible(args, "party", "dx", "dx.id")
	return "(" + base + " AND (" + own + " OR NOT EXISTS (SELECT 1 FROM report_disclosures rd JOIN organisations dx ON dx.id = rd.org_id" +
		" WHERE rd.report_id = r.id AND NOT " + entry + ")))"
}

// List returns the reports the caller may see, newest month first.
func (s *Service) List(ctx context.Context, c access.Caller, f Filter) ([]Report, error) {
	if !c.SignedIn() {
		return nil, errs.E(errs.Unauthenticated, "sign in to see reports")
	}
	var args access.Args
	where := []string{visible(c, &args)}
	if !f.Month.IsZero() {
		where = append(where, "r.month = "+args.Add(f.Month.String()))
	}
	if f.Kind != "" {
		where = append(where, "r.kind = "+args.Add(string(f.Kind)))
	}
	if f.Org != "" {
		where = append(where, "o.code = "+args.Add(strings.ToUpper(strings.TrimSpace(f.Org))))
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 500
	}
	rows, err := s.DB.QueryContext(ctx, "SELECT "+reportColumns+` FROM reports r LEFT JOIN organisations o ON o.id = r.recipient_org_id
		WHERE `+strings.Join(where, " AND ")+` ORDER BY r.month DESC, r.kind, o.code, r.version DESC LIMIT `+strconv.Itoa(limit), args...)
	if err != nil {
		return nil, errs.Wrap(err, "list reports")
	}
	var out []Report
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			rows.Close()
			return nil, errs.Wrap(err, "list reports")
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, "list reports")
	}
	if err := attach(ctx, s.DB, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Get returns one report, with its files' digests and its delivery record,
// if the caller may see it.
func (s *Service) Get(ctx context.Context, c access.Caller, id int64) (Report, error) {
	if !c.SignedIn() {
		return Report{}, errs.E(errs.Unauthenticated, "sign in to see reports")
	}
	args := access.Args{id}
	r, err := scanReport(s.DB.QueryRowContext(ctx, "SELECT "+reportColumns+` FROM reports r LEFT JOIN organisations o ON o.id = r.recipient_org_id
		WHERE r.id = $1 AND `+visible(c, &args), args...))
	if errors.Is(err, sql.ErrNoRows) {
		return r, errs.NotFoundf("report", id)
	}
	if err != nil {
		return r, errs.Wrap(err, "get report")
	}
	out := []Report{r}
	if err := attach(ctx, s.DB, out); err != nil {
		return r, err
	}
	if out[0].Overrides, err = overrides(ctx, s.DB, id); err != nil {
		return r, err
	}
	return out[0], s.jobs(ctx, c, &out[0])
}

// overrides reads a report's duty overrides. The report's own visibility
// (visible) already requires its reader to be its recipient or to see every
// entry listed.
func overrides(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, reportID int64) ([]Override, error) {
	rows, err := q.QueryContext(ctx, `SELECT o.code, o.name, d.duty, d.marking, d.recipient, d.reason
		FROM report_disclosures d JOIN organisations o ON o.id = d.org_id WHERE d.report_id = $1 ORDER BY o.code`, reportID)
	if err != nil {
		return nil, errs.Wrap(err, "report overrides")
	}
	defer rows.Close()
	var out []Override
	for rows.Next() {
		var o Override
		if err := rows.Scan(&o.Org.Code, &o.Org.Name, &o.Duty, &o.Marking, &o.Recipient, &o.Reason); err != nil {
			return nil, errs.Wrap(err, "report overrides")
		}
		o.DutyLabel = o.Duty.Label()
		out = append(out, o)
	}
	return out, errs.Wrap(rows.Err(), "report overrides")
}

// attach adds the files' digests and the delivery records to reports the
// caller has been allowed to see.
func attach(ctx context.Context, q store.Querier, rs []Report) error {
	if len(rs) == 0 {
		return nil
	}
	idx := map[int64]int{}
	var args access.Args
	in := make([]string, len(rs))
	for i, r := range rs {
		idx[r.ID] = i
		in[i] = args.Add(r.ID)
	}
	list := strings.Join(in, ", ")
	rows, err := q.QueryContext(ctx, "SELECT report_id, format, size, sha256 FROM report_files WHERE report_id IN ("+list+") ORDER BY report_id", args...)
	if err != nil {
		return errs.Wrap(err, "report files")
	}
	for rows.Next() {
		var id int64
		var f File
		if err := rows.Scan(&id, &f.Format, &f.Size, &f.SHA256); err != nil {
			rows.Close()
			return errs.Wrap(err, "report files")
		}
		rs[idx[id]].Files = append(rs[idx[id]].Files, f)
	}
	rows.Close()
	for i := range rs {
		sortFiles(rs[i].Files)
	}
	rows, err = q.QueryContext(ctx, `SELECT d.report_id, o.code, d.notice_id, d.emails, d.webhooks, d.repeated, d.queued_at
		FROM report_deliveries d JOIN organisations o ON o.id = d.org_id WHERE d.report_id IN (`+list+`) ORDER BY d.id`, args...)
	if err != nil {
		return errs.Wrap(err, "report deliveries")
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var d Delivery
		var emails string
		if err := rows.Scan(&id, &d.Org, &d.NoticeID, &emails, &d.Webhooks, &d.Repeated, &d.QueuedAt); err != nil {
			return errs.Wrap(err, "report deliveries")
		}
		d.QueuedAt = d.QueuedAt.UTC()
		d.Emails = []string{}
		if emails != "" {
			d.Emails = strings.Split(emails, ", ")
		}
		d.Jobs = []Job{}
		rs[idx[id]].Deliveries = append(rs[idx[id]].Deliveries, d)
	}
	return errs.Wrap(rows.Err(), "report deliveries")
}

func sortFiles(fs []File) {
	order := map[Format]int{CSV: 0, JSON: 1, HTML: 2, PDF: 3}
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && order[fs[j].Format] < order[fs[j-1].Format]; j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}

// Download is a stored report file, as it was generated.
type Download struct {
	Report    Report
	Format    Format
	MediaType string
	SHA256    string
	Bytes     []byte
}

// Filename is the name a download is saved under.
func (d Download) Filename() string { return d.Report.Reference + "." + string(d.Format) }

// File returns one stored file of a report, if the caller may see the report.
func (s *Service) File(ctx context.Context, c access.Caller, id int64, format Format) (Download, error) {
	r, err := s.Get(ctx, c, id)
	if err != nil {
		return Download{}, err
	}
	dl := Download{Report: r, Format: format}
	args := access.Args{id, string(format)}
	err = s.DB.QueryRowContext(ctx, `SELECT f.media_type, f.sha256, f.content FROM report_files f JOIN reports r ON r.id = f.report_id
		WHERE f.report_id = $1 AND f.format = $2 AND `+visible(c, &args), args...).Scan(&dl.MediaType, &dl.SHA256, &dl.Bytes)
	if errors.Is(err, sql.ErrNoRows) {
		return dl, errs.NotFoundf("report file", string(format))
	}
	return dl, errs.Wrap(err, "read report file")
}

// StandingView is a stored standing report laid out again from its own JSON
// file: what was generated, never a recomputation.
type StandingView struct {
	Report   Report
	Data     StandingData
	Notes    []string
	Sections []Section
}

// StandingReport returns a stored standing report for display, if the
// caller may see it.
func (s *Service) StandingReport(ctx context.Context, c access.Caller, id int64) (StandingView, error) {
	dl, err := s.File(ctx, c, id, JSON)
	if err != nil {
		return StandingView{}, err
	}
	if dl.Report.Kind != StandingKind {
		return StandingView{}, errs.NotFoundf("standing report", id)
	}
	var doc struct {
		Notes []string     `json:"notes"`
		Data  StandingData `json:"data"`
	}
	if err := json.Unmarshal(dl.Bytes, &doc); err != nil {
		return StandingView{}, errs.Wrap(err, "read standing report")
	}
	return StandingView{Report: dl.Report, Data: doc.Data, Notes: doc.Notes, Sections: standingSections(doc.Data, dl.Report.Month)}, nil
}

// TableCSV writes one table of a stored standing report, whole, as CSV (the
// page and the PDF show the head of a long table and link to this).
func (v StandingView) TableCSV(id string) (name string, body []byte, err error) {
	for _, s := range v.Sections {
		if s.ID != id || s.Table == nil {
			continue
		}
		var buf bytes.Buffer
		buf.WriteString("# " + oneLine("TLP:"+v.Report.Classification.TLP()+" · "+v.Report.Reference+" · "+s.Heading) + "\r\n")
		w := csv.NewWriter(&buf)
		w.UseCRLF = true
		writeTableCSV(w, s.Table)
		w.Flush()
		return TableFileName(v.Report.Reference, s.ID), buf.Bytes(), w.Error()
	}
	return "", nil, errs.E(errs.NotFound, "report %s has no table %q", v.Report.Reference, id)
}

// Latest returns the newest report of a kind the caller may see, or false.
func (s *Service) Latest(ctx context.Context, c access.Caller, kind Kind) (Report, bool, error) {
	rs, err := s.List(ctx, c, Filter{Kind: kind, Limit: 1})
	if err != nil || len(rs) == 0 {
		return Report{}, false, err
	}
	return rs[0], true, nil
}
