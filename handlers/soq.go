package handlers

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/14build/14build/field"
	"github.com/14build/14build/money"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/store"
)

// Limits on one SOQ body (documented in the README).
const (
	maxSOQBody     = 8 << 20
	maxSOQSections = 200
	maxSOQItems    = 10000
)

func currentSOQ(c echo.Context) *store.SOQ {
	q, _ := c.Get(soqKey).(*store.SOQ)
	return q
}

// errTransition answers a refused change of an SOQ's status (soq.TransitionError, or
// store.ErrStatusChanged when someone else changed it first) with 409.
func errTransition(err error) error {
	var te *soq.TransitionError
	switch {
	case errors.As(err, &te) && te.To == soq.Issued:
		return &appError{Status: http.StatusConflict, Message: "This SOQ is already issued."}
	case errors.As(err, &te):
		return &appError{Status: http.StatusConflict, Message: "This SOQ is already a draft."}
	case errors.Is(err, store.ErrStatusChanged):
		return &appError{Status: http.StatusConflict, Message: "Someone else changed this SOQ's status meanwhile; nothing was changed. Reload to see it."}
	}
	return err
}

// errIssued refuses edits to an issued SOQ.
func errIssued() error {
	return &appError{Status: http.StatusConflict, Message: "This SOQ is issued: return it to draft before editing it."}
}

// JSON shapes

type soqItemJSON struct {
	ID          string        `json:"id"`
	SectionID   string        `json:"sectionId"`
	Reference   string        `json:"reference"`
	Description string        `json:"description"`
	Unit        string        `json:"unit"`
	Quantity    json.Number   `json:"quantity"`
	Rate        int64         `json:"rate"`
	Amount      int64         `json:"amount"`
	ItemType    soq.ItemType  `json:"itemType"`
	Category    *categoryJSON `json:"category"`
	UnitIDs     []string      `json:"unitIds"`
	Position    int           `json:"position"`
}

type soqSectionJSON struct {
	ID       string        `json:"id"`
	Code     string        `json:"code"`
	Title    string        `json:"title"`
	Position int           `json:"position"`
	Total    int64         `json:"total"`
	Items    []soqItemJSON `json:"items"`
}

type soqJSON struct {
	ID        string           `json:"id"`
	ProjectID string           `json:"projectId"`
	Title     string           `json:"title"`
	Currency  string           `json:"currency"`
	Status    soq.Status       `json:"status"`
	ItemCount int              `json:"itemCount"`
	Total     int64            `json:"total"`
	Version   int64            `json:"version"`
	Sections  []soqSectionJSON `json:"sections,omitzero"`
	CreatedAt time.Time        `json:"createdAt"`
	UpdatedAt time.Time        `json:"updatedAt"`
}

func toItemJSON(it store.Item) soqItemJSON {
	j := soqItemJSON{ID: it.ID, SectionID: it.SectionID, Reference: it.Reference, Description: it.Description, Unit: it.Unit,
		Quantity: json.Number(it.Quantity.String()), Rate: it.Rate, Amount: it.Amount, ItemType: it.Type, UnitIDs: it.UnitIDs, Position: it.Position}
	if j.UnitIDs == nil {
		j.UnitIDs = []string{}
	}
	if it.CategoryID.Valid {
		j.Category = &categoryJSON{ID: it.CategoryID.Int64, Name: it.CategoryName.String}
	}
	return j
}

func toSOQJSON(q store.SOQ, withSections bool) soqJSON {
	j := soqJSON{ID: q.ID, ProjectID: q.ProjectID, Title: q.Title, Currency: q.Currency, Status: q.Status, ItemCount: q.ItemCount,
		Total: q.Total, Version: q.Version, CreatedAt: q.CreatedAt.UTC(), UpdatedAt: q.UpdatedAt.UTC()}
	if withSections {
		j.Sections = make([]soqSectionJSON, len(q.Sections))
		for i, s := range q.Sections {
			sj := soqSectionJSON{ID: s.ID, Code: s.Code, Title: s.Title, Position: s.Position, Total: s.Total, Items: make([]soqItemJSON, len(s.Items))}
			for k, it := range s.Items {
				sj.Items[k] = toItemJSON(it)
			}
			j.Sections[i] = sj
		}
	}
	return j
}

// Bodies

