package delivery

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

func notice(org int64, key string) Notice {
	return Notice{OrgID: org, Kind: "vulnerability.notified", Title: "Material vulnerability in model X",
		Body: "A manufacturer has notified a material security vulnerability (G3.17).", Link: "/vulnerabilities/42",
		RecordKind: "vulnerability", RecordID: 42, Key: key, Data: map[string]any{"vulnerability": 42}}
}

func notify(t *testing.T, db *store.DB, n Notice) Sent {
	t.Helper()
	var sent Sent
	err := db.Write(context.Background(), system, func(tx *store.Tx) error {
		var err error
		sent, err = Notify(context.Background(), tx, n)
		return err
	})
	if err != nil {
		t.Fatalf("notify: %v", err)
	}
	return sent
}

func count(t *testing.T, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestNotifyWritesNoticeEmailsAndWebhooks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// Two labels with one address (in different case) are one recipient.
		org := addOrg(t, db, "SUPA", "large_supplier", "sec@supa.example", "SEC@supa.example", "ciso@supa.example")
		other := addOrg(t, db, "SUPB", "large_supplier", "sec@supb.example")
		svc := &Service{DB: db}
		user := addUser(t, db, "SUPA", "u@supa.example", "supplier")
		if _, _, err := svc.AddEndpoint(ctx, user, NewEndpoint{URL: "https://hooks.supa.example/metersec"}); err != nil {
			t.Fatal(err)
		}

		sent := notify(t, db, notice(org, "vulnerability:42:notified"))
		if sent.Emails != 2 || sent.Webhooks != 1 || sent.Repeat || sent.NoticeID == 0 {
			t.Fatalf("sent = %+v, want 2 emails, 1 webhook, a new notice", sent)
		}
		if n := count(t, db, "SELECT count(*) FROM delivery_jobs WHERE org_id = $1 AND notice_id = $2 AND state = 'pending'", org, sent.NoticeID); n != 3 {
			t.Errorf("%d pending jobs, want 3", n)
		}
		if n := count(t, db, "SELECT count(*) FROM delivery_jobs WHERE org_id = $1", other); n != 0 {
			t.Errorf("the other organisation got %d jobs", n)
		}
		if n := count(t, db, "SELECT count(*) FROM audit_log WHERE action = 'delivery.notify' AND object_id = $1", itoa(sent.NoticeID)); n != 1 {
			t.Errorf("%d audit records for the notice, want 1", n)
		}

		// Running the same fan-out again writes nothing.
		again := notify(t, db, notice(org, "vulnerability:42:notified"))
		if !again.Repeat || again.NoticeID != sent.NoticeID || again.Emails != 0 {
			t.Errorf("repeat = %+v, want Repeat of notice %d", again, sent.NoticeID)
		}
		if n := count(t, db, "SELECT count(*) FROM delivery_jobs"); n != 3 {
			t.Errorf("%d jobs after the repeat, want 3", n)
		}
		if n := count(t, db, "SELECT count(*) FROM notices"); n != 1 {
			t.Errorf("%d notices after the repeat, want 1", n)
		}
	})
}

func TestNotifyRollsBackWithItsTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		org := addOrg(t, db, "SUPA", "large_supplier", "sec@supa.example")
		err := db.Write(context.Background(), system, func(tx *store.Tx) error {
			if _, err := Notify(context.Background(), tx, notice(org, "k1")); err != nil {
				return err
			}
			return errRollBack // the change that caused the notice failed
		})
		if !errors.Is(err, errRollBack) {
			t.Fatalf("err = %v", err)
		}
		if n := count(t, db, "SELECT count(*) FROM notices"); n != 0 {
			t.Errorf("%d notices after rollback", n)
		}
		if n := count(t, db, "SELECT count(*) FROM delivery_jobs"); n != 0 {
			t.Errorf("%d jobs after rollback", n)
		}
		// The key is free again: the event can be notified when it happens.
		if sent := notify(t, db, notice(org, "k1")); sent.Repeat || sent.Emails != 1 {
			t.Errorf("after rollback, sent = %+v", sent)
		}
	})
}

func TestEnqueueIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m := Message{Kind: "reminder", Channel: Email, Email: "a@b.example", Subject: "Plan overdue", Key: "plan:7:overdue:2026-11-23"}
		for i, want := range []bool{true, false, false} {
			var inserted bool
			err := db.Write(context.Background(), system, func(tx *store.Tx) error {
				var err error
				inserted, err = Enqueue(context.Background(), tx, m)
				return err
			})
			if err != nil || inserted != want {
				t.Errorf("enqueue %d: inserted %v, %v; want %v", i, inserted, err, want)
			}
		}
		if n := count(t, db, "SELECT count(*) FROM delivery_jobs"); n != 1 {
			t.Errorf("%d jobs, want 1", n)
		}
	})
}

