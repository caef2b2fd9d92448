package handlers

import (
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/field"
	"github.com/14build/14build/money"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
	"github.com/14build/14build/views"
)

// bidRoutes: bids (API), leveling, award, contracts, the activity ledger.
func (h *Handlers) bidRoutes() []Route {
	return []Route{
		// A bidder's own bid: save the draft or submit, withdraw.
		{"POST", paths.NameAPITenderBids, bidderOn(authz.SubmitBid), h.apiBidSave},
		{"POST", paths.NameAPITenderBidWithdraw, bidderOn(authz.SubmitBid), h.apiBidWithdraw},
		// Read by the bidder (its own) or the team (under the seal).
		{"GET", paths.NameAPITenderBids, onTender("", authz.ViewProject), h.apiBidList},
		{"GET", paths.NameAPITenderBid, onTender("", authz.ViewProject), h.apiBidGet},
		// Leveling and award: the team, after closing.
		{"GET", paths.NameAPITenderLeveling, onTender("", authz.ViewProject), h.apiLeveling},
		{"GET", paths.NameAPITenderLevelingXLSX, onTender("", authz.ViewProject), h.levelingXLSX},
		{"GET", paths.NameTenderLevelingXLSX, onTender("", authz.ViewProject), h.levelingXLSX},
		{"POST", paths.NameAPITenderAward, onTender(authz.AwardBid, authz.ViewProject), h.apiAward},
		// A contract: the tender's team, or a bidder of the contractor's company (checked
		// in the handler: the contract names its project only through its tender).
		{"GET", paths.NameAPIContract, signedIn(), h.apiContract},
		// The project's activity ledger.
		{"GET", paths.NameAPIActivity, inProject(authz.ViewProject), h.apiActivity},
		{"GET", paths.NameAPIActivityVerify, inProject(authz.ViewProject), h.apiActivityVerify},
		{"GET", paths.NameActivity, inProject(authz.ViewProject), h.activityPage},
	}
}

// maxBidBody bounds a bid's body: 5,000 lines of rates and the texts fit well within it.
const maxBidBody = 4 << 20

// sealOf is what decides whether the team may see a tender's prices.
func sealOf(t *store.Tender) tender.Seal {
	return tender.Seal{Status: t.Status, Sealed: t.Sealed, ClosesAt: t.ClosesAt, AllowLate: t.AllowLateBids}
}

// teamSide reports whether the request passed the guard as the tender's team (the guard
// put the project in the context) rather than as a bidder it is open to.
func teamSide(c echo.Context) bool { return currentProject(c) != nil }

// JSON shapes

type amountJSON struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

type namedJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type rateJSON struct {
	ItemID string `json:"itemId"`
	Rate   int64  `json:"rate"`
}

// bidJSON is a bid as its viewer may see it: Total and Rates are nil (left out) for the
// team while the seal holds.
type bidJSON struct {
	ID             string           `json:"id"`
	TenderID       string           `json:"tenderId"`
	Bidder         *namedJSON       `json:"bidder,omitempty"`
	Company        *entityJSON      `json:"company,omitempty"`
	Status         tender.BidStatus `json:"status"`
	Revision       int              `json:"revision"`
	SubmittedAt    *time.Time       `json:"submittedAt"`
	Total          *amountJSON      `json:"total,omitempty"`
	Rates          []rateJSON       `json:"rates,omitempty"`
	Qualifications *string          `json:"qualifications,omitempty"`
	Exclusions     *string          `json:"exclusions,omitempty"`
}

func summaryJSON(tenderID string, b store.BidSummary) bidJSON {
	return bidJSON{ID: b.ID, TenderID: tenderID, Bidder: &namedJSON{ID: b.BidderID, Name: b.BidderName},
		Company: &entityJSON{ID: b.EntityID, Name: b.EntityName}, Status: b.Status, Revision: b.Revision,
		SubmittedAt: utcPtr(b.SubmittedAt.Valid, b.SubmittedAt.Time)}
}

