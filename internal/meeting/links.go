package meeting

import (
	"context"
	"slices"
	"sync"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/store"
)

// Linked is a record of another area as an agenda item shows it.
type Linked struct {
	Kind  string `json:"kind"`
	Key   string `json:"key"`
	Title string `json:"title"`
	Href  string `json:"href"`
}

// Resolver finds a record of one kind by its key as the caller may see it:
// its title and where to read it. A record the caller may not see is
// errs.NotFound, exactly as one that does not exist, and the item then shows
// no link at all.
type Resolver func(ctx context.Context, db *store.DB, c access.Caller, key string) (Linked, error)

var (
	resolversMu sync.RWMutex
	resolvers   = map[string]Resolver{}
)

// RegisterLink lets an area's records be linked from agenda items. Each area
// registers its kinds (in an init function of its own package).
func RegisterLink(kind string, r Resolver) {
	resolversMu.Lock()
	defer resolversMu.Unlock()
	resolvers[kind] = r
}

// LinkKinds lists the kinds that can be linked.
func LinkKinds() []string {
	resolversMu.RLock()
	defer resolversMu.RUnlock()
	var out []string
	for k := range resolvers {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func resolver(kind string) (Resolver, bool) {
	resolversMu.RLock()
	defer resolversMu.RUnlock()
	r, ok := resolvers[kind]
	return r, ok
}

// resolve returns the link as the caller may see it, or ok false when it may
// not (or the record is gone, or its kind is no longer registered).
func resolve(ctx context.Context, db *store.DB, c access.Caller, kind, key string) (Linked, bool, error) {
	r, ok := resolver(kind)
	if !ok {
		return Linked{}, false, nil
	}
	l, err := r(ctx, db, c, key)
	if errs.Is(err, errs.NotFound) || errs.Is(err, errs.Forbidden) {
		return Linked{}, false, nil
	}
	if err != nil {
		return Linked{}, false, err
	}
	l.Kind, l.Key = kind, key
	return l, true, nil
}
