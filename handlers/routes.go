package handlers

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/static"
	"github.com/14build/14build/store"
)

// Route is one row of the route table: who may call it is beside what it does.
type Route struct {
	Method string
	Path   string
	Access Access
	h      echo.HandlerFunc
}

type accessKind int

const (
	accessPublic accessKind = iota
	accessSignedIn
	accessBrowserSession
	accessPerm
	accessProject
	accessSOQ
)

// Access is a route's permission.
type Access struct {
	kind   accessKind
	perm   authz.Permission
	action authz.ProjectAction
}

func public() Access                         { return Access{kind: accessPublic} }
func signedIn() Access                       { return Access{kind: accessSignedIn} }
func perm(p authz.Permission) Access         { return Access{kind: accessPerm, perm: p} }
func inProject(a authz.ProjectAction) Access { return Access{kind: accessProject, action: a} }

// onSOQ is project scope reached through an SOQ's id (/api/soq/{soqId}).
func onSOQ(a authz.ProjectAction) Access { return Access{kind: accessSOQ, action: a} }

// browserSession is signed in through the session cookie, never a bearer token: what an
// API token must not do to its own account (make, list or revoke tokens, change the
// password), so a leaked token cannot entrench itself.
func browserSession() Access { return Access{kind: accessBrowserSession} }

func (a Access) String() string {
	switch a.kind {
	case accessPublic:
		return "public"
	case accessBrowserSession:
		return "signed in (browser session only)"
	case accessSignedIn:
		return "signed in"
	case accessPerm:
		return "permission " + strings.ToUpper(string(a.perm))
	case accessProject:
		return "project team: " + string(a.action)
	case accessSOQ:
		return "SOQ's project team: " + string(a.action)
	}
	return "?"
}

