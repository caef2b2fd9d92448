package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/drafting"
	"github.com/14build/14build/field"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/store"
	"github.com/14build/14build/units"
	"github.com/14build/14build/views"
)

// maxDraftBody bounds the drafting API's bodies (a brief; a set of packages lists item ids).
const (
	maxDraftBody    = 64 << 10
	maxPackagesBody = 4 << 20
)

// draftingRoutes: issue 15's drafting helpers (units from a brief, work packages from an
// SOQ) and the saved work packages. Proposals save nothing; saving is the units batch and
// the work packages' POST, after a person's review.
func (h *Handlers) draftingRoutes() []Route {
	return []Route{
		{"GET", paths.NameUnitsDraft, inProject(authz.EditUnits), h.unitsDraftPage},
		{"POST", paths.NameUnitsDraft, inProject(authz.EditUnits), h.unitsDraftPropose},
		{"POST", paths.NameUnitsDraftSave, inProject(authz.EditUnits), h.unitsDraftSave},
		{"GET", paths.NameWorkPackages, inProject(authz.ViewProject), h.workPackagesPage},
		{"POST", paths.NameWorkPackages, inProject(authz.EditSOQ), h.workPackagesSave},
		{"POST", paths.NameWorkPackagesDraft, inProject(authz.EditSOQ), h.workPackagesDraft},
		{"POST", paths.NameWorkPackageTender, inProject(authz.EditSOQ), h.workPackageTender}, // and CREATE_TENDER
		{"POST", paths.NameAPIAICreateUnits, bodyProject("", authz.EditUnits, maxDraftBody), h.apiAICreateUnits},
		{"POST", paths.NameAPIAICreateJobs, signedIn(), h.apiAICreateJobs}, // the body's soqId's team (soqScope)
		{"GET", paths.NameAPIWorkPackages, inProject(authz.ViewProject), h.apiWorkPackagesList},
		{"POST", paths.NameAPIWorkPackages, inProject(authz.EditSOQ), h.apiWorkPackagesSave},
	}
}

// draftService is the configured drafting service, or nil (the built-in planner only).
// Built per request: it is a few option values, no connection.
func (h *Handlers) draftService() *drafting.Service { return drafting.NewService(h.cfg.Drafting) }

func serviceModel(s *drafting.Service) string {
	if s == nil {
		return ""
	}
	return s.Model()
}

// serviceFailure is the 502 for an unusable answer; other errors pass through.
func serviceFailure(err error) error {
	var se *drafting.ServiceError
	if errors.As(err, &se) {
		return &appError{Status: http.StatusBadGateway, Message: se.Message()}
	}
	return err
}

// proposeUnits drafts units for a checked brief: the service for a free-text brief, the
// built-in planner otherwise. The source names who proposed, for the page.
func (h *Handlers) proposeUnits(ctx context.Context, projectID string, b drafting.UnitBrief) ([]units.Unit, string, field.Errors, error) {
	taken, err := h.st.UnitNumbers(ctx, projectID, "")
	if err != nil {
		return nil, "", nil, err
	}
	if b.Brief != "" {
		svc := h.draftService()
		us, err := svc.DraftUnits(ctx, b, taken)
		if err != nil {
			return nil, "", nil, serviceFailure(err)
		}
		return us, "the drafting service (" + svc.Model() + ")", nil, nil
	}
	us, errs := drafting.PlanUnits(b, taken)
	return us, "the built-in planner", errs, nil
}

// Pages: units

func briefFromForm(c echo.Context) drafting.UnitBriefInput {
	return drafting.UnitBriefInput{Count: c.FormValue("count"), UnitType: c.FormValue("unitType"), Floors: c.FormValue("floors"),
		FloorAreaPerUnit: c.FormValue("floorAreaPerUnit"), TotalArea: c.FormValue("totalArea"), Rooms: c.FormValue("rooms"),
		Bathrooms: c.FormValue("bathrooms"), StartNumber: c.FormValue("startNumber"), Brief: c.FormValue("brief")}
}

