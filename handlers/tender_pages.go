package handlers

import "github.com/labstack/echo/v4"

// tenderTeamPageRoutes: the project's Tenders tab, the tender form, the team's tender
// page and its actions, leveling and award.
func (h *Handlers) tenderTeamPageRoutes() []Route { return nil }

// teamTenderPage is /tenders/{id} for the tender's team.
func (h *Handlers) teamTenderPage(c echo.Context) error { return errNotFound() }
