package handlers

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/field"
	"github.com/14build/14build/money"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/store"
	"github.com/14build/14build/views"
)

// The SOQ pages: the estimator's sheet. A cell edit answers with its row and, out of band,
// the totals it changed; structural changes (add, delete, move) are forms that redirect,
// so they work without JavaScript.

const (
	// soqDirectRows: up to this many shown items render with the page; beyond it each
	// section's rows load on their own when scrolled to.
	soqDirectRows = 500
	// soqRowsPage is how many rows one lazy load of a section brings.
	soqRowsPage = 200
	maxSOQQuery = 200
)

// soqNeed is what a handler needs of the SOQ its route names.
type soqNeed int

const (
	soqRead soqNeed = iota // any status
	soqEdit                // its sections and items are to change: it must be editable
)

// loadSOQ is the one loader of the SOQ a route names (:soqId), for the API, the sheet and
// the import alike. Under /api/soq/:soqId the guard has loaded it to find its project;
// under /projects/:id/soq/:soqId it must belong to the project the guard let the caller
// into (another project's SOQ is a 404). soqEdit refuses an SOQ whose status is not
// editable (an issued one) with 409: a state rule, not a permission.
func (h *Handlers) loadSOQ(c echo.Context, need soqNeed) (*store.SOQ, error) {
	q := currentSOQ(c)
	if q == nil {
		loaded, err := h.st.SOQHeader(c.Request().Context(), c.Param("soqId"))
		if err != nil {
			return nil, err
		}
		if pr := currentProject(c); pr == nil || loaded.ProjectID != pr.ID {
			return nil, errNotFound()
		}
		q = &loaded
		c.Set(soqKey, q)
	}
	if need == soqEdit && !q.Status.Editable() {
		return nil, errIssued()
	}
	return q, nil
}

func canEditSOQ(c echo.Context) bool {
	return authz.CanInProject(currentUser(c).Role, currentMembership(c), authz.EditSOQ)
}

func soqURL(q *store.SOQ) string { return paths.SOQ(q.ProjectID, q.ID) }

// paramID reads an id from the path; a malformed one is a 404.
func paramID(c echo.Context, name string) (string, error) {
	id := c.Param(name)
	if !store.ValidID(id) {
		return "", errNotFound()
	}
	return id, nil
}

// List and create

func (h *Handlers) soqListPage(c echo.Context) error {
	pr := currentProject(c)
	return h.renderSOQList(c, http.StatusOK, views.SOQListView{Currency: pr.Currency})
}

func (h *Handlers) renderSOQList(c echo.Context, status int, v views.SOQListView) error {
	pr := currentProject(c)
	qs, err := h.st.SOQsOf(c.Request().Context(), pr.ID)
	if err != nil {
		return err
	}
	v.Project, v.SOQs, v.CanEdit = *pr, qs, canEditSOQ(c)
	return render(c, status, views.SOQListPage(h.page(c, "Schedules of quantities · "+pr.Name), v), nil)
}

func (h *Handlers) soqCreate(c echo.Context) error {
	pr := currentProject(c)
	currency := c.FormValue("currency")
	if strings.TrimSpace(currency) == "" {
		currency = pr.Currency
	}
	title, code, errs := soq.CheckHeader(c.FormValue("title"), currency)
	if len(errs) > 0 {
		return h.renderSOQList(c, http.StatusUnprocessableEntity, views.SOQListView{Title: title, Currency: code, Errs: errs})
	}
	id, err := h.st.CreateSOQ(c.Request().Context(), pr.ID, currentUser(c).ID, store.NewSOQ{Title: title, Currency: code, Status: soq.Draft})
	if err != nil {
		return err
	}
	h.flash(c, "SOQ created. Add its first section below.")
	return redirect(c, paths.SOQ(pr.ID, id))
}

// The sheet

