package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/field"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
	"github.com/14build/14build/views"
)

// tenderTeamPageRoutes: the project's Tenders tab, the tender form, the team's tender
// page's actions, addenda and answers. (The page itself is /tenders/{id}, routes.go's
// tenderPage, which sends the team to teamTenderPage.)
func (h *Handlers) tenderTeamPageRoutes() []Route {
	manage := onTender(authz.CreateTender, authz.EditSOQ)
	return []Route{
		{"GET", paths.NameTenders, inProject(authz.ViewProject), h.tendersPage},
		{"GET", paths.NameTenderNew, inProject(authz.EditSOQ), h.tenderNewPage},
		{"POST", paths.NameTenders, inProject(authz.EditSOQ), h.tenderCreate}, // and CREATE_TENDER (canCreateTender)
		{"GET", paths.NameTenderBidderSearch, inProject(authz.EditSOQ), h.tenderBidderSearch},
		{"GET", paths.NameTenderEdit, manage, h.tenderEditPage},
		{"POST", paths.NameTenderEdit, manage, h.tenderUpdate},
		{"GET", paths.NameTenderDelete, manage, h.tenderDeleteConfirm},
		{"POST", paths.NameTenderDelete, manage, h.tenderDelete},
		{"POST", paths.NameTenderOpen, manage, h.tenderOpenAction},
		{"POST", paths.NameTenderClose, manage, h.tenderCloseAction},
		{"GET", paths.NameTenderCancel, manage, h.tenderCancelConfirm},
		{"POST", paths.NameTenderCancel, manage, h.tenderCancelAction},
		{"POST", paths.NameTenderAddenda, manage, h.tenderAddendumIssue},
		{"POST", paths.NameTenderQuestionAnswer, manage, h.tenderQuestionAnswer},
	}
}

// canCreateTender is CREATE_TENDER inside the current project: the role's permission and
// the project's EditSOQ (what the manage routes' guard checks).
func canCreateTender(c echo.Context) bool {
	u := currentUser(c)
	return u != nil && authz.Can(u.Role, authz.CreateTender) && authz.CanInProject(u.Role, currentMembership(c), authz.EditSOQ)
}

// projectLoc is the project's time zone (UTC when it is not one).
func projectLoc(p *store.Project) *time.Location {
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// The Tenders tab

func (h *Handlers) tendersPage(c echo.Context) error {
	ctx, pr := c.Request().Context(), currentProject(c)
	ts, err := h.st.TendersOfProject(ctx, pr.ID)
	if err != nil {
		return err
	}
	counts, err := h.st.SubmissionCounts(ctx, pr.ID)
	if err != nil {
		return err
	}
	v := views.TenderListView{Project: *pr, Tenders: ts, Submissions: counts, CanCreate: canCreateTender(c), Now: time.Now()}
	return render(c, http.StatusOK, views.TendersPage(h.page(c, "Tenders · "+pr.Name), v), nil)
}

// The tender form

// tenderValues reads the tender form as a person filled it in.
func tenderValues(c echo.Context) views.TenderValues {
	f, _ := c.FormParams()
	return views.TenderValues{
		SOQID: c.FormValue("soqId"), Title: c.FormValue("title"), Instructions: c.FormValue("instructions"),
		ClosesAt: strings.TrimSpace(c.FormValue("closesAt")), Sealed: c.FormValue("sealed") == "true",
		AllowLateBids: c.FormValue("allowLateBids") == "true", ScopeByTrade: c.FormValue("scopeByTrade") == "true",
		Categories: f["categories"], Invitees: c.FormValue("invitees"),
	}
}

// splitEmails reads the invitees box: addresses separated by lines, commas, semicolons or
// spaces.
func splitEmails(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t'
	})
}

// tenderFormWords names the form's fields in its messages.
var tenderFormWords = map[string]fieldWords{
	"title":        {Enter: "the tender's title", Subject: "The title"},
	"instructions": {Subject: "The instructions"},
	"closesAt":     {Enter: "the closing date and time", Subject: "The closing time"},
}

