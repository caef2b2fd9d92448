package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/field"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/static"
	"github.com/14build/14build/store"
)

// Route is one row of the route table: who may call it is beside what it does. Its path
// is its name's pattern (package paths), which is also where links to it are built.
type Route struct {
	Method string
	Name   paths.Name
	Access Access
	h      echo.HandlerFunc
}

// Path is the route's path pattern.
func (r Route) Path() string { return r.Name.Pattern() }

type accessKind int

const (
	accessPublic accessKind = iota
	accessSignedIn
	accessBrowserSession
	accessPerm
	accessProject
	accessSOQ
	accessQueryProject
	accessQueryProjectOrBidder
	accessBodyProject
	accessSelfOr
	accessTender
	accessTenderBidder
	accessContract
)

// Access is a route's permission.
type Access struct {
	kind    accessKind
	perm    authz.Permission
	action  authz.ProjectAction
	maxBody int64 // accessBodyProject: the body's limit
	party   contractParty
}

// contractParty is which side of a contract a route is for.
type contractParty int

const (
	// contractEither: the project's team (view) or a bidder of the contractor's company.
	contractEither contractParty = iota
	// contractOwner: the project's owner (authz.ManageMoney); the contractor gets 403.
	contractOwner
	// contractContractor: a bidder of the contractor's company; the team gets 403.
	contractContractor
)

// onContract is a contract's route reached through :contractId, :milestoneId or :escrowId:
// the tender's project team or the contractor's bidders, as party says. To anyone else the
// contract does not exist (404). The contract is in the context (currentContract), and for
// the team the project too.
func onContract(party contractParty) Access {
	a := Access{kind: accessContract, action: authz.ViewProject, party: party}
	if party == contractOwner {
		a.action = authz.ManageMoney
	}
	return a
}

func public() Access                         { return Access{kind: accessPublic} }
func signedIn() Access                       { return Access{kind: accessSignedIn} }
func perm(p authz.Permission) Access         { return Access{kind: accessPerm, perm: p} }
func inProject(a authz.ProjectAction) Access { return Access{kind: accessProject, action: a} }

// onSOQ is project scope reached through an SOQ's id (/api/soq/{soqId}).
func onSOQ(a authz.ProjectAction) Access { return Access{kind: accessSOQ, action: a} }

// queryProject is project scope for a route that names its project in ?projectId=
// (GET /api/soq?projectId=).
func queryProject(a authz.ProjectAction) Access { return Access{kind: accessQueryProject, action: a} }

// queryProjectOrBidder is queryProject, except that a bidder who names no project passes
// on its own: the route then answers with what is open to that bidder (GET /api/tenders).
func queryProjectOrBidder(a authz.ProjectAction) Access {
	return Access{kind: accessQueryProjectOrBidder, action: a}
}

// bodyProject is project scope for a route whose JSON body names its project in
// "projectId" (POST /api/soq): the role permission p first (403 without it), then a in the
// project. The body (at most maxBody bytes) is read once here and handed on unread.
func bodyProject(p authz.Permission, a authz.ProjectAction, maxBody int64) Access {
	return Access{kind: accessBodyProject, perm: p, action: a, maxBody: maxBody}
}

// onTender is project scope reached through a tender's id (/api/tenders/{tenderId}): the
// tender's project team, with the role permission p when one is given (403 without it).
// With authz.ViewProject and no p, a bidder the tender is open to may read it too; to any
// other outsider the tender does not exist (404).
func onTender(p authz.Permission, a authz.ProjectAction) Access {
	return Access{kind: accessTender, perm: p, action: a}
}

// bidderOn is a tender route for bidders only (/api/tenders/{tenderId}/intent, a bid): the
// role permission p (403 without it, so the team gets 403), and the tender open to this
// bidder (404 otherwise: a bidder never learns of a tender not open to it). The tender is
// in the context (currentTender); there is no project in it.
func bidderOn(p authz.Permission) Access { return Access{kind: accessTenderBidder, perm: p} }