// soqFilter reads the filter from the query; values that cannot match are dropped.
func soqFilter(c echo.Context) (views.SOQFilter, store.ItemFilter) {
	var vf views.SOQFilter
	var sf store.ItemFilter
	if s := c.QueryParam("section"); store.ValidID(s) {
		vf.Section, sf.SectionID = s, s
	}
	if n, err := strconv.ParseInt(c.QueryParam("trade"), 10, 64); err == nil && n > 0 {
		vf.Trade, sf.CategoryID = strconv.FormatInt(n, 10), n
	}
	if t := soq.ItemType(c.QueryParam("type")); t.Valid() {
		vf.Type, sf.Type = string(t), t
	}
	if q := strings.TrimSpace(c.QueryParam("q")); q != "" {
		if len([]rune(q)) > maxSOQQuery {
			q = string([]rune(q)[:maxSOQQuery])
		}
		vf.Q, sf.Query = q, q
	}
	return vf, sf
}

// sheet loads what the SOQ page shows: every section with its totals, and the items the
// filter lets through. A constant number of queries, whatever the SOQ's size.
func (h *Handlers) sheet(c echo.Context, q *store.SOQ, vf views.SOQFilter, sf store.ItemFilter) (views.SOQSheet, error) {
	ctx := c.Request().Context()
	loaded := *q
	if err := h.st.LoadSOQ(ctx, &loaded, sf); err != nil {
		return views.SOQSheet{}, err
	}
	if vf.Section != "" && !slices.ContainsFunc(loaded.Sections, func(s store.Section) bool { return s.ID == vf.Section }) {
		vf.Section, sf.SectionID = "", ""
	}
	cats, err := h.st.Categories(ctx)
	if err != nil {
		return views.SOQSheet{}, err
	}
	may := canEditSOQ(c)
	v := views.SOQSheet{Project: *currentProject(c), SOQ: loaded, Categories: cats, Filter: vf,
		MayEdit: may, CanEdit: may && q.Status.Editable()}
	v.Lazy = v.Shown() > soqDirectRows
	return v, nil
}

func (h *Handlers) renderSheet(c echo.Context, status int, v views.SOQSheet) error {
	return render(c, status, views.SOQPage(h.page(c, v.SOQ.Title+" · "+v.Project.Name), v), views.SOQRegion(v))
}

func (h *Handlers) soqPage(c echo.Context) error {
	q, err := h.loadSOQ(c, soqRead)
	if err != nil {
		return err
	}
	vf, sf := soqFilter(c)
	v, err := h.sheet(c, q, vf, sf)
	if err != nil {
		return err
	}
	return h.renderSheet(c, http.StatusOK, v)
}

func (h *Handlers) rowCtx(c echo.Context, q *store.SOQ) views.Row {
	return views.Row{ProjectID: q.ProjectID, SOQID: q.ID, Currency: q.Currency, CanEdit: canEditSOQ(c) && q.Status.Editable()}
}

// soqRows is one page of a section's rows (the sheet of a large SOQ loads them lazily).
func (h *Handlers) soqRows(c echo.Context) error {
	q, err := h.loadSOQ(c, soqRead)
	if err != nil {
		return err
	}
	sectionID, err := paramID(c, "sectionId")
	if err != nil {
		return err
	}
	if !wantsFragment(c) {
		return c.Redirect(http.StatusSeeOther, soqURL(q)+"?section="+sectionID)
	}
	vf, sf := soqFilter(c)
	offset, _ := strconv.Atoi(c.QueryParam("offset"))
	offset = max(offset, 0)
	items, matched, err := h.st.SectionItems(c.Request().Context(), q.ID, sectionID, sf, offset, soqRowsPage)
	if err != nil {
		return err
	}
	next := offset + len(items)
	return renderStatus(c, http.StatusOK, views.SOQRows(h.rowCtx(c, q), views.RowsPage{SectionID: sectionID, Filter: vf, Items: items, Next: next, Remaining: matched - next}))
}

