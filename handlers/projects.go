package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/field"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/project"
	"github.com/14build/14build/store"
	"github.com/14build/14build/views"
)

const projectsPerPage = 25

// listQuery reads ?status=&q=&page=&perPage=; an unknown status is a field error.
func listQuery(c echo.Context, defaultPer int) (store.ProjectFilter, field.Errors) {
	page, per, errs := parsePage(c, defaultPer, 200)
	f := store.ProjectFilter{Status: project.Status(c.QueryParam("status")), Query: c.QueryParam("q"), Page: page, PerPage: per}
	if f.Status != "" && !f.Status.Valid() {
		errs.Add("status", "must be one of "+project.Names())
	}
	if len(f.Query) > 200 {
		errs.Add("q", "must be at most 200 characters")
	}
	return f, errs
}

// viewerScope is which projects u's lists show: an administrator every project; a role that
// works in projects those whose team u is on; others (bidders) none, whatever team rows
// remain, since rights follow the current role.
func viewerScope(u store.User) store.ProjectScope {
	switch {
	case !authz.CanSeeProjects(u.Role):
		return store.ProjectScope{}
	case u.Role == authz.RoleAdmin:
		return store.ProjectScope{All: true}
	}
	return store.ProjectScope{UserID: u.ID}
}

func (h *Handlers) projectsPage(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	f, errs := listQuery(c, projectsPerPage)
	if len(errs) > 0 {
		// A hand-edited URL: show the unfiltered list rather than an error page.
		f = store.ProjectFilter{Page: 1, PerPage: projectsPerPage, Query: f.Query}
		if len(f.Query) > 200 {
			f.Query = ""
		}
	}
	ps, total, err := h.st.ListProjects(ctx, viewerScope(*u), f)
	if err != nil {
		return err
	}
	counts, err := h.st.ProjectStatusCounts(ctx, viewerScope(*u))
	if err != nil {
		return err
	}
	l := views.ProjectList{Projects: ps, Counts: counts, Status: f.Status, Query: f.Query,
		Pager: views.Pager{Page: f.Page, PerPage: f.PerPage, Total: total, URL: func(n int) string {
			return projectsListURL(string(f.Status), f.Query, n)
		}}}
	p := h.page(c, "Projects")
	return render(c, http.StatusOK, views.ProjectsPage(p, l), views.ProjectsRegion(p, l))
}

func projectsListURL(status, q string, page int) string {
	u := paths.Projects() + "?status=" + urlQueryEscape(status)
	if q != "" {
		u += "&q=" + urlQueryEscape(q)
	}
	return u + "&page=" + strconv.Itoa(page)
}

func (h *Handlers) projectNewPage(c echo.Context) error {
	v, err := h.newProjectValues(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	return h.renderProjectForm(c, http.StatusOK, newProjectForm(v, nil))
}

func (h *Handlers) projectCreate(c echo.Context) error {
	in, v, errs := projectFromPage(c)
	if errs.Any() {
		return h.refuseProjectForm(c, newProjectForm(v, errs))
	}
	pr, err := h.createProject(c.Request().Context(), currentUser(c).ID, in)
	if errors.Is(err, store.ErrCodeTaken) {
		return h.refuseProjectForm(c, newProjectForm(v, field.Errors{"code": "This code is already used by another of your projects."}))
	}
	if err != nil {
		return err
	}
	h.flash(c, "Project created. Invite your team next.")
	return redirect(c, paths.Project(pr.ID))
}

// createProject creates a project owned by ownerID, if the account may own projects. Its
// role is read again under a share lock: a role change (which locks the account for update
// and counts its projects) cannot slip between the route's permission check and the insert.
// An account that may no longer own projects is answered as not found: the request was
// allowed a moment ago, and this is that race.
func (h *Handlers) createProject(ctx context.Context, ownerID string, in store.ProjectInput) (store.Project, error) {
	var id string
	err := h.st.WithTx(ctx, func(tx *store.Tx) error {
		owner, err := tx.ShareLockUser(ctx, ownerID)
		if err != nil {
			return err
		}
		if !owner.Active || !owner.Role.CanOwnProjects() {
			return store.ErrNotFound
		}
		id, err = tx.CreateProject(ctx, ownerID, in)
		return err
	})
	if err != nil {
		return store.Project{}, err
	}
	p, _, err := h.st.ProjectFor(ctx, id, ownerID)
	return p, err
}

func (h *Handlers) projectShow(c echo.Context) error {
	ctx := c.Request().Context()
	pr := currentProject(c)
	teams, err := h.st.TeamMembers(ctx, []string{pr.ID})
	if err != nil {
		return err
	}
	units, err := h.st.Units(ctx, pr.ID)
	if err != nil {
		return err
	}
	contracts, err := h.st.ContractsOfProject(ctx, pr.ID)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.ProjectShowPage(h.page(c, pr.Name), views.ProjectView{Project: *pr, Team: teams[pr.ID], Units: units, Contracts: contracts}), nil)
}