func (h *Handlers) unitsDraftView(c echo.Context) views.UnitsDraftView {
	return views.UnitsDraftView{Project: *currentProject(c), Service: serviceModel(h.draftService())}
}

func (h *Handlers) unitsDraftPage(c echo.Context) error {
	v := h.unitsDraftView(c)
	v.Brief = drafting.UnitBriefInput{Count: "4", Floors: "2", Rooms: "3", Bathrooms: "2", StartNumber: "A-01"}
	return render(c, http.StatusOK, views.UnitsDraftPage(h.page(c, "Draft units · "+v.Project.Name), v), nil)
}

// unitsDraftPropose answers the brief form (and Regenerate) with a proposal to review, or
// the review form's Drop button with the list less that row (keeping the edits).
func (h *Handlers) unitsDraftPropose(c echo.Context) error {
	v := h.unitsDraftView(c)
	v.Brief = briefFromForm(c)
	title := "Draft units · " + v.Project.Name
	if drop := c.FormValue("drop"); drop != "" {
		rows := draftRowsFromForm(c)
		if i, err := strconv.Atoi(drop); err == nil && i >= 0 && i < len(rows) {
			rows = append(rows[:i], rows[i+1:]...)
		}
		v.Rows, v.Source = rows, "you (edited)"
		if v.Rows == nil {
			v.Rows = []units.Input{}
		}
		return render(c, http.StatusOK, views.UnitsDraftPage(h.page(c, title), v), nil)
	}
	b, errs := drafting.ParseUnitBrief(v.Brief, v.Service != "")
	if errs.Any() {
		v.BriefErrs = sentencesOf(errs)
		return render(c, http.StatusUnprocessableEntity, views.UnitsDraftPage(h.page(c, title), v), nil)
	}
	us, source, errs, err := h.proposeUnits(c.Request().Context(), v.Project.ID, b)
	if err != nil {
		return err
	}
	if errs.Any() {
		v.BriefErrs = sentencesOf(errs)
		return render(c, http.StatusUnprocessableEntity, views.UnitsDraftPage(h.page(c, title), v), nil)
	}
	v.Source = source
	v.Rows = make([]units.Input, len(us))
	for i, u := range us {
		v.Rows[i] = drafting.ProposalOf(u).Input()
	}
	return render(c, http.StatusOK, views.UnitsDraftPage(h.page(c, title), v), nil)
}

// sentencesOf makes each message a sentence for the page ("Is required." → "Count: is
// required.").
func sentencesOf(errs field.Errors) field.Errors {
	out := field.Errors{}
	for k, v := range errs {
		out[k] = views.Sentence(v)
	}
	return out
}

// draftRowsFromForm reads the review list: units[i].field and units[i].floors[j].*.
func draftRowsFromForm(c echo.Context) []units.Input {
	form, _ := c.FormParams()
	var rows []units.Input
	for i := 0; i < drafting.MaxDraftUnits; i++ {
		p := fmt.Sprintf("units[%d].", i)
		if _, ok := form[p+"unitNumber"]; !ok {
			break
		}
		in := units.Input{UnitNumber: form.Get(p + "unitNumber"), UnitType: form.Get(p + "unitType"), TotalFloorArea: form.Get(p + "totalFloorArea"),
			NumberOfFloors: form.Get(p + "numberOfFloors"), NumberOfRooms: form.Get(p + "numberOfRooms"), NumberOfBathrooms: form.Get(p + "numberOfBathrooms")}
		for j := 0; j < units.MaxFloors; j++ {
			fp := fmt.Sprintf("%sfloors[%d].", p, j)
			area, ok := form[fp+"floorArea"]
			if !ok {
				break
			}
			num := form.Get(fp + "floorNumber")
			if num == "" {
				num = strconv.Itoa(j + 1)
			}
			in.Floors = append(in.Floors, units.FloorInput{FloorNumber: num, FloorArea: area[0]})
		}
		rows = append(rows, in)
	}
	return rows
}