// soqRow is one row as it is saved (Escape in a cell editor restores it).
func (h *Handlers) soqRow(c echo.Context) error {
	q, err := h.loadSOQ(c, soqRead)
	if err != nil {
		return err
	}
	it, err := h.st.SOQItem(c.Request().Context(), q.ID, c.Param("itemId"))
	if err != nil {
		return err
	}
	if !wantsFragment(c) {
		return c.Redirect(http.StatusSeeOther, soqURL(q)+"#item-"+it.ID)
	}
	return renderStatus(c, http.StatusOK, views.SOQRow(h.rowCtx(c, q), it))
}

func validField(f string) bool { return soq.ValidItemField(f) }

// editorPage is the sheet, narrowed to the item's section, with one cell open: the path
// without JavaScript, and where a refused save lands without it.
func (h *Handlers) editorPage(c echo.Context, status int, q *store.SOQ, it store.Item, edit views.CellEdit) error {
	vf := views.SOQFilter{Section: it.SectionID}
	v, err := h.sheet(c, q, vf, store.ItemFilter{SectionID: it.SectionID})
	if err != nil {
		return err
	}
	v.Edit = edit
	v.Lazy = false
	return renderStatus(c, status, views.SOQPage(h.page(c, v.SOQ.Title+" · "+v.Project.Name), v))
}

// soqCellEditor opens one cell for editing.
func (h *Handlers) soqCellEditor(c echo.Context) error {
	q, err := h.loadSOQ(c, soqEdit)
	if err != nil {
		return err
	}
	field := c.Param("field")
	if !validField(field) {
		return errNotFound()
	}
	it, err := h.st.SOQItem(c.Request().Context(), q.ID, c.Param("itemId"))
	if err != nil {
		return err
	}
	edit := views.CellEdit{ItemID: it.ID, Field: field, Value: views.CellValue(it, field, q.Currency)}
	if !wantsFragment(c) {
		return h.editorPage(c, http.StatusOK, q, it, edit)
	}
	r := h.rowCtx(c, q)
	if field == "category" {
		if r.Categories, err = h.st.Categories(c.Request().Context()); err != nil {
			return err
		}
	}
	return renderStatus(c, http.StatusOK, views.SOQCellEditor(r, it, edit))
}

// setCell applies one typed cell value to an item, as an inline edit (a rate in the SOQ's
// currency).
func setCell(name, value string) func(q store.SOQ, it *store.Item, errs field.Errors, cats soq.Categories) {
	return func(q store.SOQ, it *store.Item, errs field.Errors, cats soq.Categories) {
		switch name {
		case "reference":
			it.Reference = value
		case "description":
			it.Description = value
		case "unit":
			it.Unit = value
		case "quantity":
			q, err := soq.ParseItemQuantity(it.Type, value)
			if err != nil {
				errs.Add(name, err.Error())
			}
			it.Quantity = q
		case "rate":
			r, err := soq.ParseRate(value, money.Of(q.Currency))
			if err != nil {
				errs.Add(name, err.Error())
			}
			it.Rate = r
		case "itemType":
			t, ok := soq.ParseItemType(value)
			if !ok || strings.TrimSpace(value) == "" {
				errs.Add(name, soq.MsgItemType)
				return
			}
			si := soq.Item{Quantity: it.Quantity, Rate: it.Rate, Unit: it.Unit, Type: it.Type}
			si.ChangeType(t)
			it.Quantity, it.Rate, it.Unit, it.Type = si.Quantity, si.Rate, si.Unit, si.Type
		case "category":
			if strings.TrimSpace(value) == "" {
				it.CategoryID.Valid, it.CategoryID.Int64 = false, 0
				return
			}
			cat, ok := cats.Match(value)
			if !ok {
				errs.Add(name, soq.MsgUnknownCategory)
				return
			}
			it.CategoryID.Int64, it.CategoryID.Valid = cat.ID, true
		}
	}
}

// cellMessages orders the refusal's messages by column and names their fields.
func cellMessages(errs field.Errors) []string {
	var out []string
	for _, f := range soq.ItemFields {
		if m, ok := errs[f]; ok {
			out = append(out, fieldMessage(f, m))
		}
	}
	for f, m := range errs {
		if !validField(f) {
			out = append(out, fieldMessage(f, m))
		}
	}
	return out
}

