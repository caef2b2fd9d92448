package handlers

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/field"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/store"
	"github.com/14build/14build/units"
	"github.com/14build/14build/views"
)

const unitsPerPage = 100

func domainUnits(us []store.Unit) []units.Unit {
	out := make([]units.Unit, len(us))
	for i, u := range us {
		out[i] = units.Unit{UnitNumber: u.UnitNumber, UnitType: u.UnitType, TotalArea: u.TotalArea, NumberOfFloors: u.NumberOfFloors,
			NumberOfRooms: u.NumberOfRooms, NumberOfBathrooms: u.NumberOfBathrooms, FloorAreas: make([]units.Area, len(u.Floors))}
		for j, f := range u.Floors {
			out[i].FloorAreas[j] = f.FloorArea
		}
	}
	return out
}

func canEditUnits(c echo.Context) bool {
	return authz.CanInProject(currentUser(c).Role, currentMembership(c), authz.EditUnits)
}

// Pages

func (h *Handlers) unitsPage(c echo.Context) error {
	pr := currentProject(c)
	all, err := h.st.Units(c.Request().Context(), pr.ID)
	if err != nil {
		return err
	}
	page := pageNumber(c)
	// Past the end shows the last page; clamping first keeps (page-1)×perPage from overflowing.
	page = min(page, max(1, (len(all)+unitsPerPage-1)/unitsPerPage))
	from := min((page-1)*unitsPerPage, len(all))
	to := min(from+unitsPerPage, len(all))
	v := views.UnitsView{Project: *pr, Units: all[from:to], Schedule: units.MakeSchedule(domainUnits(all)),
		CanEdit: canEditUnits(c), Pager: views.Pager{Page: page, PerPage: unitsPerPage, Total: len(all), URL: func(n int) string {
			return paths.Units(pr.ID) + "?page=" + strconv.Itoa(n)
		}}}
	return render(c, http.StatusOK, views.UnitsPage(h.page(c, "Units · "+pr.Name), v), nil)
}

// unitFromForm reads the unit form, with floor rows floors[i].floorNumber / floorArea.
func unitFromForm(c echo.Context) units.Input {
	in := units.Input{UnitNumber: c.FormValue("unitNumber"), UnitType: c.FormValue("unitType"), TotalFloorArea: c.FormValue("totalFloorArea"),
		NumberOfFloors: c.FormValue("numberOfFloors"), NumberOfRooms: c.FormValue("numberOfRooms"), NumberOfBathrooms: c.FormValue("numberOfBathrooms")}
	form, _ := c.FormParams()
	for i := 0; i <= units.MaxFloors; i++ {
		num, okN := form[fmt.Sprintf("floors[%d].floorNumber", i)]
		area, okA := form[fmt.Sprintf("floors[%d].floorArea", i)]
		if !okN && !okA {
			break
		}
		f := units.FloorInput{FloorNumber: strconv.Itoa(i + 1)}
		if okN && len(num) > 0 {
			f.FloorNumber = num[0]
		}
		if okA && len(area) > 0 {
			f.FloorArea = area[0]
		}
		in.Floors = append(in.Floors, f)
	}
	return in
}

// shapeFloors gives the form one row per floor (keeping what was typed), numbered 1..n.
func shapeFloors(in *units.Input) {
	n, err := strconv.Atoi(strings.TrimSpace(in.NumberOfFloors))
	if err != nil || n < 1 || n > units.MaxFloors {
		return
	}
	rows := make([]units.FloorInput, n)
	for i := range rows {
		rows[i].FloorNumber = strconv.Itoa(i + 1)
		if i < len(in.Floors) {
			rows[i].FloorArea = in.Floors[i].FloorArea
		}
	}
	in.Floors = rows
}

func sumState(in units.Input) views.SumState {
	total, msg := units.ParseArea(in.TotalFloorArea)
	if msg != "" || len(in.Floors) == 0 {
		return views.SumState{}
	}
	s := views.SumState{Known: true, Total: total}
	for _, f := range in.Floors {
		a, msg := units.ParseArea(f.FloorArea)
		if msg != "" {
			return views.SumState{}
		}
		s.Sum += a
	}
	return s
}

