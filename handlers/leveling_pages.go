package handlers

// levelingPageRoutes: the leveling page (/tenders/{id}/leveling) and the award's
// confirmation and action (/tenders/{id}/award).
func (h *Handlers) levelingPageRoutes() []Route { return nil }