// checkTenderForm checks the form with checkTender (tender.Check), and rewrites its
// messages for the form: an email refused in the invitees list is named in the box's one
// message.
func (h *Handlers) checkTenderForm(c echo.Context, v views.TenderValues) (store.NewTender, field.Errors, error) {
	emails := splitEmails(v.Invitees)
	sealed := v.Sealed
	in, errs, err := h.checkTender(c, currentProject(c), tenderBody{SOQID: v.SOQID, Title: v.Title, Instructions: v.Instructions,
		ClosesAt: v.ClosesAt, Sealed: &sealed, AllowLateBids: v.AllowLateBids, Categories: v.Categories, Invitees: emails,
		ScopeByTrade: v.ScopeByTrade})
	if err != nil || len(errs) == 0 {
		return in, errs, err
	}
	out := field.Errors{}
	var bad []string
	for name, msg := range errs {
		switch {
		case strings.HasPrefix(name, "invitees["):
			i, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, "invitees["), "]"))
			if i >= 0 && i < len(emails) {
				bad = append(bad, strconv.Quote(emails[i]))
			}
		case strings.HasPrefix(name, "categories["):
			out["categories"] = "Choose trades from the list."
		case name == "soqId":
			out[name] = "Choose the SOQ to tender."
		default:
			out[name] = msg
		}
	}
	out = sentences(out, tenderFormWords)
	if len(bad) > 0 {
		out["invitees"] = "Correct these, which are not email addresses such as name@example.com: " + strings.Join(bad, ", ") + "."
	}
	return in, out, nil
}

// tenderForm fills the form's choices: the project's issued SOQs (and the draft's own,
// whatever its state) and the trades.
func (h *Handlers) tenderForm(c echo.Context, f views.TenderForm) (views.TenderForm, error) {
	ctx, pr := c.Request().Context(), currentProject(c)
	qs, err := h.st.SOQsOf(ctx, pr.ID)
	if err != nil {
		return f, err
	}
	for _, q := range qs {
		if q.Status == soq.Issued || q.ID == f.Values.SOQID {
			f.SOQs = append(f.SOQs, q)
		}
	}
	if f.Categories, err = h.st.Categories(ctx); err != nil {
		return f, err
	}
	f.Project = *pr
	return f, nil
}

func (h *Handlers) renderTenderForm(c echo.Context, status int, f views.TenderForm) error {
	f, err := h.tenderForm(c, f)
	if err != nil {
		return err
	}
	return render(c, status, views.TenderFormPage(h.page(c, f.PageTitle), f), nil)
}

func newTenderForm(pr *store.Project, v views.TenderValues, errs field.Errors) views.TenderForm {
	return views.TenderForm{PageTitle: "New tender · " + pr.Name, Heading: "New tender", Action: paths.Tenders(pr.ID),
		Cancel: paths.Tenders(pr.ID), Submit: "Save draft", Values: v, Errs: errs}
}

func (h *Handlers) tenderNewPage(c echo.Context) error {
	if !canCreateTender(c) {
		return errForbidden()
	}
	pr := currentProject(c)
	// A first guess at the closing time: two weeks on, at 17:00 there.
	d := time.Now().In(projectLoc(pr)).AddDate(0, 0, 14)
	v := views.TenderValues{Sealed: true, ClosesAt: d.Format("2006-01-02") + "T17:00"}
	return h.renderTenderForm(c, http.StatusOK, newTenderForm(pr, v, nil))
}

// tenderFormRefusal turns a store refusal with field messages (an SOQ not the project's,
// a trade unknown) into the form's messages; other errors are returned as they are.
func tenderFormRefusal(err error) (field.Errors, error) {
	var ae *appError
	if errors.As(tenderStoreError(err), &ae) && len(ae.Fields) > 0 {
		return sentences(ae.Fields, tenderFormWords), nil
	}
	return nil, tenderStoreError(err)
}