// formErrors drops the "Unit A-01: " prefix (on the unit's own form it says nothing new)
// and makes each message a whole sentence: "Enter the total floor area.",
// "Enter the area of floor 2.".
func formErrors(errs field.Errors) field.Errors {
	out := field.Errors{}
	for k, v := range errs {
		if strings.HasPrefix(v, "Unit ") {
			if _, rest, ok := strings.Cut(v, ": "); ok {
				v = rest
			}
		}
		w := unitSubjects[k]
		if floor, rest, ok := strings.Cut(v, ": "); ok && strings.HasPrefix(floor, "floor ") && rest == "floor area is required" {
			w.Enter = "the area of " + floor
		}
		out[k] = sentence(w, v)
	}
	return out
}

// unitSubjects names the unit form's fields where its rules' messages need a subject.
var unitSubjects = map[string]fieldWords{
	"unitNumber":        {"the unit number", "The unit number"},
	"unitType":          {"the unit type", "The unit type"},
	"totalFloorArea":    {"the total floor area", "The total floor area"},
	"numberOfFloors":    {"the number of floors", "The number of floors"},
	"numberOfRooms":     {"the number of rooms", "The number of rooms"},
	"numberOfBathrooms": {"the number of bathrooms", "The number of bathrooms"},
	"floors":            {"the floor areas", "The floor list"},
}

func (h *Handlers) unitForm(c echo.Context, title, action string, in units.Input, errs field.Errors) views.UnitForm {
	pr := currentProject(c)
	return views.UnitForm{Project: *pr, Title: title, Action: action, Preview: paths.UnitPreview(pr.ID), Cancel: paths.Units(pr.ID), V: in, Errs: errs, Sum: sumState(in)}
}

func (h *Handlers) unitNewPage(c echo.Context) error {
	pr := currentProject(c)
	in := units.Input{NumberOfFloors: "1", NumberOfRooms: "1", NumberOfBathrooms: "1"}
	shapeFloors(&in)
	f := h.unitForm(c, "New unit", paths.Units(pr.ID), in, nil)
	return render(c, http.StatusOK, views.UnitFormPage(h.page(c, "New unit · "+pr.Name), f), nil)
}

// unitPreview re-renders part of the form from what was typed: the floor rows (after the
// number of floors changed, or "split evenly"), or only the sum indicator.
func (h *Handlers) unitPreview(c echo.Context) error {
	pr := currentProject(c)
	in := unitFromForm(c)
	shapeFloors(&in)
	action := c.QueryParam("action")
	if action == "" {
		action = c.FormValue("action")
	}
	if action == "split" {
		total, msg := units.ParseArea(in.TotalFloorArea)
		if msg == "" && len(in.Floors) > 0 {
			for i, a := range units.SplitEvenly(total, len(in.Floors)) {
				in.Floors[i].FloorArea = a.String()
			}
		}
	}
	// The form posts to create or to update, depending on where it came from.
	target := c.FormValue("_action")
	if !strings.HasPrefix(target, paths.Units(pr.ID)) {
		target = paths.Units(pr.ID)
	}
	title := "New unit"
	if target != paths.Units(pr.ID) {
		title = "Edit unit"
	}
	f := h.unitForm(c, title, target, in, nil)
	// HTMX swaps in the floor rows, or only the sum; without JavaScript it is the whole form.
	var part templ.Component = views.FloorSection(f)
	if c.QueryParam("part") == "sum" {
		part = views.FloorSum(f.Sum)
	}
	return render(c, http.StatusOK, views.UnitFormPage(h.page(c, title+" · "+pr.Name), f), part)
}

