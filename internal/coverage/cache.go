package coverage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// The coverage of today or a later day is cached: computing the SSC's
// national report reads every portfolio cell and costs 0.5–3 s at a million
// Devices, and what it depends on changes rarely. The key is the version of
// its inputs kept in the database (coverage_version, bumped by triggers in
// the transaction of every write to them: migration 1300), the day, the
// Supplier asked for and the caller's visibility. The version is read in the
// transaction the report would be computed in, so a server never answers
// from a report older than the data it can see, and several servers on one
// database each notice every change. A past day is computed afresh.

// cacheSize bounds the reports kept: one per caller and question, the
// national one about 7 MB (24 Suppliers; the size follows Suppliers ×
// models, not Devices), so at most about 110 MB.
const cacheSize = 16

type cacheKey struct {
	date     sec.Date
	supplier string
	caller   string
	// rules are the service's settings and release table, as text: they
	// are the process's, set when the server starts (tests change them).
	rules string
}

type cacheEntry struct {
	version int64
	rep     Report
	used    uint64
}

type reportCache struct {
	mu      sync.Mutex
	entries map[cacheKey]*cacheEntry
	clock   uint64
	hits    uint64
	misses  uint64
}

func (rc *reportCache) get(k cacheKey, version int64) (Report, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	e, ok := rc.entries[k]
	if !ok || e.version != version {
		rc.misses++
		return Report{}, false
	}
	rc.clock++
	e.used = rc.clock
	rc.hits++
	return e.rep, true
}

func (rc *reportCache) put(k cacheKey, version int64, rep Report) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.entries == nil {
		rc.entries = map[cacheKey]*cacheEntry{}
	}
	if e, ok := rc.entries[k]; ok && e.version > version {
		return // a later report is already kept
	}
	if _, ok := rc.entries[k]; !ok && len(rc.entries) >= cacheSize {
		var oldest cacheKey
		first := true
		for key, e := range rc.entries {
			if first || e.used < rc.entries[oldest].used {
				oldest, first = key, false
			}
		}
		delete(rc.entries, oldest)
	}
	rc.clock++
	rc.entries[k] = &cacheEntry{version: version, rep: rep, used: rc.clock}
}

// CacheStats says how often Compute answered from the cache.
func (s *Service) CacheStats() (hits, misses uint64) {
	if s.cache == nil {
		return 0, 0
	}
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	return s.cache.hits, s.cache.misses
}

// callerKey is what the visibility conditions of coverage's SQL depend on
// (access.Caller.VisibleAs), so two callers with one key see the same
// report. Whoever sees all AMBER (the SSC, the secretariat) differs from
// another such caller only in the RED records it is named on, its
// audience_users rows of the kinds coverage shows: callers named on the
// same ones share a report. Anyone else sees by organisation and by user.
func callerKey(ctx context.Context, tx *store.Tx, c access.Caller) (string, error) {
	switch {
	case c.System:
		return "system", nil
	case !c.SignedIn():
		return "public", nil
	case !c.IsSSC():
		return "user/" + strconv.FormatInt(c.UserID, 10) + "/" + strconv.FormatInt(c.OrgID, 10), nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT record_kind, record_id FROM audience_users WHERE user_id = $1
		AND record_kind IN (`+redKinds+`) ORDER BY record_kind, record_id`, c.UserID)
	if err != nil {
		return "", errs.Wrap(err, "coverage audience")
	}
	defer rows.Close()
	h := sha256.New()
	for rows.Next() {
		var kind string
		var id int64
		if err := rows.Scan(&kind, &id); err != nil {
			return "", errs.Wrap(err, "coverage audience")
		}
		fmt.Fprintf(h, "%s/%d\n", kind, id)
	}
	return "ssc/" + hex.EncodeToString(h.Sum(nil)), errs.Wrap(rows.Err(), "coverage audience")
}

// redKinds are the kinds of record coverage shows, whose audiences decide
// what a caller sees of it; migration 1300's triggers watch the same list.
const redKinds = "'coverage', 'party', 'device_model', 'arrangement', 'impracticability', 'user_system'"

// rulesKey is the settings and the release table a report is computed
// under.
func (s *Service) rulesKey() string {
	return fmt.Sprintf("%+v|%+v", s.settings(), s.versions())
}

// inputsVersion reads the version of coverage's inputs.
func inputsVersion(ctx context.Context, tx *store.Tx) (int64, error) {
	var v int64
	err := tx.QueryRowContext(ctx, "SELECT version FROM coverage_version WHERE id = 1").Scan(&v)
	return v, errs.Wrap(err, "coverage version")
}

// WithoutCache returns a copy of s that computes every report afresh, as the
// benchmarks need to time the computation rather than the cache.
func (s *Service) WithoutCache() *Service {
	c := *s
	c.cache = nil
	return &c
}
