package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/field"
	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
)

// maxTenderBody bounds one tender body: its instructions and up to tender.MaxInvitees
// emails fit well within it.
const maxTenderBody = 1 << 20

const tenderKey = "tender"

func currentTender(c echo.Context) *store.Tender {
	t, _ := c.Get(tenderKey).(*store.Tender)
	return t
}

// openToBidder reports whether a bidder may see a tender: it has opened (a draft is the
// team's business) and the bidder is invited by email or is of one of its trades.
func openToBidder(t store.Tender, u *store.User) bool {
	if t.Status != tender.Open && t.Status != tender.Closed && t.Status != tender.Awarded {
		return false
	}
	for _, inv := range t.Invitees {
		if (inv.UserID.Valid && inv.UserID.String == u.ID) || strings.EqualFold(inv.Email, u.Email) {
			return true
		}
	}
	return u.CategoryID.Valid && slices.Contains(t.CategoryIDs, u.CategoryID.Int64)
}

// JSON shapes

type inviteeJSON struct {
	Email  string        `json:"email"`
	Intent tender.Intent `json:"intent"`
}

type tenderJSON struct {
	ID            string           `json:"id"`
	ProjectID     string           `json:"projectId"`
	SOQID         string           `json:"soqId"`
	Title         string           `json:"title"`
	Instructions  string           `json:"instructions"`
	ClosesAt      time.Time        `json:"closesAt"`
	Sealed        bool             `json:"sealed"`
	AllowLateBids bool             `json:"allowLateBids"`
	ScopeByTrade  bool             `json:"scopeByTrade"`
	Status        tender.Status    `json:"status"`
	Version       int64            `json:"version"`
	Categories    []string         `json:"categories"`
	Invitees      []inviteeJSON    `json:"invitees,omitzero"` // the team's only: bidders never see each other
	CreatedAt     time.Time        `json:"createdAt"`
	UpdatedAt     time.Time        `json:"updatedAt"`
	OpenedAt      *time.Time       `json:"openedAt"`
	ClosedAt      *time.Time       `json:"closedAt"`
	AwardedAt     *time.Time       `json:"awardedAt"`
	Sections      []soqSectionJSON `json:"sections,omitzero"`
}

func utcPtr(valid bool, t time.Time) *time.Time {
	if !valid {
		return nil
	}
	u := t.UTC()
	return &u
}

// toTenderJSON shapes a tender; names maps category ids to trade names. Invitees are
// listed for the team only.
func toTenderJSON(t store.Tender, names map[int64]string, team bool) tenderJSON {
	j := tenderJSON{ID: t.ID, ProjectID: t.ProjectID, SOQID: t.SOQID, Title: t.Title, Instructions: t.Instructions,
		ClosesAt: t.ClosesAt.UTC(), Sealed: t.Sealed, AllowLateBids: t.AllowLateBids, ScopeByTrade: t.ScopeByTrade,
		Status: t.Status, Version: t.Version, Categories: make([]string, 0, len(t.CategoryIDs)),
		CreatedAt: t.CreatedAt.UTC(), UpdatedAt: t.UpdatedAt.UTC(),
		OpenedAt: utcPtr(t.OpenedAt.Valid, t.OpenedAt.Time), ClosedAt: utcPtr(t.ClosedAt.Valid, t.ClosedAt.Time),
		AwardedAt: utcPtr(t.AwardedAt.Valid, t.AwardedAt.Time)}
	for _, id := range t.CategoryIDs {
		j.Categories = append(j.Categories, names[id])
	}
	if team {
		j.Invitees = make([]inviteeJSON, len(t.Invitees))
		for i, inv := range t.Invitees {
			j.Invitees[i] = inviteeJSON{Email: inv.Email, Intent: inv.Intent}
		}
	}
	return j
}

// toTenderSectionsJSON shapes the frozen copy as GET /api/soq/{id} shapes an SOQ's
// sections; a priced line's rate and amount are 0 (bidders price them).
func toTenderSectionsJSON(secs []store.TenderSection, names map[int64]string) []soqSectionJSON {
	out := make([]soqSectionJSON, len(secs))
	for i, s := range secs {
		sj := soqSectionJSON{ID: s.ID, Code: s.Code, Title: s.Title, Position: s.Position, Items: make([]soqItemJSON, len(s.Items))}
		for k, it := range s.Items {
			ij := soqItemJSON{ID: it.ID, SectionID: it.SectionID, Reference: it.Reference, Description: it.Description,
				Unit: it.Unit, Quantity: json.Number(it.Quantity.String()), Rate: it.Rate.Int64, Amount: it.Amount.Int64,
				ItemType: it.Type, UnitIDs: []string{}, Position: it.Position}
			if it.CategoryID.Valid {
				ij.Category = &categoryJSON{ID: it.CategoryID.Int64, Name: names[it.CategoryID.Int64]}
			}
			sj.Total += ij.Amount
			sj.Items[k] = ij
		}
		out[i] = sj
	}
	return out
}