// unitsDraftSave saves the reviewed list in one all-or-nothing batch, createdByAI = true.
func (h *Handlers) unitsDraftSave(c echo.Context) error {
	ctx := c.Request().Context()
	v := h.unitsDraftView(c)
	v.Brief = briefFromForm(c)
	v.Rows, v.Source = draftRowsFromForm(c), "you (edited)"
	title := "Draft units · " + v.Project.Name
	if len(v.Rows) == 0 {
		v.Rows = []units.Input{}
		v.Errs = field.Errors{"": "There are no units to save: regenerate the proposal."}
		return render(c, http.StatusUnprocessableEntity, views.UnitsDraftPage(h.page(c, title), v), nil)
	}
	taken, err := h.st.UnitNumbers(ctx, v.Project.ID, "")
	if err != nil {
		return err
	}
	valid, errs := units.Validate(v.Rows, taken, func(i int) string { return fmt.Sprintf("units[%d].", i) })
	if errs.Any() {
		v.Errs = errs
		return render(c, http.StatusUnprocessableEntity, views.UnitsDraftPage(h.page(c, title), v), nil)
	}
	_, err = h.st.CreateUnits(ctx, v.Project.ID, valid, true)
	if errors.Is(err, store.ErrUnitNumberTaken) {
		v.Errs = field.Errors{"": "A unit number was taken by another change meanwhile; nothing was saved. Change the numbers and save again."}
		return render(c, http.StatusConflict, views.UnitsDraftPage(h.page(c, title), v), nil)
	}
	if err != nil {
		return err
	}
	h.flash(c, fmt.Sprintf("%s saved.", views.Counted(len(valid), "drafted unit", "drafted units")))
	return redirect(c, paths.Units(v.Project.ID))
}

// Pages: work packages

func (h *Handlers) workPackagesView(c echo.Context) (views.WorkPackagesView, error) {
	ctx := c.Request().Context()
	pr := currentProject(c)
	qs, err := h.st.SOQsOf(ctx, pr.ID)
	if err != nil {
		return views.WorkPackagesView{}, err
	}
	// The SOQ copies made for package tenders are not proposed from again.
	saved, err := h.st.WorkPackages(ctx, pr.ID, "")
	if err != nil {
		return views.WorkPackagesView{}, err
	}
	copies := map[string]bool{}
	for _, p := range saved {
		if p.TenderSOQID.Valid {
			copies[p.TenderSOQID.String] = true
		}
	}
	var choices []store.SOQ
	for _, q := range qs {
		if !copies[q.ID] {
			choices = append(choices, q)
		}
	}
	return views.WorkPackagesView{Project: *pr, SOQs: choices, Saved: saved, Service: serviceModel(h.draftService()),
		CanEdit: authz.CanInProject(currentUser(c).Role, currentMembership(c), authz.EditSOQ)}, nil
}

func (h *Handlers) workPackagesPage(c echo.Context) error {
	v, err := h.workPackagesView(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.WorkPackagesPage(h.page(c, "Work packages · "+v.Project.Name), v), nil)
}

// proposePackages drafts packages for an SOQ of the project: the service when one is
// configured, the built-in planner otherwise.
func (h *Handlers) proposePackages(ctx context.Context, q store.SOQ) ([]drafting.Package, string, error) {
	items, err := h.st.PlanningItems(ctx, q.ID)
	if err != nil {
		return nil, "", err
	}
	if len(items) == 0 {
		return nil, "", &appError{Status: http.StatusUnprocessableEntity, Message: "This SOQ has no items to group into packages.",
			Fields: field.Errors{"soqId": "has no items"}}
	}
	if svc := h.draftService(); svc != nil {
		ps, err := svc.DraftPackages(ctx, items)
		if err != nil {
			return nil, "", serviceFailure(err)
		}
		return ps, "the drafting service (" + svc.Model() + ")", nil
	}
	ps, err := drafting.PlanPackages(items)
	if err != nil {
		return nil, "", &appError{Status: http.StatusUnprocessableEntity, Message: "This SOQ's amounts are too large to add up."}
	}
	return ps, "the built-in planner", nil
}

