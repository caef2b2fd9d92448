package handlers

// tenderTalkRoutes: intent to bid, addenda and their acknowledgements, clarifications.
func (h *Handlers) tenderTalkRoutes() []Route { return nil }