// categoryNames maps trade ids to names: one query.
func (h *Handlers) categoryNames(c echo.Context) (map[int64]string, error) {
	cs, err := h.st.Categories(c.Request().Context())
	if err != nil {
		return nil, err
	}
	m := make(map[int64]string, len(cs))
	for _, cat := range cs {
		m[cat.ID] = cat.Name
	}
	return m, nil
}

// writeTender answers with a tender as the viewer may see it, with its frozen copy once
// it has opened.
func (h *Handlers) writeTender(c echo.Context, status int, id string) error {
	ctx := c.Request().Context()
	t, err := h.st.Tender(ctx, id)
	if err != nil {
		return err
	}
	names, err := h.categoryNames(c)
	if err != nil {
		return err
	}
	u := currentUser(c)
	j := toTenderJSON(t, names, u.Role != authz.RoleBidder)
	if t.OpenedAt.Valid {
		secs, err := h.st.TenderCopy(ctx, t.ID)
		if err != nil {
			return err
		}
		j.Sections = toTenderSectionsJSON(secs, names)
	}
	return c.JSON(status, j)
}

// Bodies

type tenderBody struct {
	ProjectID     string   `json:"projectId"`
	SOQID         string   `json:"soqId"`
	Title         string   `json:"title"`
	Instructions  string   `json:"instructions"`
	ClosesAt      string   `json:"closesAt"`
	Sealed        *bool    `json:"sealed"` // sealed unless said otherwise
	AllowLateBids bool     `json:"allowLateBids"`
	Categories    []string `json:"categories"`
	Invitees      []string `json:"invitees"`
	ScopeByTrade  bool     `json:"scopeByTrade"`
	// Version is the tender's version as the client read it; PUT is refused (409) when
	// the tender changed since. Optional.
	Version *int64 `json:"version"`
}

// checkTender turns a body into a tender to store, or per-field messages (keyed by the
// body's names), with tender.Check as the page's form uses it.
func (h *Handlers) checkTender(c echo.Context, p *store.Project, b tenderBody) (store.NewTender, field.Errors, error) {
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	sealed := b.Sealed == nil || *b.Sealed
	f, errs := tender.Check(tender.Input{Title: b.Title, Instructions: b.Instructions, ClosesAt: b.ClosesAt, Sealed: sealed,
		AllowLateBids: b.AllowLateBids, ScopeByTrade: b.ScopeByTrade, Categories: b.Categories, Invitees: b.Invitees},
		loc, time.Now())
	in := store.NewTender{SOQID: strings.TrimSpace(b.SOQID), Title: f.Title, Instructions: f.Instructions, ClosesAt: f.ClosesAt,
		Sealed: f.Sealed, AllowLateBids: f.AllowLateBids, ScopeByTrade: f.ScopeByTrade, Invitees: f.Invitees}
	if in.SOQID == "" {
		errs.Add("soqId", "is required")
	}
	if len(f.Categories) > 0 {
		cs, err := h.st.Categories(c.Request().Context())
		if err != nil {
			return in, nil, err
		}
		for _, name := range f.Categories {
			i := slices.IndexFunc(cs, func(cat store.Category) bool { return strings.EqualFold(cat.Name, name) })
			if i < 0 {
				errs.Add("categories", strconv.Quote(name)+" is not a trade we know")
				continue
			}
			in.CategoryIDs = append(in.CategoryIDs, cs[i].ID)
		}
	}
	return in, errs, nil
}

