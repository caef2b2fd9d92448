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

// pageSOQ loads the SOQ named in the URL and checks it belongs to the project the guard
// let the caller into (another project's SOQ is a 404).
func (h *Handlers) pageSOQ(c echo.Context) (*store.SOQ, error) {
	q, err := h.st.SOQHeader(c.Request().Context(), c.Param("soqId"))
	if err != nil {
		return nil, err
	}
	if q.ProjectID != currentProject(c).ID {
		return nil, errNotFound()
	}
	c.Set(soqKey, &q)
	return &q, nil
}

// writableSOQ is pageSOQ for writes: an issued SOQ refuses them.
func (h *Handlers) writableSOQ(c echo.Context) (*store.SOQ, error) {
	q, err := h.pageSOQ(c)
	if err != nil {
		return nil, err
	}
	if q.Status == "issued" {
		return nil, errIssued()
	}
	return q, nil
}

func canEditSOQ(c echo.Context) bool {
	return authz.CanInProject(currentUser(c).Role, currentMembership(c), authz.EditSOQ)
}

func soqURL(q *store.SOQ) string { return views.SOQURL(q.ProjectID, q.ID) }

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
	v.Project, v.Membership, v.SOQs, v.CanEdit = *pr, currentMembership(c), qs, canEditSOQ(c)
	return render(c, status, views.SOQListPage(h.page(c, "Schedules of quantities · "+pr.Name), v), nil)
}

func (h *Handlers) soqCreate(c echo.Context) error {
	pr := currentProject(c)
	title := strings.TrimSpace(c.FormValue("title"))
	code := strings.ToLower(strings.TrimSpace(c.FormValue("currency")))
	if code == "" {
		code = pr.Currency
	}
	errs := field.Errors{}
	errs.Text("title", title, 1, 200)
	if _, ok := money.Lookup(code); !ok {
		errs.Add("currency", "is not a currency we support")
	}
	if len(errs) > 0 {
		return h.renderSOQList(c, http.StatusUnprocessableEntity, views.SOQListView{Title: title, Currency: code, Errs: errs})
	}
	id, err := h.st.CreateSOQ(c.Request().Context(), pr.ID, currentUser(c).ID, store.NewSOQ{Title: title, Currency: code, Status: "draft"})
	if err != nil {
		return err
	}
	h.flash(c, "SOQ created. Add its first section below.")
	return redirect(c, views.SOQURL(pr.ID, id))
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
	v := views.SOQSheet{Project: *currentProject(c), Membership: currentMembership(c), SOQ: loaded, Categories: cats, Filter: vf,
		MayEdit: may, CanEdit: may && q.Status != "issued"}
	v.Lazy = v.Shown() > soqDirectRows
	return v, nil
}

func (h *Handlers) renderSheet(c echo.Context, status int, v views.SOQSheet) error {
	return render(c, status, views.SOQPage(h.page(c, v.SOQ.Title+" · "+v.Project.Name), v), views.SOQRegion(v))
}

func (h *Handlers) soqPage(c echo.Context) error {
	q, err := h.pageSOQ(c)
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
	return views.Row{Base: soqURL(q), Currency: q.Currency, CanEdit: canEditSOQ(c) && q.Status != "issued"}
}