func (h *Handlers) unitCreate(c echo.Context) error {
	ctx := c.Request().Context()
	pr := currentProject(c)
	in := unitFromForm(c)
	taken, err := h.st.UnitNumbers(ctx, pr.ID, "")
	if err != nil {
		return err
	}
	valid, verrs := units.Validate([]units.Input{in}, taken, func(int) string { return "" })
	if verrs.Any() {
		return h.refuseNewUnit(c, in, verrs)
	}
	_, err = h.st.CreateUnits(ctx, pr.ID, valid, false)
	if errors.Is(err, store.ErrUnitNumberTaken) {
		return h.refuseNewUnit(c, in, field.Errors{"unitNumber": "Unit number is already used in this project"})
	}
	if err != nil {
		return err
	}
	h.flash(c, "Unit "+valid[0].UnitNumber+" saved.")
	return redirect(c, paths.Units(pr.ID))
}

// refuseNewUnit re-renders the new-unit form with what was typed and why it was refused.
func (h *Handlers) refuseNewUnit(c echo.Context, in units.Input, errs field.Errors) error {
	pr := currentProject(c)
	shapeFloors(&in)
	f := h.unitForm(c, "New unit", paths.Units(pr.ID), in, formErrors(errs))
	return render(c, http.StatusUnprocessableEntity, views.UnitFormPage(h.page(c, "New unit · "+pr.Name), f), nil)
}

func inputOf(u store.Unit) units.Input {
	in := units.Input{UnitNumber: u.UnitNumber, UnitType: u.UnitType, TotalFloorArea: u.TotalArea.String(),
		NumberOfFloors: strconv.Itoa(u.NumberOfFloors), NumberOfRooms: strconv.Itoa(u.NumberOfRooms), NumberOfBathrooms: strconv.Itoa(u.NumberOfBathrooms)}
	for _, f := range u.Floors {
		in.Floors = append(in.Floors, units.FloorInput{FloorNumber: strconv.Itoa(f.FloorNumber), FloorArea: f.FloorArea.String()})
	}
	return in
}

func (h *Handlers) unitEditPage(c echo.Context) error {
	pr := currentProject(c)
	u, err := h.st.Unit(c.Request().Context(), pr.ID, c.Param("unitId"))
	if err != nil {
		return err
	}
	f := h.unitForm(c, "Edit unit "+u.UnitNumber, paths.Unit(pr.ID, u.ID), inputOf(u), nil)
	f.Version = strconv.FormatInt(u.Version, 10)
	return render(c, http.StatusOK, views.UnitFormPage(h.page(c, "Edit "+u.UnitNumber+" · "+pr.Name), f), nil)
}

// saveUnit validates and replaces one unit; it returns field errors keyed without prefix.
// With a version, a unit changed since is refused (409) rather than overwritten.
func (h *Handlers) saveUnit(c echo.Context, unitID string, version *int64, in units.Input) (field.Errors, error) {
	ctx := c.Request().Context()
	pr := currentProject(c)
	if _, err := h.st.Unit(ctx, pr.ID, unitID); err != nil {
		return nil, err
	}
	taken, err := h.st.UnitNumbers(ctx, pr.ID, unitID)
	if err != nil {
		return nil, err
	}
	valid, verrs := units.Validate([]units.Input{in}, taken, func(int) string { return "" })
	if len(verrs) > 0 {
		return verrs, nil
	}
	err = h.st.UpdateUnit(ctx, pr.ID, unitID, version, valid[0])
	var conflict *store.VersionConflict
	switch {
	case errors.Is(err, store.ErrUnitNumberTaken):
		return field.Errors{"unitNumber": "Unit number is already used in this project"}, nil
	case errors.As(err, &conflict):
		return nil, &appError{Status: http.StatusConflict, Message: fmt.Sprintf(
			"This unit was changed by someone else since you read it (it is now at version %d). Read it again, re-apply your change and send that version; nothing was saved.", conflict.Current),
			Fields: field.Errors{"version": fmt.Sprintf("is out of date: the unit is now at version %d", conflict.Current)}}
	}
	return nil, err
}