func TestNotifyRefusesBadNotices(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		org := addOrg(t, db, "SUPA", "large_supplier", "sec@supa.example")
		for _, tc := range []struct {
			name  string
			edit  func(*Notice)
			field string
		}{
			{"RED goes to named people, not organisations", func(n *Notice) { n.Classification = sec.Red }, "classification"},
			{"a title is one line (it becomes a mail header)", func(n *Notice) { n.Title = "x\r\nBcc: all@example.org" }, "title"},
			{"a key is required", func(n *Notice) { n.Key = "" }, "key"},
			{"an organisation is required", func(n *Notice) { n.OrgID = 0 }, "org_id"},
			{"a kind is required", func(n *Notice) { n.Kind = "" }, "kind"},
			{"a link has no spaces", func(n *Notice) { n.Link = "/a b" }, "link"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				n := notice(org, "bad")
				tc.edit(&n)
				err := db.Write(context.Background(), system, func(tx *store.Tx) error {
					_, err := Notify(context.Background(), tx, n)
					return err
				})
				e := errs.As(err)
				if e.Code != errs.Invalid || len(e.Fields) == 0 || e.Fields[0].Field != tc.field {
					t.Errorf("err = %v (%+v), want invalid %s", err, e.Fields, tc.field)
				}
			})
		}
		err := db.Write(context.Background(), system, func(tx *store.Tx) error {
			_, err := Notify(context.Background(), tx, notice(999999, "k"))
			return err
		})
		if errs.CodeOf(err) != errs.Invalid || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("unknown organisation: %v", err)
		}
	})
}

func TestInboxShowsOwnOrganisationOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := addOrg(t, db, "SUPA", "large_supplier")
		b := addOrg(t, db, "SUPB", "large_supplier")
		addOrg(t, db, "SSC", "ssc")
		alice := addUser(t, db, "SUPA", "alice@supa.example", "supplier")
		anne := addUser(t, db, "SUPA", "anne@supa.example", "supplier")
		bob := addUser(t, db, "SUPB", "bob@supb.example", "supplier")
		chair := addUser(t, db, "SSC", "chair@ssc.example", "ssc_member")
		svc := &Service{DB: db}

		n1 := notify(t, db, notice(a, "k1"))
		n2 := notify(t, db, notice(a, "k2"))
		nb := notify(t, db, notice(b, "k1"))

		list, err := svc.Inbox(ctx, alice, InboxFilter{})
		if err != nil || len(list) != 2 || list[0].ID != n2.NoticeID || list[1].ID != n1.NoticeID {
			t.Fatalf("alice's inbox = %+v, %v; want notices %d, %d", list, err, n2.NoticeID, n1.NoticeID)
		}
		if list, _ := svc.Inbox(ctx, bob, InboxFilter{}); len(list) != 1 || list[0].ID != nb.NoticeID {
			t.Errorf("bob's inbox = %+v", list)
		}
		// The SSC sees every AMBER record, but its inbox is its own.
		if list, _ := svc.Inbox(ctx, chair, InboxFilter{}); len(list) != 0 {
			t.Errorf("the SSC's inbox = %+v, want empty", list)
		}
		if _, err := svc.Notice(ctx, bob, n1.NoticeID); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("bob reading SUPA's notice: %v, want not found", err)
		}
		if _, err := svc.Inbox(ctx, system, InboxFilter{}); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("system inbox: %v", err)
		}

		if n, _ := svc.UnreadCount(ctx, alice); n != 2 {
			t.Errorf("alice unread = %d, want 2", n)
		}
		// Bob cannot mark SUPA's notice: the id is ignored.
		if n, err := svc.MarkRead(ctx, bob, n1.NoticeID); n != 0 || err != nil {
			t.Errorf("bob marking SUPA's notice: %d, %v", n, err)
		}
		if n, err := svc.MarkRead(ctx, alice, n1.NoticeID, n1.NoticeID); n != 1 || err != nil {
			t.Errorf("alice marking: %d, %v", n, err)
		}
		if n, _ := svc.MarkRead(ctx, alice, n1.NoticeID); n != 0 {
			t.Errorf("marking again marked %d", n)
		}
		if n, _ := svc.UnreadCount(ctx, alice); n != 1 {
			t.Errorf("alice unread = %d, want 1", n)
		}
		if n, _ := svc.UnreadCount(ctx, anne); n != 2 {
			t.Errorf("anne unread = %d, want 2 (read marks are per user)", n)
		}
		if list, _ := svc.Inbox(ctx, alice, InboxFilter{Unread: true}); len(list) != 1 || list[0].ID != n2.NoticeID {
			t.Errorf("alice unread list = %+v", list)
		}
		if got, _ := svc.Notice(ctx, alice, n1.NoticeID); got.ReadAt == nil {
			t.Errorf("notice %d has no read time", n1.NoticeID)
		}
		if n, _ := svc.MarkAllRead(ctx, alice); n != 1 {
			t.Errorf("mark all read marked %d, want 1", n)
		}
		if n, _ := svc.UnreadCount(ctx, alice); n != 0 {
			t.Errorf("alice unread = %d after marking all", n)
		}
		if n, _ := svc.UnreadCount(ctx, bob); n != 1 {
			t.Errorf("bob unread = %d, want 1", n)
		}
		if list, _ := svc.Inbox(ctx, alice, InboxFilter{Before: n2.NoticeID}); len(list) != 1 || list[0].ID != n1.NoticeID {
			t.Errorf("alice's second page = %+v", list)
		}
	})
}