// soqRows is one page of a section's rows (the sheet of a large SOQ loads them lazily).
func (h *Handlers) soqRows(c echo.Context) error {
	q, err := h.pageSOQ(c)
	if err != nil {
		return err
	}
	sectionID, err := paramID(c, "sectionId")
	if err != nil {
		return err
	}
	if !isHTMX(c) {
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
	return renderStatus(c, http.StatusOK, views.SOQRows(h.rowCtx(c, q), sectionID, vf, items, next, matched-next))
}

// soqRow is one row as it is saved (Escape in a cell editor restores it).
func (h *Handlers) soqRow(c echo.Context) error {
	q, err := h.pageSOQ(c)
	if err != nil {
		return err
	}
	it, err := h.st.SOQItem(c.Request().Context(), q.ID, c.Param("itemId"))
	if err != nil {
		return err
	}
	if !isHTMX(c) {
		return c.Redirect(http.StatusSeeOther, soqURL(q)+"#item-"+it.ID)
	}
	return renderStatus(c, http.StatusOK, views.SOQRow(h.rowCtx(c, q), it))
}

func validField(f string) bool { return slices.Contains(views.SOQFields, f) }

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
	q, err := h.writableSOQ(c)
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
	if !isHTMX(c) {
		return h.editorPage(c, http.StatusOK, q, it, edit)
	}
	r := h.rowCtx(c, q)
	if field == "category" {
		if r.Categories, err = h.st.Categories(c.Request().Context()); err != nil {
			return err
		}
	}
	return renderStatus(c, http.StatusOK, views.SOQCellEditor(r, it, field, edit.Value, nil))
}

// setCell applies one typed cell value to an item, as an inline edit.
func setCell(name, value string, currency money.Currency) func(it *store.Item, errs field.Errors, cats map[string]int64) {
	return func(it *store.Item, errs field.Errors, cats map[string]int64) {
		switch name {
		case "reference":
			it.Reference = value
		case "description":
			it.Description = value
		case "unit":
			it.Unit = value
		case "quantity":
			q, err := soq.ParseQuantity(value)
			if err != nil {
				errs.Add(name, err.Error())
			}
			it.Quantity = q
		case "rate":
			r, err := money.Parse(value, currency)
			if err != nil {
				errs.Add(name, err.Error())
			}
			it.Rate = r
		case "itemType":
			t := soq.ItemType(strings.TrimSpace(value))
			if t.Fixed() && !it.Type.Fixed() {
				// An allowance is one sum: keep the line's amount as the allowance.
				if a, err := soq.Amount(it.Quantity, it.Rate); err == nil && a > 0 {
					it.Rate = a
				}
				it.Quantity, it.Unit = 1000, "sum"
			}
			it.Type = t
		case "category":
			value = strings.TrimSpace(value)
			if value == "" {
				it.CategoryID.Valid, it.CategoryID.Int64 = false, 0
				return
			}
			id, _ := strconv.ParseInt(value, 10, 64)
			known := false
			for _, cid := range cats {
				known = known || cid == id
			}
			if !known {
				errs.Add(name, "is not a trade category we know")
				return
			}
			it.CategoryID.Int64, it.CategoryID.Valid = id, true
		}
	}
}