func fieldMessage(f, m string) string {
	label := f
	if validField(f) {
		label = soq.FieldLabel(f)
	}
	for _, p := range []string{"is ", "must ", "has "} {
		if strings.HasPrefix(m, p) {
			return label + " " + m
		}
	}
	return label + ": " + m
}

// soqCellSave saves one cell through patchItem, which re-checks the whole item. Saved: the
// row, with the section's total and the grand total out of band. Refused: 422, the row
// with the editor still open on what was typed; nothing is saved.
func (h *Handlers) soqCellSave(c echo.Context) error {
	field := c.Param("field")
	if !validField(field) {
		return errNotFound()
	}
	ctx := c.Request().Context()
	itemID := c.Param("itemId")
	value := c.FormValue("value")
	// No SOQ load first: the store's read checks the SOQ is this project's and editable (a
	// save is then 5 statements in all, 6 for a trade category).
	p, errs, err := h.patchItem(c, itemID, field == "category", setCell(field, value))
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		q, err := h.loadSOQ(c, soqEdit)
		if err != nil {
			return err
		}
		it, err := h.st.SOQItem(ctx, q.ID, itemID)
		if err != nil {
			return err
		}
		edit := views.CellEdit{ItemID: it.ID, Field: field, Value: value, Errs: cellMessages(errs)}
		if !wantsFragment(c) {
			return h.editorPage(c, http.StatusUnprocessableEntity, q, it, edit)
		}
		r := h.rowCtx(c, q)
		if field == "category" {
			if r.Categories, err = h.st.Categories(ctx); err != nil {
				return err
			}
		}
		r.Edit = edit
		return renderStatus(c, http.StatusUnprocessableEntity, views.SOQRow(r, it))
	}
	q, it := &p.SOQ, p.Items[0]
	if !wantsFragment(c) {
		return c.Redirect(http.StatusSeeOther, soqURL(q)+"#item-"+it.ID)
	}
	return renderStatus(c, http.StatusOK, views.SOQSaved(h.rowCtx(c, q), views.CellSaved{Item: it, SectionTotal: p.Sections[it.SectionID], Total: p.Total}))
}

// Items

func (h *Handlers) soqItemAdd(c echo.Context) error {
	q, err := h.loadSOQ(c, soqEdit)
	if err != nil {
		return err
	}
	sectionID, err := paramID(c, "sectionId")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	f := views.ItemForm{SectionID: sectionID, Reference: c.FormValue("reference"), Description: c.FormValue("description"),
		Unit: c.FormValue("unit"), Quantity: c.FormValue("quantity"), Rate: c.FormValue("rate"), ItemType: c.FormValue("itemType")}
	it, errs := soq.ParseItem(soq.ItemText{Reference: f.Reference, Description: f.Description, Unit: f.Unit,
		Quantity: f.Quantity, Rate: f.Rate, Type: f.ItemType}, money.Of(q.Currency))
	if len(errs) == 0 {
		added, err := h.st.AddItem(ctx, q.ID, q.ProjectID, sectionID, store.NewItem{Item: it})
		var over *soq.TotalError
		switch {
		case errors.Is(err, store.ErrReferenceTaken):
			errs.Add("reference", "is already used in this SOQ")
		case errors.As(err, &over):
			errs.Add(over.Key, over.Error())
		case err != nil:
			return soqStoreError(err)
		case wantsFragment(c):
			return h.itemAdded(c, q, added)
		default:
			return redirect(c, soqURL(q)+"#item-"+added.ID)
		}
	}
	if wantsFragment(c) {
		// In place: the add row again, open, with the messages beside their fields.
		s, _, err := h.st.SOQSection(ctx, q.ID, sectionID)
		if err != nil {
			return err
		}
		f.Errs = errs
		a := views.AddItem{ProjectID: q.ProjectID, SOQID: q.ID, SectionID: s.ID, SectionCode: s.Code, Form: f, Open: true}
		return renderStatus(c, http.StatusUnprocessableEntity, views.AddItemRow(a))
	}
	v, err := h.sheet(c, q, views.SOQFilter{}, store.ItemFilter{})
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(v.SOQ.Sections, func(s store.Section) bool { return s.ID == sectionID }) {
		return errNotFound()
	}
	f.Errs = errs
	v.AddItem = f
	return renderStatus(c, http.StatusUnprocessableEntity, views.SOQPage(h.page(c, v.SOQ.Title+" · "+v.Project.Name), v))
}

