package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/field"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/store"
	"github.com/14build/14build/views"
)

// invite records a pending invitation for an email. Whether the email belongs to an
// account is never looked up here and never shown: the inviter learns "invitation sent"
// and nothing about the person, who accepts or declines it themselves (their dashboard, or
// the link for someone who has no account yet). Only people already on the team, whom the
// inviter sees anyway, are refused.
func (h *Handlers) invite(ctx context.Context, pr *store.Project, inviter *store.User, email string) (store.Invitation, field.Errors, error) {
	email = strings.TrimSpace(email)
	errs := field.Errors{}
	errs.Email("email", email)
	if len(errs) > 0 {
		return store.Invitation{}, sentences(errs, accountSubjects), nil
	}
	on, err := h.st.OnTeamByEmail(ctx, pr.ID, email)
	if err != nil {
		return store.Invitation{}, nil, err
	}
	if on {
		return store.Invitation{}, field.Errors{"email": "This person is already on the team."}, nil
	}
	inv, err := h.st.CreateInvitation(ctx, pr.ID, email, inviter.ID, newToken(), h.cfg.InviteTTL)
	if errors.Is(err, store.ErrAlreadyInvited) {
		return store.Invitation{}, field.Errors{"email": "This email already has a pending invitation."}, nil
	}
	if err != nil {
		return store.Invitation{}, nil, err
	}
	return inv, nil, nil
}

func invitationSent(email string) string {
	return "Invitation sent to " + email + "."
}

func (h *Handlers) teamView(c echo.Context) (views.TeamView, error) {
	ctx := c.Request().Context()
	pr := currentProject(c)
	m := currentMembership(c)
	teams, err := h.st.TeamMembers(ctx, []string{pr.ID})
	if err != nil {
		return views.TeamView{}, err
	}
	t := views.TeamView{Project: *pr, Members: teams[pr.ID], BaseURL: h.cfg.BaseURL}
	if authz.CanInProject(currentUser(c).Role, m, authz.ManageTeam) {
		if t.Invitations, err = h.st.PendingInvitations(ctx, pr.ID); err != nil {
			return views.TeamView{}, err
		}
	}
	return t, nil
}

func (h *Handlers) renderTeam(c echo.Context, status int, t views.TeamView) error {
	p := h.page(c, "Team · "+t.Project.Name)
	return render(c, status, views.TeamPage(p, t), views.TeamRegion(p, t))
}

func (h *Handlers) teamPage(c echo.Context) error {
	t, err := h.teamView(c)
	if err != nil {
		return err
	}
	return h.renderTeam(c, http.StatusOK, t)
}

func (h *Handlers) teamInvite(c echo.Context) error {
	email := c.FormValue("email")
	inv, errs, err := h.invite(c.Request().Context(), currentProject(c), currentUser(c), email)
	if err != nil {
		return err
	}
	t, err := h.teamView(c)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		t.Email, t.Errors = email, errs
		return h.renderTeam(c, http.StatusUnprocessableEntity, t)
	}
	notice := invitationSent(inv.Email)
	if !wantsFragment(c) {
		h.flash(c, notice)
		return redirect(c, paths.Team(currentProject(c).ID))
	}
	t.Notice = notice
	return h.renderTeam(c, http.StatusOK, t)
}

func (h *Handlers) teamRemoveConfirm(c echo.Context) error {
	pr := currentProject(c)
	u, err := h.memberOf(c, c.Param("userId"))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.Confirm(h.page(c, "Remove "+u.Name), views.ConfirmParams{
		Title:   "Remove " + u.Name + " from " + pr.Name + "?",
		Message: "They lose access to the project at once. You can invite them again later.",
		Action:  paths.TeamRemove(pr.ID, u.ID), Button: "Remove from team", Cancel: paths.Team(pr.ID),
	}), nil)
}

// memberOf finds a team member of the current project (404 when not on it).
func (h *Handlers) memberOf(c echo.Context, userID string) (store.Member, error) {
	pr := currentProject(c)
	teams, err := h.st.TeamMembers(c.Request().Context(), []string{pr.ID})
	if err != nil {
		return store.Member{}, err
	}
	for _, m := range teams[pr.ID] {
		if m.ID == userID {
			return m, nil
		}
	}
	return store.Member{}, errNotFound()
}

func (h *Handlers) removeMember(c echo.Context, userID string) (store.Member, error) {
	pr := currentProject(c)
	m, err := h.memberOf(c, userID)
	if err != nil {
		return m, err
	}
	if !m.TeamRole.Removable() {
		return m, &appError{Status: http.StatusConflict, Message: "The project owner cannot be removed from the team."}
	}
	return m, h.st.RemoveMember(c.Request().Context(), pr.ID, userID)
}

