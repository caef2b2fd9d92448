package handlers

// The project form in one place: its model (projectForm, which the API decodes and the page
// fills), its one validation, the page's reading of typed values, and the view parameters it
// re-renders with (views/project_form.templ). A new field is added here and there, nowhere else.

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/14build/14build/field"
	"github.com/14build/14build/money"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/project"
	"github.com/14build/14build/store"
	"github.com/14build/14build/tzone"
	"github.com/14build/14build/views"
)

// projectForm is a project as the API sends it; pages fill it from form fields.
type projectForm struct {
	Name     string     `json:"name"`
	Code     string     `json:"code"`
	Address  string     `json:"address"`
	Status   string     `json:"status"`
	Budget   *moneyJSON `json:"budget"`
	TimeZone string     `json:"timeZone"`
}

type moneyJSON struct {
	Amount   *int64 `json:"amount"`
	Currency string `json:"currency"`
}

// validate returns the store's input, or per-field messages.
func (f *projectForm) validate() (store.ProjectInput, field.Errors) {
	errs := field.Errors{}
	errs.Text("name", f.Name, 1, 200)
	errs.Text("code", f.Code, 1, 40)
	errs.Text("address", f.Address, 0, 500)
	status, ok := project.ParseStatus(f.Status)
	in := store.ProjectInput{Name: f.Name, Code: f.Code, Address: f.Address, Status: status, TimeZone: f.TimeZone}
	if !ok {
		errs.Add("status", "must be one of "+project.Names())
	}
	if strings.TrimSpace(in.TimeZone) == "" {
		in.TimeZone = "UTC"
	}
	// The picker offers zone names, but a person may type a city ("Wellington") or leave a
	// whole option label: either is read as its zone, and anything else is refused rather
	// than stored as a zone the server cannot load.
	if z, ok := tzone.Resolve(in.TimeZone); ok {
		in.TimeZone = z
	} else {
		errs.Add("timeZone", msgTimeZone)
	}
	if f.Budget == nil {
		errs.Add("budget", `Send the budget as {"amount": minor units, "currency": "usd"}.`)
		return in, sentences(errs, projectSubjects)
	}
	in.Currency = strings.ToLower(strings.TrimSpace(f.Budget.Currency))
	if in.Currency == "" {
		in.Currency = "usd"
	}
	if _, ok := money.Lookup(in.Currency); !ok {
		errs.Add("budget.currency", msgCurrency)
	}
	switch a := f.Budget.Amount; {
	case a == nil:
		errs.Add("budget.amount", "Send the budget's amount as an integer in minor units (125000 is 1,250.00).")
	case *a < 0:
		errs.Add("budget.amount", "must not be negative")
	case *a > money.MaxMinor:
		errs.Add("budget.amount", "is too large")
	default:
		in.BudgetAmount = *a
	}
	return in, sentences(errs, projectSubjects)
}

const (
	msgTimeZone = "Choose a time zone from the list: search it by city, such as Wellington, or type a zone such as Pacific/Auckland."
	msgCurrency = "Choose one of the currencies in the list."
)

// projectSubjects names the project form's fields in its messages.
var projectSubjects = map[string]fieldWords{
	"name":          {"the project name", "The project name"},
	"code":          {"a project code", "The code"},
	"address":       {"the site address", "The site address"},
	"status":        {"a status", "The status"},
	"budget.amount": {"the budget", "The budget"},
}

// newProjectValues starts a new project's form with the currency and time zone of the
// owner's latest project (an owner's next project is most often in the same market), or
// US dollars and UTC for a first project.
func (h *Handlers) newProjectValues(ctx context.Context, ownerID string) (views.ProjectValues, error) {
	v := views.ProjectValues{Status: string(project.Default), Currency: "usd", TimeZone: "UTC"}
	cur, zone, ok, err := h.st.ProjectDefaults(ctx, ownerID)
	if err != nil || !ok {
		return v, err
	}
	v.Currency, v.TimeZone = cur, zone
	return v, nil
}

// projectFromPage reads and validates the HTML form, where the budget is typed in major
// units ("1,250,000.50"; empty is 0). v keeps what was typed, to re-render the form with.
func projectFromPage(c echo.Context) (in store.ProjectInput, v views.ProjectValues, errs field.Errors) {
	v = views.ProjectValues{Name: c.FormValue("name"), Code: c.FormValue("code"), Address: c.FormValue("address"),
		Status: c.FormValue("status"), Budget: c.FormValue("budget"), Currency: c.FormValue("currency"), TimeZone: c.FormValue("timeZone")}
	f := projectForm{Name: v.Name, Code: v.Code, Address: v.Address, Status: v.Status, TimeZone: v.TimeZone,
		Budget: &moneyJSON{Currency: v.Currency}}
	// Reading the typed amount comes first: its message ("at most 2 decimal places") says
	// more than validate's about the minor units it could not get.
	errs = field.Errors{}
	cur, ok := money.Lookup(v.Currency)
	switch {
	case !ok:
		errs.Add("budget.currency", msgCurrency)
	case strings.TrimSpace(v.Budget) == "":
		f.Budget.Amount = new(int64)
	default:
		amt, err := money.Parse(v.Budget, cur)
		if err != nil {
			errs.Add("budget.amount", err.Error())
		}
		f.Budget.Amount = &amt
	}
	in, verrs := f.validate()
	errs.Merge(verrs)
	return in, v, sentences(errs, projectSubjects)
}

// newProjectForm is the form for a project not yet created.
func newProjectForm(v views.ProjectValues, errs field.Errors) views.ProjectForm {
	return views.ProjectForm{PageTitle: "New project", Heading: "New project", Action: paths.Projects(), Cancel: paths.Projects(), Values: v, Errs: errs}
}

// editProjectForm is the form for pr.
func editProjectForm(pr *store.Project, v views.ProjectValues, errs field.Errors) views.ProjectForm {
	return views.ProjectForm{PageTitle: "Edit " + pr.Name, Heading: "Edit project", Action: paths.Project(pr.ID), Cancel: paths.Project(pr.ID), Values: v, Errs: errs}
}

func (h *Handlers) renderProjectForm(c echo.Context, status int, f views.ProjectForm) error {
	return render(c, status, views.ProjectFormPage(h.page(c, f.PageTitle), f), nil)
}

// refuseProjectForm re-renders the form with its messages: 422, so HTMX swaps it in place.
func (h *Handlers) refuseProjectForm(c echo.Context, f views.ProjectForm) error {
	return h.renderProjectForm(c, http.StatusUnprocessableEntity, f)
}