// tenderStoreError answers the store's refusals of a tender write or transition.
func tenderStoreError(err error) error {
	var notEditable *store.TenderNotEditable
	var te *tender.TransitionError
	var conflict *store.VersionConflict
	switch {
	case errors.Is(err, store.ErrUnknownSOQ):
		return &appError{Status: http.StatusBadRequest, Message: "Choose an SOQ of this project.",
			Fields: field.Errors{"soqId": "is not one of this project's SOQs"}}
	case errors.Is(err, store.ErrSOQNotIssued):
		return &appError{Status: http.StatusBadRequest, Message: "Issue the SOQ before opening the tender.",
			Fields: field.Errors{"soqId": "must be issued before the tender opens"}}
	case errors.Is(err, store.ErrUnknownCategory):
		return &appError{Status: http.StatusBadRequest, Message: "Choose trades 14Build knows.",
			Fields: field.Errors{"categories": "holds a trade we don't know"}}
	case errors.Is(err, store.ErrClosingTimePassed):
		return &appError{Status: http.StatusConflict, Message: "The tender's closing time has passed: set a later one before opening it."}
	case errors.Is(err, store.ErrNothingToTender):
		return &appError{Status: http.StatusConflict, Message: "The tender would have no items to price: its SOQ is empty, or has no item of its trades."}
	case errors.As(err, &notEditable):
		return &appError{Status: http.StatusConflict, Message: "This tender is " + string(notEditable.Status) + ": only a draft tender can be changed or deleted."}
	case errors.As(err, &te):
		return &appError{Status: http.StatusConflict, Message: capSentence(te.Error())}
	case errors.As(err, &conflict):
		return &appError{Status: http.StatusConflict, Message: "Someone else changed this tender meanwhile (now version " +
			strconv.FormatInt(conflict.Current, 10) + "); nothing was changed. Reload it and try again."}
	}
	return err
}

// capSentence capitalises a message and ends it with a full stop.
func capSentence(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

// Handlers

func (h *Handlers) apiTenderCreate(c echo.Context) error {
	limitBody(c, maxTenderBody)
	var b tenderBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	p := currentProject(c) // the body's projectId, checked by the guard (bodyProject)
	in, errs, err := h.checkTender(c, p, b)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return errInvalid(errs)
	}
	id, err := h.st.CreateTender(c.Request().Context(), p.ID, currentUser(c).ID, in)
	if err != nil {
		return tenderStoreError(err)
	}
	return h.writeTender(c, http.StatusCreated, id)
}

// apiTenderIndex answers GET /api/tenders: the ?projectId= project's list for its team, or,
// for a bidder who names no project (queryProjectOrBidder let it through), the page of
// tenders open to it.
func (h *Handlers) apiTenderIndex(c echo.Context) error {
	if currentProject(c) == nil {
		return h.apiTendersOpenToBidder(c)
	}
	return h.apiTenderList(c)
}

// apiTendersOpenToBidder is a bidder's page of the tenders it may bid on, in the bidder's
// view (no invitees), in API.md's paging envelope.
func (h *Handlers) apiTendersOpenToBidder(c echo.Context) error {
	page, per, errs := parsePage(c, 25, 200)
	if len(errs) > 0 {
		return errInvalid(errs)
	}
	ts, total, err := h.st.TendersOpenTo(c.Request().Context(), currentUser(c).ID, page, per)
	if err != nil {
		return err
	}
	out, err := h.tendersJSON(c, ts)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"tenders": out, "page": page, "perPage": per, "total": total})
}

// tendersJSON is a list's tenders as lists show them: without invitees (those are in
// GET /api/tenders/{id}, for the team).
func (h *Handlers) tendersJSON(c echo.Context, ts []store.Tender) ([]tenderJSON, error) {
	names, err := h.categoryNames(c)
	if err != nil {
		return nil, err
	}
	out := make([]tenderJSON, len(ts))
	for i, t := range ts {
		out[i] = toTenderJSON(t, names, false)
	}
	return out, nil
}

// apiTenderList lists a project's tenders for its team (?projectId=).
func (h *Handlers) apiTenderList(c echo.Context) error {
	ts, err := h.st.TendersOfProject(c.Request().Context(), currentProject(c).ID)
	if err != nil {
		return err
	}
	out, err := h.tendersJSON(c, ts)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"tenders": out})
}

func (h *Handlers) apiTenderGet(c echo.Context) error {
	return h.writeTender(c, http.StatusOK, currentTender(c).ID)
}