func (h *Handlers) projectEditPage(c echo.Context) error {
	pr := currentProject(c)
	return h.renderProjectForm(c, http.StatusOK, editProjectForm(pr, views.ProjectValuesOf(*pr), nil))
}

func (h *Handlers) projectUpdate(c echo.Context) error {
	pr := currentProject(c)
	in, v, errs := projectFromPage(c)
	if errs.Any() {
		return h.refuseProjectForm(c, editProjectForm(pr, v, errs))
	}
	err := h.st.UpdateProject(c.Request().Context(), pr.ID, in)
	if errors.Is(err, store.ErrCodeTaken) {
		return h.refuseProjectForm(c, editProjectForm(pr, v, field.Errors{"code": "This code is already used by another of the owner's projects."}))
	}
	if err != nil {
		return err
	}
	h.flash(c, "Project saved.")
	return redirect(c, paths.Project(pr.ID))
}

func (h *Handlers) projectDeleteConfirm(c echo.Context) error {
	pr := currentProject(c)
	return render(c, http.StatusOK, views.Confirm(h.page(c, "Delete "+pr.Name), views.ConfirmParams{
		Title:   "Delete " + pr.Name + "?",
		Message: "This removes the project with its team, invitations and units. It cannot be undone.",
		Action:  paths.ProjectDelete(pr.ID), Button: "Delete project", Cancel: paths.Project(pr.ID),
	}), nil)
}

// projectDeleteError answers a refused deletion: a project with a contract stays (409).
func projectDeleteError(err error) error {
	if errors.Is(err, store.ErrProjectHasContract) {
		return &appError{Status: http.StatusConflict, Message: "This project has an awarded tender and its contract: it cannot be deleted."}
	}
	return err
}

func (h *Handlers) projectDelete(c echo.Context) error {
	pr := currentProject(c)
	if err := h.st.DeleteProject(c.Request().Context(), pr.ID); err != nil {
		return projectDeleteError(err)
	}
	h.flash(c, "Project "+pr.Name+" deleted.")
	return redirect(c, paths.Projects())
}

// API

type projectJSON struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Code        string         `json:"code"`
	Address     string         `json:"address"`
	Status      project.Status `json:"status"`
	Budget      moneyOut       `json:"budget"`
	TimeZone    string         `json:"timeZone"`
	OwnerID     string         `json:"ownerId"`
	Owner       ownerJSON      `json:"owner"`
	TeamMembers []memberJSON   `json:"teamMembers"`
	Units       []unitOut      `json:"units"` // with their floors; [] until units exist
	UnitCount   int            `json:"unitCount"`
	CreatedAt   time.Time      `json:"createdAt"`
	UpdatedAt   time.Time      `json:"updatedAt"`
}

type moneyOut struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

type ownerJSON struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Email  string `json:"email"`
	Entity string `json:"entity"`
}

type memberJSON struct {
	UserID   string         `json:"userId"`
	Role     authz.TeamRole `json:"role"`
	JoinedAt time.Time      `json:"joinedAt"`
	User     userJSON       `json:"user"`
}

