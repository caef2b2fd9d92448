package handlers

// contractPageRoutes: issue 14 contract, milestone and ledger pages (being built).
func (h *Handlers) contractPageRoutes() []Route {
	return nil
}
