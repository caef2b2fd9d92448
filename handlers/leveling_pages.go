package handlers

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/field"
	"github.com/14build/14build/money"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
	"github.com/14build/14build/views"
)

// levelingPageRoutes: the leveling page (/tenders/{id}/leveling) and the award's
// confirmation and action (/tenders/{id}/award). The team with AWARD_BID only: a bidder,
// or anyone off the tender's project, is not on the team and gets 404 from the guard.
func (h *Handlers) levelingPageRoutes() []Route {
	return []Route{
		{"GET", paths.NameTenderLeveling, onTender(authz.AwardBid, authz.ViewProject), h.levelingPage},
		{"GET", paths.NameTenderAward, onTender(authz.AwardBid, authz.ViewProject), h.awardConfirmPage},
		{"POST", paths.NameTenderAward, onTender(authz.AwardBid, authz.ViewProject), h.awardSubmit},
	}
}

// leveled reports whether a tender's bids may be leveled now: once it has closed (or been
// awarded), and only when the seal shows the team its prices.
func leveled(t *store.Tender, now time.Time) bool {
	seal := tender.Seal{Status: t.Status, Sealed: t.Sealed, ClosesAt: t.ClosesAt, AllowLate: t.AllowLateBids}
	return (t.Status == tender.Closed || t.Status == tender.Awarded) && seal.Shows(tender.Team, now)
}

// notLeveledYet is why a tender cannot be leveled yet, in words, without an amount.
func notLeveledYet(t *store.Tender, zone string) string {
	closes := views.ProjectTime(t.ClosesAt, zone)
	switch t.Status {
	case tender.Draft:
		return "Leveling opens when the tender closes at " + closes + ". This tender is still a draft: open it to take bids."
	case tender.Open:
		if t.AllowLateBids && !time.Now().Before(t.ClosesAt) {
			return "Leveling opens when the tender closes. Its closing time (" + closes + ") has passed, but it takes late bids, so the bids stay sealed until the team closes it."
		}
		return "Leveling opens when the tender closes at " + closes + ". Until then the bids stay sealed."
	case tender.Cancelled:
		return "This tender was cancelled: its bids are not leveled and stay sealed."
	}
	return "Leveling is not available for this tender."
}

// noticePage answers with the leveling or award page's notice and status (409).
func (h *Handlers) noticePage(c echo.Context, title, heading, msg string) error {
	logAttrs(c, "reason", msg)
	n := views.LevelingNotice{Project: *currentProject(c), Tender: *currentTender(c), Heading: heading, Message: msg}
	return renderStatus(c, http.StatusConflict, views.LevelingNoticePage(h.page(c, title), n))
}

// levelingPage is the bids of a closed tender side by side.
func (h *Handlers) levelingPage(c echo.Context) error {
	t, p := currentTender(c), currentProject(c)
	if !leveled(t, time.Now()) {
		return h.noticePage(c, "Leveling · "+t.Title, "Leveling", notLeveledYet(t, p.TimeZone))
	}
	lv, err := h.levelingOf(c.Request().Context(), t)
	if err != nil {
		return err
	}
	v := views.LevelingView{Project: *p, Tender: *t, Data: lv.Data, Level: lv.Level, GFA: lv.GFA, Units: lv.Units,
		Figures:  make([]views.LevelingFigures, len(lv.Figures)),
		CanAward: t.Status == tender.Closed && authz.Can(currentUser(c).Role, authz.AwardBid)}
	for i, f := range lv.Figures {
		v.Figures[i] = views.LevelingFigures{PerArea: f.PerArea, HasPerArea: f.HasPerArea, PerUnit: f.PerUnit,
			HasPerUnit: f.HasPerUnit, OverLowest: f.OverLowest, Lowest: f.Lowest}
	}
	return renderStatus(c, http.StatusOK, views.LevelingPage(h.page(c, "Leveling · "+t.Title), v))
}

// awardable checks the tender may be awarded now; a notice (409) when it may not.
func (h *Handlers) awardable(c echo.Context) (bool, error) {
	t, p := currentTender(c), currentProject(c)
	switch t.Status {
	case tender.Closed:
		return true, nil
	case tender.Awarded:
		return false, h.noticePage(c, "Award · "+t.Title, "Award", "This tender is already awarded: a tender is awarded once.")
	case tender.Draft, tender.Open:
		return false, h.noticePage(c, "Award · "+t.Title, "Award", "A tender is awarded after it closes. "+notLeveledYet(t, p.TimeZone))
	}
	return false, h.noticePage(c, "Award · "+t.Title, "Award", "This tender was cancelled: it cannot be awarded.")
}

// awardConfirmPage asks before awarding: the bid's sum, its contractor, and that the
// other bids become unsuccessful.
func (h *Handlers) awardConfirmPage(c echo.Context) error {
	if ok, err := h.awardable(c); !ok {
		return err
	}
	t, p := currentTender(c), currentProject(c)
	bidID := strings.TrimSpace(c.QueryParam("bid"))
	if bidID == "" {
		return &appError{Status: http.StatusUnprocessableEntity, Message: "Choose a bid to award from the leveling page.",
			Fields: field.Errors{"bid": "is required"}}
	}
	bids, err := h.st.BidsWithTotals(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	v := views.AwardView{Project: *p, Tender: *t}
	found := false
	for _, b := range bids {
		if b.ID == bidID && b.Status == tender.BidSubmitted {
			v.Bid, found = b, true
		}
	}
	if !found {
		return errNotFound()
	}
	v.Others = len(bids) - 1
	q, err := h.st.SOQHeader(c.Request().Context(), t.SOQID)
	if err != nil {
		return err
	}
	v.Currency = money.Of(q.Currency)
	return renderStatus(c, http.StatusOK, views.AwardConfirmPage(h.page(c, "Award · "+t.Title), v))
}

// awardSubmit awards the tender to the bid the form names (store.AwardBid: one winner
// whatever the concurrency), then goes to the tender page with the news.
func (h *Handlers) awardSubmit(c echo.Context) error {
	if ok, err := h.awardable(c); !ok {
		return err
	}
	t := currentTender(c)
	bidID := strings.TrimSpace(c.FormValue("bidId"))
	if bidID == "" {
		return &appError{Status: http.StatusUnprocessableEntity, Message: "Choose a bid to award from the leveling page.",
			Fields: field.Errors{"bidId": "is required"}}
	}
	ct, err := h.st.AwardBid(c.Request().Context(), t.ID, bidID, currentUser(c).ID, time.Now())
	if err != nil {
		var te *tender.TransitionError
		var bt *tender.BidTransitionError
		switch {
		case errors.As(err, &te):
			// Someone awarded it (or changed its state) since the page was read.
			return h.noticePage(c, "Award · "+t.Title, "Award", "This tender can no longer be awarded: "+te.Error()+". Reload the tender to see who won.")
		case errors.As(err, &bt):
			return h.noticePage(c, "Award · "+t.Title, "Award", "That bid cannot be awarded: "+bt.Error()+".")
		}
		return err
	}
	msg := "Tender awarded: a contract for " + money.FormatCode(ct.ContractSum, ct.Currency) + " was made."
	if bids, err := h.st.BidsWithTotals(c.Request().Context(), t.ID); err == nil {
		for _, b := range bids {
			if b.ID == bidID {
				msg = "Tender awarded to " + b.EntityName + ": a contract for " + money.FormatCode(ct.ContractSum, ct.Currency) +
					" was made, and the other bids are unsuccessful."
			}
		}
	}
	h.flash(c, msg)
	return c.Redirect(http.StatusSeeOther, paths.Tender(t.ID))
}