func toProjectJSON(p store.Project, team []store.Member) projectJSON {
	j := projectJSON{ID: p.ID, Name: p.Name, Code: p.Code, Address: p.Address, Status: p.Status,
		Budget: moneyOut{Amount: p.BudgetAmount, Currency: p.Currency}, TimeZone: p.TimeZone, OwnerID: p.OwnerID,
		Owner:       ownerJSON{ID: p.OwnerID, Name: p.OwnerName, Email: p.OwnerEmail, Entity: p.OwnerEntity},
		TeamMembers: make([]memberJSON, 0, len(team)), UnitCount: p.UnitCount,
		CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC()}
	for _, m := range team {
		j.TeamMembers = append(j.TeamMembers, memberJSON{UserID: m.ID, Role: m.TeamRole, JoinedAt: m.JoinedAt.UTC(), User: toUserJSON(m.User)})
	}
	return j
}

// apiProjectsList is one page of the viewer's projects, each with its owner, its units (with
// floors) and its team (with each member's account): five queries whatever the page size
// (the session with its user, the page, units, floors, team).
func (h *Handlers) apiProjectsList(c echo.Context) error {
	f, errs := listQuery(c, 50)
	if len(errs) > 0 {
		return errInvalid(errs)
	}
	ps, total, err := h.st.ListProjectDetails(c.Request().Context(), viewerScope(*currentUser(c)), f)
	if err != nil {
		return err
	}
	if ps == nil {
		ps = []store.ProjectDetail{} // "projects": [], not null
	}
	return writeProjectsPage(c, projectsPage{Projects: ps, Page: f.Page, PerPage: f.PerPage, Total: total})
}

func (h *Handlers) apiProjectCreate(c echo.Context) error {
	var f projectForm
	if err := decodeJSON(c, &f); err != nil {
		return err
	}
	in, errs := f.validate()
	if len(errs) > 0 {
		return errInvalid(errs)
	}
	ctx := c.Request().Context()
	pr, err := h.createProject(ctx, currentUser(c).ID, in)
	if errors.Is(err, store.ErrCodeTaken) {
		return errInvalid(field.Errors{"code": "is already used by another of your projects"})
	}
	if err != nil {
		return err
	}
	return h.writeProject(c, http.StatusCreated, pr)
}

func (h *Handlers) writeProject(c echo.Context, status int, pr store.Project) error {
	ctx := c.Request().Context()
	teams, err := h.st.TeamMembers(ctx, []string{pr.ID})
	if err != nil {
		return err
	}
	units, err := h.st.Units(ctx, pr.ID)
	if err != nil {
		return err
	}
	j := toProjectJSON(pr, teams[pr.ID])
	j.Units = toUnitsJSON(units)
	return c.JSON(status, j)
}

func (h *Handlers) apiProjectGet(c echo.Context) error {
	return h.writeProject(c, http.StatusOK, *currentProject(c))
}

func (h *Handlers) apiProjectUpdate(c echo.Context) error {
	pr := currentProject(c)
	var f projectForm
	if err := decodeJSON(c, &f); err != nil {
		return err
	}
	in, errs := f.validate()
	if len(errs) > 0 {
		return errInvalid(errs)
	}
	ctx := c.Request().Context()
	err := h.st.UpdateProject(ctx, pr.ID, in)
	if errors.Is(err, store.ErrCodeTaken) {
		return errInvalid(field.Errors{"code": "is already used by another of the owner's projects"})
	}
	if err != nil {
		return err
	}
	updated, _, err := h.st.ProjectFor(ctx, pr.ID, currentUser(c).ID)
	if err != nil {
		return err
	}
	return h.writeProject(c, http.StatusOK, updated)
}

func (h *Handlers) apiProjectDelete(c echo.Context) error {
	if err := h.st.DeleteProject(c.Request().Context(), currentProject(c).ID); err != nil {
		return projectDeleteError(err)
	}
	return c.NoContent(http.StatusNoContent)
}
