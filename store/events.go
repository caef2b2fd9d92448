package store

import (
	"context"
	"encoding/json"

	"github.com/14build/14build/events"
)

// emit announces c in the transaction (events.Emit: a row and a pg_notify of its id), so
// the live pages hear of the change if and only if it commits (issue 12). It counts as one
// statement like any other.
func (tx *Tx) emit(ctx context.Context, c events.Change) error {
	tx.q.n.Add(1)
	_, err := events.Emit(ctx, tx.q.tx, c)
	return err
}

// eventData encodes the small facts an event carries (ids, a revision, never amounts).
func eventData(v map[string]any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return nil // only plain values are passed: cannot happen
	}
	return b
}