func (h *Handlers) tenderCreate(c echo.Context) error {
	if !canCreateTender(c) {
		return errForbidden()
	}
	pr := currentProject(c)
	v := tenderValues(c)
	in, errs, err := h.checkTenderForm(c, v)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return h.renderTenderForm(c, http.StatusUnprocessableEntity, newTenderForm(pr, v, errs))
	}
	id, err := h.st.CreateTender(c.Request().Context(), pr.ID, currentUser(c).ID, in)
	if err != nil {
		errs, err := tenderFormRefusal(err)
		if err != nil {
			return err
		}
		return h.renderTenderForm(c, http.StatusUnprocessableEntity, newTenderForm(pr, v, errs))
	}
	h.flash(c, "Tender saved as a draft. Open it when it is ready for bidders.")
	return redirect(c, paths.Tender(id))
}

// tenderBidderSearch answers the form's search box with the bidders matching it.
func (h *Handlers) tenderBidderSearch(c echo.Context) error {
	q := c.QueryParam("q")
	if len([]rune(q)) > 100 {
		q = string([]rune(q)[:100])
	}
	ms, err := h.st.SearchBidders(c.Request().Context(), q, 20)
	if err != nil {
		return err
	}
	return renderStatus(c, http.StatusOK, views.BidderResults(q, ms))
}

// editTenderForm is a draft's edit form.
// version is the draft's version the form was read at.
func editTenderForm(pr *store.Project, t *store.Tender, version int64, v views.TenderValues, errs field.Errors) views.TenderForm {
	return views.TenderForm{PageTitle: "Edit " + t.Title + " · " + pr.Name, Heading: "Edit tender", Action: paths.TenderEdit(t.ID),
		Cancel: paths.Tender(t.ID), Submit: "Save draft", Version: version, Values: v, Errs: errs}
}

func (h *Handlers) tenderEditPage(c echo.Context) error {
	t, pr := currentTender(c), currentProject(c)
	if !t.Status.Editable() {
		return tenderStoreError(&store.TenderNotEditable{Status: t.Status})
	}
	names, err := h.categoryNames(c)
	if err != nil {
		return err
	}
	v := views.TenderValues{SOQID: t.SOQID, Title: t.Title, Instructions: t.Instructions,
		ClosesAt: t.ClosesAt.In(projectLoc(pr)).Format("2006-01-02T15:04"), Sealed: t.Sealed,
		AllowLateBids: t.AllowLateBids, ScopeByTrade: t.ScopeByTrade}
	for _, id := range t.CategoryIDs {
		v.Categories = append(v.Categories, names[id])
	}
	emails := make([]string, len(t.Invitees))
	for i, inv := range t.Invitees {
		emails[i] = inv.Email
	}
	v.Invitees = strings.Join(emails, "\n")
	return h.renderTenderForm(c, http.StatusOK, editTenderForm(pr, t, t.Version, v, nil))
}

func (h *Handlers) tenderUpdate(c echo.Context) error {
	t, pr := currentTender(c), currentProject(c)
	if !t.Status.Editable() {
		return tenderStoreError(&store.TenderNotEditable{Status: t.Status})
	}
	v := tenderValues(c)
	// The version the form was read at: a draft changed meanwhile (by a colleague, or the
	// API) is not overwritten unseen.
	var version *int64
	if n, err := strconv.ParseInt(c.FormValue("version"), 10, 64); err == nil && n > 0 {
		version = &n
	}
	formVersion := t.Version
	if version != nil {
		formVersion = *version
	}
	in, errs, err := h.checkTenderForm(c, v)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return h.renderTenderForm(c, http.StatusUnprocessableEntity, editTenderForm(pr, t, formVersion, v, errs))
	}
	if err := h.st.UpdateDraftTender(c.Request().Context(), t.ID, version, in); err != nil {
		var conflict *store.VersionConflict
		if errors.As(err, &conflict) {
			// Kept as typed, with the version now current: saving again overwrites knowingly.
			return h.renderTenderForm(c, http.StatusConflict, editTenderForm(pr, t, conflict.Current, v,
				field.Errors{"": "Someone else saved this tender while you were editing it; nothing was saved. Check the tender's page, or save again to replace their changes with yours."}))
		}
		errs, err := tenderFormRefusal(err)
		if err != nil {
			return err
		}
		return h.renderTenderForm(c, http.StatusUnprocessableEntity, editTenderForm(pr, t, formVersion, v, errs))
	}
	h.flash(c, "Tender saved.")
	return redirect(c, paths.Tender(t.ID))
}