// fullBidJSON is a whole bid: for its bidder, or for the team once the seal shows prices.
func fullBidJSON(b store.Bid, cur string) bidJSON {
	j := bidJSON{ID: b.ID, TenderID: b.TenderID, Status: b.Status, Revision: b.Revision,
		SubmittedAt: utcPtr(b.SubmittedAt.Valid, b.SubmittedAt.Time), Total: &amountJSON{b.Total, cur},
		Rates: make([]rateJSON, len(b.Rates)), Qualifications: &b.Qualifications, Exclusions: &b.Exclusions}
	for i, r := range b.Rates {
		j.Rates[i] = rateJSON{r.ItemID, r.Rate}
	}
	return j
}

// currencyOf is the code of a tender's SOQ's currency.
func (h *Handlers) currencyOf(c echo.Context, t *store.Tender) (string, error) {
	q, err := h.st.SOQHeader(c.Request().Context(), t.SOQID)
	if err != nil {
		return "", err
	}
	return q.Currency, nil
}

// shownToTeam is whether the team sees a bid of this status at all: a draft (never sent,
// or sent back to draft by an addendum) is the bidder's business.
func shownToTeam(s tender.BidStatus) bool { return s != tender.BidDraft }

// Bids

type bidBody struct {
	Rates []struct {
		ItemID string `json:"itemId"`
		Rate   *int64 `json:"rate"` // null clears the line's rate
	} `json:"rates"`
	Qualifications string `json:"qualifications"`
	Exclusions     string `json:"exclusions"`
	Submit         bool   `json:"submit"`
}

// apiBidSave saves the bidder's draft (200 with it) or submits it (201): the total is the
// server's (tender.BidTotal in the store), whatever the client shows.
func (h *Handlers) apiBidSave(c echo.Context) error {
	limitBody(c, maxBidBody)
	var b bidBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	errs := field.Errors{}
	errs.Text("qualifications", b.Qualifications, 0, 20000)
	errs.Text("exclusions", b.Exclusions, 0, 20000)
	in := store.BidInput{Qualifications: strings.TrimSpace(b.Qualifications), Exclusions: strings.TrimSpace(b.Exclusions)}
	for i, r := range b.Rates {
		switch {
		case strings.TrimSpace(r.ItemID) == "":
			errs.Add("rates["+itoa(i)+"].itemId", "is required")
		case r.Rate == nil:
			in.Cleared = append(in.Cleared, r.ItemID)
		case *r.Rate > money.MaxMinor:
			errs.Add("rates["+itoa(i)+"].rate", "is too large")
		default:
			in.Rates = append(in.Rates, tender.Rate{ItemID: r.ItemID, Rate: *r.Rate})
		}
	}
	if len(errs) > 0 {
		return &appError{Status: http.StatusBadRequest, Message: "Some fields need attention.", Fields: errs}
	}
	ctx := c.Request().Context()
	t, u := currentTender(c), currentUser(c)
	cur, err := h.currencyOf(c, t)
	if err != nil {
		return err
	}
	if !b.Submit {
		if _, err := h.st.SaveBidDraft(ctx, t.ID, u.ID, u.EntityID, in, time.Time{}); err != nil {
			return bidError(c, err)
		}
		bid, err := h.st.BidOf(ctx, t.ID, u.ID)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, fullBidJSON(bid, cur))
	}
	sub, err := h.st.SubmitBid(ctx, t.ID, u.ID, u.EntityID, in, time.Time{})
	if err != nil {
		return bidError(c, err)
	}
	return c.JSON(http.StatusCreated, map[string]any{"id": sub.BidID, "revision": sub.Revision, "status": tender.BidSubmitted,
		"total": amountJSON{sub.Total, cur}, "submittedAt": sub.SubmittedAt.UTC()})
}