// projectSOQ is the project's SOQ id, else a 422 naming soqId.
func (h *Handlers) projectSOQ(ctx context.Context, projectID, id string) (store.SOQ, error) {
	q, err := h.st.SOQHeader(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && q.ProjectID != projectID) {
		return store.SOQ{}, &appError{Status: http.StatusUnprocessableEntity, Message: "Choose one of this project's SOQs.",
			Fields: field.Errors{"soqId": "is not one of this project's SOQs"}}
	}
	if err != nil {
		return store.SOQ{}, err
	}
	if err := h.st.LoadSOQ(ctx, &q, store.ItemFilter{}); err != nil {
		return store.SOQ{}, err
	}
	return q, nil
}

// packagesRefused shows a 422 (the SOQ picked, or its proposal, refused) on the work
// packages page above the SOQ picker; any other error is returned as it is.
func (h *Handlers) packagesRefused(c echo.Context, v views.WorkPackagesView, title string, err error) error {
	var ae *appError
	if errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity {
		v.SOQErr = ae.Message
		return render(c, ae.Status, views.WorkPackagesPage(h.page(c, title), v), nil)
	}
	return err
}

func (h *Handlers) workPackagesDraft(c echo.Context) error {
	ctx := c.Request().Context()
	v, err := h.workPackagesView(c)
	if err != nil {
		return err
	}
	title := "Work packages · " + v.Project.Name
	q, err := h.projectSOQ(ctx, v.Project.ID, c.FormValue("soqId"))
	if err != nil {
		return h.packagesRefused(c, v, title, err)
	}
	ps, source, err := h.proposePackages(ctx, q)
	if err != nil {
		return h.packagesRefused(c, v, title, err)
	}
	v.Draft = &views.PackagesDraft{SOQ: q, Packages: ps, Source: source, Total: q.Total}
	return render(c, http.StatusOK, views.WorkPackagesPage(h.page(c, title), v), nil)
}

// packagesFromForm reads the review table: packages[i].title, trade, sequence,
// durationDays, dependsOn ("1,2"), phase, and itemIds (repeated).
func packagesFromForm(c echo.Context) ([]drafting.Package, field.Errors) {
	form, _ := c.FormParams()
	errs := field.Errors{}
	var ps []drafting.Package
	for i := 0; i < drafting.MaxPackages; i++ {
		p := fmt.Sprintf("packages[%d].", i)
		if _, ok := form[p+"sequence"]; !ok {
			break
		}
		pk := drafting.Package{Trade: form.Get(p + "trade"), Title: form.Get(p + "title"), Phase: form.Get(p + "phase"), ItemIDs: form[p+"itemIds"]}
		if drafting.PhaseLabel(pk.Phase) == "" {
			pk.Phase = ""
		}
		num := func(f string) int {
			n, err := strconv.Atoi(strings.TrimSpace(form.Get(p + f)))
			if err != nil {
				errs.Add(p+f, fmt.Sprintf("Package %d: must be a whole number", i+1))
			}
			return n
		}
		pk.Sequence, pk.DurationDays = num("sequence"), num("durationDays")
		for _, d := range strings.Split(form.Get(p+"dependsOn"), ",") {
			if d = strings.TrimSpace(d); d == "" {
				continue
			}
			n, err := strconv.Atoi(d)
			if err != nil {
				errs.Add(p+"dependsOn", fmt.Sprintf("Package %d: dependencies must be sequence numbers", i+1))
			}
			pk.DependsOn = append(pk.DependsOn, n)
		}
		ps = append(ps, pk)
	}
	return ps, errs
}

