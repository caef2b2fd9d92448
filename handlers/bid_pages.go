package handlers

import (
	"errors"
	"fmt"
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

// boardPerPage is how many tenders a bidder's board shows at once.
const boardPerPage = 20

// maxBidNotes bounds the qualifications and the exclusions (the bids table's check).
const maxBidNotes = tender.MaxBidText

// maxBidForm bounds a bid page's form post: a rate per line of a large tender fits.
const maxBidForm = 4 << 20

// bidderPageRoutes: the bidder's board (/tenders) and bid page and its actions.
func (h *Handlers) bidderPageRoutes() []Route {
	bidder := bidderOn(authz.SubmitBid)
	return []Route{
		{"GET", paths.NameTenderBoard, signedIn(), h.tenderBoard},
		{"POST", paths.NameTenderIntent, bidder, h.bidIntent},
		{"POST", paths.NameTenderAddendumAck, bidder, h.bidAcknowledge},
		{"POST", paths.NameTenderQuestions, bidder, h.bidAsk},
		{"GET", paths.NameBid, bidder, h.bidFormPage}, // every rate in one form: no JavaScript, or revising a submitted bid
		{"POST", paths.NameBid, bidder, h.bidSave},    // autosave of one rate, the notes, or the whole form
		{"GET", paths.NameBidSubmit, bidder, h.bidSubmitPage},
		{"POST", paths.NameBidSubmit, bidder, h.bidSubmit},
		{"GET", paths.NameBidWithdraw, bidder, h.bidWithdrawConfirm},
		{"POST", paths.NameBidWithdraw, bidder, h.bidWithdraw},
	}
}

// ---------------------------------------------------------------- the board

// tenderBoard is a bidder's board: the tenders open to it, with its intent, its bid's
// state and the addenda it has still to acknowledge. The team sees tenders per project.
func (h *Handlers) tenderBoard(c echo.Context) error {
	u := currentUser(c)
	if u.Role != authz.RoleBidder {
		return c.Redirect(http.StatusSeeOther, paths.Projects())
	}
	ctx := c.Request().Context()
	page := pageNumber(c)
	ts, total, err := h.st.TendersOpenTo(ctx, u.ID, page, boardPerPage)
	if err != nil {
		return err
	}
	rows, err := h.boardRows(c, ts)
	if err != nil {
		return err
	}
	v := views.BoardView{Rows: rows, Pager: views.Pager{Page: page, PerPage: boardPerPage, Total: total,
		URL: func(n int) string { return paths.TenderBoard() + "?page=" + strconv.Itoa(n) }}}
	return render(c, http.StatusOK, views.TenderBoardPage(h.page(c, "Tenders"), v), nil)
}

// boardRows shapes tenders for the board: their project, the bidder's bid, intent and
// unacknowledged addenda in one query (store.BidContexts), the trade names in another.
func (h *Handlers) boardRows(c echo.Context, ts []store.Tender) ([]views.BoardRow, error) {
	ctx := c.Request().Context()
	u := currentUser(c)
	ids := make([]string, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	bcs, err := h.st.BidContexts(ctx, u.ID, ids)
	if err != nil {
		return nil, err
	}
	names, err := h.categoryNames(c)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	rows := make([]views.BoardRow, len(ts))
	for i, t := range ts {
		bc := bcs[t.ID]
		r := views.BoardRow{Tender: t, Ctx: bc, Now: now, Intent: bc.Intent, NewAddenda: bc.Unacked}
		for _, id := range t.CategoryIDs {
			r.Trades = append(r.Trades, names[id])
		}
		rows[i] = r
	}
	return rows, nil
}

// bidIntent sets the bidder's intent: a row of the board again for HTMX, else back to
// the page the buttons were on.
func (h *Handlers) bidIntent(c echo.Context) error {
	t, u := currentTender(c), currentUser(c)
	i, ok := tender.ParseIntent(strings.TrimSpace(c.FormValue("intent")))
	if !ok {
		return &appError{Status: http.StatusUnprocessableEntity, Message: "Choose Bidding, Declined or Undecided.",
			Fields: field.Errors{"intent": "must be bidding, declined or undecided"}}
	}
	if t.Status != tender.Open {
		return errBidState(store.ErrTenderNotOpen, t)
	}
	if err := h.st.SetIntent(c.Request().Context(), t.ID, u.ID, i, time.Now()); err != nil {
		return bidStoreError(err, t)
	}
	if wantsFragment(c) && c.FormValue("from") == "board" {
		rows, err := h.boardRows(c, []store.Tender{*t})
		if err != nil {
			return err
		}
		return renderStatus(c, http.StatusOK, views.BoardRowView(rows[0]))
	}
	h.flash(c, "Your intent is now: "+i.Label()+".")
	if c.FormValue("from") == "board" {
		return redirect(c, paths.TenderBoard())
	}
	return redirect(c, paths.Tender(t.ID))
}

// ---------------------------------------------------------------- the bid page

// bidderTenderPage is /tenders/{id} for a bidder the tender is open to: its bid page.
func (h *Handlers) bidderTenderPage(c echo.Context) error {
	v, err := h.bidView(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.BidPage(h.page(c, v.Tender.Title), v), nil)
}

// bidView reads everything the bid page shows: the tender's frozen copy priced with the
// bidder's own rates (amounts and totals computed here, as the store computes them),
// its addenda, its questions, its intent and its submissions.
func (h *Handlers) bidView(c echo.Context) (views.BidView, error) {
	ctx := c.Request().Context()
	t, u := currentTender(c), currentUser(c)
	v := views.BidView{Tender: *t, Now: time.Now()}
	bcs, err := h.st.BidContexts(ctx, u.ID, []string{t.ID})
	if err != nil {
		return v, err
	}
	v.Ctx = bcs[t.ID]
	secs, err := h.st.TenderCopy(ctx, t.ID)
	if err != nil {
		return v, err
	}
	var rates map[string]int64
	if b, err := h.st.BidOf(ctx, t.ID, u.ID); err == nil {
		v.Bid = &b
		rates = make(map[string]int64, len(b.Rates))
		for _, r := range b.Rates {
			rates[r.ItemID] = r.Rate
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return v, err
	}
	if err := priceCopy(&v, secs, rates); err != nil {
		return v, err
	}
	if v.Addenda, err = h.st.Addenda(ctx, t.ID, u.ID); err != nil {
		return v, err
	}
	if v.Questions, err = h.st.QuestionsForBidder(ctx, t.ID, u.ID); err != nil {
		return v, err
	}
	v.Intent = v.Ctx.Intent
	if v.Bid != nil && v.Bid.Revision > 0 {
		// The ledger holds each submission; the bidder sees its own bid's only.
		subs, err := h.st.BidSubmissions(ctx, t.ID, v.Bid.ID)
		if err != nil {
			return v, err
		}
		for _, s := range subs {
			v.Revisions = append(v.Revisions, views.BidRevision{Revision: s.Revision, At: s.At})
		}
	}
	v.Open = t.Status == tender.Open && tender.AcceptsBid(t.ClosesAt, v.Now, t.AllowLateBids)
	v.Editable = v.Open && (v.Bid == nil || v.Bid.Status == tender.BidDraft)
	if v.Bid != nil && v.Bid.Status == tender.BidAwarded { // the contract it made (issue 14)
		if k, err := h.st.ContractOfTender(ctx, t.ID); err == nil && k.BidID == v.Bid.ID {
			v.ContractID = k.ID
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return v, err
		}
	}
	return v, nil
}

// priceCopy fills v's sections with the frozen copy's lines at the bid's rates, each
// line's amount (soq.Amount through tender.BidTotal's rules) and the totals.
func priceCopy(v *views.BidView, secs []store.TenderSection, rates map[string]int64) error {
	var lines []tender.Line
	v.Sections = make([]views.BidSection, len(secs))
	v.Priced, v.ToPrice = 0, 0
	for i, s := range secs {
		bs := views.BidSection{ID: s.ID, Code: s.Code, Title: s.Title, Lines: make([]views.BidLine, len(s.Items))}
		for k, it := range s.Items {
			rate, has := rates[it.ID]
			l := tender.Line{ItemID: it.ID, Reference: it.Reference, Section: s.ID, Type: it.Type, Quantity: it.Quantity,
				Allowance: it.Rate.Int64, Rate: rate, HasRate: has}
			lines = append(lines, l)
			bl := views.BidLine{Item: it, Rate: l.Effective(), HasRate: has || tender.Locked(it.Type), Locked: tender.Locked(it.Type),
				Amount: soq.AmountOrMax(it.Quantity, l.Effective())}
			if tender.Priced(it.Type) {
				v.ToPrice++
				if has {
					v.Priced++
				}
			}
			bs.Lines[k] = bl
		}
		v.Sections[i] = bs
	}
	totals, err := tender.BidTotal(lines)
	var over *soq.TotalError
	if err != nil && !errors.As(err, &over) {
		return err
	}
	for i := range v.Sections {
		v.Sections[i].Total = totals.Sections[v.Sections[i].ID]
	}
	v.Total, v.Overflow = totals.Total, totals.Overflow || over != nil
	return nil
}

// ---------------------------------------------------------------- saving the draft

// bidRateBody is the JSON an autosave may send: one line's rate as typed, in major
// units ("1,234.50"; "" or null clears it), and optionally the bid's notes.
type bidRateBody struct {
	ItemID         string  `json:"itemId"`
	Rate           *string `json:"rate"`
	Qualifications *string `json:"qualifications"`
	Exclusions     *string `json:"exclusions"`
}

// bidPost is a save as the handler reads it, from a form or JSON.
type bidPost struct {
	in       store.BidInput
	item     string // the one line an autosave changed ("" for a notes save or the whole form)
	typed    string // what was typed in it
	notes    bool   // the notes were sent
	wholeBid bool   // the form of every rate (bidFormPage)
}

// readBidPost reads a save: JSON {itemId, rate}, a form with itemId and rate (the grid),
// a form of rate.<itemId> fields (every line), and the notes. Rates are parsed in the
// tender's currency; what cannot be read comes back as per-field errors keyed by item id.
func readBidPost(c echo.Context, currency string, stored *store.Bid) (bidPost, field.Errors, error) {
	var p bidPost
	errs := field.Errors{}
	cur := money.Of(currency)
	var quals, excls *string
	addRate := func(itemID, typed string) {
		typed = strings.TrimSpace(typed)
		if typed == "" {
			p.in.Cleared = append(p.in.Cleared, itemID)
			return
		}
		minor, err := money.Parse(typed, cur)
		if err != nil {
			errs.Add(itemID, rateMessage(err, cur))
			return
		}
		p.in.Rates = append(p.in.Rates, tender.Rate{ItemID: itemID, Rate: minor})
	}
	if strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEApplicationJSON) {
		limitBody(c, maxBidForm)
		var b bidRateBody
		if err := decodeJSON(c, &b); err != nil {
			return p, nil, err
		}
		if b.ItemID != "" {
			p.item = b.ItemID
			if b.Rate != nil {
				p.typed = *b.Rate
			}
			addRate(b.ItemID, p.typed)
		}
		quals, excls = b.Qualifications, b.Exclusions
	} else {
		limitBody(c, maxBidForm)
		form, err := c.FormParams()
		if err != nil {
			return p, nil, &appError{Status: http.StatusBadRequest, Message: "The form could not be read."}
		}
		if id := strings.TrimSpace(form.Get("itemId")); id != "" {
			p.item, p.typed = id, form.Get("rate")
			addRate(id, p.typed)
		}
		for k, vs := range form {
			if id, ok := strings.CutPrefix(k, "rate."); ok && len(vs) > 0 {
				p.wholeBid = true
				addRate(id, vs[0])
			}
		}
		if _, ok := form["qualifications"]; ok {
			q := form.Get("qualifications")
			quals = &q
		}
		if _, ok := form["exclusions"]; ok {
			x := form.Get("exclusions")
			excls = &x
		}
	}
	// A save sends what it changes; the bid keeps the rest of its text.
	if stored != nil {
		p.in.Qualifications, p.in.Exclusions = stored.Qualifications, stored.Exclusions
	}
	if quals != nil {
		p.notes, p.in.Qualifications = true, strings.TrimSpace(*quals)
	}
	if excls != nil {
		p.notes, p.in.Exclusions = true, strings.TrimSpace(*excls)
	}
	p.in.KeepText = quals == nil && excls == nil // a rate's autosave leaves the notes alone
	errs.Text("qualifications", p.in.Qualifications, 0, maxBidNotes)
	errs.Text("exclusions", p.in.Exclusions, 0, maxBidNotes)
	return p, errs, nil
}

// rateMessage says why a typed rate cannot be read, for people.
func rateMessage(err error, cur money.Currency) string {
	switch {
	case errors.Is(err, money.ErrNegative):
		return "A rate cannot be negative."
	case errors.Is(err, money.ErrPrecision):
		return fmt.Sprintf("A rate has at most %d decimal places.", cur.Exponent)
	case errors.Is(err, money.ErrTooLarge):
		return "This rate is larger than 14Build can hold."
	}
	return "Type a rate as a number, such as 1,234.50."
}

// storedBid is the bidder's bid, nil when it has none yet.
func (h *Handlers) storedBid(c echo.Context) (*store.Bid, error) {
	b, err := h.st.BidOf(c.Request().Context(), currentTender(c).ID, currentUser(c).ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &b, nil
}

// readOwnBidPost reads a post to the bidder's own bid in its tender's currency, over the
// bid as stored (what the post leaves out stays), with the tender's context.
func (h *Handlers) readOwnBidPost(c echo.Context) (bidPost, store.BidContext, field.Errors, error) {
	t, u := currentTender(c), currentUser(c)
	stored, err := h.storedBid(c)
	if err != nil {
		return bidPost{}, store.BidContext{}, nil, err
	}
	bcs, err := h.st.BidContexts(c.Request().Context(), u.ID, []string{t.ID})
	if err != nil {
		return bidPost{}, store.BidContext{}, nil, err
	}
	bc := bcs[t.ID]
	p, errs, err := readBidPost(c, bc.Currency, stored)
	return p, bc, errs, err
}

// bidSave saves the draft: one rate from the grid (answered with its row and the totals
// it changed, or JSON), the notes, or the whole form of rates (then back to the page).
func (h *Handlers) bidSave(c echo.Context) error {
	t, u := currentTender(c), currentUser(c)
	ctx := c.Request().Context()
	p, bc, errs, err := h.readOwnBidPost(c)
	if err != nil {
		return h.bidSaveError(c, p, err)
	}
	if len(errs) > 0 {
		return h.bidSaveError(c, p, &appError{Status: http.StatusUnprocessableEntity, Message: "Some rates could not be read.", Fields: errs})
	}
	if _, err := h.st.SaveBidDraft(ctx, t.ID, u.ID, u.EntityID, p.in, time.Time{}); err != nil {
		return h.bidSaveError(c, p, bidStoreError(err, t))
	}
	switch {
	case isJSONRequest(c):
		return h.bidSavedJSON(c, p.item)
	case wantsFragment(c) && p.item != "":
		v, err := h.bidView(c)
		if err != nil {
			return err
		}
		return renderStatus(c, http.StatusOK, views.BidSaved(v, p.item))
	case wantsFragment(c):
		return renderStatus(c, http.StatusOK, views.BidNotesSaved(time.Now(), bc.TimeZone))
	}
	h.flash(c, "Your draft is saved.")
	return redirect(c, paths.Tender(t.ID))
}

func isJSONRequest(c echo.Context) bool {
	return strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEApplicationJSON)
}

// bidSavedJSON answers a JSON autosave with the line's amount and the totals.
func (h *Handlers) bidSavedJSON(c echo.Context, itemID string) error {
	v, err := h.bidView(c)
	if err != nil {
		return err
	}
	out := map[string]any{"total": v.Total, "currency": v.Ctx.Currency, "priced": v.Priced, "toPrice": v.ToPrice}
	for _, s := range v.Sections {
		for _, l := range s.Lines {
			if l.Item.ID == itemID {
				out["itemId"], out["amount"], out["sectionId"], out["sectionTotal"] = l.Item.ID, l.Amount, s.ID, s.Total
				if l.HasRate {
					out["rate"] = l.Rate
				} else {
					out["rate"] = nil
				}
			}
		}
	}
	return c.JSON(http.StatusOK, out)
}

// bidSaveError answers a refused save: JSON as the API would; for the grid a bare
// message it shows in the cell (422: marked data-cell-error); else a page.
func (h *Handlers) bidSaveError(c echo.Context, p bidPost, err error) error {
	if isJSONRequest(c) {
		ae := h.toAppError(err)
		if ae.Status >= 500 {
			return err
		}
		body := map[string]any{"error": ae.Message}
		if len(ae.Fields) > 0 {
			body["fields"] = ae.Fields
		}
		return c.JSON(ae.Status, body)
	}
	if !wantsFragment(c) {
		if p.wholeBid {
			var ae *appError
			if errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity {
				return h.renderBidForm(c, ae.Fields, ae.Message, http.StatusUnprocessableEntity, p)
			}
		}
		return err
	}
	ae := h.toAppError(err)
	if ae.Status >= 500 {
		return err
	}
	msg := ae.Message
	if p.item != "" && ae.Fields[p.item] != "" {
		msg = ae.Fields[p.item]
	}
	return renderStatus(c, ae.Status, views.BidCellError(msg))
}

// bidStoreError answers the store's refusals of a bid.
func bidStoreError(err error, t *store.Tender) error {
	var notEditable *store.BidNotEditable
	var refused *store.RatesRefused
	var blockers tender.Blockers
	var bt *tender.BidTransitionError
	var over *soq.TotalError
	switch {
	case errors.Is(err, store.ErrTenderClosed), errors.Is(err, store.ErrTenderNotOpen):
		return errBidState(err, t)
	case errors.As(err, &notEditable):
		return &appError{Status: http.StatusConflict, Message: "Your bid is " + strings.ToLower(notEditable.Status.Label()) +
			": its rates change only by submitting a new revision (Revise your bid)."}
	case errors.As(err, &refused):
		fields := field.Errors{}
		var parts []string
		for _, r := range refused.Items {
			fields[r.ItemID] = "Line " + cmpOr(r.Reference, r.ItemID) + " " + r.Message + "."
			parts = append(parts, fields[r.ItemID])
		}
		return &appError{Status: http.StatusUnprocessableEntity, Message: strings.Join(parts, " "), Fields: fields}
	case errors.As(err, &blockers):
		return &appError{Status: http.StatusConflict, Message: blockers.Error()}
	case errors.As(err, &bt):
		return &appError{Status: http.StatusConflict, Message: capSentence(bt.Error())}
	case errors.As(err, &over):
		return &appError{Status: http.StatusUnprocessableEntity, Message: capSentence(over.Error())}
	}
	return err
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// errBidState is the 409 for a tender that takes no bids now, saying why.
func errBidState(err error, t *store.Tender) error {
	if errors.Is(err, store.ErrTenderClosed) || t.Status == tender.Closed {
		return &appError{Status: http.StatusConflict, Message: "This tender has closed: bids can no longer be saved, submitted or withdrawn."}
	}
	return &appError{Status: http.StatusConflict, Message: "This tender is " + strings.ToLower(t.Status.Label()) + ": it takes no bids."}
}

// ---------------------------------------------------------------- the form of every rate

// bidFormPage is every priced line as a plain form: the page without JavaScript, and
// how a submitted bid is revised (its rates change only by submitting again).
func (h *Handlers) bidFormPage(c echo.Context) error {
	return h.renderBidForm(c, nil, "", http.StatusOK, bidPost{})
}

// renderBidForm shows the form; typed keeps what was sent after a refusal.
func (h *Handlers) renderBidForm(c echo.Context, errs field.Errors, msg string, status int, p bidPost) error {
	v, err := h.bidView(c)
	if err != nil {
		return err
	}
	v.Errs, v.Message = errs, msg
	if p.wholeBid {
		form, _ := c.FormParams()
		v.Typed = map[string]string{}
		for k, vs := range form {
			if id, ok := strings.CutPrefix(k, "rate."); ok && len(vs) > 0 {
				v.Typed[id] = vs[0]
			}
		}
		v.TypedNotes = &[2]string{form.Get("qualifications"), form.Get("exclusions")}
	}
	return renderStatus(c, status, views.BidFormPage(h.page(c, "Price "+v.Tender.Title), v))
}

// ---------------------------------------------------------------- submit and withdraw

// bidSubmitPage is the summary to confirm before submitting: the total, the revision it
// makes, the lines priced and the addenda acknowledged, and what still blocks it.
func (h *Handlers) bidSubmitPage(c echo.Context) error {
	v, err := h.bidView(c)
	if err != nil {
		return err
	}
	v.Blockers = missingOf(v)
	return renderStatus(c, http.StatusOK, views.BidSubmitPage(h.page(c, "Submit your bid"), v))
}

// missingOf is what still blocks submitting v's bid, as the store will judge it.
func missingOf(v views.BidView) *tender.Blockers {
	var lines []tender.Line
	for _, s := range v.Sections {
		for _, l := range s.Lines {
			lines = append(lines, tender.Line{ItemID: l.Item.ID, Reference: l.Item.Reference, Type: l.Item.Type, HasRate: l.HasRate})
		}
	}
	ads := make([]tender.Addendum, len(v.Addenda))
	for i, a := range v.Addenda {
		ads[i] = tender.Addendum{Number: a.Number, Acknowledged: a.Acknowledged}
	}
	m := tender.Missing(lines, ads)
	return &m
}

// bidSubmit submits the bid: the stored draft as it stands, or (from the form of every
// rate) the rates sent with it. Blockers come back on the page that sent them (409).
func (h *Handlers) bidSubmit(c echo.Context) error {
	t, u := currentTender(c), currentUser(c)
	ctx := c.Request().Context()
	p, bc, errs, err := h.readOwnBidPost(c)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return h.renderBidForm(c, errs, "Some rates could not be read.", http.StatusUnprocessableEntity, p)
	}
	sub, err := h.st.SubmitBid(ctx, t.ID, u.ID, u.EntityID, p.in, time.Time{})
	var blockers tender.Blockers // SubmitBid returns the value
	if errors.As(err, &blockers) {
		if p.wholeBid {
			return h.renderBidForm(c, nil, blockers.Error(), http.StatusConflict, p)
		}
		v, verr := h.bidView(c)
		if verr != nil {
			return verr
		}
		v.Blockers, v.Message = &blockers, blockers.Error()
		return renderStatus(c, http.StatusConflict, views.BidSubmitPage(h.page(c, "Submit your bid"), v))
	}
	if err != nil {
		err = bidStoreError(err, t)
		var ae *appError
		if p.wholeBid && errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity {
			return h.renderBidForm(c, ae.Fields, ae.Message, ae.Status, p)
		}
		return err
	}
	h.flash(c, fmt.Sprintf("Your bid is submitted: revision %d, total %s.", sub.Revision, money.FormatCode(sub.Total, bc.Currency)))
	return redirect(c, paths.Tender(t.ID))
}

func (h *Handlers) bidWithdrawConfirm(c echo.Context) error {
	t := currentTender(c)
	b, err := h.storedBid(c)
	if err != nil {
		return err
	}
	if b == nil {
		return &appError{Status: http.StatusConflict, Message: "You have no bid on this tender to withdraw."}
	}
	msg := "Your draft will be discarded and you will not be able to bid on this tender again."
	if b.Revision > 0 {
		msg = fmt.Sprintf("Revision %d of your bid will no longer count, and you will not be able to bid on this tender again. The team is told that you withdrew.", b.Revision)
	}
	return renderStatus(c, http.StatusOK, views.Confirm(h.page(c, "Withdraw your bid"), views.ConfirmParams{
		Title: "Withdraw your bid on " + t.Title + "?", Message: msg,
		Action: paths.BidWithdraw(t.ID), Button: "Withdraw bid", Cancel: paths.Tender(t.ID)}))
}

func (h *Handlers) bidWithdraw(c echo.Context) error {
	t, u := currentTender(c), currentUser(c)
	b, err := h.storedBid(c)
	if err != nil {
		return err
	}
	if b == nil {
		return &appError{Status: http.StatusConflict, Message: "You have no bid on this tender to withdraw."}
	}
	if err := h.st.WithdrawBid(c.Request().Context(), t.ID, b.ID, u.ID, time.Time{}); err != nil {
		return bidStoreError(err, t)
	}
	h.flash(c, "Your bid is withdrawn.")
	return redirect(c, paths.Tender(t.ID))
}

// ---------------------------------------------------------------- addenda and questions

func (h *Handlers) bidAcknowledge(c echo.Context) error {
	t, u := currentTender(c), currentUser(c)
	n, err := strconv.Atoi(c.Param("number"))
	if err != nil || n < 1 {
		return errNotFound()
	}
	if err := h.st.AcknowledgeAddendum(c.Request().Context(), t.ID, n, u.ID, time.Now()); err != nil {
		return bidStoreError(err, t)
	}
	h.flash(c, fmt.Sprintf("Addendum %d acknowledged.", n))
	return redirect(c, paths.Tender(t.ID)+"#addenda")
}

func (h *Handlers) bidAsk(c echo.Context) error {
	t, u := currentTender(c), currentUser(c)
	text := strings.TrimSpace(c.FormValue("text"))
	if errs := tender.CheckQuestion(text); len(errs) > 0 {
		v, err := h.bidView(c)
		if err != nil {
			return err
		}
		v.QuestionErrs, v.QuestionText = field.Errors{"text": "Your question " + errs["text"] + "."}, text
		return renderStatus(c, http.StatusUnprocessableEntity, views.BidPage(h.page(c, v.Tender.Title), v))
	}
	if _, err := h.st.AskQuestion(c.Request().Context(), t.ID, u.ID, text, time.Now()); err != nil {
		return bidStoreError(err, t)
	}
	h.flash(c, "Your question is sent to the team. Its answer will appear under Questions.")
	return redirect(c, paths.Tender(t.ID)+"#questions")
}