// bidError answers the store's refusals of a bid write. What blocks a submission is a 409
// naming it in words and listing it for machines ("missing").
func bidError(c echo.Context, err error) error {
	var notEditable *store.BidNotEditable
	var refused *store.RatesRefused
	var blockers tender.Blockers
	var bt *tender.BidTransitionError
	var te *soq.TotalError
	switch {
	case errors.Is(err, store.ErrTenderClosed):
		return &appError{Status: http.StatusConflict, Message: "The tender has closed: bids are no longer accepted."}
	case errors.Is(err, store.ErrTenderNotOpen):
		return &appError{Status: http.StatusConflict, Message: "The tender is not open for bids."}
	case errors.As(err, &notEditable):
		return &appError{Status: http.StatusConflict, Message: capSentence(notEditable.Error())}
	case errors.As(err, &bt):
		return &appError{Status: http.StatusConflict, Message: capSentence(bt.Error())}
	case errors.As(err, &refused):
		fs := field.Errors{}
		for _, r := range refused.Items {
			name := r.Reference
			if name == "" {
				name = r.ItemID
			}
			fs.Add("rates."+r.ItemID, "Line "+name+" "+r.Message+".")
		}
		return &appError{Status: http.StatusBadRequest, Message: "Some rates were refused: nothing was saved.", Fields: fs}
	case errors.As(err, &te):
		return &appError{Status: http.StatusBadRequest, Message: "A rate makes the bid's total too large to hold: nothing was saved.",
			Fields: field.Errors{"rates." + te.Key: "makes the total too large"}}
	case errors.As(err, &blockers):
		lines := make([]map[string]string, len(blockers.Lines))
		for i, l := range blockers.Lines {
			lines[i] = map[string]string{"itemId": l.ItemID, "reference": l.Reference}
		}
		addenda := blockers.Addenda
		if addenda == nil {
			addenda = []int{}
		}
		logAttrs(c, "reason", blockers.Error())
		return c.JSON(http.StatusConflict, map[string]any{"error": blockers.Error(),
			"missing": map[string]any{"lines": lines, "addenda": addenda}})
	}
	return err
}

// apiBidList lists the bids: a bidder its own (0 or 1); the team the bids ever submitted
// and not back in draft, with totals only once the seal shows prices.
func (h *Handlers) apiBidList(c echo.Context) error {
	ctx := c.Request().Context()
	t := currentTender(c)
	cur, err := h.currencyOf(c, t)
	if err != nil {
		return err
	}
	out := []bidJSON{}
	if !teamSide(c) {
		b, err := h.st.BidOf(ctx, t.ID, currentUser(c).ID)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		default:
			out = append(out, fullBidJSON(b, cur))
		}
		return c.JSON(http.StatusOK, map[string]any{"bids": out})
	}
	list, err := h.st.BidsOfTender(ctx, t.ID)
	if err != nil {
		return err
	}
	shows := sealOf(t).Shows(tender.Team, time.Now())
	totals := map[string]int64{}
	if shows {
		ws, err := h.st.BidsWithTotals(ctx, t.ID)
		if err != nil {
			return err
		}
		for _, w := range ws {
			totals[w.ID] = w.Total
		}
	}
	for _, b := range list {
		if !shownToTeam(b.Status) {
			continue
		}
		j := summaryJSON(t.ID, b)
		if total, ok := totals[b.ID]; ok && shows {
			j.Total = &amountJSON{total, cur}
		}
		out = append(out, j)
	}
	return c.JSON(http.StatusOK, map[string]any{"bids": out, "sealed": !shows})
}

// apiBidGet answers one bid: the bidder its own (another's is a 404); the team a bid it
// may see, whole once the seal shows prices, else its summary.
func (h *Handlers) apiBidGet(c echo.Context) error {
	ctx := c.Request().Context()
	t, id := currentTender(c), c.Param("bidId")
	cur, err := h.currencyOf(c, t)
	if err != nil {
		return err
	}
	if !teamSide(c) {
		b, err := h.st.BidOf(ctx, t.ID, currentUser(c).ID)
		if err != nil {
			return err
		}
		if b.ID != id {
			return errNotFound()
		}
		return c.JSON(http.StatusOK, fullBidJSON(b, cur))
	}
	list, err := h.st.BidsOfTender(ctx, t.ID)
	if err != nil {
		return err
	}
	for _, s := range list {
		if s.ID != id || !shownToTeam(s.Status) {
			continue
		}
		j := summaryJSON(t.ID, s)
		if sealOf(t).Shows(tender.Team, time.Now()) {
			b, err := h.st.Bid(ctx, id)
			if err != nil {
				return err
			}
			full := fullBidJSON(b, cur)
			full.Bidder, full.Company = j.Bidder, j.Company
			j = full
		}
		return c.JSON(http.StatusOK, j)
	}
	return errNotFound()
}

