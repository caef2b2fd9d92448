package handlers

// tenderPrintRoutes: issue 13 the tender's HTML print view (being built).
func (h *Handlers) tenderPrintRoutes() []Route {
	return nil
}