// selfOr is the account named in :uid when it is the caller's own, or any account with
// the permission p; anyone else's account is a 404 (not 403), so account ids do not leak.
func selfOr(p authz.Permission) Access { return Access{kind: accessSelfOr, perm: p} }

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
	case accessQueryProject:
		return "?projectId's team: " + string(a.action)
	case accessQueryProjectOrBidder:
		return "?projectId's team: " + string(a.action) + "; without ?projectId, a bidder (its own)"
	case accessBodyProject:
		return "permission " + strings.ToUpper(string(a.perm)) + ", body projectId's team: " + string(a.action)
	case accessTender:
		if a.perm != "" {
			return "permission " + strings.ToUpper(string(a.perm)) + ", tender's project team: " + string(a.action)
		}
		return "tender's project team: " + string(a.action) + ", or a bidder it is open to"
	case accessTenderBidder:
		return "permission " + strings.ToUpper(string(a.perm)) + ", a bidder the tender is open to"
	case accessSelfOr:
		return "own account, or permission " + strings.ToUpper(string(a.perm))
	case accessContract:
		switch a.party {
		case contractOwner:
			return "contract's project owner"
		case contractContractor:
			return "contractor's bidders"
		}
		return "contract's project team, or the contractor's bidders"
	}
	return "?"
}

// Routes is the whole route table. Pages and the JSON API share handlers' logic; the API
// mirrors the seed's paths.
func (h *Handlers) Routes() []Route {
	return slices.Concat(h.baseRoutes(),
		h.tenderTalkRoutes(),     // intent, addenda, questions: tender_talk.go
		h.tenderPDFRoutes(),      // the printable tender document: tender_pdf.go
		h.bidRoutes(),            // bids, leveling, award, contracts, activity: bids.go
		h.tenderTeamPageRoutes(), // the team's tender pages: tender_pages.go
		h.bidderPageRoutes(),     // the bidder's board and bid page: bid_pages.go
		h.levelingPageRoutes(),   // the leveling page and award: leveling_pages.go
		h.eventRoutes(),          // live updates, /events and /api/events: events.go
		h.bidPDFRoutes(),         // priced bids as PDFs: bid_pdf.go
		h.tenderPrintRoutes(),    // the tender's HTML print view: tender_print.go
		h.levelingPDFRoutes(),    // the leveling sheet as a PDF: leveling_pdf.go
		h.escrowAPIRoutes(),      // milestones, escrow, ledger, Stripe's webhook: escrow_api.go
		h.contractPageRoutes(),   // contract, milestone and ledger pages: contract_pages.go
		h.draftingRoutes(),       // drafting helpers, work packages: drafting.go
		h.mailRoutes(),           // mailbox, outbox, password reset: mail.go
		[]Route{{"GET", paths.NameTender, onTender("", authz.ViewProject), h.tenderPage}},
	)
}