type soqItemBody struct {
	Reference   string          `json:"reference"`
	Description string          `json:"description"`
	Unit        string          `json:"unit"`
	Quantity    json.RawMessage `json:"quantity"`
	Rate        json.RawMessage `json:"rate"`
	ItemType    string          `json:"itemType"`
	Category    *string         `json:"category"`
	UnitIDs     []string        `json:"unitIds"`
}

type soqSectionBody struct {
	Code  string        `json:"code"`
	Title string        `json:"title"`
	Items []soqItemBody `json:"items"`
}

type soqBody struct {
	ProjectID string           `json:"projectId"`
	Title     string           `json:"title"`
	Currency  string           `json:"currency"`
	Status    string           `json:"status"`
	Sections  []soqSectionBody `json:"sections"`
	// Version is the SOQ's version as the client read it: required by PUT, which is refused
	// (409) when the SOQ changed since.
	Version *int64 `json:"version"`
}

// rawQuantity reads a JSON number as an exact quantity.
func rawQuantity(raw json.RawMessage) (soq.Quantity, string) {
	s := strings.TrimSpace(string(raw))
	switch {
	case s == "" || s == "null":
		return 0, "is required"
	case s[0] == '"':
		return 0, "must be a number, not a string"
	case s == "true" || s == "false" || s[0] == '{' || s[0] == '[':
		return 0, "must be a number"
	}
	q, err := soq.ParseQuantity(s)
	if err != nil {
		return 0, err.Error()
	}
	return q, ""
}

// rawMinor reads a JSON integer of minor units.
func rawMinor(raw json.RawMessage) (int64, string) {
	s := strings.TrimSpace(string(raw))
	switch {
	case s == "" || s == "null":
		return 0, "is required (an integer in minor units: 125000 = 1,250.00)"
	case strings.HasPrefix(s, "-"):
		return 0, "must not be negative"
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, "must be a whole number of minor units (125000 = 1,250.00)"
	}
	if n > money.MaxMinor {
		return 0, "is too large"
	}
	return n, ""
}

// checkItem turns a JSON item into a checked item, adding messages under prefix.
func (h *Handlers) checkItem(b soqItemBody, cats soq.Categories, prefix string, errs field.Errors) store.NewItem {
	t, _ := soq.ParseItemType(b.ItemType) // an unknown type is named by Check below
	it := store.NewItem{Item: soq.Item{Reference: b.Reference, Description: b.Description, Unit: b.Unit, Type: t}}
	var msg string
	if len(b.Quantity) == 0 {
		// Absent: the same default as a blank quantity typed in the sheet.
		q, err := soq.ParseItemQuantity(it.Type, "")
		if err != nil {
			errs.Add(prefix+"quantity", err.Error())
		}
		it.Quantity = q
	} else if it.Quantity, msg = rawQuantity(b.Quantity); msg != "" {
		errs.Add(prefix+"quantity", msg)
	}
	if it.Rate, msg = rawMinor(b.Rate); msg != "" {
		errs.Add(prefix+"rate", msg)
	}
	if b.Category != nil && strings.TrimSpace(*b.Category) != "" {
		cat, ok := cats.Match(*b.Category)
		if !ok {
			errs.Add(prefix+"category", soq.MsgUnknownCategory)
		}
		it.CategoryID = cat.ID
	}
	for _, u := range b.UnitIDs {
		if !store.ValidID(u) {
			errs.Add(prefix+"unitIds", "must be ids of this project's units")
		}
	}
	it.UnitIDs = b.UnitIDs
	for f, m := range it.Item.Check() {
		if _, typed := errs[prefix+f]; !typed {
			errs.Add(prefix+f, m)
		}
	}
	return it
}

// categories loads the trade categories, for soq.Categories.Match.
func (h *Handlers) categories(c echo.Context) (soq.Categories, error) {
	return h.st.Categories(c.Request().Context())
}