func (h *Handlers) teamRemove(c echo.Context) error {
	m, err := h.removeMember(c, c.Param("userId"))
	if err != nil {
		return err
	}
	if !wantsFragment(c) {
		h.flash(c, m.Name+" was removed from the team.")
		return redirect(c, paths.Team(currentProject(c).ID))
	}
	t, err := h.teamView(c)
	if err != nil {
		return err
	}
	t.Notice = m.Name + " was removed from the team."
	return h.renderTeam(c, http.StatusOK, t)
}

func (h *Handlers) invitationRevoke(c echo.Context) error {
	pr := currentProject(c)
	id, err := strconv.ParseInt(c.Param("invId"), 10, 64)
	if err != nil {
		return errNotFound()
	}
	if err := h.st.RevokeInvitation(c.Request().Context(), pr.ID, id); err != nil {
		return err
	}
	if !wantsFragment(c) {
		h.flash(c, "Invitation revoked.")
		return redirect(c, paths.Team(pr.ID))
	}
	t, err := h.teamView(c)
	if err != nil {
		return err
	}
	t.Notice = "Invitation revoked."
	return h.renderTeam(c, http.StatusOK, t)
}

// Invitations (the invitee's side)

func (h *Handlers) invitationPage(c echo.Context) error {
	inv, err := h.st.InvitationByToken(c.Request().Context(), c.Param("token"))
	if errors.Is(err, store.ErrNotFound) {
		return &appError{Status: http.StatusNotFound, Message: "This invitation link is not valid: it may have expired, been revoked or been used already. Ask the project owner for a new one."}
	}
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.InvitationPage(h.page(c, "Join "+inv.ProjectName), views.InvitationForm{Invitation: inv, SignedInAs: currentUser(c)}), nil)
}

func (h *Handlers) invitationAccept(c echo.Context) error {
	ctx := c.Request().Context()
	token := c.Param("token")
	inv, err := h.st.InvitationByToken(ctx, token)
	if errors.Is(err, store.ErrNotFound) {
		return &appError{Status: http.StatusNotFound, Message: "This invitation link is not valid: it may have expired, been revoked or been used already."}
	}
	if err != nil {
		return err
	}
	if u := currentUser(c); u != nil {
		if !strings.EqualFold(u.Email, inv.Email) {
			return &appError{Status: http.StatusForbidden, Message: "This invitation is for " + inv.Email + ". Sign out and open the link again."}
		}
		if u.Role != authz.RoleInHouse {
			return &appError{Status: http.StatusConflict, Message: "Only in-house accounts join a project team; yours is a " + u.Role.Label() + " account."}
		}
		pid, err := h.st.AcceptInvitation(ctx, token, u.ID)
		if err != nil {
			return err
		}
		h.flash(c, "You joined "+inv.ProjectName+".")
		return redirect(c, paths.Project(pid))
	}
	f := accountForm{Name: c.FormValue("name"), Email: inv.Email, Password: c.FormValue("password"),
		Role: string(authz.RoleInHouse), Entity: c.FormValue("entity")}
	refuse := func(errs field.Errors) error {
		return render(c, http.StatusUnprocessableEntity, views.InvitationPage(h.page(c, "Join "+inv.ProjectName), views.InvitationForm{Invitation: inv, Values: f.values(), Errs: errs}), nil)
	}
	if _, errs := f.validate([]authz.Role{authz.RoleInHouse}, true, nil); errs.Any() {
		return refuse(errs)
	}
	hash, err := h.hashPassword(c, f.Password)
	if err != nil {
		return err
	}
	var u store.User
	var pid string
	err = h.st.WithTx(ctx, func(tx *store.Tx) error {
		var err error
		if u, err = tx.CreateUser(ctx, store.NewUser{Name: f.Name, Email: inv.Email, PasswordHash: hash, Role: authz.RoleInHouse, Entity: f.Entity}); err != nil {
			return err
		}
		pid, err = tx.AcceptInvitation(ctx, token, u.ID)
		return err
	})
	if errors.Is(err, store.ErrEmailTaken) {
		return refuse(field.Errors{"": "An account with " + inv.Email + " exists already: sign in to accept the invitation."})
	}
	if err != nil {
		return err
	}
	if err := h.startSession(c, u.ID); err != nil {
		return err
	}
	h.flash(c, "Welcome to 14Build. You joined "+inv.ProjectName+".")
	return redirect(c, paths.Project(pid))
}

// API