func (h *Handlers) unitUpdate(c echo.Context) error {
	pr := currentProject(c)
	id := c.Param("unitId")
	in := unitFromForm(c)
	// The edit form carries the version it showed; a form without one (an old tab, a
	// script) saves as before.
	var version *int64
	if v, err := strconv.ParseInt(c.FormValue("version"), 10, 64); err == nil {
		version = &v
	}
	status := http.StatusUnprocessableEntity
	verrs, err := h.saveUnit(c, id, version, in)
	var ae *appError
	if errors.As(err, &ae) && ae.Status == http.StatusConflict {
		// Changed by someone else: show what was typed, against the new version, and say so.
		verrs, err, status = field.Errors{"version": "This unit was changed by someone else while you edited it. Check the values below against the unit list, then save again to replace their change."}, nil, http.StatusConflict
	}
	if err != nil {
		return err
	}
	if len(verrs) > 0 {
		shapeFloors(&in)
		f := h.unitForm(c, "Edit unit", paths.Unit(pr.ID, id), in, formErrors(verrs))
		if u, err := h.st.Unit(c.Request().Context(), pr.ID, id); err == nil {
			f.Version = strconv.FormatInt(u.Version, 10)
		}
		return render(c, status, views.UnitFormPage(h.page(c, "Edit unit · "+pr.Name), f), nil)
	}
	h.flash(c, "Unit "+strings.TrimSpace(in.UnitNumber)+" saved.")
	return redirect(c, paths.Units(pr.ID))
}

// duplicate makes count copies of a unit, numbered after it and skipping numbers in use.
func (h *Handlers) duplicate(c echo.Context, unitID string, countText string) ([]store.Unit, error) {
	ctx := c.Request().Context()
	pr := currentProject(c)
	count, err := strconv.Atoi(strings.TrimSpace(countText))
	if err != nil || count < 1 || count > units.MaxDuplicate {
		return nil, errInvalid(field.Errors{"count": fmt.Sprintf("must be a whole number from 1 to %d", units.MaxDuplicate)})
	}
	src, err := h.st.Unit(ctx, pr.ID, unitID)
	if err != nil {
		return nil, err
	}
	taken, err := h.st.UnitNumbers(ctx, pr.ID, "")
	if err != nil {
		return nil, err
	}
	var batch []units.Input
	for _, n := range units.NextNumbers(src.UnitNumber, count+len(taken)) {
		if len(batch) == count {
			break
		}
		if taken[strings.ToLower(n)] {
			continue
		}
		in := inputOf(src)
		in.UnitNumber = n
		batch = append(batch, in)
	}
	valid, verrs := units.Validate(batch, taken, func(i int) string { return fmt.Sprintf("units[%d].", i) })
	if len(verrs) > 0 {
		return nil, &appError{Status: http.StatusBadRequest, Message: "The copies could not be made: " + firstMessage(verrs), Fields: verrs}
	}
	created, err := h.st.CreateUnits(ctx, pr.ID, valid, src.CreatedByAI)
	if errors.Is(err, store.ErrUnitNumberTaken) {
		return nil, &appError{Status: http.StatusConflict, Message: "Another change took one of the new unit numbers; try again."}
	}
	return created, err
}

func firstMessage(m field.Errors) string {
	best := ""
	for k := range m {
		if best == "" || k < best {
			best = k
		}
	}
	return m[best]
}

func (h *Handlers) unitDuplicate(c echo.Context) error {
	pr := currentProject(c)
	created, err := h.duplicate(c, c.Param("unitId"), c.FormValue("count"))
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Made %d copies: %s to %s.", len(created), created[0].UnitNumber, created[len(created)-1].UnitNumber)
	if len(created) == 1 {
		msg = "Made a copy: " + created[0].UnitNumber + "."
	}
	h.flash(c, msg)
	return redirect(c, paths.Units(pr.ID))
}

func (h *Handlers) unitDeleteConfirm(c echo.Context) error {
	pr := currentProject(c)
	u, err := h.st.Unit(c.Request().Context(), pr.ID, c.Param("unitId"))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.Confirm(h.page(c, "Delete "+u.UnitNumber), views.ConfirmParams{
		Title:   "Delete unit " + u.UnitNumber + "?",
		Message: "The unit and its " + strconv.Itoa(u.NumberOfFloors) + " floor(s) are removed. This cannot be undone.",
		Action:  paths.UnitDelete(pr.ID, u.ID), Button: "Delete unit", Cancel: paths.Units(pr.ID),
	}), nil)
}

