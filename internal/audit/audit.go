// Package audit writes the audit trail: one record per change, in the same
// transaction as the change, chained by hash to the record before it, so that
// editing, deleting or reordering any record is found by Verify.
//
// The trail records who did what to which object and a digest of the new
// state, never the state itself: the trail is readable by people who may not
// read every record it mentions.
package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/uk"
)

// Entry is one audit record.
type Entry struct {
	Seq         int64     `json:"seq"`
	At          time.Time `json:"at"`
	ActorUserID int64     `json:"actor_user_id,omitempty"`
	ActorOrgID  int64     `json:"actor_org_id,omitempty"`
	Actor       string    `json:"actor"`
	Action      string    `json:"action"`
	ObjectType  string    `json:"object_type"`
	ObjectID    string    `json:"object_id"`
	Digest      string    `json:"digest"`
	PrevHash    string    `json:"prev_hash"`
	Hash        string    `json:"hash"`
}

// Digest is the SHA-256 of the JSON encoding of state.
func Digest(state any) string {
	b, err := json.Marshal(state)
	if err != nil {
		b = fmt.Appendf(nil, "%#v", state)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// hash is the link: the SHA-256 of the previous link and every field of the
// entry.
func (e Entry) hash() string {
	return Link(e.PrevHash, strconv.FormatInt(e.Seq, 10), e.At.UTC().Format(time.RFC3339Nano),
		strconv.FormatInt(e.ActorUserID, 10), strconv.FormatInt(e.ActorOrgID, 10), e.Actor,
		e.Action, e.ObjectType, e.ObjectID, e.Digest)
}

// Link is one link of a hash chain: the hex SHA-256 of the fields (the
// previous link first), each followed by a unit separator so that no two
// different lists of fields hash the same text. The audit trail and other
// append-only records (a Triage Facility's asset record) chain with it.
func Link(fields ...string) string {
	h := sha256.New()
	for _, s := range fields {
		h.Write([]byte(s))
		h.Write([]byte{0x1f})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Genesis is the link before the first entry of a chain.
var Genesis = strings.Repeat("0", 64)

// Record appends an entry for a change made in tx: action (e.g.
// "party.create") on the object, with a digest of its new state.
func Record(ctx context.Context, tx *store.Tx, action, objectType string, objectID any, state any) error {
	e := Entry{
		At:          tx.Now,
		ActorUserID: tx.Actor.UserID,
		ActorOrgID:  tx.Actor.OrgID,
		Actor:       actorName(tx.Actor),
		Action:      action,
		ObjectType:  objectType,
		ObjectID:    fmt.Sprint(objectID),
		Digest:      Digest(state),
	}
	// Taking the head row serialises writers on PostgreSQL (the row stays
	// locked until commit); SQLite has one writer anyway.
	if err := tx.QueryRowContext(ctx, "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash").
		Scan(&e.Seq, &e.PrevHash); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	e.Hash = e.hash()
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log
		(seq, at, actor_user_id, actor_org_id, actor, action, object_type, object_id, digest, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		e.Seq, e.At, nullID(e.ActorUserID), nullID(e.ActorOrgID), e.Actor, e.Action, e.ObjectType, e.ObjectID,
		e.Digest, e.PrevHash, e.Hash); err != nil {
		return fmt.Errorf("audit record: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE audit_head SET hash = $1 WHERE id = 1", e.Hash); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	return nil
}

func actorName(c access.Caller) string {
	switch {
	case c.Name != "" && c.Via != "":
		return c.Via + ":" + c.Name
	case c.Name != "":
		return c.Name
	}
	return "unknown"
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// Break is the first place the chain does not hold.
type Break struct {
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
}

// Report is the outcome of Verify.
type Report struct {
	Checked int64 `json:"checked"`
	Head    int64 `json:"head"`
	// Anchored is the newest entry a signed checkpoint vouched for (0 when
	// no checkpoint was given): entries up to it cannot have been rewritten
	// or deleted without the key.
	Anchored int64  `json:"anchored,omitempty"`
	Broken   *Break `json:"broken,omitempty"`
}

// OK reports whether the chain held.
func (r Report) OK() bool { return r.Broken == nil }

// Verify walks the trail in order and reports the first broken link: an entry
// whose fields no longer match its hash (edited), a missing sequence number or
// a missing tail (deleted), or an entry whose link does not name the entry
// before it (deleted or reordered).
//
// Alone it cannot see a rewrite by someone who also recomputed the hashes and
// the head. VerifySigned adds signed checkpoints for that.
func Verify(ctx context.Context, db *store.DB) (Report, error) {
	return verify(ctx, db, nil)
}

// VerifySigned is Verify that also holds the trail to checkpoints signed by
// pub: the one given (exported to a file, received by email) and every one
// stored in the database under the same key. A checkpoint whose signature
// does not hold is an error, not a break: it proves nothing either way. The
// trail is broken if an entry a checkpoint covers has a different hash
// (rewritten, hashes recomputed) or is missing (the newest entries deleted
// and the head moved back).
func VerifySigned(ctx context.Context, db *store.DB, pub ed25519.PublicKey, given *Checkpoint) (Report, error) {
	stored, err := StoredCheckpoints(ctx, db, pub)
	if err != nil {
		return Report{}, err
	}
	anchors := map[int64]Checkpoint{}
	for _, cp := range stored {
		if err := cp.CheckSignature(pub); err != nil {
			return Report{Broken: &Break{Seq: cp.Seq, Reason: "a checkpoint stored in the database for entry " +
				strconv.FormatInt(cp.Seq, 10) + " has a bad signature: " + err.Error()}}, nil
		}
		anchors[cp.Seq] = cp
	}
	if given != nil {
		if err := given.CheckSignature(pub); err != nil {
			return Report{}, errs.E(errs.Invalid, "%s", err.Error())
		}
		anchors[given.Seq] = *given
	}
	return verify(ctx, db, anchors)
}

func verify(ctx context.Context, db *store.DB, anchors map[int64]Checkpoint) (Report, error) {
	var rep Report
	var headHash string
	if err := db.QueryRowContext(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1").Scan(&rep.Head, &headHash); err != nil {
		return rep, fmt.Errorf("read audit head: %w", err)
	}
	rows, err := db.QueryContext(ctx, `SELECT seq, at, actor_user_id, actor_org_id, actor, action, object_type,
		object_id, digest, prev_hash, hash FROM audit_log ORDER BY seq`)
	if err != nil {
		return rep, fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	prev := Entry{Hash: Genesis}
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return rep, err
		}
		switch {
		case e.Seq != prev.Seq+1:
			rep.Broken = &Break{Seq: prev.Seq + 1, Reason: fmt.Sprintf("entry %d is missing (the next entry is %d): entries were deleted", prev.Seq+1, e.Seq)}
		case e.PrevHash != prev.Hash:
			rep.Broken = &Break{Seq: e.Seq, Reason: fmt.Sprintf("entry %d does not link to entry %d: entries were deleted, inserted or reordered", e.Seq, prev.Seq)}
		case e.hash() != e.Hash:
			rep.Broken = &Break{Seq: e.Seq, Reason: fmt.Sprintf("entry %d does not match its hash: it was edited", e.Seq)}
		}
		if cp, ok := anchors[e.Seq]; ok && rep.Broken == nil {
			if cp.Hash != e.Hash {
				rep.Broken = &Break{Seq: e.Seq, Reason: fmt.Sprintf("entry %d does not match the checkpoint signed at %s: the trail was rewritten and its hashes recomputed", e.Seq, cp.At.Format(time.RFC3339))}
			} else {
				rep.Anchored = e.Seq
			}
		}
		if rep.Broken != nil {
			return rep, nil
		}
		rep.Checked++
		prev = e
	}
	if err := rows.Err(); err != nil {
		return rep, err
	}
	if prev.Seq != rep.Head || prev.Hash != headHash {
		rep.Broken = &Break{Seq: prev.Seq + 1, Reason: fmt.Sprintf("the trail ends at entry %d but its head says %d: entries at the end were deleted", prev.Seq, rep.Head)}
		return rep, nil
	}
	// The newest checkpoint beyond the end of the trail: its entries are gone.
	var lost *Checkpoint
	for _, cp := range anchors {
		if cp.Seq > prev.Seq && (lost == nil || cp.Seq > lost.Seq) {
			lost = &cp
		}
	}
	if lost != nil {
		rep.Broken = &Break{Seq: prev.Seq + 1, Reason: fmt.Sprintf("the trail ends at entry %d but the checkpoint signed at %s covers entry %d: the newest entries were deleted and the head moved back", prev.Seq, lost.At.Format(time.RFC3339), lost.Seq)}
	}
	return rep, nil
}

func scan(rows interface{ Scan(...any) error }) (Entry, error) {
	var e Entry
	var user, org sql.NullInt64
	err := rows.Scan(&e.Seq, &e.At, &user, &org, &e.Actor, &e.Action, &e.ObjectType, &e.ObjectID, &e.Digest, &e.PrevHash, &e.Hash)
	e.ActorUserID, e.ActorOrgID = user.Int64, org.Int64
	e.At = e.At.UTC()
	return e, err
}

// Filter narrows a listing of the trail, for callers without a query
// string (the CLI); pages and the API use ListSpec.
type Filter struct {
	ObjectType string
	ObjectID   string
	Before     int64 // entries with seq below this; 0 for the newest
	Limit      int
}

// ListSpec is what the audit trail's list accepts (issue 15 point 7):
// newest or oldest first, filtered by who (actor), what (action, or an
// action's prefix ending in "."), the object (type and id) and a range of
// days. It takes no text search: each filter is exact and indexed.
var ListSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "seq", Label: "#", Expr: "seq", Kind: listing.Int},
	},
	Default: "-seq",
	ID:      "seq",
	Facets: []listing.Facet{
		{Name: "actor", Description: "only entries by this actor: a user's email, or the actor as the trail shows it (session:…, token:…, cli:…)"},
		{Name: "action", Description: "only entries of this action (user.disable), or of every action starting with it when it ends in a dot (user.)"},
		{Name: "object_type", Description: "only entries about objects of this type (user, party, vuln, …)"},
		{Name: "object_id", Description: "only entries about the object with this id (with object_type)"},
		{Name: "before", Description: "only entries before this sequence number (the older pages of the former API)", Type: "integer"},
	},
	Dates: "the day (in the UK) the entry was written",
}

// CSVHeader is the header of the trail's CSV export.
var CSVHeader = []string{"seq", "at", "actor", "action", "object_type", "object_id", "digest", "prev_hash", "hash"}

// CSV is the entry as a row of the CSV export.
func (e Entry) CSV() []string {
	return []string{strconv.FormatInt(e.Seq, 10), e.At.UTC().Format(time.RFC3339), e.Actor, e.Action, e.ObjectType, e.ObjectID, e.Digest, e.PrevHash, e.Hash}
}

// MayRead reports whether the caller may read the trail. It holds no record
// content, but its object ids and actors still say who works on what, so
// only the platform administrators and the SSC and its secretariat may.
func MayRead(c access.Caller) bool {
	return c.System || c.HasAny(sec.RoleAdmin, sec.RoleSSCMember, sec.RoleSecretariat)
}

var errMayNotRead = errs.E(errs.Forbidden, "only platform administrators, SSC members and the secretariat may read the audit trail")

// ListQuery is a request of the trail's list. ActorUserID, when not zero,
// is the user the actor filter named by email (the caller resolves it: the
// users are not this package's).
type ListQuery struct {
	Req         listing.Request
	ActorUserID int64
}

func (q ListQuery) where(args *access.Args) (string, bool) {
	var where []string
	if a := q.Req.Facet("actor"); a != "" {
		if q.ActorUserID != 0 {
			where = append(where, "actor_user_id = "+args.Add(q.ActorUserID))
		} else {
			where = append(where, "actor IN ("+args.Add(a)+", "+args.Add("session:"+a)+", "+args.Add("token:"+a)+")")
		}
	}
	if a := q.Req.Facet("action"); a != "" {
		if strings.HasSuffix(a, ".") {
			where = append(where, "action LIKE "+args.Add(escapeLike(a)+"%")+" ESCAPE '\\'")
		} else {
			where = append(where, "action = "+args.Add(a))
		}
	}
	if t := q.Req.Facet("object_type"); t != "" {
		where = append(where, "object_type = "+args.Add(t))
	}
	if id := q.Req.Facet("object_id"); id != "" {
		where = append(where, "object_id = "+args.Add(id))
	}
	if b := q.Req.Facet("before"); b != "" {
		n, _ := strconv.ParseInt(b, 10, 64)
		where = append(where, "seq < "+args.Add(n))
	}
	if !q.Req.From.IsZero() {
		where = append(where, "at >= "+args.Add(ukMidnight(q.Req.From)))
	}
	if !q.Req.To.IsZero() {
		where = append(where, "at < "+args.Add(ukMidnight(q.Req.To.AddDays(1))))
	}
	if len(where) == 0 {
		return "TRUE", false
	}
	return strings.Join(where, " AND "), true
}

// listQuery is the trail's SQL for q (with q's actor as a user id when
// the CLI's Filter named one).
func listQuery(q ListQuery) listing.Query[Entry] {
	return listing.Query[Entry]{
		What: "list audit",
		Columns: func(*access.Args) string {
			return "seq, at, actor_user_id, actor_org_id, actor, action, object_type, object_id, digest, prev_hash, hash"
		},
		From: " FROM audit_log",
		Where: func(args *access.Args, req listing.Request) string {
			q.Req = req
			where, _ := q.where(args)
			return where
		},
		Scan: func(r listing.Scanner) (Entry, error) { return scan(r) },
		Key:  func(e Entry, _ listing.Request) (any, int64) { return e.Seq, e.Seq },
	}
}

// Page is one page of the trail with the total the filters match. Without
// filters the total is the head's sequence number: the trail has no gaps
// (Verify says so), and counting millions of rows per page view would not do.
func Page(ctx context.Context, db *store.DB, c access.Caller, q ListQuery) (listing.Page[Entry], error) {
	if !MayRead(c) {
		return listing.Page[Entry]{}, errMayNotRead
	}
	lq := listQuery(q)
	var items []Entry
	if err := lq.Each(ctx, db, q.Req, func(e Entry) error { items = append(items, e); return nil }); err != nil {
		return listing.Page[Entry]{}, err
	}
	var total int64
	var err error
	if _, filtered := q.where(&access.Args{}); filtered {
		total, err = lq.Count(ctx, db, q.Req)
	} else {
		err = errs.Wrap(db.QueryRowContext(ctx, "SELECT seq FROM audit_head WHERE id = 1").Scan(&total), "count audit")
	}
	if err != nil {
		return listing.Page[Entry]{}, err
	}
	return lq.Finish(q.Req, items, total), nil
}

// Export writes every entry the filters match to w, row by row.
func Export(ctx context.Context, db *store.DB, c access.Caller, q ListQuery, w listing.Writer) error {
	if !MayRead(c) {
		return errMayNotRead
	}
	return listQuery(q).Export(ctx, db, q.Req, w, Entry.CSV)
}

// List returns entries newest first, for the CLI: those before f.Before
// about the object, at most f.Limit (100 when 0, 500 at most).
func List(ctx context.Context, db *store.DB, c access.Caller, f Filter) ([]Entry, error) {
	v := url.Values{"object_type": {f.ObjectType}, "object_id": {f.ObjectID}}
	if f.Before > 0 {
		v.Set("before", strconv.FormatInt(f.Before, 10))
	}
	limit := f.Limit
	if limit <= 0 || limit > listing.MaxLimit {
		limit = 100
	}
	v.Set("limit", strconv.Itoa(limit))
	req, err := ListSpec.Parse(v)
	if err != nil {
		return nil, err
	}
	p, err := Page(ctx, db, c, ListQuery{Req: req})
	return p.Items, err
}

// escapeLike escapes LIKE's wildcards in s, for ESCAPE with a backslash.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}

// ukMidnight is when day d starts in the UK, in UTC as the trail stores it.
func ukMidnight(d sec.Date) time.Time {
	t := d.Time()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, uk.London).UTC()
}