type invitationJSON struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	URL       string    `json:"url"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}

func (h *Handlers) toInvitationJSON(inv store.Invitation) invitationJSON {
	return invitationJSON{ID: inv.ID, Email: inv.Email, URL: h.cfg.BaseURL + paths.Invitation(inv.Token),
		CreatedAt: inv.CreatedAt.UTC(), ExpiresAt: inv.ExpiresAt.UTC()}
}

func (h *Handlers) apiTeamList(c echo.Context) error {
	t, err := h.teamView(c)
	if err != nil {
		return err
	}
	members := make([]memberJSON, len(t.Members))
	for i, m := range t.Members {
		members[i] = memberJSON{UserID: m.ID, Role: m.TeamRole, JoinedAt: m.JoinedAt.UTC(), User: toUserJSON(m.User)}
	}
	body := map[string]any{"teamMembers": members}
	if authz.CanInProject(currentUser(c).Role, currentMembership(c), authz.ManageTeam) {
		invs := make([]invitationJSON, len(t.Invitations))
		for i, inv := range t.Invitations {
			invs[i] = h.toInvitationJSON(inv)
		}
		body["invitations"] = invs
	}
	return c.JSON(http.StatusOK, body)
}

func (h *Handlers) apiTeamInvite(c echo.Context) error {
	var body struct {
		Email string `json:"email"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	inv, errs, err := h.invite(c.Request().Context(), currentProject(c), currentUser(c), body.Email)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return errInvalid(errs)
	}
	// The same answer whether or not the email has an account.
	return c.JSON(http.StatusCreated, map[string]any{"message": invitationSent(inv.Email), "invitation": h.toInvitationJSON(inv)})
}

func (h *Handlers) apiTeamRemove(c echo.Context) error {
	if _, err := h.removeMember(c, c.Param("userId")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// The invitee's own invitations: listed on their dashboard and at /api/me/invitations,
// accepted or declined only by the account the invitation is addressed to.

// myInvitations lists the caller's pending invitations. Only in-house accounts can join a
// team, so other roles have none to act on.
func (h *Handlers) myInvitations(c echo.Context) ([]store.Invitation, error) {
	u := currentUser(c)
	if u.Role != authz.RoleInHouse {
		return nil, nil
	}
	return h.st.InvitationsFor(c.Request().Context(), u.Email)
}

// acceptMine accepts one of the caller's invitations: 404 for anyone else's (ids do not
// leak), 409 when the account cannot join a team.
func (h *Handlers) acceptMine(c echo.Context) (string, error) {
	u := currentUser(c)
	id, err := strconv.ParseInt(c.Param("invId"), 10, 64)
	if err != nil {
		return "", errNotFound()
	}
	if u.Role != authz.RoleInHouse {
		return "", &appError{Status: http.StatusConflict, Message: "Only in-house accounts join a project team; yours is a " + u.Role.Label() + " account."}
	}
	pid, err := h.st.AcceptInvitationFor(c.Request().Context(), id, u.ID, u.Email)
	if errors.Is(err, store.ErrNotFound) {
		return "", errNotFound()
	}
	return pid, err
}

func (h *Handlers) declineMine(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("invId"), 10, 64)
	if err != nil {
		return errNotFound()
	}
	if err := h.st.DeclineInvitation(c.Request().Context(), id, currentUser(c).Email); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errNotFound()
		}
		return err
	}
	return nil
}

func (h *Handlers) myInvitationAccept(c echo.Context) error {
	pid, err := h.acceptMine(c)
	if err != nil {
		return err
	}
	h.flash(c, "You joined the project.")
	return redirect(c, paths.Project(pid))
}

func (h *Handlers) myInvitationDecline(c echo.Context) error {
	if err := h.declineMine(c); err != nil {
		return err
	}
	h.flash(c, "Invitation declined.")
	return redirect(c, paths.Dashboard())
}

type myInvitationJSON struct {
	ID          int64     `json:"id"`
	ProjectID   string    `json:"projectId"`
	ProjectName string    `json:"projectName"`
	InvitedBy   string    `json:"invitedBy"`
	CreatedAt   time.Time `json:"createdAt"`
	ExpiresAt   time.Time `json:"expiresAt"`
}

func (h *Handlers) apiMyInvitations(c echo.Context) error {
	invs, err := h.myInvitations(c)
	if err != nil {
		return err
	}
	out := make([]myInvitationJSON, len(invs))
	for i, inv := range invs {
		out[i] = myInvitationJSON{ID: inv.ID, ProjectID: inv.ProjectID, ProjectName: inv.ProjectName, InvitedBy: inv.InvitedBy,
			CreatedAt: inv.CreatedAt.UTC(), ExpiresAt: inv.ExpiresAt.UTC()}
	}
	return c.JSON(http.StatusOK, map[string]any{"invitations": out})
}

func (h *Handlers) apiInvitationAccept(c echo.Context) error {
	pid, err := h.acceptMine(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"projectId": pid})
}

func (h *Handlers) apiInvitationDecline(c echo.Context) error {
	if err := h.declineMine(c); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