func (h *Handlers) tenderDeleteConfirm(c echo.Context) error {
	t := currentTender(c)
	if !t.Status.Editable() {
		return tenderStoreError(&store.TenderNotEditable{Status: t.Status})
	}
	return render(c, http.StatusOK, views.Confirm(h.page(c, "Delete "+t.Title), views.ConfirmParams{
		Title: "Delete the draft tender “" + t.Title + "”?", Message: "The draft, its trades and its invitation list are removed. No bidder has seen it.",
		Action: paths.TenderDelete(t.ID), Button: "Delete tender", Cancel: paths.Tender(t.ID)}), nil)
}

func (h *Handlers) tenderDelete(c echo.Context) error {
	t := currentTender(c)
	if err := h.st.DeleteDraftTender(c.Request().Context(), t.ID); err != nil {
		return tenderStoreError(err)
	}
	h.flash(c, "Tender “"+t.Title+"” deleted.")
	return redirect(c, paths.Tenders(t.ProjectID))
}

// Transitions. A refusal is shown on the tender's page, in a panel, with its status
// (409), rather than as a bare error page.

// refuseOnPage shows err on the tender page when it is a refusal for people: a wrong state
// (409), or what the tender lacks (the API's 400, the page's 422); any other error goes to
// the error handler.
func (h *Handlers) refuseOnPage(c echo.Context, err error) error {
	var ae *appError
	if !errors.As(err, &ae) {
		return err
	}
	switch ae.Status {
	case http.StatusConflict:
		return h.renderTeamTender(c, http.StatusConflict, views.TeamTenderView{Refusal: ae.Message})
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return h.renderTeamTender(c, http.StatusUnprocessableEntity, views.TeamTenderView{Refusal: ae.Message})
	}
	return err
}

func (h *Handlers) tenderOpenAction(c echo.Context) error {
	t := currentTender(c)
	if err := h.openTender(c.Request().Context(), t.ID, currentUser(c).ID); err != nil {
		return h.refuseOnPage(c, tenderStoreError(err))
	}
	h.flash(c, "Tender opened: the bidders it is open to can now see it and bid.")
	return redirect(c, paths.Tender(t.ID))
}

func (h *Handlers) tenderCloseAction(c echo.Context) error {
	t := currentTender(c)
	if err := h.closeTender(c.Request().Context(), t, currentUser(c).ID); err != nil {
		return h.refuseOnPage(c, err)
	}
	h.flash(c, "Tender closed: no more bids are taken.")
	return redirect(c, paths.Tender(t.ID))
}

func (h *Handlers) tenderCancelConfirm(c echo.Context) error {
	t := currentTender(c)
	if _, err := t.Status.Cancel(); err != nil {
		return h.refuseOnPage(c, tenderStoreError(err))
	}
	msg := "The tender ends without an award. Bidders can no longer bid on it."
	if t.Status == tender.Draft {
		msg = "The draft ends without being opened."
	}
	return render(c, http.StatusOK, views.Confirm(h.page(c, "Cancel "+t.Title), views.ConfirmParams{
		Title: "Cancel the tender “" + t.Title + "”?", Message: msg + " This cannot be undone.",
		Action: paths.TenderCancel(t.ID), Button: "Cancel tender", Cancel: paths.Tender(t.ID)}), nil)
}