func (h *Handlers) unitDelete(c echo.Context) error {
	pr := currentProject(c)
	ctx := c.Request().Context()
	u, err := h.st.Unit(ctx, pr.ID, c.Param("unitId"))
	if err != nil {
		return err
	}
	if err := h.st.DeleteUnit(ctx, pr.ID, u.ID); err != nil {
		return err
	}
	h.flash(c, "Unit "+u.UnitNumber+" deleted.")
	return redirect(c, paths.Units(pr.ID))
}

func (h *Handlers) unitScheduleCSV(c echo.Context) error {
	pr := currentProject(c)
	all, err := h.st.Units(c.Request().Context(), pr.ID)
	if err != nil {
		return err
	}
	s := units.MakeSchedule(domainUnits(all))
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, pr.Code)
	c.Response().Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`-area-schedule.csv"`)
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	rows := [][]string{{"Section", "Name", "Units", "Floors", "Rooms", "Bathrooms", "Area (m2)"}}
	for _, r := range s.ByType {
		rows = append(rows, []string{"Unit type", csvSafe(r.Type), itoa(r.Units), itoa(r.Floors), itoa(r.Rooms), itoa(r.Baths), r.Area.String()})
	}
	for _, l := range s.ByLevel {
		rows = append(rows, []string{"Floor level", "Floor " + itoa(l.Level), itoa(l.Units), "", "", "", l.Area.String()})
	}
	rows = append(rows, []string{"Total", "Gross", itoa(s.Total.Units), itoa(s.Total.Floors), itoa(s.Total.Rooms), itoa(s.Total.Baths), s.Total.Area.String()})
	rows = append(rows, []string{})
	rows = append(rows, []string{"Unit", "Type", "Floors", "Rooms", "Bathrooms", "Total area (m2)", "Floor areas (m2)"})
	for _, u := range all {
		fl := make([]string, len(u.Floors))
		for i, f := range u.Floors {
			fl[i] = f.FloorArea.String()
		}
		rows = append(rows, []string{csvSafe(u.UnitNumber), csvSafe(u.UnitType), itoa(u.NumberOfFloors), itoa(u.NumberOfRooms), itoa(u.NumberOfBathrooms), u.TotalArea.String(), strings.Join(fl, " | ")})
	}
	if err := w.WriteAll(rows); err != nil {
		return err
	}
	return nil
}

// csvSafe keeps a spreadsheet from reading a cell as a formula (CSV injection).
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// API

type floorJSON struct {
	FloorNumber int     `json:"floorNumber"`
	FloorArea   float64 `json:"floorArea"`
}

type unitOut struct {
	ID                string      `json:"id"`
	ProjectID         string      `json:"projectId"`
	UnitNumber        string      `json:"unitNumber"`
	UnitType          string      `json:"unitType"`
	TotalFloorArea    float64     `json:"totalFloorArea"`
	NumberOfFloors    int         `json:"numberOfFloors"`
	NumberOfRooms     int         `json:"numberOfRooms"`
	NumberOfBathrooms int         `json:"numberOfBathrooms"`
	CreatedByAI       bool        `json:"createdByAI"`
	Version           int64       `json:"version"`
	Floors            []floorJSON `json:"floors"`
	CreatedAt         time.Time   `json:"createdAt"`
	UpdatedAt         time.Time   `json:"updatedAt"`
}

// areaJSON is an area in square metres. Hundredths ÷ 100 is the double nearest the exact
// decimal, as Area.Float's parse of its text is, without formatting and parsing text for
// each of a list's units and floors.
func areaJSON(a units.Area) float64 { return float64(a) / 100 }

func toUnitJSON(u store.Unit) unitOut {
	j := unitOut{ID: u.ID, ProjectID: u.ProjectID, UnitNumber: u.UnitNumber, UnitType: u.UnitType, TotalFloorArea: areaJSON(u.TotalArea),
		NumberOfFloors: u.NumberOfFloors, NumberOfRooms: u.NumberOfRooms, NumberOfBathrooms: u.NumberOfBathrooms, CreatedByAI: u.CreatedByAI, Version: u.Version,
		Floors: make([]floorJSON, len(u.Floors)), CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC()}
	for i, f := range u.Floors {
		j.Floors[i] = floorJSON{FloorNumber: f.FloorNumber, FloorArea: areaJSON(f.FloorArea)}
	}
	return j
}