// cellMessages orders the refusal's messages by column and names their fields.
func cellMessages(errs field.Errors) []string {
	var out []string
	for _, f := range views.SOQFields {
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
		label = views.FieldLabel(f)
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
	q, err := h.writableSOQ(c)
	if err != nil {
		return err
	}
	field := c.Param("field")
	if !validField(field) {
		return errNotFound()
	}
	ctx := c.Request().Context()
	itemID := c.Param("itemId")
	value := c.FormValue("value")
	errs, err := h.patchItem(c, itemID, setCell(field, value, views.Currency(q.Currency)))
	if err != nil {
		return err
	}
	it, err := h.st.SOQItem(ctx, q.ID, itemID)
	if err != nil {
		return err
	}
	r := h.rowCtx(c, q)
	if len(errs) > 0 {
		edit := views.CellEdit{ItemID: it.ID, Field: field, Value: value, Errs: cellMessages(errs)}
		if !isHTMX(c) {
			return h.editorPage(c, http.StatusUnprocessableEntity, q, it, edit)
		}
		if field == "category" {
			if r.Categories, err = h.st.Categories(ctx); err != nil {
				return err
			}
		}
		r.Edit = edit
		return renderStatus(c, http.StatusUnprocessableEntity, views.SOQRow(r, it))
	}
	if !isHTMX(c) {
		return c.Redirect(http.StatusSeeOther, soqURL(q)+"#item-"+it.ID)
	}
	t, err := h.st.SOQTotals(ctx, q.ID)
	if err != nil {
		return err
	}
	return renderStatus(c, http.StatusOK, views.SOQSaved(r, it, it.SectionID, t.Sections[it.SectionID], t.Total))
}

// Items

func (h *Handlers) soqItemAdd(c echo.Context) error {
	q, err := h.writableSOQ(c)
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
	errs := field.Errors{}
	it := soq.Item{Reference: f.Reference, Description: f.Description, Unit: f.Unit, Type: soq.ItemType(f.ItemType)}
	if it.Type == "" {
		it.Type = soq.Measured
	}
	if strings.TrimSpace(f.Quantity) == "" && it.Type.Fixed() {
		it.Quantity = 1000
	} else if it.Quantity, err = soq.ParseQuantity(f.Quantity); err != nil {
		errs.Add("quantity", err.Error())
	}
	if strings.TrimSpace(f.Rate) != "" {
		if it.Rate, err = money.Parse(f.Rate, views.Currency(q.Currency)); err != nil {
			errs.Add("rate", err.Error())
		}
	}
	for k, m := range it.Check() {
		errs.Add(k, m)
	}
	if len(errs) == 0 {
		id, err := h.st.AddItem(ctx, q.ID, q.ProjectID, sectionID, store.NewItem{Item: it})
		var over *soq.TotalError
		switch {
		case errors.Is(err, store.ErrReferenceTaken):
			errs.Add("reference", "is already used in this SOQ")
		case errors.As(err, &over):
			errs.Add(over.Key, over.Error())
		case err != nil:
			return soqStoreError(err)
		default:
			return redirect(c, soqURL(q)+"#item-"+id)
		}
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

func (h *Handlers) soqItemMove(c echo.Context) error {
	q, err := h.writableSOQ(c)
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
	q, err := h.writableSOQ(c)
	if err != nil {
		return err
	}
	it, err := h.st.SOQItem(c.Request().Context(), q.ID, c.Param("itemId"))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.Confirm(h.page(c, "Delete "+it.Reference), "Delete item "+it.Reference+"?",
		"“"+it.Description+"” is removed from "+q.Title+", and the totals change. This cannot be undone.",
		soqURL(q)+"/items/"+it.ID+"/delete", "Delete item", soqURL(q)+"#item-"+it.ID), nil)
}

func (h *Handlers) soqItemDelete(c echo.Context) error {
	q, err := h.writableSOQ(c)
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
	q, err := h.writableSOQ(c)
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
		default:
			return redirect(c, soqURL(q)+"#section-"+id)
		}
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
	q, err := h.writableSOQ(c)
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
	q, err := h.writableSOQ(c)
	if err != nil {
		return err
	}
	s, n, err := h.st.SOQSection(c.Request().Context(), q.ID, c.Param("sectionId"))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.Confirm(h.page(c, "Delete section "+s.Code), "Delete section "+s.Code+" · "+s.Title+"?",
		"The section and its "+strconv.Itoa(n)+" item(s) are removed from "+q.Title+". This cannot be undone.",
		soqURL(q)+"/sections/"+s.ID+"/delete", "Delete section", soqURL(q)+"#section-"+s.ID), nil)
}

func (h *Handlers) soqSectionDelete(c echo.Context) error {
	q, err := h.writableSOQ(c)
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

// soqStatus issues an SOQ (read-only from then on) or returns it to draft.
func (h *Handlers) soqStatus(c echo.Context) error {
	q, err := h.pageSOQ(c)
	if err != nil {
		return err
	}
	status := c.FormValue("status")
	if status != "draft" && status != "issued" {
		return errInvalid(field.Errors{"status": "must be draft or issued"})
	}
	if err := h.st.SetSOQStatus(c.Request().Context(), q.ID, status); err != nil {
		return err
	}
	if status == "issued" {
		h.flash(c, "SOQ issued: it is read-only now.")
	} else {
		h.flash(c, "SOQ returned to draft: it can be edited.")
	}
	return redirect(c, soqURL(q))
}
