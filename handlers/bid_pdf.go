package handlers

// bidPDFRoutes: issue 13 the priced bid PDF (being built).
func (h *Handlers) bidPDFRoutes() []Route {
	return nil
}
