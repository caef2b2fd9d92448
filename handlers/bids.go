package handlers

// bidRoutes: bids (API), leveling, award, contracts, the activity ledger.
func (h *Handlers) bidRoutes() []Route { return nil }
