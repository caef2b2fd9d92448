package handlers

// The project form in one place: its model (projectForm, which the API decodes and the page
// fills), its one validation, the page's reading of typed values, and the view parameters it
// re-renders with (views/project_form.templ). A new field is added here and there, nowhere else.

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/14build/14build/field"
	"github.com/14build/14build/money"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/project"
	"github.com/14build/14build/store"
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
	if in.TimeZone == "" {
		in.TimeZone = "UTC"
	}
	if _, err := time.LoadLocation(in.TimeZone); err != nil || strings.EqualFold(in.TimeZone, "local") {
		errs.Add("timeZone", "must be an IANA time zone such as Europe/London")
	}
	if f.Budget == nil {
		errs.Add("budget", `is required: {"amount": minor units, "currency": "usd"}`)
		return in, errs
	}
	in.Currency = strings.ToLower(strings.TrimSpace(f.Budget.Currency))
	if in.Currency == "" {
		in.Currency = "usd"
	}
	if _, ok := money.Lookup(in.Currency); !ok {
		errs.Add("budget.currency", "is not a currency we support")
	}
	switch a := f.Budget.Amount; {
	case a == nil:
		errs.Add("budget.amount", "is required (an integer in minor units: 125000 = 1,250.00)")
	case *a < 0:
		errs.Add("budget.amount", "must not be negative")
	case *a > money.MaxMinor:
		errs.Add("budget.amount", "is too large")
	default:
		in.BudgetAmount = *a
	}
	return in, errs
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
		errs.Add("budget.currency", "is not a currency we support")
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
	return in, v, errs
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