func (h *Handlers) baseRoutes() []Route {
	return []Route{
		// Operations.
		{"GET", paths.NameHealthz, public(), h.healthz},
		{"GET", paths.NameMetrics, public(), h.metricsHandler()},
		{"GET", paths.NameStatic, public(), echo.WrapHandler(static.Handler())},

		// Accounts and sessions (pages).
		{"GET", paths.NameLogin, public(), h.loginPage},
		{"POST", paths.NameLogin, public(), h.loginSubmit},
		{"GET", paths.NameRegister, public(), h.registerPage},
		{"POST", paths.NameRegister, public(), h.registerSubmit},
		{"POST", paths.NameLogout, public(), h.logout},
		{"GET", paths.NameInvitation, public(), h.invitationPage},
		{"POST", paths.NameInvitation, public(), h.invitationAccept},
		{"GET", paths.NameDashboard, signedIn(), h.dashboard},
		{"GET", paths.NameAccount, browserSession(), h.accountPage}, // lists the API tokens
		{"POST", paths.NameAccount, browserSession(), h.accountUpdate},
		{"POST", paths.NameAccountPassword, browserSession(), h.accountPassword},
		{"POST", paths.NameAccountTokens, browserSession(), h.tokenCreate},
		{"POST", paths.NameAccountTokenDelete, browserSession(), h.tokenDelete},
		{"POST", paths.NameAccountInvitationAccept, signedIn(), h.myInvitationAccept}, // the invitee only
		{"POST", paths.NameAccountInvitationDecline, signedIn(), h.myInvitationDecline},

		// Projects and teams (pages).
		{"GET", paths.NameProjects, signedIn(), h.projectsPage},
		{"GET", paths.NameProjectNew, perm(authz.CreateProject), h.projectNewPage},
		{"POST", paths.NameProjects, perm(authz.CreateProject), h.projectCreate},
		{"GET", paths.NameProject, inProject(authz.ViewProject), h.projectShow},
		{"GET", paths.NameProjectEdit, inProject(authz.EditProject), h.projectEditPage},
		{"POST", paths.NameProject, inProject(authz.EditProject), h.projectUpdate},
		{"GET", paths.NameProjectDelete, inProject(authz.RemoveProject), h.projectDeleteConfirm},
		{"POST", paths.NameProjectDelete, inProject(authz.RemoveProject), h.projectDelete},
		{"POST", paths.NameProjectTransfer, inProject(authz.TransferProject), h.projectTransfer}, // administrators
		{"GET", paths.NameTeam, inProject(authz.ViewProject), h.teamPage},
		{"POST", paths.NameTeam, inProject(authz.ManageTeam), h.teamInvite},
		{"GET", paths.NameTeamRemove, inProject(authz.ManageTeam), h.teamRemoveConfirm},
		{"POST", paths.NameTeamRemove, inProject(authz.ManageTeam), h.teamRemove},
		{"POST", paths.NameInvitationRevoke, inProject(authz.ManageTeam), h.invitationRevoke},

		// Units and floors (pages).
		{"GET", paths.NameUnits, inProject(authz.ViewProject), h.unitsPage},
		{"GET", paths.NameUnitsSchedule, inProject(authz.ViewProject), h.unitScheduleCSV},
		{"GET", paths.NameUnitNew, inProject(authz.EditUnits), h.unitNewPage},
		{"POST", paths.NameUnits, inProject(authz.EditUnits), h.unitCreate},
		{"POST", paths.NameUnitPreview, inProject(authz.EditUnits), h.unitPreview},
		{"GET", paths.NameUnitEdit, inProject(authz.EditUnits), h.unitEditPage},
		{"POST", paths.NameUnit, inProject(authz.EditUnits), h.unitUpdate},
		{"POST", paths.NameUnitDuplicate, inProject(authz.EditUnits), h.unitDuplicate},
		{"GET", paths.NameUnitDelete, inProject(authz.EditUnits), h.unitDeleteConfirm},
		{"POST", paths.NameUnitDelete, inProject(authz.EditUnits), h.unitDelete},

		// Schedules of quantities (pages): see soq_pages.go.
		{"GET", paths.NameSOQs, inProject(authz.ViewProject), h.soqListPage},
		{"POST", paths.NameSOQs, inProject(authz.EditSOQ), h.soqCreate},
		{"GET", paths.NameSOQ, inProject(authz.ViewProject), h.soqPage},
		{"POST", paths.NameSOQStatus, inProject(authz.EditSOQ), h.soqStatus},
		{"POST", paths.NameSOQSections, inProject(authz.EditSOQ), h.soqSectionAdd},
		{"GET", paths.NameSOQSectionRows, inProject(authz.ViewProject), h.soqRows},
		{"POST", paths.NameSOQSectionMove, inProject(authz.EditSOQ), h.soqSectionMove},
		{"GET", paths.NameSOQSectionDelete, inProject(authz.EditSOQ), h.soqSectionDeleteConfirm},
		{"POST", paths.NameSOQSectionDelete, inProject(authz.EditSOQ), h.soqSectionDelete},
		{"POST", paths.NameSOQSectionItems, inProject(authz.EditSOQ), h.soqItemAdd},
		{"GET", paths.NameSOQItemRow, inProject(authz.ViewProject), h.soqRow},
		{"GET", paths.NameSOQItemCell, inProject(authz.EditSOQ), h.soqCellEditor},
		{"POST", paths.NameSOQItemCell, inProject(authz.EditSOQ), h.soqCellSave},
		{"POST", paths.NameSOQItemMove, inProject(authz.EditSOQ), h.soqItemMove},
		{"GET", paths.NameSOQItemDelete, inProject(authz.EditSOQ), h.soqItemDeleteConfirm},
		{"POST", paths.NameSOQItemDelete, inProject(authz.EditSOQ), h.soqItemDelete},

		// SOQ import and background jobs (pages): see soq_import.go.
		{"GET", paths.NameImports, inProject(authz.EditSOQ), h.importPage},
		{"POST", paths.NameImportUpload, inProject(authz.EditSOQ), h.importUpload},
		{"GET", paths.NameImport, inProject(authz.EditSOQ), h.importShow},
		{"GET", paths.NameImportProgress, inProject(authz.EditSOQ), h.importProgress},
		{"POST", paths.NameImportStart, inProject(authz.EditSOQ), h.importStart},
		{"POST", paths.NameImportCheck, inProject(authz.EditSOQ), h.importCheck},
		{"POST", paths.NameImportValidRows, inProject(authz.EditSOQ), h.importValidRows},
		{"GET", paths.NameImportRefusedCSV, inProject(authz.EditSOQ), h.importRefusedCSV},
		{"GET", paths.NameJobs, inProject(authz.ViewProject), h.jobsPage},

		// Administration (pages).
		{"GET", paths.NameAdminUsers, perm(authz.ManageUsers), h.adminUsersPage},
		{"GET", paths.NameAdminUserNew, perm(authz.ManageUsers), h.adminUserNewPage},
		{"POST", paths.NameAdminUsers, perm(authz.ManageUsers), h.adminUserCreate},
		{"GET", paths.NameAdminUserEdit, perm(authz.ManageUsers), h.adminUserEditPage},
		{"POST", paths.NameAdminUser, perm(authz.ManageUsers), h.adminUserUpdate},
		{"GET", paths.NameAdminUserDeactivate, perm(authz.ManageUsers), h.adminUserDeactivateConfirm},
		{"POST", paths.NameAdminUserDeactivate, perm(authz.ManageUsers), h.adminUserDeactivate},

		// JSON API.
		{"POST", paths.NameAPIRegister, public(), h.apiRegister},
		{"POST", paths.NameAPILogin, public(), h.apiLogin},
		{"POST", paths.NameAPILogout, public(), h.apiLogout},
		{"GET", paths.NameAPIMe, signedIn(), h.apiMe},
		{"GET", paths.NameAPIMyInvitations, signedIn(), h.apiMyInvitations},
		{"POST", paths.NameAPIInvitationAccept, signedIn(), h.apiInvitationAccept}, // the invitee only
		{"POST", paths.NameAPIInvitationDecline, signedIn(), h.apiInvitationDecline},
		{"GET", paths.NameAPICategories, public(), h.apiCategories},
		{"GET", paths.NameAPIUsers, perm(authz.ManageUsers), h.apiUsersList},
		{"POST", paths.NameAPIUsers, perm(authz.ManageUsers), h.apiUserCreate},
		{"GET", paths.NameAPIUser, selfOr(authz.ManageUsers), h.apiUserGet},
		{"PUT", paths.NameAPIUser, perm(authz.ManageUsers), h.apiUserUpdate},
		{"DELETE", paths.NameAPIUser, perm(authz.ManageUsers), h.apiUserDelete},
		{"GET", paths.NameAPIProjects, signedIn(), h.apiProjectsList},
		{"POST", paths.NameAPIProjects, perm(authz.CreateProject), h.apiProjectCreate},
		{"GET", paths.NameAPIProject, inProject(authz.ViewProject), h.apiProjectGet},
		{"PUT", paths.NameAPIProject, inProject(authz.EditProject), h.apiProjectUpdate},
		{"DELETE", paths.NameAPIProject, inProject(authz.RemoveProject), h.apiProjectDelete},
		{"POST", paths.NameAPIProjectTransfer, inProject(authz.TransferProject), h.apiProjectTransfer}, // administrators
		{"GET", paths.NameAPITeam, inProject(authz.ViewProject), h.apiTeamList},
		{"POST", paths.NameAPITeam, inProject(authz.ManageTeam), h.apiTeamInvite},
		{"DELETE", paths.NameAPITeamMember, inProject(authz.ManageTeam), h.apiTeamRemove},
		// Schedules of quantities (API).
		{"GET", paths.NameAPISOQs, queryProject(authz.ViewProject), h.apiSOQList},
		{"POST", paths.NameAPISOQs, bodyProject(authz.CreateSOQ, authz.EditSOQ, maxSOQBody), h.apiSOQCreate},
		{"GET", paths.NameAPISOQ, onSOQ(authz.ViewProject), h.apiSOQGet},
		{"PUT", paths.NameAPISOQ, onSOQ(authz.EditSOQ), h.apiSOQReplace},
		{"DELETE", paths.NameAPISOQ, onSOQ(authz.EditSOQ), h.apiSOQDelete},
		{"POST", paths.NameAPISOQSections, onSOQ(authz.EditSOQ), h.apiSectionAdd},
		{"DELETE", paths.NameAPISOQSection, onSOQ(authz.EditSOQ), h.apiSectionDelete},
		{"POST", paths.NameAPISOQSectionItems, onSOQ(authz.EditSOQ), h.apiItemAdd},
		{"GET", paths.NameAPISOQItem, onSOQ(authz.ViewProject), h.apiItemGet},
		{"PATCH", paths.NameAPISOQItem, onSOQ(authz.EditSOQ), h.apiItemPatch},
		{"PATCH", paths.NameAPISOQItems, onSOQ(authz.EditSOQ), h.apiItemsPaste}, // a paste: many cells at once
		{"DELETE", paths.NameAPISOQItem, onSOQ(authz.EditSOQ), h.apiItemDelete},
		// SOQ export, import and background jobs (API): see soq_import.go.
		{"GET", paths.NameAPISOQExportXLSX, onSOQ(authz.ViewProject), h.apiSOQExportXLSX},
		{"GET", paths.NameAPISOQExportCSV, onSOQ(authz.ViewProject), h.apiSOQExportCSV},

		// Tenders (API): see tenders.go.
		{"GET", paths.NameAPITenders, queryProjectOrBidder(authz.ViewProject), h.apiTenderIndex},
		{"POST", paths.NameAPITenders, bodyProject(authz.CreateTender, authz.EditSOQ, maxTenderBody), h.apiTenderCreate},
		{"GET", paths.NameAPITender, onTender("", authz.ViewProject), h.apiTenderGet},
		{"PUT", paths.NameAPITender, onTender(authz.CreateTender, authz.EditSOQ), h.apiTenderUpdate},
		{"DELETE", paths.NameAPITender, onTender(authz.CreateTender, authz.EditSOQ), h.apiTenderDelete},
		{"POST", paths.NameAPITenderOpen, onTender(authz.CreateTender, authz.EditSOQ), h.apiTenderOpen},
		{"POST", paths.NameAPITenderClose, onTender(authz.CreateTender, authz.EditSOQ), h.apiTenderClose},
		{"POST", paths.NameAPITenderCancel, onTender(authz.CreateTender, authz.EditSOQ), h.apiTenderCancel},

		{"GET", paths.NameAPIUnits, inProject(authz.ViewProject), h.apiUnitsList},
		{"POST", paths.NameAPIUnits, inProject(authz.EditUnits), h.apiUnitsCreate},
		{"GET", paths.NameAPIUnitsSchedule, inProject(authz.ViewProject), h.apiUnitSchedule},
		{"GET", paths.NameAPIUnit, inProject(authz.ViewProject), h.apiUnitGet},
		{"PUT", paths.NameAPIUnit, inProject(authz.EditUnits), h.apiUnitUpdate},
		{"DELETE", paths.NameAPIUnit, inProject(authz.EditUnits), h.apiUnitDelete},
		{"POST", paths.NameAPIUnitDuplicate, inProject(authz.EditUnits), h.apiUnitDuplicate},
	}
}

