package handlers

import (
	"github.com/labstack/echo/v4"

	"github.com/14build/14build/authz"
)

// tenderPage is /tenders/{id}: one address for everyone who may see the tender, the page
// cut by who asks. The guard (onTender) let in the tender's team and the bidders it is
// open to; a bidder gets its bid page, the team the tender's page.
func (h *Handlers) tenderPage(c echo.Context) error {
	if currentUser(c).Role == authz.RoleBidder {
		return h.bidderTenderPage(c)
	}
	return h.teamTenderPage(c)
}