// checkSOQ validates a whole SOQ body; every problem is reported at once, by path.
func (h *Handlers) checkSOQ(c echo.Context, b soqBody) (store.NewSOQ, field.Errors, error) {
	title, currency, errs := soq.CheckHeader(b.Title, b.Currency)
	status, ok := soq.ParseStatus(b.Status)
	in := store.NewSOQ{Title: title, Currency: currency, Status: status}
	if !ok {
		errs.Add("status", "must be draft or issued")
	}
	if len(b.Sections) > maxSOQSections {
		errs.Add("sections", fmt.Sprintf("at most %d sections", maxSOQSections))
		return in, errs, nil
	}
	n := 0
	for _, s := range b.Sections {
		n += len(s.Items)
	}
	if n > maxSOQItems {
		errs.Add("sections", fmt.Sprintf("at most %d items in one SOQ body (this one has %d); import larger schedules from a spreadsheet", maxSOQItems, n))
		return in, errs, nil
	}
	cats, err := h.categories(c)
	if err != nil {
		return in, nil, err
	}
	codes, refs := soq.Seen{}, soq.Seen{}
	for si, s := range b.Sections {
		sp := fmt.Sprintf("sections[%d].", si)
		code, title, serrs := soq.CheckSection(s.Code, s.Title)
		for f, m := range serrs {
			errs.Add(sp+f, m)
		}
		if other, dup := codes.Add(code, strings.TrimSuffix(sp, ".")); dup {
			errs.Add(sp+"code", "is used twice (also "+other+")")
		}
		sec := store.NewSection{Code: code, Title: title}
		for ii, ib := range s.Items {
			ip := fmt.Sprintf("%sitems[%d].", sp, ii)
			it := h.checkItem(ib, cats, ip, errs)
			if other, dup := refs.Add(it.Reference, strings.TrimSuffix(ip, ".")); dup {
				errs.Add(ip+"reference", "is used twice (also "+other+")")
			}
			sec.Items = append(sec.Items, it)
		}
		in.Sections = append(in.Sections, sec)
	}
	return in, errs, nil
}

func soqStoreError(err error) error {
	var over *soq.TotalError
	var conflict *store.VersionConflict
	var refused *store.ItemRefused
	switch {
	case errors.As(err, &over):
		return errInvalid(field.Errors{over.Key: over.Error()})
	case errors.As(err, &refused):
		return errInvalid(refused.Fields)
	case errors.As(err, &conflict):
		return &appError{Status: http.StatusConflict, Message: fmt.Sprintf(
			"This SOQ was changed by someone else since you read it (it is now at version %d). Read it again, re-apply your change and send that version; nothing was saved.", conflict.Current),
			Fields: map[string]string{"version": fmt.Sprintf("is out of date: the SOQ is now at version %d", conflict.Current)}}
	case errors.Is(err, store.ErrSOQIssued):
		return errIssued()
	case errors.Is(err, store.ErrReferenceTaken):
		return errInvalid(field.Errors{"reference": "is already used in this SOQ"})
	case errors.Is(err, store.ErrSectionCodeTaken):
		return errInvalid(field.Errors{"code": "is already used in this SOQ"})
	case errors.Is(err, store.ErrUnknownUnit):
		return errInvalid(field.Errors{"unitIds": "must be ids of this project's units"})
	}
	return err
}

func (h *Handlers) loadedSOQ(c echo.Context, id string, f store.ItemFilter) (store.SOQ, error) {
	q, err := h.st.SOQHeader(c.Request().Context(), id)
	if err != nil {
		return q, err
	}
	err = h.st.LoadSOQ(c.Request().Context(), &q, f)
	return q, err
}

// apiSOQList lists the SOQs of the project in ?projectId= (the guard checked the caller is
// on its team: routes.go, queryProject).
func (h *Handlers) apiSOQList(c echo.Context) error {
	qs, err := h.st.SOQsOf(c.Request().Context(), currentProject(c).ID)
	if err != nil {
		return err
	}
	out := make([]soqJSON, len(qs))
	for i, q := range qs {
		out[i] = toSOQJSON(q, false)
	}
	return c.JSON(http.StatusOK, map[string]any{"soqs": out})
}

func limitBody(c echo.Context, n int64) {
	c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, n)
}

func (h *Handlers) apiSOQCreate(c echo.Context) error {
	limitBody(c, maxSOQBody)
	var b soqBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	p := currentProject(c) // the body's projectId, checked by the guard (routes.go, bodyProject)
	if b.Currency == "" {
		b.Currency = p.Currency
	}
	in, errs, err := h.checkSOQ(c, b)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return errInvalid(errs)
	}
	id, err := h.st.CreateSOQ(c.Request().Context(), p.ID, currentUser(c).ID, in)
	if err != nil {
		return soqStoreError(err)
	}
	q, err := h.loadedSOQ(c, id, store.ItemFilter{})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toSOQJSON(q, true))
}

func (h *Handlers) apiSOQGet(c echo.Context) error {
	head, err := h.loadSOQ(c, soqRead)
	if err != nil {
		return err
	}
	q, err := h.loadedSOQ(c, head.ID, store.ItemFilter{})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toSOQJSON(q, true))
}