// Routes is the whole route table. Pages and the JSON API share handlers' logic; the API
// mirrors the seed's paths.
func (h *Handlers) Routes() []Route {
	return []Route{
		// Operations.
		{"GET", "/healthz", public(), h.healthz},
		{"GET", "/metrics", public(), h.metricsHandler()},
		{"GET", "/static/*", public(), echo.WrapHandler(static.Handler())},

		// Accounts and sessions (pages).
		{"GET", "/login", public(), h.loginPage},
		{"POST", "/login", public(), h.loginSubmit},
		{"GET", "/register", public(), h.registerPage},
		{"POST", "/register", public(), h.registerSubmit},
		{"POST", "/logout", public(), h.logout},
		{"GET", "/invitations/:token", public(), h.invitationPage},
		{"POST", "/invitations/:token", public(), h.invitationAccept},
		{"GET", "/", signedIn(), h.dashboard},
		{"GET", "/account", browserSession(), h.accountPage}, // lists the API tokens
		{"POST", "/account", browserSession(), h.accountUpdate},
		{"POST", "/account/password", browserSession(), h.accountPassword},
		{"POST", "/account/tokens", browserSession(), h.tokenCreate},
		{"POST", "/account/tokens/:tokenId/delete", browserSession(), h.tokenDelete},
		{"POST", "/account/invitations/:invId/accept", signedIn(), h.myInvitationAccept}, // the invitee only
		{"POST", "/account/invitations/:invId/decline", signedIn(), h.myInvitationDecline},

		// Projects and teams (pages).
		{"GET", "/projects", signedIn(), h.projectsPage},
		{"GET", "/projects/new", perm(authz.CreateProject), h.projectNewPage},
		{"POST", "/projects", perm(authz.CreateProject), h.projectCreate},
		{"GET", "/projects/:id", inProject(authz.ViewProject), h.projectShow},
		{"GET", "/projects/:id/edit", inProject(authz.EditProject), h.projectEditPage},
		{"POST", "/projects/:id", inProject(authz.EditProject), h.projectUpdate},
		{"GET", "/projects/:id/delete", inProject(authz.RemoveProject), h.projectDeleteConfirm},
		{"POST", "/projects/:id/delete", inProject(authz.RemoveProject), h.projectDelete},
		{"POST", "/projects/:id/transfer", inProject(authz.TransferProject), h.projectTransfer}, // administrators
		{"GET", "/projects/:id/team", inProject(authz.ViewProject), h.teamPage},
		{"POST", "/projects/:id/team", inProject(authz.ManageTeam), h.teamInvite},
		{"GET", "/projects/:id/team/:userId/remove", inProject(authz.ManageTeam), h.teamRemoveConfirm},
		{"POST", "/projects/:id/team/:userId/remove", inProject(authz.ManageTeam), h.teamRemove},
		{"POST", "/projects/:id/invitations/:invId/revoke", inProject(authz.ManageTeam), h.invitationRevoke},

		// Units and floors (pages).
		{"GET", "/projects/:id/units", inProject(authz.ViewProject), h.unitsPage},
		{"GET", "/projects/:id/units/schedule.csv", inProject(authz.ViewProject), h.unitScheduleCSV},
		{"GET", "/projects/:id/units/new", inProject(authz.EditUnits), h.unitNewPage},
		{"POST", "/projects/:id/units", inProject(authz.EditUnits), h.unitCreate},
		{"POST", "/projects/:id/units/preview", inProject(authz.EditUnits), h.unitPreview},
		{"GET", "/projects/:id/units/:unitId/edit", inProject(authz.EditUnits), h.unitEditPage},
		{"POST", "/projects/:id/units/:unitId", inProject(authz.EditUnits), h.unitUpdate},
		{"POST", "/projects/:id/units/:unitId/duplicate", inProject(authz.EditUnits), h.unitDuplicate},
		{"GET", "/projects/:id/units/:unitId/delete", inProject(authz.EditUnits), h.unitDeleteConfirm},
		{"POST", "/projects/:id/units/:unitId/delete", inProject(authz.EditUnits), h.unitDelete},

		// Schedules of quantities (pages): see soq_pages.go.
		{"GET", "/projects/:id/soq", inProject(authz.ViewProject), h.soqListPage},
		{"POST", "/projects/:id/soq", inProject(authz.EditSOQ), h.soqCreate},
		{"GET", "/projects/:id/soq/:soqId", inProject(authz.ViewProject), h.soqPage},
		{"POST", "/projects/:id/soq/:soqId/status", inProject(authz.EditSOQ), h.soqStatus},
		{"POST", "/projects/:id/soq/:soqId/sections", inProject(authz.EditSOQ), h.soqSectionAdd},
		{"GET", "/projects/:id/soq/:soqId/sections/:sectionId/rows", inProject(authz.ViewProject), h.soqRows},
		{"POST", "/projects/:id/soq/:soqId/sections/:sectionId/move", inProject(authz.EditSOQ), h.soqSectionMove},
		{"GET", "/projects/:id/soq/:soqId/sections/:sectionId/delete", inProject(authz.EditSOQ), h.soqSectionDeleteConfirm},
		{"POST", "/projects/:id/soq/:soqId/sections/:sectionId/delete", inProject(authz.EditSOQ), h.soqSectionDelete},
		{"POST", "/projects/:id/soq/:soqId/sections/:sectionId/items", inProject(authz.EditSOQ), h.soqItemAdd},
		{"GET", "/projects/:id/soq/:soqId/items/:itemId/row", inProject(authz.ViewProject), h.soqRow},
		{"GET", "/projects/:id/soq/:soqId/items/:itemId/cells/:field", inProject(authz.EditSOQ), h.soqCellEditor},
		{"POST", "/projects/:id/soq/:soqId/items/:itemId/cells/:field", inProject(authz.EditSOQ), h.soqCellSave},
		{"POST", "/projects/:id/soq/:soqId/items/:itemId/move", inProject(authz.EditSOQ), h.soqItemMove},
		{"GET", "/projects/:id/soq/:soqId/items/:itemId/delete", inProject(authz.EditSOQ), h.soqItemDeleteConfirm},
		{"POST", "/projects/:id/soq/:soqId/items/:itemId/delete", inProject(authz.EditSOQ), h.soqItemDelete},

		// SOQ import and background jobs (pages): see soq_import.go.
		{"GET", "/projects/:id/soq/:soqId/import", inProject(authz.EditSOQ), h.importPage},
		{"POST", "/projects/:id/soq/:soqId/import/upload", inProject(authz.EditSOQ), h.importUpload},
		{"GET", "/projects/:id/soq/:soqId/import/:importId", inProject(authz.EditSOQ), h.importShow},
		{"GET", "/projects/:id/soq/:soqId/import/:importId/progress", inProject(authz.EditSOQ), h.importProgress},
		{"POST", "/projects/:id/soq/:soqId/import/:importId/start", inProject(authz.EditSOQ), h.importStart},
		{"GET", "/projects/:id/jobs", inProject(authz.ViewProject), h.jobsPage},

		// Administration (pages).
		{"GET", "/admin/users", perm(authz.ManageUsers), h.adminUsersPage},
		{"GET", "/admin/users/new", perm(authz.ManageUsers), h.adminUserNewPage},
		{"POST", "/admin/users", perm(authz.ManageUsers), h.adminUserCreate},
		{"GET", "/admin/users/:uid/edit", perm(authz.ManageUsers), h.adminUserEditPage},
		{"POST", "/admin/users/:uid", perm(authz.ManageUsers), h.adminUserUpdate},
		{"GET", "/admin/users/:uid/deactivate", perm(authz.ManageUsers), h.adminUserDeactivateConfirm},
		{"POST", "/admin/users/:uid/deactivate", perm(authz.ManageUsers), h.adminUserDeactivate},

		// JSON API.
		{"POST", "/api/auth/register", public(), h.apiRegister},
		{"POST", "/api/auth/login", public(), h.apiLogin},
		{"POST", "/api/auth/logout", public(), h.apiLogout},
		{"GET", "/api/me", signedIn(), h.apiMe},
		{"GET", "/api/me/invitations", signedIn(), h.apiMyInvitations},
		{"POST", "/api/invitations/:invId/accept", signedIn(), h.apiInvitationAccept}, // the invitee only
		{"POST", "/api/invitations/:invId/decline", signedIn(), h.apiInvitationDecline},
		{"GET", "/api/categories", public(), h.apiCategories},
		{"GET", "/api/users", perm(authz.ManageUsers), h.apiUsersList},
		{"POST", "/api/users", perm(authz.ManageUsers), h.apiUserCreate},
		{"GET", "/api/users/:uid", signedIn(), h.apiUserGet}, // MANAGE_USERS, or one's own account
		{"PUT", "/api/users/:uid", perm(authz.ManageUsers), h.apiUserUpdate},
		{"DELETE", "/api/users/:uid", perm(authz.ManageUsers), h.apiUserDelete},
		{"GET", "/api/projects", signedIn(), h.apiProjectsList},
		{"POST", "/api/projects", perm(authz.CreateProject), h.apiProjectCreate},
		{"GET", "/api/projects/:id", inProject(authz.ViewProject), h.apiProjectGet},
		{"PUT", "/api/projects/:id", inProject(authz.EditProject), h.apiProjectUpdate},
		{"DELETE", "/api/projects/:id", inProject(authz.RemoveProject), h.apiProjectDelete},
		{"POST", "/api/projects/:id/transfer", inProject(authz.TransferProject), h.apiProjectTransfer}, // administrators
		{"GET", "/api/projects/:id/team", inProject(authz.ViewProject), h.apiTeamList},
		{"POST", "/api/projects/:id/team", inProject(authz.ManageTeam), h.apiTeamInvite},
		{"DELETE", "/api/projects/:id/team/:userId", inProject(authz.ManageTeam), h.apiTeamRemove},
		// Schedules of quantities (API).
		{"GET", "/api/soq", signedIn(), h.apiSOQList}, // ?projectId=: that project's team
		{"POST", "/api/soq", perm(authz.CreateSOQ), h.apiSOQCreate},
		{"GET", "/api/soq/:soqId", onSOQ(authz.ViewProject), h.apiSOQGet},
		{"PUT", "/api/soq/:soqId", onSOQ(authz.EditSOQ), h.apiSOQReplace},
		{"DELETE", "/api/soq/:soqId", onSOQ(authz.EditSOQ), h.apiSOQDelete},
		{"POST", "/api/soq/:soqId/sections", onSOQ(authz.EditSOQ), h.apiSectionAdd},
		{"DELETE", "/api/soq/:soqId/sections/:sectionId", onSOQ(authz.EditSOQ), h.apiSectionDelete},
		{"POST", "/api/soq/:soqId/sections/:sectionId/items", onSOQ(authz.EditSOQ), h.apiItemAdd},
		{"GET", "/api/soq/:soqId/items/:itemId", onSOQ(authz.ViewProject), h.apiItemGet},
		{"PATCH", "/api/soq/:soqId/items/:itemId", onSOQ(authz.EditSOQ), h.apiItemPatch},
		{"DELETE", "/api/soq/:soqId/items/:itemId", onSOQ(authz.EditSOQ), h.apiItemDelete},
		// SOQ export, import and background jobs (API): see soq_import.go.
		{"GET", "/api/soq/:soqId/export.xlsx", onSOQ(authz.ViewProject), h.apiSOQExportXLSX},
		{"GET", "/api/soq/:soqId/export.csv", onSOQ(authz.ViewProject), h.apiSOQExportCSV},

		{"GET", "/api/projects/:id/units", inProject(authz.ViewProject), h.apiUnitsList},
		{"POST", "/api/projects/:id/units", inProject(authz.EditUnits), h.apiUnitsCreate},
		{"GET", "/api/projects/:id/units/schedule", inProject(authz.ViewProject), h.apiUnitSchedule},
		{"GET", "/api/projects/:id/units/:unitId", inProject(authz.ViewProject), h.apiUnitGet},
		{"PUT", "/api/projects/:id/units/:unitId", inProject(authz.EditUnits), h.apiUnitUpdate},
		{"DELETE", "/api/projects/:id/units/:unitId", inProject(authz.EditUnits), h.apiUnitDelete},
		{"POST", "/api/projects/:id/units/:unitId/duplicate", inProject(authz.EditUnits), h.apiUnitDuplicate},
	}
}