// itemAdded answers an item added in place: its row, the add row open again with the next
// reference suggested, and the totals and counts out of band.
func (h *Handlers) itemAdded(c echo.Context, q *store.SOQ, added store.Added) error {
	ctx := c.Request().Context()
	it, err := h.st.SOQItem(ctx, q.ID, added.ID)
	if err != nil {
		return err
	}
	s, n, err := h.st.SOQSection(ctx, q.ID, it.SectionID)
	if err != nil {
		return err
	}
	next := soq.NextReference(s.Code, it.Reference, nil)
	a := views.AddItem{ProjectID: q.ProjectID, SOQID: q.ID, SectionID: s.ID, SectionCode: s.Code, Open: true, Added: it.ID,
		Form: views.ItemForm{SectionID: s.ID, Reference: next, Unit: it.Unit, ItemType: string(it.Type)}}
	saved := views.CellSaved{Item: it, SectionTotal: added.SectionTotal, Total: added.Total}
	return renderStatus(c, http.StatusOK, views.ItemAdded(h.rowCtx(c, q), it, a, saved, n, q.ItemCount+1))
}

func (h *Handlers) soqItemMove(c echo.Context) error {
	q, err := h.loadSOQ(c, soqEdit)
	if err != nil {
		return err
	}
	id, err := paramID(c, "itemId")
	if err != nil {
		return err
	}
	if err := h.st.MoveItem(c.Request().Context(), q.ID, id, moveDir(c)); err != nil {
		return err
	}
	return redirect(c, soqURL(q)+"#item-"+id)
}

func moveDir(c echo.Context) int {
	if c.FormValue("dir") == "up" {
		return -1
	}
	return 1
}

func (h *Handlers) soqItemDeleteConfirm(c echo.Context) error {
	q, err := h.loadSOQ(c, soqEdit)
	if err != nil {
		return err
	}
	it, err := h.st.SOQItem(c.Request().Context(), q.ID, c.Param("itemId"))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.Confirm(h.page(c, "Delete "+it.Reference), views.ConfirmParams{
		Title:   "Delete item " + it.Reference + "?",
		Message: "“" + it.Description + "” is removed from " + q.Title + ", and the totals change. This cannot be undone.",
		Action:  paths.SOQItemDelete(q.ProjectID, q.ID, it.ID), Button: "Delete item", Cancel: soqURL(q) + "#item-" + it.ID,
	}), nil)
}

func (h *Handlers) soqItemDelete(c echo.Context) error {
	q, err := h.loadSOQ(c, soqEdit)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	it, err := h.st.SOQItem(ctx, q.ID, c.Param("itemId"))
	if err != nil {
		return err
	}
	if err := h.st.DeleteItem(ctx, q.ID, it.ID); err != nil {
		return err
	}
	h.flash(c, "Item "+it.Reference+" deleted.")
	return redirect(c, soqURL(q)+"#section-"+it.SectionID)
}

// Sections

