package store

import (
	"context"
	"errors"
)

// ProjectDefaults is what a new project starts with: the currency and time zone of its
// owner's most recently created project, since an owner's next project is most often in the
// same market. ok is false for an owner with no project yet.
func (s *Store) ProjectDefaults(ctx context.Context, ownerID string) (currency, timeZone string, ok bool, err error) {
	var row struct {
		Currency string `db:"currency"`
		TimeZone string `db:"time_zone"`
	}
	err = s.q.get(ctx, &row, projectDefaultsSQL, ownerID)
	if errors.Is(err, ErrNotFound) {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, err
	}
	return row.Currency, row.TimeZone, true, nil
}

const projectDefaultsSQL = `
SELECT currency, time_zone FROM projects
WHERE owner_id = $1
ORDER BY created_at DESC, id DESC
LIMIT 1`