// apiBidWithdraw withdraws the bidder's own bid before closing.
func (h *Handlers) apiBidWithdraw(c echo.Context) error {
	ctx := c.Request().Context()
	t, u := currentTender(c), currentUser(c)
	if err := h.st.WithdrawBid(ctx, t.ID, c.Param("bidId"), u.ID, time.Time{}); err != nil {
		return bidError(c, err)
	}
	b, err := h.st.BidOf(ctx, t.ID, u.ID)
	if err != nil {
		return err
	}
	cur, err := h.currencyOf(c, t)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, fullBidJSON(b, cur))
}

// Award and contracts

type contractJSON struct {
	ID         string     `json:"id"`
	TenderID   string     `json:"tenderId"`
	BidID      string     `json:"bidId"`
	Contractor entityJSON `json:"contractor"`
	Sum        amountJSON `json:"sum"`
	CreatedAt  time.Time  `json:"createdAt"`
}

// contractJSONOf shapes a contract, naming its contractor from the tender's bids (one
// query).
func (h *Handlers) contractJSONOf(c echo.Context, k store.Contract) (contractJSON, error) {
	j := contractJSON{ID: k.ID, TenderID: k.TenderID, BidID: k.BidID, Contractor: entityJSON{ID: k.ContractorEntityID},
		Sum: amountJSON{k.ContractSum, k.Currency}, CreatedAt: k.CreatedAt.UTC()}
	bids, err := h.st.BidsOfTender(c.Request().Context(), k.TenderID)
	if err != nil {
		return j, err
	}
	for _, b := range bids {
		if b.ID == k.BidID {
			j.Contractor.Name = b.EntityName
		}
	}
	return j, nil
}

type awardBody struct {
	BidID string `json:"bidId"`
}

// apiAward awards the closed tender to one of its bids: once, whoever asks at the same
// time (the store locks the tender); the others get 409.
func (h *Handlers) apiAward(c echo.Context) error {
	limitBody(c, 1<<12)
	var b awardBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	b.BidID = strings.TrimSpace(b.BidID)
	if b.BidID == "" {
		return errInvalid(field.Errors{"bidId": "is required"})
	}
	ctx := c.Request().Context()
	t := currentTender(c)
	k, err := h.st.AwardBid(ctx, t.ID, b.BidID, currentUser(c).ID, time.Now())
	var te *tender.TransitionError
	var bt *tender.BidTransitionError
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &appError{Status: http.StatusBadRequest, Message: "Choose a bid of this tender.",
			Fields: field.Errors{"bidId": "is not a bid of this tender"}}
	case errors.As(err, &te):
		msg := "This tender is " + string(te.From) + ": "
		if te.From == tender.Awarded {
			msg += "it has already been awarded."
		} else {
			msg += "only a closed tender can be awarded."
		}
		return &appError{Status: http.StatusConflict, Message: msg}
	case errors.As(err, &bt):
		return &appError{Status: http.StatusConflict, Message: "That bid is " + string(bt.From) + ": only a submitted bid can be awarded."}
	case err != nil:
		return err
	}
	tt, err := h.st.Tender(ctx, t.ID)
	if err != nil {
		return err
	}
	names, err := h.categoryNames(c)
	if err != nil {
		return err
	}
	kj, err := h.contractJSONOf(c, k)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"tender": toTenderJSON(tt, names, true), "contract": kj})
}

// apiContract answers a contract to its tender's team, or to a bidder of the contractor's
// company; to anyone else it does not exist.
func (h *Handlers) apiContract(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	k, err := h.st.Contract(ctx, c.Param("contractId"))
	if err != nil {
		return err
	}
	if u.Role == authz.RoleBidder {
		if u.EntityID != k.ContractorEntityID {
			return errNotFound()
		}
	} else {
		t, err := h.st.Tender(ctx, k.TenderID)
		if err != nil {
			return err
		}
		_, m, err := h.st.ProjectFor(ctx, t.ProjectID, u.ID)
		if err != nil {
			return err
		}
		if !authz.CanInProject(u.Role, m, authz.ViewProject) {
			return errNotFound()
		}
	}
	j, err := h.contractJSONOf(c, k)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, j)
}

// The activity ledger

