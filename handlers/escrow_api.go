package handlers

// escrowAPIRoutes: issue 14 milestones, escrow, ledger and the Stripe webhook (API) (being built).
func (h *Handlers) escrowAPIRoutes() []Route {
	return nil
}