func (h *Handlers) routes(e *echo.Echo) {
	for _, r := range h.Routes() {
		e.Add(r.Method, r.Path(), h.guard(r.Access, r.h)).Name = string(r.Name)
	}
}

// RouteTable prints the route table with each route's name (used by `14build -routes` and
// the README).
func RouteTable() string {
	var b strings.Builder
	rs := (&Handlers{}).Routes()
	slices.SortStableFunc(rs, func(a, b Route) int { return strings.Compare(a.Path(), b.Path()) })
	for _, r := range rs {
		fmt.Fprintf(&b, "%-7s %-52s %-27s %s\n", r.Method, r.Path(), r.Name, r.Access)
	}
	return b.String()
}

const (
	contractKey   = "contract"
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
		case accessSelfOr:
			if c.Param("uid") != u.ID && !authz.Can(u.Role, a.perm) {
				return errNotFound()
			}
		case accessTenderBidder:
			if !authz.Can(u.Role, a.perm) {
				return errForbidden()
			}
			t, err := h.st.Tender(c.Request().Context(), c.Param("tenderId"))
			if err != nil {
				return err
			}
			if !openToBidder(t, u) {
				return errNotFound()
			}
			c.Set(tenderKey, &t)
		case accessProject, accessSOQ, accessQueryProject, accessQueryProjectOrBidder, accessBodyProject, accessTender, accessContract:
			projectID := c.Param("id")
			switch a.kind {
			case accessContract:
				k, pid, err := h.st.ContractScope(c.Request().Context(), c.Param("contractId"), c.Param("milestoneId"), c.Param("escrowId"))
				if err != nil {
					return err
				}
				c.Set(contractKey, &k)
				if u.Role == authz.RoleBidder {
					if u.EntityID != k.ContractorEntityID {
						return errNotFound()
					}
					if a.party == contractOwner {
						return errForbidden()
					}
					return next(c)
				}
				projectID = pid
			case accessQueryProjectOrBidder:
				if projectID = c.QueryParam("projectId"); projectID == "" {
					if u.Role == authz.RoleBidder {
						return next(c) // no project: the handler answers with the bidder's own
					}
					return errInvalid(field.Errors{"projectId": "is required"})
				}
			case accessTender:
				t, err := h.st.Tender(c.Request().Context(), c.Param("tenderId"))
				if err != nil {
					return err
				}
				c.Set(tenderKey, &t)
				if u.Role == authz.RoleBidder && a.perm == "" && a.action == authz.ViewProject {
					if !openToBidder(t, u) {
						return errNotFound()
					}
					return next(c)
				}
				projectID = t.ProjectID
			case accessSOQ:
				q, err := h.st.SOQHeader(c.Request().Context(), c.Param("soqId"))
				if err != nil {
					return err
				}
				c.Set(soqKey, &q)
				projectID = q.ProjectID
			case accessQueryProject:
				if projectID = c.QueryParam("projectId"); projectID == "" {
					return errInvalid(field.Errors{"projectId": "is required"})
				}
			case accessBodyProject:
				if a.perm != "" && !authz.Can(u.Role, a.perm) {
					return errForbidden()
				}
				var err error
				if projectID, err = bodyProjectID(c, a.maxBody); err != nil {
					return err
				}
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
			if a.kind == accessTender && a.perm != "" && !authz.Can(u.Role, a.perm) {
				return errForbidden()
			}
			if a.kind == accessContract && a.party == contractContractor {
				return errForbidden()
			}
			c.Set(projectKey, &p)
			c.Set(membershipKey, m)
		}
		return next(c)
	}
}