func (h *Handlers) routes(e *echo.Echo) {
	for _, r := range h.Routes() {
		e.Add(r.Method, r.Path, h.guard(r.Access, r.h))
	}
}

// RouteTable prints the route table (used by `14build -routes` and the README).
func RouteTable() string {
	var b strings.Builder
	rs := (&Handlers{}).Routes()
	slices.SortStableFunc(rs, func(a, b Route) int { return strings.Compare(a.Path, b.Path) })
	for _, r := range rs {
		fmt.Fprintf(&b, "%-7s %-45s %s\n", r.Method, r.Path, r.Access)
	}
	return b.String()
}

const (
	projectKey    = "project"
	membershipKey = "membership"
	soqKey        = "soq"
)

// guard enforces a route's Access before its handler runs. Outside a project's team the
// answer is 404, never 403, so project ids do not leak.
func (h *Handlers) guard(a Access, next echo.HandlerFunc) echo.HandlerFunc {
	if a.kind == accessPublic {
		return next
	}
	return func(c echo.Context) error {
		u := currentUser(c)
		if u == nil {
			return errUnauthorized()
		}
		if err := checkIDs(c); err != nil {
			return err
		}
		switch a.kind {
		case accessBrowserSession:
			if via, _ := c.Get(viaKey).(string); via != "session" {
				return &appError{Status: http.StatusForbidden, Message: "This needs a signed-in browser session: an API token cannot manage API tokens or change the password."}
			}
		case accessPerm:
			if !authz.Can(u.Role, a.perm) {
				return errForbidden()
			}
		case accessProject, accessSOQ:
			projectID := c.Param("id")
			if a.kind == accessSOQ {
				q, err := h.st.SOQHeader(c.Request().Context(), c.Param("soqId"))
				if err != nil {
					return err
				}
				c.Set(soqKey, &q)
				projectID = q.ProjectID
			}
			p, m, err := h.st.ProjectFor(c.Request().Context(), projectID, u.ID)
			if err != nil {
				return err
			}
			if !authz.CanInProject(u.Role, m, authz.ViewProject) {
				return errNotFound()
			}
			if !authz.CanInProject(u.Role, m, a.action) {
				return errForbidden()
			}
			c.Set(projectKey, &p)
			c.Set(membershipKey, m)
		}
		return next(c)
	}
}

func currentProject(c echo.Context) *store.Project {
	p, _ := c.Get(projectKey).(*store.Project)
	return p
}

func currentMembership(c echo.Context) authz.Membership {
	m, _ := c.Get(membershipKey).(authz.Membership)
	return m
}

func (h *Handlers) healthz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := h.st.Ping(ctx); err != nil {
		Logger(c.Request().Context(), h.log).Error("health check: database unreachable", "err", err.Error())
		c.Response().Header().Set("Retry-After", retryAfterUnavailable)
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": "unreachable"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok", "database": "ok"})
}
