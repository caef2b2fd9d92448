package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/14build/14build/field"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/store"
)

// maxPasteChanges bounds one paste (a block of 1,000 rows × 5 columns fits).
const maxPasteChanges = 5000

// pasteChange is one cell of a paste: the value as typed (text, or a JSON number read as
// its text; null clears the cell), in the sheet's terms — a rate in major units ("12.50").
type pasteChange struct {
	ItemID string          `json:"itemId"`
	Field  string          `json:"field"`
	Value  json.RawMessage `json:"value"`
}

// pasteRefused carries a paste's refusals, keyed "changes[i].value".
type pasteRefused struct{ errs field.Errors }

func (e *pasteRefused) Error() string { return "paste refused" }

// apiItemsPaste applies a block of cell changes (a paste from a spreadsheet) to an SOQ's
// items, all or nothing: 200 with the changed items, their sections' totals and the grand
// total, or 400 naming each refused cell by its index in changes. Whatever the number of
// changes it is one read and one write (see store.PatchItems).
func (h *Handlers) apiItemsPaste(c echo.Context) error {
	limitBody(c, maxSOQBody)
	var b struct {
		Changes []pasteChange `json:"changes"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	switch n := len(b.Changes); {
	case n == 0:
		return errInvalid(field.Errors{"changes": "is required: at least one {itemId, field, value}"})
	case n > maxPasteChanges:
		return errInvalid(field.Errors{"changes": fmt.Sprintf("at most %d changes in one paste (this one has %d)", maxPasteChanges, n)})
	}
	errs := field.Errors{}
	values := make([]string, len(b.Changes))
	var ids []string
	seen := map[string]bool{}
	withCats := false
	for i, ch := range b.Changes {
		key := fmt.Sprintf("changes[%d].", i)
		if !store.ValidID(ch.ItemID) {
			errs.Add(key+"itemId", "must be the id of an item of this SOQ")
		}
		if !validField(ch.Field) {
			errs.Add(key+"field", "must be one of "+strings.Join(soq.ItemFields, ", "))
		}
		v, ok := pasteValue(ch.Value)
		if !ok {
			errs.Add(key+"value", "must be text or a number")
		}
		values[i] = v
		withCats = withCats || ch.Field == "category"
		if id := strings.ToLower(ch.ItemID); !seen[id] {
			seen[id] = true
			ids = append(ids, ch.ItemID)
		}
	}
	if len(errs) > 0 {
		return errInvalid(errs)
	}
	var cats soq.Categories
	if withCats {
		var err error
		if cats, err = h.categories(c); err != nil {
			return err
		}
	}
	p, err := h.st.PatchItems(c.Request().Context(), c.Param("soqId"), currentProject(c).ID, ids, func(q store.SOQ, items []*store.Item) error {
		byID := make(map[string]*store.Item, len(items))
		for _, it := range items {
			byID[it.ID] = it
		}
		errs := field.Errors{}
		for i, ch := range b.Changes {
			fe := field.Errors{}
			setCell(ch.Field, values[i])(q, byID[strings.ToLower(ch.ItemID)], fe, cats)
			for f, m := range fe {
				errs.Add(fmt.Sprintf("changes[%d].value", i), fieldMessage(f, m))
			}
		}
		// The items' rules too (the store checks them again), so that one answer names
		// every refused cell, not the unreadable values first and the rules next time.
		for _, it := range items {
			checked := soq.Item{Reference: it.Reference, Description: it.Description, Unit: it.Unit, Quantity: it.Quantity, Rate: it.Rate, Type: it.Type}
			for f, m := range checked.Check() {
				errs.Add(pasteBlame(b.Changes, it.ID, f), fieldMessage(f, m))
			}
		}
		if len(errs) > 0 {
			return &pasteRefused{errs: errs}
		}
		return nil
	})
	if err != nil {
		return pasteError(err, b.Changes)
	}
	items := make([]soqItemJSON, len(p.Items))
	var sections []map[string]any
	for i, it := range p.Items {
		items[i] = toItemJSON(it)
		if !slices.ContainsFunc(sections, func(s map[string]any) bool { return s["id"] == it.SectionID }) {
			sections = append(sections, map[string]any{"id": it.SectionID, "total": p.Sections[it.SectionID]})
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items, "sections": sections, "total": p.Total, "version": p.Version})
}

// pasteValue reads a change's value as the text a person would have typed.
func pasteValue(raw json.RawMessage) (string, bool) {
	s := strings.TrimSpace(string(raw))
	switch {
	case s == "" || s == "null":
		return "", true
	case s[0] == '"':
		var v string
		err := json.Unmarshal(raw, &v)
		return v, err == nil
	case s[0] == '-' || s[0] >= '0' && s[0] <= '9':
		var n json.Number
		err := json.Unmarshal(raw, &n)
		return n.String(), err == nil
	}
	return "", false
}

// pasteBlame names the change a refusal of an item's field is about: the last change
// of that field of the item, or else the item's last change (a rule about the unit when
// the type was pasted).
func pasteBlame(changes []pasteChange, itemID, f string) string {
	last, lastOfField := -1, -1
	for i, ch := range changes {
		if strings.EqualFold(ch.ItemID, itemID) {
			last = i
			if ch.Field == f {
				lastOfField = i
			}
		}
	}
	if lastOfField >= 0 {
		last = lastOfField
	}
	return fmt.Sprintf("changes[%d].value", last)
}

// pasteError names the changes a refusal of the store is about.
func pasteError(err error, changes []pasteChange) error {
	var refused *pasteRefused
	var missing *store.ItemsMissing
	var rules *store.ItemsRefused
	var over *soq.TotalError
	blame := func(itemID, f string) string { return pasteBlame(changes, itemID, f) }
	each := func(f, msg string) error {
		errs := field.Errors{}
		for i, ch := range changes {
			if ch.Field == f {
				errs.Add(fmt.Sprintf("changes[%d].value", i), fieldMessage(f, msg))
			}
		}
		return errInvalid(errs)
	}
	switch {
	case errors.As(err, &refused):
		return errInvalid(refused.errs)
	case errors.As(err, &missing):
		errs := field.Errors{}
		for i, ch := range changes {
			if slices.ContainsFunc(missing.IDs, func(id string) bool { return strings.EqualFold(id, ch.ItemID) }) {
				errs.Add(fmt.Sprintf("changes[%d].itemId", i), "is not an item of this SOQ (it may have been deleted)")
			}
		}
		return errInvalid(errs)
	case errors.As(err, &rules):
		errs := field.Errors{}
		for id, fe := range rules.Items {
			for f, m := range fe {
				errs.Add(blame(id, f), fieldMessage(f, m))
			}
		}
		return errInvalid(errs)
	case errors.As(err, &over):
		id, f, _ := strings.Cut(over.Key, ".")
		return errInvalid(field.Errors{blame(id, f): fieldMessage(f, over.Error())})
	case errors.Is(err, store.ErrReferenceTaken):
		return each("reference", "is already used in this SOQ")
	case errors.Is(err, store.ErrUnknownCategory):
		return each("category", soq.MsgUnknownCategory)
	}
	return soqStoreError(err)
}
