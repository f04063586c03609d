package report

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

func init() { account.DefaultArgon2 = account.Argon2Params{Memory: 64, Time: 1, Threads: 1} }

var sys = access.SystemCaller("test")

// clock is a settable clock for the database.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func setClock(db *store.DB, t time.Time) *clock {
	c := &clock{t: t}
	db.Now = func() time.Time {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.t.UTC().Truncate(time.Microsecond)
	}
	return c
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// recorder is a Notifier that keeps what it is asked to send, as the
// delivery queue would: once per key and organisation.
type recorder struct {
	mu      sync.Mutex
	notices []delivery.Notice
	keys    map[string]bool
}

func (r *recorder) Notify(ctx context.Context, tx *store.Tx, n delivery.Notice) (delivery.Sent, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.keys == nil {
		r.keys = map[string]bool{}
	}
	k := n.Key + "|" + itoa(n.OrgID)
	if r.keys[k] {
		return delivery.Sent{NoticeID: 1, Repeat: true}, nil
	}
	r.keys[k] = true
	r.notices = append(r.notices, n)
	return delivery.Sent{NoticeID: int64(len(r.notices)), Emails: 1}, nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.notices)
}

func mustParty(t *testing.T, db *store.DB, code, name string, class sec.Classification, roles []string, email string) party.Party {
	t.Helper()
	in := party.NewParty{Code: code, Name: name, Roles: roles, Classification: string(class)}
	if email != "" {
		in.Contacts = []party.ContactInput{{Name: "Contact of " + code, Email: email, Phone: "01632 960000"}}
	}
	p, err := (&party.Service{DB: db}).Create(context.Background(), sys, in)
	if err != nil {
		t.Fatalf("party %s: %v", code, err)
	}
	return p
}

func exec(t *testing.T, db *store.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Writer().Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// insertModel adds a Device model straight into the catalogue's table: the
// reports need only its manufacturer, code and kind.
func insertModel(t *testing.T, db *store.DB, mfr int64, code, name string, typ sec.DeviceType, gen sec.Generation) int64 {
	t.Helper()
	var id int64
	now := db.Now()
	if err := db.Writer().QueryRow(`INSERT INTO device_models (manufacturer_id, code, name, device_type, generation, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`, mfr, code, name, string(typ), string(gen), now).Scan(&id); err != nil {
		t.Fatalf("model %s: %v", code, err)
	}
	return id
}

// addPortfolio adds installed Devices to the portfolio aggregates as the
// estate would (the table has no foreign keys; firmware ids are any number).
func addPortfolio(t *testing.T, db *store.DB, supplier, modelID, firmware, mapID int64, gen sec.Generation, typ sec.DeviceType, n int64) {
	t.Helper()
	addPortfolioFrom(t, db, supplier, modelID, firmware, mapID, gen, typ, n, "2020-01-01")
}

// nextDevice numbers the Devices the tests install.
var nextDevice atomic.Int64

// addPortfolioFrom installs n Devices whose supply began on start, and adds
// them to the portfolio aggregates as the estate would: a late month's
// snapshot counts the Devices from their supply periods, today's from the
// aggregates.
func addPortfolioFrom(t *testing.T, db *store.DB, supplier, modelID, firmware, mapID int64, gen sec.Generation, typ sec.DeviceType, n int64, start string) {
	t.Helper()
	exec(t, db, `INSERT INTO portfolio (supplier_id, model_id, firmware_id, map_id, generation, device_type, devices) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (supplier_id, model_id, firmware_id, map_id) DO UPDATE SET devices = portfolio.devices + excluded.devices`,
		supplier, modelID, firmware, mapID, string(gen), string(typ), n)
	var sup, mp any
	if supplier != 0 {
		sup = supplier
	}
	if mapID != 0 {
		mp = mapID
	}
	// The portfolio's firmware ids are any number; a Device needs a
	// catalogue row, one a model for these tests.
	var fw int64
	if err := db.Writer().QueryRow("SELECT COALESCE(MIN(id), 0) FROM firmware_versions WHERE model_id = $1", modelID).Scan(&fw); err != nil {
		t.Fatal(err)
	}
	if fw == 0 {
		if err := db.Writer().QueryRow(`INSERT INTO firmware_versions (model_id, version, created_at, updated_at) VALUES ($1, '1.0', $2, $2) RETURNING id`,
			modelID, db.Now()).Scan(&fw); err != nil {
			t.Fatal(err)
		}
	}
	for range n {
		exec(t, db, `INSERT INTO devices (id, model_id, firmware_id, map_id, premises, status, supplier_id, supply_start, inherited, firmware_since)
			VALUES ($1, $2, $3, $4, 'domestic', 'installed', $5, $6, FALSE, $6)`, 1<<40+nextDevice.Add(1), modelID, fw, mp, sup, start)
	}
}

func addUser(t *testing.T, db *store.DB, email, org string, role sec.Role) access.Caller {
	t.Helper()
	u, err := account.NewService(db).AddUser(context.Background(), sys, account.NewUser{Email: email, Name: email, Org: org,
		Roles: []string{string(role)}, Password: "correct horse battery"})
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return u.Caller("session", nil)
}

func count(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