func (h *Handlers) workPackagesSave(c echo.Context) error {
	ctx := c.Request().Context()
	v, err := h.workPackagesView(c)
	if err != nil {
		return err
	}
	title := "Work packages · " + v.Project.Name
	q, err := h.projectSOQ(ctx, v.Project.ID, c.FormValue("soqId"))
	if err != nil {
		return h.packagesRefused(c, v, title, err)
	}
	ps, errs := packagesFromForm(c)
	if !errs.Any() {
		err = h.st.ReplaceWorkPackages(ctx, v.Project.ID, q.ID, currentUser(c).ID, ps, true)
		var refused *store.PackagesRefused
		switch {
		case errors.As(err, &refused):
			errs = refused.Fields
		case errors.Is(err, store.ErrPackagesHaveTenders):
			v.SOQErr = "This SOQ's packages already have a tender, so they stay as they are."
			return render(c, http.StatusConflict, views.WorkPackagesPage(h.page(c, title), v), nil)
		case err != nil:
			return err
		}
	}
	if errs.Any() {
		items, err := h.st.PlanningItems(ctx, q.ID)
		if err != nil {
			return err
		}
		_ = drafting.FillValues(ps, items)
		v.Draft = &views.PackagesDraft{SOQ: q, Packages: ps, Source: "you (edited)", Total: q.Total, Errs: errs}
		return render(c, http.StatusUnprocessableEntity, views.WorkPackagesPage(h.page(c, title), v), nil)
	}
	h.flash(c, views.Counted(len(ps), "work package", "work packages")+" saved.")
	return redirect(c, paths.WorkPackages(v.Project.ID))
}

// workPackageTender makes a draft tender of a package's items (store.CreatePackageTender:
// on an issued SOQ copy of just those items) and opens the tender's page to finish it.
func (h *Handlers) workPackageTender(c echo.Context) error {
	u := currentUser(c)
	if !authz.Can(u.Role, authz.CreateTender) {
		return errForbidden()
	}
	pr := currentProject(c)
	id, err := h.st.CreatePackageTender(c.Request().Context(), pr.ID, c.Param("packageId"), u.ID, time.Now())
	switch {
	case errors.Is(err, store.ErrPackageHasTender):
		return &appError{Status: http.StatusConflict, Message: "This package already has a tender."}
	case errors.Is(err, store.ErrNothingToTender):
		return &appError{Status: http.StatusConflict, Message: "This package has no items left to tender."}
	case err != nil:
		return tenderStoreError(err)
	}
	if isAPI(c) {
		return c.JSON(http.StatusCreated, map[string]any{"tenderId": id})
	}
	h.flash(c, "Draft tender made from the package: set its closing time and bidders, then open it.")
	return redirect(c, paths.Tender(id))
}

// API

// rawText reads a JSON number or string as text ("" for absent or null); anything else
// is a message for fields.
func rawText(name string, raw json.RawMessage, errs field.Errors) string {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return ""
	}
	var str string
	if json.Unmarshal(raw, &str) == nil {
		return str
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	errs.Add(name, "must be a number or a string")
	return ""
}