func (h *Handlers) apiSOQReplace(c echo.Context) error {
	limitBody(c, maxSOQBody)
	cur, err := h.loadSOQ(c, soqRead) // an issued SOQ may be replaced by a draft (below)
	if err != nil {
		return err
	}
	var b soqBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if b.ProjectID != "" && b.ProjectID != cur.ProjectID {
		return errInvalid(field.Errors{"projectId": "cannot move an SOQ to another project"})
	}
	if b.Currency == "" {
		b.Currency = cur.Currency
	}
	in, errs, err := h.checkSOQ(c, b)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return errInvalid(errs)
	}
	if b.Version == nil {
		return errInvalid(field.Errors{"version": "is required: send the version you read (GET /api/soq/{id} returns it), so a change made meanwhile is not overwritten"})
	}
	// An issued SOQ is read-only: a replacement must say it returns the SOQ to draft.
	if !cur.Status.Editable() && !in.Status.Editable() {
		return &appError{Status: http.StatusConflict, Message: fmt.Sprintf(`This SOQ is issued: send "status": %q to replace it, which returns it to draft.`, soq.Draft)}
	}
	if err := h.st.ReplaceSOQ(c.Request().Context(), cur.ID, cur.ProjectID, *b.Version, in); err != nil {
		return soqStoreError(err)
	}
	q, err := h.loadedSOQ(c, cur.ID, store.ItemFilter{})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toSOQJSON(q, true))
}