func TestRecordDeliveriesAndQueueVisibility(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := addOrg(t, db, "SUPA", "large_supplier", "sec@supa.example")
		b := addOrg(t, db, "SUPB", "large_supplier", "sec@supb.example")
		addOrg(t, db, "SSC", "ssc")
		addOrg(t, db, "OPS", "operator")
		alice := addUser(t, db, "SUPA", "alice@supa.example", "supplier")
		chair := addUser(t, db, "SSC", "chair@ssc.example", "ssc_member")
		admin := addUser(t, db, "OPS", "admin@ops.example", "admin")
		svc := &Service{DB: db}
		notify(t, db, notice(a, "k1"))
		notify(t, db, notice(b, "k1"))

		// A Supplier never learns which other Suppliers were told.
		ds, err := svc.RecordDeliveries(ctx, alice, "vulnerability", 42)
		if err != nil || len(ds) != 1 || ds[0].OrgID != a || ds[0].Email != "sec@supa.example" || ds[0].State != Pending {
			t.Errorf("alice sees %+v, %v", ds, err)
		}
		if ds, _ := svc.RecordDeliveries(ctx, chair, "vulnerability", 42); len(ds) != 2 {
			t.Errorf("the SSC sees %d deliveries, want 2", len(ds))
		}
		if _, err := svc.Queue(ctx, alice); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("a supplier reading the queue: %v", err)
		}
		q, err := svc.Queue(ctx, admin)
		if err != nil || q[0].Channel != Email || q[0].State != Pending || q[0].Count != 2 || q[0].Oldest == nil {
			t.Errorf("queue = %+v, %v", q, err)
		}
		// Kill one job and look at it as the platform administrator: the
		// error is shown, the recipient is not.
		if _, err := db.Writer().Exec("UPDATE delivery_jobs SET state = 'dead', last_error = 'x' WHERE org_id = $1", b); err != nil {
			t.Fatal(err)
		}
		dead, _ := ProblemSpec.Parse(url.Values{"dead": {"true"}})
		pp, err := svc.Problems(ctx, admin, dead)
		ps := pp.Items
		if err != nil || len(ps) != 1 || pp.Total != 1 || ps[0].OrgID != 0 || ps[0].Email != "" || ps[0].LastError != "x" {
			t.Errorf("admin problems = %+v, %v", ps, err)
		}
		if pp, _ := svc.Problems(ctx, chair, ProblemSpec.First()); len(pp.Items) != 1 || pp.Items[0].OrgID != b {
			t.Errorf("SSC problems = %+v", pp)
		}
		if _, err := svc.Problems(ctx, alice, ProblemSpec.First()); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("a supplier reading the problems: %v", err)
		}
		if err := svc.Retry(ctx, alice, ps[0].ID); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("supplier retry: %v", err)
		}
		if err := svc.Retry(ctx, admin, ps[0].ID); err != nil {
			t.Errorf("retry: %v", err)
		}
		if err := svc.Retry(ctx, admin, ps[0].ID); errs.CodeOf(err) != errs.Conflict {
			t.Errorf("retrying a pending job: %v", err)
		}
	})
}