func (h *Handlers) tenderCancelAction(c echo.Context) error {
	t := currentTender(c)
	if err := h.st.CancelTender(c.Request().Context(), t.ID, currentUser(c).ID, time.Now()); err != nil {
		return h.refuseOnPage(c, tenderStoreError(err))
	}
	h.flash(c, "Tender cancelled.")
	return redirect(c, paths.Tender(t.ID))
}

// The team's tender page

// teamTenderPage is /tenders/{id} for the tender's team.
func (h *Handlers) teamTenderPage(c echo.Context) error {
	return h.renderTeamTender(c, http.StatusOK, views.TeamTenderView{})
}

// renderTeamTender loads the tender page around v (which may carry a refusal or a
// refused form) and writes it with status. Prices (bid totals) are loaded only when the
// sealed rule lets the team see them: while sealed the page holds none to leak.
func (h *Handlers) renderTeamTender(c echo.Context, status int, v views.TeamTenderView) error {
	ctx, now := c.Request().Context(), time.Now()
	t, err := h.st.Tender(ctx, currentTender(c).ID) // afresh: an action may have just changed it
	if err != nil {
		return err
	}
	pr := currentProject(c)
	q, err := h.st.SOQHeader(ctx, t.SOQID)
	if err != nil {
		return err
	}
	names, err := h.categoryNames(c)
	if err != nil {
		return err
	}
	v.Project, v.Tender, v.SOQTitle, v.Currency, v.Now = *pr, t, q.Title, q.Currency, now
	v.CanManage = canCreateTender(c)
	if t.Status == tender.Awarded { // the contract's milestones and escrow (issue 14)
		if k, err := h.st.ContractOfTender(ctx, t.ID); err == nil {
			v.ContractID = k.ID
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	for _, id := range t.CategoryIDs {
		v.Trades = append(v.Trades, names[id])
	}
	if v.Bidders, err = h.st.BiddersOfTender(ctx, t.ID); err != nil {
		return err
	}
	if err := h.teamBidPrices(ctx, &v, t, now); err != nil {
		return err
	}
	if v.Addenda, err = h.st.Addenda(ctx, t.ID, ""); err != nil {
		return err
	}
	if v.Questions, err = h.st.QuestionsForTeam(ctx, t.ID); err != nil {
		return err
	}
	if t.OpenedAt.Valid {
		if v.Copy, err = h.st.TenderCopy(ctx, t.ID); err != nil {
			return err
		}
	}
	return render(c, status, views.TeamTenderPage(h.page(c, t.Title+" · "+pr.Name), v), nil)
}

// Addenda

// addendumValues reads the addendum form.
func addendumValues(c echo.Context) views.AddendumValues {
	a := views.AddendumValues{Text: c.FormValue("text"), ClosesAt: strings.TrimSpace(c.FormValue("closesAt")),
		Remove: strings.TrimSpace(c.FormValue("remove"))}
	for i := range views.AddendumChangeRows {
		p := "changes[" + strconv.Itoa(i) + "]."
		a.Changes = append(a.Changes, views.ChangeValues{Reference: strings.TrimSpace(c.FormValue(p + "reference")),
			Quantity: strings.TrimSpace(c.FormValue(p + "quantity")), Description: strings.TrimSpace(c.FormValue(p + "description"))})
	}
	return a
}

// checkAddendum turns the form into an addendum: the text and closing time by
// tender.CheckAddendum, each item line found by its reference in the frozen copy.
func checkAddendum(a views.AddendumValues, frozen []store.TenderSection, loc *time.Location, now time.Time) (store.AddendumInput, field.Errors) {
	closes, errs := tender.CheckAddendum(strings.TrimSpace(a.Text), a.ClosesAt, loc, now)
	errs = sentences(errs, map[string]fieldWords{"text": {Enter: "what the addendum changes", Subject: "The text"},
		"closesAt": {Enter: "the new closing time", Subject: "The new closing time"}})
	in := store.AddendumInput{Text: strings.TrimSpace(a.Text), ClosesAt: closes}
	byRef := map[string]store.TenderItem{}
	for _, s := range frozen {
		for _, it := range s.Items {
			byRef[strings.ToLower(it.Reference)] = it
		}
	}
	seen := map[string]bool{}
	for i, ch := range a.Changes {
		name := func(f string) string { return "changes[" + strconv.Itoa(i) + "]." + f }
		if ch == (views.ChangeValues{}) {
			continue
		}
		it, ok := byRef[strings.ToLower(ch.Reference)]
		switch {
		case ch.Reference == "":
			errs.Add(name("reference"), "Enter the reference of the item to change.")
			continue
		case !ok:
			errs.Add(name("reference"), "No item of this tender has the reference "+strconv.Quote(ch.Reference)+".")
			continue
		case seen[it.ID]:
			errs.Add(name("reference"), "Item "+ch.Reference+" is already changed above.")
			continue
		case ch.Quantity == "" && ch.Description == "":
			errs.Add(name("quantity"), "Enter a new quantity or description for item "+ch.Reference+".")
			continue
		}
		seen[it.ID] = true
		change := store.ItemChange{ItemID: it.ID}
		if ch.Quantity != "" {
			qty, err := soq.ParseQuantity(ch.Quantity)
			if err != nil {
				errs.Add(name("quantity"), sentence(fieldWords{Subject: "The quantity"}, err.Error()))
				continue
			}
			change.Quantity = &qty
		}
		if ch.Description != "" {
			d := ch.Description
			change.Description = &d
		}
		in.Changes = append(in.Changes, change)
	}
	var unknown []string
	for _, ref := range splitEmails(a.Remove) { // the same separators as the invitees box
		it, ok := byRef[strings.ToLower(ref)]
		switch {
		case !ok:
			unknown = append(unknown, strconv.Quote(ref))
		case seen[it.ID]:
			errs.Add("remove", "Item "+ref+" is both changed and removed: keep one.")
		default:
			seen[it.ID] = true
			in.RemoveItemIDs = append(in.RemoveItemIDs, it.ID)
		}
	}
	if len(unknown) > 0 {
		errs.Add("remove", "No item of this tender has the reference "+strings.Join(unknown, ", ")+".")
	}
	return in, errs
}

// addendumFormErrors names the store's refusals (keyed as the API body is) by the form's
// fields: an item id by the reference it was picked with, the removals by their box, and
// what concerns the whole addendum in the form's alert.
func addendumFormErrors(errs field.Errors) field.Errors {
	out := field.Errors{}
	for name, msg := range errs {
		switch {
		case name == "removeItemIds":
			out.Add("remove", sentence(fieldWords{Subject: "Removing these items"}, msg))
		case strings.HasPrefix(name, "removeItemIds["):
			out.Add("remove", sentence(fieldWords{Subject: "An item to remove"}, msg))
		case strings.HasPrefix(name, "changes[") && strings.HasSuffix(name, ".itemId"):
			out.Add(strings.TrimSuffix(name, ".itemId")+".reference", sentence(fieldWords{Subject: "This item"}, msg))
		case strings.HasPrefix(name, "changes["):
			out.Add(name, sentence(fieldWords{Subject: "This"}, msg))
		case name == "text" || name == "closesAt":
			out.Add(name, sentence(fieldWords{}, msg))
		default:
			out.Add("", sentence(fieldWords{Subject: "The addendum"}, msg))
		}
	}
	return out
}

func (h *Handlers) tenderAddendumIssue(c echo.Context) error {
	ctx, t, now := c.Request().Context(), currentTender(c), time.Now()
	if t.Status != tender.Open {
		return h.refuseOnPage(c, &appError{Status: http.StatusConflict, Message: "Addenda are issued while the tender is open; this one is " + strings.ToLower(t.Status.Label()) + "."})
	}
	a := addendumValues(c)
	cp, err := h.st.TenderCopy(ctx, t.ID)
	if err != nil {
		return err
	}
	in, errs := checkAddendum(a, cp, projectLoc(currentProject(c)), now)
	if len(errs) > 0 {
		return h.renderTeamTender(c, http.StatusUnprocessableEntity, views.TeamTenderView{Addendum: a, AddendumErrs: errs})
	}
	ad, err := h.st.IssueAddendum(ctx, t.ID, currentUser(c).ID, in, now)
	if err != nil {
		var fr *store.FieldsRefused
		if errors.As(err, &fr) {
			return h.renderTeamTender(c, http.StatusUnprocessableEntity, views.TeamTenderView{Addendum: a, AddendumErrs: addendumFormErrors(fr.Fields)})
		}
		return h.refuseOnPage(c, talkStoreError(tenderStoreError(err)))
	}
	h.flash(c, "Addendum "+strconv.Itoa(ad.Number)+" issued. Bidders must acknowledge it before they submit again.")
	return redirect(c, paths.Tender(t.ID))
}

// Answers

func (h *Handlers) tenderQuestionAnswer(c echo.Context) error {
	t, qid := currentTender(c), c.Param("qid")
	a := views.AnswerValues{QuestionID: qid, Text: c.FormValue("text"), Publish: c.FormValue("publish") == "true"}
	if errs := tender.CheckAnswer(strings.TrimSpace(a.Text)); len(errs) > 0 {
		a.Errs = sentences(errs, map[string]fieldWords{"text": {Enter: "your answer", Subject: "The answer"}})
		return h.renderTeamTender(c, http.StatusUnprocessableEntity, views.TeamTenderView{Answer: a})
	}
	if _, err := h.st.AnswerQuestion(c.Request().Context(), t.ID, qid, currentUser(c).ID, strings.TrimSpace(a.Text), a.Publish, time.Now()); err != nil {
		var fr *store.FieldsRefused
		if errors.As(err, &fr) {
			a.Errs = sentences(fr.Fields, map[string]fieldWords{"text": {Enter: "your answer", Subject: "The answer"}})
			return h.renderTeamTender(c, http.StatusUnprocessableEntity, views.TeamTenderView{Answer: a})
		}
		return h.refuseOnPage(c, talkStoreError(tenderStoreError(err)))
	}
	if a.Publish {
		h.flash(c, "Answer published to every bidder of the tender, without the asker's name.")
	} else {
		h.flash(c, "Answer sent to the bidder who asked.")
	}
	return redirect(c, paths.Tender(t.ID)+"#tender-questions")
}

// teamBidPrices fills what the team's tender page shows of the bids' prices — each
// bidder's total and its bid's id (for the priced PDF) — only when tender.Seal lets the
// team see prices: the page and its live refresh share it.
func (h *Handlers) teamBidPrices(ctx context.Context, v *views.TeamTenderView, t store.Tender, now time.Time) error {
	seal := tender.Seal{Status: t.Status, Sealed: t.Sealed, ClosesAt: t.ClosesAt, AllowLate: t.AllowLateBids}
	if v.Prices = seal.Shows(tender.Team, now); !v.Prices {
		return nil
	}
	bids, err := h.st.BidsWithTotals(ctx, t.ID)
	if err != nil {
		return err
	}
	v.Totals = make(map[string]int64, len(bids))
	v.BidIDs = make(map[string]string, len(bids))
	for _, b := range bids {
		v.Totals[b.BidderID] = b.Total
		v.BidIDs[b.BidderID] = b.ID
	}
	return nil
}