func (h *Handlers) apiSOQDelete(c echo.Context) error {
	q, err := h.loadSOQ(c, soqRead)
	if err != nil {
		return err
	}
	err = h.st.DeleteSOQ(c.Request().Context(), q.ID)
	if errors.Is(err, store.ErrSOQTendered) {
		return &appError{Status: http.StatusConflict, Message: "This SOQ has been tendered, so it cannot be deleted: its tenders and their bids were made from it."}
	}
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handlers) apiSectionAdd(c echo.Context) error {
	q, err := h.loadSOQ(c, soqEdit)
	if err != nil {
		return err
	}
	var b struct {
		Code  string `json:"code"`
		Title string `json:"title"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	code, title, serrs := soq.CheckSection(b.Code, b.Title)
	if len(serrs) > 0 {
		return errInvalid(serrs)
	}
	id, err := h.st.AddSection(c.Request().Context(), q.ID, code, title)
	if err != nil {
		return soqStoreError(err)
	}
	return c.JSON(http.StatusCreated, map[string]any{"id": id, "code": code, "title": title})
}

func (h *Handlers) apiSectionDelete(c echo.Context) error {
	q, err := h.loadSOQ(c, soqEdit)
	if err != nil {
		return err
	}
	if err := h.st.DeleteSection(c.Request().Context(), q.ID, c.Param("sectionId")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// itemResult is an item with the totals its write left.
func itemResult(it store.Item, sectionTotal, total, version int64) map[string]any {
	return map[string]any{"item": toItemJSON(it), "sectionTotal": sectionTotal, "total": total, "version": version}
}

func (h *Handlers) apiItemAdd(c echo.Context) error {
	q, err := h.loadSOQ(c, soqEdit)
	if err != nil {
		return err
	}
	var b soqItemBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	cats, err := h.categories(c)
	if err != nil {
		return err
	}
	errs := field.Errors{}
	it := h.checkItem(b, cats, "", errs)
	if len(errs) > 0 {
		return errInvalid(errs)
	}
	added, err := h.st.AddItem(c.Request().Context(), q.ID, q.ProjectID, c.Param("sectionId"), it)
	if err != nil {
		return soqStoreError(err)
	}
	item := store.Item{ID: added.ID, SOQID: q.ID, SectionID: c.Param("sectionId"), Reference: it.Reference, Description: it.Description,
		Unit: it.Unit, Quantity: it.Quantity, Rate: it.Rate, Type: it.Type, Position: int(added.Position), UnitIDs: it.UnitIDs, Amount: added.Amount}
	if it.CategoryID != 0 {
		item.CategoryID = sql.NullInt64{Int64: it.CategoryID, Valid: true}
		item.CategoryName = added.CategoryName
	}
	return c.JSON(http.StatusCreated, itemResult(item, added.SectionTotal, added.Total, added.Version))
}

func (h *Handlers) apiItemGet(c echo.Context) error {
	q, err := h.loadSOQ(c, soqRead)
	if err != nil {
		return err
	}
	it, err := h.st.SOQItem(c.Request().Context(), q.ID, c.Param("itemId"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toItemJSON(it))
}

// errItemGone answers a field-level edit of an item that no longer exists.
func errItemGone() error {
	return &appError{Status: http.StatusNotFound, Message: "This item was deleted (perhaps by someone else), so the change was not saved."}
}

// patchItem applies changed fields (field name → typed text, as the API or an inline edit
// sends them) to the item as it is now: the store reads it, set changes it, the store
// re-checks the whole item and the totals and writes it only if the SOQ did not change
// meanwhile (else it reads and applies set again), so people editing different fields of
// one item at once never undo each other. The store's read also checks the SOQ is the
// project's and editable, from the same snapshot as the item: no separate SOQ load here,
// which keeps a cell save at two statements after the session and project lookups.
// Trade categories are loaded only when withCats (a category is being set). Refusals come
// back as messages by field.
func (h *Handlers) patchItem(c echo.Context, itemID string, withCats bool, set func(q store.SOQ, it *store.Item, errs field.Errors, cats soq.Categories)) (store.Patched, field.Errors, error) {
	var cats soq.Categories
	if withCats {
		var err error
		if cats, err = h.categories(c); err != nil {
			return store.Patched{}, nil, err
		}
	}
	p, err := h.st.PatchItem(c.Request().Context(), c.Param("soqId"), currentProject(c).ID, itemID, func(q store.SOQ, it *store.Item) field.Errors {
		errs := field.Errors{}
		set(q, it, errs, cats)
		return errs
	})
	var over *soq.TotalError
	var refused *store.ItemRefused
	switch {
	case err == nil:
		return p, nil, nil
	case errors.As(err, &refused):
		return p, refused.Fields, nil
	case errors.As(err, &over):
		return p, field.Errors{over.Key: over.Error()}, nil
	case errors.Is(err, store.ErrReferenceTaken):
		return p, field.Errors{"reference": "is already used in this SOQ"}, nil
	case errors.Is(err, store.ErrUnknownCategory):
		return p, field.Errors{"category": soq.MsgUnknownCategory}, nil
	case errors.Is(err, store.ErrItemNotFound):
		return p, nil, errItemGone()
	}
	return p, nil, soqStoreError(err)
}

func (h *Handlers) apiItemPatch(c echo.Context) error {
	var b map[string]json.RawMessage
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	_, withCats := b["category"]
	p, errs, err := h.patchItem(c, c.Param("itemId"), withCats, func(_ store.SOQ, it *store.Item, errs field.Errors, cats soq.Categories) {
		for k, raw := range b {
			var s string
			switch k {
			case "reference", "description", "unit", "itemType":
				if json.Unmarshal(raw, &s) != nil {
					errs.Add(k, "must be a string")
					continue
				}
				switch k {
				case "reference":
					it.Reference = s
				case "description":
					it.Description = s
				case "unit":
					it.Unit = s
				case "itemType":
					it.Type, _ = soq.ParseItemType(s) // an unknown type is named by the item's check
				}
			case "quantity":
				q, msg := rawQuantity(raw)
				if msg != "" {
					errs.Add(k, msg)
				}
				it.Quantity = q
			case "rate":
				r, msg := rawMinor(raw)
				if msg != "" {
					errs.Add(k, msg)
				}
				it.Rate = r
			case "category":
				if string(raw) == "null" {
					it.CategoryID.Valid, it.CategoryID.Int64 = false, 0
					continue
				}
				if json.Unmarshal(raw, &s) != nil {
					errs.Add(k, "must be a trade category's name or null")
					continue
				}
				cat, ok := cats.Match(s)
				if !ok {
					errs.Add(k, soq.MsgUnknownCategory)
				}
				it.CategoryID.Int64, it.CategoryID.Valid = cat.ID, ok
			default:
				errs.Add(k, "unknown field")
			}
		}
	})
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return errInvalid(errs)
	}
	it := p.Items[0]
	return c.JSON(http.StatusOK, itemResult(it, p.Sections[it.SectionID], p.Total, p.Version))
}

func (h *Handlers) apiItemDelete(c echo.Context) error {
	q, err := h.loadSOQ(c, soqEdit)
	if err != nil {
		return err
	}
	if err := h.st.DeleteItem(c.Request().Context(), q.ID, c.Param("itemId")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
