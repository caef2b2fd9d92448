package handlers

import (
	"context"

	"github.com/14build/14build/events"
)

// routeUserEvents turns an "import-progress" or "project-updated" change into the
// messages of its audience streams (issue 12). The Router (S2) calls it for those kinds.
func (h *Handlers) routeUserEvents(ctx context.Context, c events.Change) ([]events.Message, error) {
	return nil, nil
}
