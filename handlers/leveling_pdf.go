package handlers

// levelingPDFRoutes: issue 13 the leveling PDF (being built).
func (h *Handlers) levelingPDFRoutes() []Route {
	return nil
}