// bodyProjectID reads the JSON body's "projectId" and puts the body back for the handler.
// A body that is not a JSON object gets the answer the handler's decodeJSON would give.
func bodyProjectID(c echo.Context, maxBody int64) (string, error) {
	req := c.Request()
	limitBody(c, maxBody)
	raw, err := io.ReadAll(req.Body)
	if err != nil {
		return "", jsonError(err)
	}
	req.Body = io.NopCloser(bytes.NewReader(raw))
	var probe map[string]json.RawMessage
	if err := decodeJSON(c, &probe); err != nil {
		return "", err
	}
	req.Body = io.NopCloser(bytes.NewReader(raw))
	var id string
	if v, ok := probe["projectId"]; !ok || string(v) == "null" {
		return "", errInvalid(field.Errors{"projectId": "is required"})
	} else if json.Unmarshal(v, &id) != nil {
		return "", errInvalid(field.Errors{"projectId": "must be a string"})
	}
	if id == "" {
		return "", errInvalid(field.Errors{"projectId": "is required"})
	}
	return id, nil
}

func currentProject(c echo.Context) *store.Project {
	p, _ := c.Get(projectKey).(*store.Project)
	return p
}

// currentContract is the contract an onContract route named.
func currentContract(c echo.Context) *store.Contract {
	k, _ := c.Get(contractKey).(*store.Contract)
	return k
}

// contractSide reports whether an onContract route passed as the contractor (a bidder of
// the contractor's company) rather than as the project's team.
func contractSide(c echo.Context) bool { return currentContract(c) != nil && currentProject(c) == nil }

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
