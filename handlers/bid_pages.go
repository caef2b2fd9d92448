package handlers

import "github.com/labstack/echo/v4"

// bidderPageRoutes: the bidder's board (/tenders) and bid page and its actions.
func (h *Handlers) bidderPageRoutes() []Route { return nil }

// bidderTenderPage is /tenders/{id} for a bidder the tender is open to: its bid page.
func (h *Handlers) bidderTenderPage(c echo.Context) error { return errNotFound() }