func (h *Handlers) apiTenderUpdate(c echo.Context) error {
	limitBody(c, maxTenderBody)
	var b tenderBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	t, p := currentTender(c), currentProject(c)
	if !t.Status.Editable() {
		return tenderStoreError(&store.TenderNotEditable{Status: t.Status})
	}
	in, errs, err := h.checkTender(c, p, b)
	if err != nil {
		return err
	}
	if b.ProjectID != "" && b.ProjectID != t.ProjectID {
		errs.Add("projectId", "a tender cannot move to another project")
	}
	if len(errs) > 0 {
		return errInvalid(errs)
	}
	if err := h.st.UpdateDraftTender(c.Request().Context(), t.ID, b.Version, in); err != nil {
		return tenderStoreError(err)
	}
	return h.writeTender(c, http.StatusOK, t.ID)
}

func (h *Handlers) apiTenderDelete(c echo.Context) error {
	if err := h.st.DeleteDraftTender(c.Request().Context(), currentTender(c).ID); err != nil {
		return tenderStoreError(err)
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handlers) apiTenderOpen(c echo.Context) error {
	t := currentTender(c)
	if err := h.openTender(c.Request().Context(), t.ID, currentUser(c).ID); err != nil {
		return tenderStoreError(err)
	}
	return h.writeTender(c, http.StatusOK, t.ID)
}

// openTender opens a draft tender for the API and the page alike (the store's errors
// unchanged, for tenderStoreError), and schedules its closing.
//
// The job is enqueued after the open commits (store.OpenTender takes no hook into its
// transaction): a crash in between loses the job, and the closing sweep (jobs.SweepEvery)
// closes the tender instead, so a failure to enqueue is logged, not refused.
func (h *Handlers) openTender(ctx context.Context, tenderID, actorID string) error {
	if err := h.st.OpenTender(ctx, tenderID, actorID, time.Now()); err != nil {
		return err
	}
	if h.cfg.Jobs == nil {
		return nil
	}
	t, err := h.st.Tender(ctx, tenderID)
	if err == nil {
		err = h.cfg.Jobs.ScheduleTenderClose(ctx, tenderID, t.ClosesAt)
	}
	if err != nil {
		h.log.Warn("schedule tender close (the sweep will close it)", "tender", tenderID, "err", err.Error())
	}
	return nil
}

// apiTenderClose closes an open tender: at or after its closing time whenever asked (the
// job may not have run yet), before it only when no invited bidder is still awaited.
func (h *Handlers) apiTenderClose(c echo.Context) error {
	t := currentTender(c)
	if err := h.closeTender(c.Request().Context(), t, currentUser(c).ID); err != nil {
		return err
	}
	return h.writeTender(c, http.StatusOK, t.ID)
}

// closeTender closes an open tender for the API and the page alike, with the early-close
// rule; its refusals are appErrors (409) ready to show.
func (h *Handlers) closeTender(ctx context.Context, t *store.Tender, actorID string) error {
	now := time.Now()
	if _, err := t.Status.Close(); err != nil {
		return tenderStoreError(err)
	}
	if now.Before(t.ClosesAt) {
		bids, err := h.st.BidsOfTender(ctx, t.ID)
		if err != nil {
			return err
		}
		bidOf := make(map[string]tender.BidStatus, len(bids))
		for _, b := range bids {
			bidOf[b.BidderID] = b.Status
		}
		invited := make([]tender.Bidder, len(t.Invitees))
		for i, inv := range t.Invitees {
			invited[i] = tender.Bidder{Name: inv.Email, Intent: inv.Intent}
			if inv.UserID.Valid {
				invited[i].Bid = bidOf[inv.UserID.String]
			}
		}
		ok, waiting := tender.CanCloseEarly(invited)
		switch {
		case !ok && len(waiting) == 0:
			return &appError{Status: http.StatusConflict, Message: "This tender is open to a trade, not only to invited bidders: it closes at its closing time."}
		case !ok:
			return &appError{Status: http.StatusConflict, Message: "The tender cannot close before its closing time while bidders are still awaited: " +
				strings.Join(waiting, ", ") + "."}
		}
	}
	if err := h.st.CloseTender(ctx, t.ID, actorID, now); err != nil {
		return tenderStoreError(err)
	}
	return nil
}

// apiTenderCancel cancels a draft, open or closed tender; an awarded or cancelled one is
// refused (409) with the transition's sentence.
func (h *Handlers) apiTenderCancel(c echo.Context) error {
	t := currentTender(c)
	if err := h.st.CancelTender(c.Request().Context(), t.ID, currentUser(c).ID, time.Now()); err != nil {
		return tenderStoreError(err)
	}
	return h.writeTender(c, http.StatusOK, t.ID)
}
