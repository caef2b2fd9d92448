package handlers

// draftingRoutes: issue 15 drafting helpers and work packages (being built).
func (h *Handlers) draftingRoutes() []Route {
	return nil
}