type activityJSON struct {
	Seq      int64             `json:"seq"`
	Kind     tender.Kind       `json:"kind"`
	Label    string            `json:"label"`
	TenderID *string           `json:"tenderId"`
	Actor    *namedJSON        `json:"actor"` // null: the system (the closing job)
	At       time.Time         `json:"at"`
	Content  map[string]string `json:"content"`
	Hash     string            `json:"hash"` // hex SHA-256
}

// activityPage loads one page of a project's ledger with its actors' names (one query per
// distinct actor on the page, at most the page's size) and its tenders' titles.
func (h *Handlers) activityEntries(c echo.Context, projectID string, page, per int) ([]store.Activity, int, map[string]string, map[string]string, error) {
	ctx := c.Request().Context()
	rows, total, err := h.st.ActivityOf(ctx, projectID, page, per)
	if err != nil {
		return nil, 0, nil, nil, err
	}
	actors := map[string]string{}
	for _, r := range rows {
		if r.ActorID == "" {
			continue
		}
		if _, ok := actors[r.ActorID]; ok {
			continue
		}
		u, err := h.st.UserByID(ctx, r.ActorID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			actors[r.ActorID] = "A removed account"
		case err != nil:
			return nil, 0, nil, nil, err
		default:
			actors[r.ActorID] = u.Name
		}
	}
	titles := map[string]string{}
	ts, err := h.st.TendersOfProject(ctx, projectID)
	if err != nil {
		return nil, 0, nil, nil, err
	}
	for _, t := range ts {
		titles[t.ID] = t.Title
	}
	return rows, total, actors, titles, nil
}

// apiActivity is one page of the project's ledger, newest first, in the paging envelope.
func (h *Handlers) apiActivity(c echo.Context) error {
	page, per, errs := parsePage(c, 25, 200)
	if len(errs) > 0 {
		return errInvalid(errs)
	}
	rows, total, actors, _, err := h.activityEntries(c, currentProject(c).ID, page, per)
	if err != nil {
		return err
	}
	out := make([]activityJSON, len(rows))
	for i, r := range rows {
		j := activityJSON{Seq: r.Seq, Kind: r.Kind, Label: r.Kind.Label(), At: r.At.UTC(), Content: r.Content, Hash: hex.EncodeToString(r.Hash)}
		if j.Content == nil {
			j.Content = map[string]string{}
		}
		if r.TenderID != "" {
			id := r.TenderID
			j.TenderID = &id
		}
		if r.ActorID != "" {
			j.Actor = &namedJSON{ID: r.ActorID, Name: actors[r.ActorID]}
		}
		out[i] = j
	}
	return c.JSON(http.StatusOK, map[string]any{"activity": out, "page": page, "perPage": per, "total": total})
}

// apiActivityVerify recomputes the project's chain: {"ok","entries","firstBadEntry"}, the
// last being the seq of the first entry whose hash does not hold (null when ok).
func (h *Handlers) apiActivityVerify(c echo.Context) error {
	check, err := h.st.VerifyActivity(c.Request().Context(), currentProject(c).ID)
	if err != nil {
		return err
	}
	var bad *int64
	if !check.OK {
		bad = &check.FirstBadSeq
	}
	return c.JSON(http.StatusOK, map[string]any{"ok": check.OK, "entries": check.Entries, "firstBadEntry": bad})
}

const activityPerPage = 25

// activityPage is the project's ledger as a table, with the chain verified.
func (h *Handlers) activityPage(c echo.Context) error {
	p := currentProject(c)
	page := pageNumber(c)
	rows, total, actors, titles, err := h.activityEntries(c, p.ID, page, activityPerPage)
	if err != nil {
		return err
	}
	check, err := h.st.VerifyActivity(c.Request().Context(), p.ID)
	if err != nil {
		return err
	}
	v := views.ActivityView{Project: *p, Entries: rows, Actors: actors, Tenders: titles, Check: check,
		Pager: views.Pager{Page: page, PerPage: activityPerPage, Total: total,
			URL: func(n int) string { return paths.Activity(p.ID) + "?page=" + strconv.Itoa(n) }}}
	return render(c, http.StatusOK, views.ActivityPage(h.page(c, "Activity · "+p.Name), v), nil)
}