func toUnitsJSON(us []store.Unit) []unitOut {
	out := make([]unitOut, len(us))
	for i, u := range us {
		out[i] = toUnitJSON(u)
	}
	return out
}

// unitBody is a unit as JSON. Numbers are kept raw so that "12", 2.5 or "abc" get a
// message naming the field instead of a decoding failure.
type unitBody struct {
	UnitNumber        json.RawMessage `json:"unitNumber"`
	UnitType          json.RawMessage `json:"unitType"`
	TotalFloorArea    json.RawMessage `json:"totalFloorArea"`
	NumberOfFloors    json.RawMessage `json:"numberOfFloors"`
	NumberOfRooms     json.RawMessage `json:"numberOfRooms"`
	NumberOfBathrooms json.RawMessage `json:"numberOfBathrooms"`
	Floors            []struct {
		FloorNumber json.RawMessage `json:"floorNumber"`
		FloorArea   json.RawMessage `json:"floorArea"`
	} `json:"floors"`
}

// input turns the JSON into the validator's text input, adding a type error per field.
func (b unitBody) input(prefix string, errs field.Errors) units.Input {
	num := func(field string, raw json.RawMessage) string {
		s := strings.TrimSpace(string(raw))
		if s == "" || s == "null" {
			return ""
		}
		if s[0] == '-' || s[0] >= '0' && s[0] <= '9' {
			var n json.Number
			if json.Unmarshal(raw, &n) == nil {
				return n.String()
			}
		}
		errs.Add(prefix+field, "must be a number")
		return "0"
	}
	str := func(field string, raw json.RawMessage) string {
		s := strings.TrimSpace(string(raw))
		if s == "" || s == "null" {
			return ""
		}
		var v string
		if json.Unmarshal(raw, &v) != nil {
			errs.Add(prefix+field, "must be a string")
		}
		return v
	}
	in := units.Input{UnitNumber: str("unitNumber", b.UnitNumber), UnitType: str("unitType", b.UnitType),
		TotalFloorArea: num("totalFloorArea", b.TotalFloorArea), NumberOfFloors: num("numberOfFloors", b.NumberOfFloors),
		NumberOfRooms: num("numberOfRooms", b.NumberOfRooms), NumberOfBathrooms: num("numberOfBathrooms", b.NumberOfBathrooms)}
	for j, f := range b.Floors {
		fp := fmt.Sprintf("floors[%d].", j)
		in.Floors = append(in.Floors, units.FloorInput{FloorNumber: num(fp+"floorNumber", f.FloorNumber), FloorArea: num(fp+"floorArea", f.FloorArea)})
	}
	return in
}

func (h *Handlers) apiUnitsList(c echo.Context) error {
	us, err := h.st.Units(c.Request().Context(), currentProject(c).ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"units": toUnitsJSON(us)})
}