func (h *Handlers) apiAICreateUnits(c echo.Context) error {
	limitBody(c, maxDraftBody)
	var body struct {
		ProjectID        string          `json:"projectId"`
		Count            json.RawMessage `json:"count"`
		UnitType         json.RawMessage `json:"unitType"`
		Floors           json.RawMessage `json:"floors"`
		FloorAreaPerUnit json.RawMessage `json:"floorAreaPerUnit"`
		TotalArea        json.RawMessage `json:"totalArea"`
		Rooms            json.RawMessage `json:"rooms"`
		Bathrooms        json.RawMessage `json:"bathrooms"`
		StartNumber      json.RawMessage `json:"startNumber"`
		Brief            json.RawMessage `json:"brief"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	errs := field.Errors{}
	in := drafting.UnitBriefInput{Count: rawText("count", body.Count, errs), UnitType: rawText("unitType", body.UnitType, errs),
		Floors: rawText("floors", body.Floors, errs), FloorAreaPerUnit: rawText("floorAreaPerUnit", body.FloorAreaPerUnit, errs),
		TotalArea: rawText("totalArea", body.TotalArea, errs), Rooms: rawText("rooms", body.Rooms, errs),
		Bathrooms: rawText("bathrooms", body.Bathrooms, errs), StartNumber: rawText("startNumber", body.StartNumber, errs),
		Brief: rawText("brief", body.Brief, errs)}
	if errs.Any() {
		return errInvalid(errs)
	}
	svc := h.draftService()
	b, errs := drafting.ParseUnitBrief(in, svc != nil)
	if errs.Any() {
		return &appError{Status: http.StatusBadRequest, Message: "The brief needs attention: " + firstMessage(errs), Fields: errs}
	}
	us, source, errs, err := h.proposeUnits(c.Request().Context(), currentProject(c).ID, b)
	if err != nil {
		return err
	}
	if errs.Any() {
		return &appError{Status: http.StatusBadRequest, Message: firstMessage(errs), Fields: errs}
	}
	out := make([]drafting.UnitProposal, len(us))
	for i, u := range us {
		out[i] = drafting.ProposalOf(u)
	}
	return c.JSON(http.StatusOK, map[string]any{"units": out, "proposedBy": sourceKey(source)})
}

// sourceKey is who proposed, for the API: "planner" or "service".
func sourceKey(source string) string {
	if strings.HasPrefix(source, "the drafting service") {
		return "service"
	}
	return "planner"
}

// soqScope is the guard's project scope for an SOQ named in a body: 404 outside its
// project's team, 403 without the action.
func (h *Handlers) soqScope(c echo.Context, soqID string, a authz.ProjectAction) (store.SOQ, error) {
	ctx := c.Request().Context()
	u := currentUser(c)
	q, err := h.st.SOQHeader(ctx, soqID)
	if err != nil {
		return store.SOQ{}, err
	}
	_, m, err := h.st.ProjectFor(ctx, q.ProjectID, u.ID)
	if err != nil {
		return store.SOQ{}, err
	}
	if !authz.CanInProject(u.Role, m, authz.ViewProject) {
		return store.SOQ{}, errNotFound()
	}
	if !authz.CanInProject(u.Role, m, a) {
		return store.SOQ{}, errForbidden()
	}
	return q, h.st.LoadSOQ(ctx, &q, store.ItemFilter{})
}

type packageOut struct {
	ID           string   `json:"id,omitempty"`
	SOQID        string   `json:"soqId"`
	Trade        string   `json:"trade"`
	Title        string   `json:"title"`
	Phase        string   `json:"phase"`
	Sequence     int      `json:"sequence"`
	DurationDays int      `json:"durationDays"`
	DependsOn    []int    `json:"dependsOn"`
	ItemIDs      []string `json:"itemIds"`
	Value        moneyOut `json:"value"`
	CreatedByAI  *bool    `json:"createdByAI,omitempty"`
	TenderID     *string  `json:"tenderId,omitempty"`
}

func proposalJSON(soqID, currency string, ps []drafting.Package) []packageOut {
	out := make([]packageOut, len(ps))
	for i, p := range ps {
		out[i] = packageOut{SOQID: soqID, Trade: p.Trade, Title: p.Title, Phase: p.Phase, Sequence: p.Sequence, DurationDays: p.DurationDays,
			DependsOn: p.DependsOn, ItemIDs: p.ItemIDs, Value: moneyOut{Amount: p.Value, Currency: currency}}
		if out[i].DependsOn == nil {
			out[i].DependsOn = []int{}
		}
	}
	return out
}

func (h *Handlers) apiAICreateJobs(c echo.Context) error {
	limitBody(c, maxDraftBody)
	var body struct {
		SOQID string `json:"soqId"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if body.SOQID == "" {
		return errInvalid(field.Errors{"soqId": "is required"})
	}
	q, err := h.soqScope(c, body.SOQID, authz.EditSOQ)
	if err != nil {
		return err
	}
	ps, source, err := h.proposePackages(c.Request().Context(), q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"soqId": q.ID, "packages": proposalJSON(q.ID, q.Currency, ps),
		"total": moneyOut{Amount: q.Total, Currency: q.Currency}, "proposedBy": sourceKey(source)})
}

func (h *Handlers) apiWorkPackagesList(c echo.Context) error {
	ctx := c.Request().Context()
	pr := currentProject(c)
	ps, err := h.st.WorkPackages(ctx, pr.ID, c.QueryParam("soqId"))
	if err != nil {
		return err
	}
	qs, err := h.st.SOQsOf(ctx, pr.ID)
	if err != nil {
		return err
	}
	cur := map[string]string{}
	for _, q := range qs {
		cur[q.ID] = q.Currency
	}
	return c.JSON(http.StatusOK, map[string]any{"packages": savedJSON(ps, cur)})
}