func (h *Handlers) soqSectionAdd(c echo.Context) error {
	q, err := h.loadSOQ(c, soqEdit)
	if err != nil {
		return err
	}
	code, title, serrs := soq.CheckSection(c.FormValue("code"), c.FormValue("title"))
	f := views.SectionForm{Code: code, Title: title}
	errs := serrs
	if len(errs) == 0 {
		id, err := h.st.AddSection(c.Request().Context(), q.ID, f.Code, f.Title)
		switch {
		case errors.Is(err, store.ErrSectionCodeTaken):
			errs.Add("code", "is already used in this SOQ")
		case err != nil:
			return err
		case wantsFragment(c):
			// In place: the form, empty again, and the sheet with the new section.
			v, err := h.sheet(c, q, views.SOQFilter{}, store.ItemFilter{})
			if err != nil {
				return err
			}
			v.AddedSection = id
			return renderStatus(c, http.StatusOK, views.SectionAdded(v))
		default:
			return redirect(c, soqURL(q)+"#section-"+id)
		}
	}
	if wantsFragment(c) {
		v := views.SOQSheet{Project: *currentProject(c), SOQ: *q, CanEdit: true, AddSec: f}
		v.AddSec.Errs = errs
		return renderStatus(c, http.StatusUnprocessableEntity, views.AddSectionForm(v))
	}
	v, err := h.sheet(c, q, views.SOQFilter{}, store.ItemFilter{})
	if err != nil {
		return err
	}
	f.Errs = errs
	v.AddSec = f
	return renderStatus(c, http.StatusUnprocessableEntity, views.SOQPage(h.page(c, v.SOQ.Title+" · "+v.Project.Name), v))
}

func (h *Handlers) soqSectionMove(c echo.Context) error {
	q, err := h.loadSOQ(c, soqEdit)
	if err != nil {
		return err
	}
	id, err := paramID(c, "sectionId")
	if err != nil {
		return err
	}
	if err := h.st.MoveSection(c.Request().Context(), q.ID, id, moveDir(c)); err != nil {
		return err
	}
	return redirect(c, soqURL(q)+"#section-"+id)
}

func (h *Handlers) soqSectionDeleteConfirm(c echo.Context) error {
	q, err := h.loadSOQ(c, soqEdit)
	if err != nil {
		return err
	}
	s, n, err := h.st.SOQSection(c.Request().Context(), q.ID, c.Param("sectionId"))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.Confirm(h.page(c, "Delete section "+s.Code), views.ConfirmParams{
		Title:   "Delete section " + s.Code + " · " + s.Title + "?",
		Message: "The section and its " + strconv.Itoa(n) + " item(s) are removed from " + q.Title + ". This cannot be undone.",
		Action:  paths.SOQSectionDelete(q.ProjectID, q.ID, s.ID), Button: "Delete section", Cancel: soqURL(q) + "#section-" + s.ID,
	}), nil)
}

func (h *Handlers) soqSectionDelete(c echo.Context) error {
	q, err := h.loadSOQ(c, soqEdit)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	s, _, err := h.st.SOQSection(ctx, q.ID, c.Param("sectionId"))
	if err != nil {
		return err
	}
	if err := h.st.DeleteSection(ctx, q.ID, s.ID); err != nil {
		return err
	}
	h.flash(c, "Section "+s.Code+" deleted.")
	return redirect(c, soqURL(q))
}

// soqStatus issues an SOQ (read-only from then on) or returns it to draft: the form names
// the status wanted, and soq.Status decides whether the transition to it is allowed.
func (h *Handlers) soqStatus(c echo.Context) error {
	q, err := h.loadSOQ(c, soqRead)
	if err != nil {
		return err
	}
	want, ok := soq.ParseStatus(c.FormValue("status"))
	if !ok || c.FormValue("status") == "" {
		return errInvalid(field.Errors{"status": "must be draft or issued"})
	}
	next, err := q.Status.To(want)
	if err != nil {
		return errTransition(err)
	}
	if err := h.st.SetSOQStatus(c.Request().Context(), q.ID, q.Status, next); err != nil {
		return errTransition(err)
	}
	if next.Editable() {
		h.flash(c, "SOQ returned to draft: it can be edited.")
	} else {
		h.flash(c, "SOQ issued: it is read-only now.")
	}
	return redirect(c, soqURL(q))
}
