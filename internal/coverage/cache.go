package coverage

import (
	"context"
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
// (access.Caller.VisibleAs): two callers with one key see the same report.
func callerKey(c access.Caller) string {
	switch {
	case c.System:
		return "system"
	case !c.SignedIn():
		return "public"
	}
	return strconv.FormatInt(c.UserID, 10) + "/" + strconv.FormatInt(c.OrgID, 10) + "/" + strconv.FormatBool(c.IsSSC())
}

// inputsVersion reads the version of coverage's inputs.
func inputsVersion(ctx context.Context, tx *store.Tx) (int64, error) {
	var v int64
	err := tx.QueryRowContext(ctx, "SELECT version FROM coverage_version WHERE id = 1").Scan(&v)
	return v, errs.Wrap(err, "coverage version")
}