func (h *Handlers) apiUnitsCreate(c echo.Context) error {
	ctx := c.Request().Context()
	pr := currentProject(c)
	var body struct {
		Units []unitBody `json:"units"`
		// CreatedByAI marks a reviewed proposal of POST /api/ai/create-units (issue 15).
		CreatedByAI bool `json:"createdByAI"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	switch {
	case body.Units == nil:
		return errInvalid(field.Errors{"units": "is required: {\"units\": [ … ]}"})
	case len(body.Units) == 0:
		return errInvalid(field.Errors{"units": "give at least one unit"})
	case len(body.Units) > units.MaxBatch:
		return errInvalid(field.Errors{"units": fmt.Sprintf("at most %d units per request (this one has %d)", units.MaxBatch, len(body.Units))})
	}
	typeErrs := field.Errors{}
	ins := make([]units.Input, len(body.Units))
	for i, b := range body.Units {
		ins[i] = b.input(fmt.Sprintf("units[%d].", i), typeErrs)
	}
	if len(typeErrs) > 0 {
		return errInvalid(typeErrs)
	}
	taken, err := h.st.UnitNumbers(ctx, pr.ID, "")
	if err != nil {
		return err
	}
	valid, verrs := units.Validate(ins, taken, func(i int) string { return fmt.Sprintf("units[%d].", i) })
	if len(verrs) > 0 {
		return &appError{Status: http.StatusBadRequest, Message: firstMessage(verrs), Fields: verrs}
	}
	created, err := h.st.CreateUnits(ctx, pr.ID, valid, body.CreatedByAI)
	if errors.Is(err, store.ErrUnitNumberTaken) {
		return &appError{Status: http.StatusConflict, Message: "A unit number was taken by another change meanwhile; nothing was saved."}
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"units": toUnitsJSON(created)})
}

func (h *Handlers) apiUnitGet(c echo.Context) error {
	u, err := h.st.Unit(c.Request().Context(), currentProject(c).ID, c.Param("unitId"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toUnitJSON(u))
}

// unitPutBody is a whole unit to replace, with the version the client read.
type unitPutBody struct {
	unitBody
	Version *int64 `json:"version"`
}

func (h *Handlers) apiUnitUpdate(c echo.Context) error {
	pr := currentProject(c)
	var b unitPutBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	// An unknown unit is a 404 whatever the body says.
	if _, err := h.st.Unit(c.Request().Context(), pr.ID, c.Param("unitId")); err != nil {
		return err
	}
	typeErrs := field.Errors{}
	in := b.input("", typeErrs)
	if b.Version == nil {
		typeErrs.Add("version", "is required: send the version you read (GET returns it), so a change made meanwhile is not overwritten")
	}
	if len(typeErrs) > 0 {
		return errInvalid(typeErrs)
	}
	verrs, err := h.saveUnit(c, c.Param("unitId"), b.Version, in)
	if err != nil {
		return err
	}
	if len(verrs) > 0 {
		return &appError{Status: http.StatusBadRequest, Message: firstMessage(verrs), Fields: verrs}
	}
	u, err := h.st.Unit(c.Request().Context(), pr.ID, c.Param("unitId"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toUnitJSON(u))
}

func (h *Handlers) apiUnitDelete(c echo.Context) error {
	if err := h.st.DeleteUnit(c.Request().Context(), currentProject(c).ID, c.Param("unitId")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handlers) apiUnitDuplicate(c echo.Context) error {
	var body struct {
		Count json.Number `json:"count"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	created, err := h.duplicate(c, c.Param("unitId"), body.Count.String())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"units": toUnitsJSON(created)})
}

func (h *Handlers) apiUnitSchedule(c echo.Context) error {
	all, err := h.st.Units(c.Request().Context(), currentProject(c).ID)
	if err != nil {
		return err
	}
	s := units.MakeSchedule(domainUnits(all))
	type row struct {
		Type      string  `json:"unitType,omitempty"`
		Level     int     `json:"floorLevel,omitempty"`
		Units     int     `json:"units"`
		Floors    int     `json:"floors,omitempty"`
		Rooms     int     `json:"rooms,omitempty"`
		Bathrooms int     `json:"bathrooms,omitempty"`
		Area      float64 `json:"area"`
	}
	byType := make([]row, len(s.ByType))
	for i, r := range s.ByType {
		byType[i] = row{Type: r.Type, Units: r.Units, Floors: r.Floors, Rooms: r.Rooms, Bathrooms: r.Baths, Area: r.Area.Float()}
	}
	byLevel := make([]row, len(s.ByLevel))
	for i, l := range s.ByLevel {
		byLevel[i] = row{Level: l.Level, Units: l.Units, Area: l.Area.Float()}
	}
	return c.JSON(http.StatusOK, map[string]any{"byUnitType": byType, "byFloorLevel": byLevel,
		"total": row{Units: s.Total.Units, Floors: s.Total.Floors, Rooms: s.Total.Rooms, Bathrooms: s.Total.Baths, Area: s.Total.Area.Float()}})
}
