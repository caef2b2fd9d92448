package handlers

// mailRoutes: issue 16 the mailbox, outbox and password reset (being built).
func (h *Handlers) mailRoutes() []Route {
	return nil
}
