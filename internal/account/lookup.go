package account

import (
	"context"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/store"
)

// FindUsers returns the users with the ids, ordered by organisation and
// email; ids that name nobody are left out.
func FindUsers(ctx context.Context, q store.Querier, ids []int64) ([]User, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var a access.Args
	ph := make([]string, len(ids))
	for i, id := range ids {
		ph[i] = a.Add(id)
	}
	return scanUsers(ctx, q, "u.id IN ("+strings.Join(ph, ", ")+")", a...)
}