func savedJSON(ps []store.WorkPackage, currency map[string]string) []packageOut {
	out := make([]packageOut, len(ps))
	for i, p := range ps {
		ai := p.CreatedByAI
		out[i] = packageOut{ID: p.ID, SOQID: p.SOQID, Trade: p.Trade, Title: p.Title, Phase: p.Phase, Sequence: p.Sequence,
			DurationDays: p.DurationDays, DependsOn: []int{}, ItemIDs: []string(p.ItemIDs), CreatedByAI: &ai,
			Value: moneyOut{Amount: p.Value, Currency: currency[p.SOQID]}}
		if out[i].ItemIDs == nil {
			out[i].ItemIDs = []string{}
		}
		for _, d := range p.DependsOn {
			out[i].DependsOn = append(out[i].DependsOn, int(d))
		}
		if p.TenderID.Valid {
			t := p.TenderID.String
			out[i].TenderID = &t
		}
	}
	return out
}

// apiWorkPackagesSave saves reviewed packages for one SOQ, replacing its earlier ones:
// {"soqId", "createdByAI", "packages": [{"trade","title","sequence","durationDays",
// "dependsOn": [sequences], "itemIds": [...]}]}. Values are computed, never read.
func (h *Handlers) apiWorkPackagesSave(c echo.Context) error {
	limitBody(c, maxPackagesBody)
	ctx := c.Request().Context()
	pr := currentProject(c)
	var body struct {
		SOQID       string `json:"soqId"`
		CreatedByAI bool   `json:"createdByAI"`
		Packages    []struct {
			Trade        string          `json:"trade"`
			Title        string          `json:"title"`
			Phase        string          `json:"phase"`
			Sequence     int             `json:"sequence"`
			DurationDays int             `json:"durationDays"`
			DependsOn    []int           `json:"dependsOn"`
			ItemIDs      []string        `json:"itemIds"`
			Value        json.RawMessage `json:"value"` // ignored: computed from the items
			SOQID        string          `json:"soqId"` // ignored: the body's soqId
		} `json:"packages"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if body.SOQID == "" {
		return errInvalid(field.Errors{"soqId": "is required"})
	}
	q, err := h.projectSOQ(ctx, pr.ID, body.SOQID)
	if err != nil {
		return err
	}
	if len(body.Packages) > drafting.MaxPackages {
		return errInvalid(field.Errors{"packages": fmt.Sprintf("at most %d packages", drafting.MaxPackages)})
	}
	ps := make([]drafting.Package, len(body.Packages))
	for i, p := range body.Packages {
		ps[i] = drafting.Package{Trade: p.Trade, Title: p.Title, Phase: p.Phase, Sequence: p.Sequence, DurationDays: p.DurationDays,
			DependsOn: p.DependsOn, ItemIDs: p.ItemIDs}
		if drafting.PhaseLabel(p.Phase) == "" {
			ps[i].Phase = ""
		}
	}
	err = h.st.ReplaceWorkPackages(ctx, pr.ID, q.ID, currentUser(c).ID, ps, body.CreatedByAI)
	var refused *store.PackagesRefused
	switch {
	case errors.As(err, &refused):
		return &appError{Status: http.StatusBadRequest, Message: firstMessage(refused.Fields), Fields: refused.Fields}
	case errors.Is(err, store.ErrPackagesHaveTenders):
		return &appError{Status: http.StatusConflict, Message: "This SOQ's packages already have a tender, so they stay as they are."}
	case errors.Is(err, store.ErrUnknownSOQ):
		return errInvalid(field.Errors{"soqId": "is not one of this project's SOQs"})
	case err != nil:
		return err
	}
	saved, err := h.st.WorkPackages(ctx, pr.ID, q.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"packages": savedJSON(saved, map[string]string{q.ID: q.Currency})})
}
