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
	"github.com/14build/14build/store"
	"github.com/14build/14build/views"
)

// inviteResult says what an invitation did: added an existing in-house user, or created a
// pending invitation.
type inviteResult struct {
	Added      *store.User
	Invitation *store.Invitation
}

func (h *Handlers) invite(ctx context.Context, pr *store.Project, inviter *store.User, email string) (inviteResult, fieldErrors, error) {
	email = strings.TrimSpace(email)
	errs := fieldErrors{}
	errs.email("email", email)
	if len(errs) > 0 {
		return inviteResult{}, errs, nil
	}
	u, err := h.st.UserByEmail(ctx, email)
	switch {
	case err == nil:
		switch {
		case !u.Active:
			return inviteResult{}, fieldErrors{"email": "belongs to a deactivated account"}, nil
		case u.Role != authz.RoleInHouse:
			return inviteResult{}, fieldErrors{"email": "belongs to a " + u.Role.Label() + " account; only in-house users join a project team"}, nil
		}
		err := h.st.AddMember(ctx, pr.ID, u.ID)
		if errors.Is(err, store.ErrAlreadyMember) {
			return inviteResult{}, fieldErrors{"email": "is already on the team"}, nil
		}
		if err != nil {
			return inviteResult{}, nil, err
		}
		return inviteResult{Added: &u}, nil, nil
	case errors.Is(err, store.ErrNotFound):
		inv, err := h.st.CreateInvitation(ctx, pr.ID, email, inviter.ID, newToken(), h.cfg.InviteTTL)
		if errors.Is(err, store.ErrAlreadyInvited) {
			return inviteResult{}, fieldErrors{"email": "already has a pending invitation"}, nil
		}
		if err != nil {
			return inviteResult{}, nil, err
		}
		return inviteResult{Invitation: &inv}, nil, nil
	default:
		return inviteResult{}, nil, err
	}
}

func (h *Handlers) teamView(c echo.Context) (views.TeamView, error) {
	ctx := c.Request().Context()
	pr := currentProject(c)
	m := currentMembership(c)
	teams, err := h.st.TeamMembers(ctx, []string{pr.ID})
	if err != nil {
		return views.TeamView{}, err
	}
	t := views.TeamView{Project: *pr, Membership: m, Members: teams[pr.ID], BaseURL: h.cfg.BaseURL}
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
	res, errs, err := h.invite(c.Request().Context(), currentProject(c), currentUser(c), email)
	if err != nil {
		return err
	}
	t, err := h.teamView(c)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		t.Email, t.Errors = email, views.Errors(errs)
		return h.renderTeam(c, http.StatusUnprocessableEntity, t)
	}
	notice := ""
	if res.Added != nil {
		notice = res.Added.Name + " joined the team."
	} else {
		notice = "Invitation created for " + res.Invitation.Email + ". Copy its link below and send it to them."
	}
	if !isHTMX(c) {
		h.flash(c, notice)
		return redirect(c, "/projects/"+currentProject(c).ID+"/team")
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
	return render(c, http.StatusOK, views.Confirm(h.page(c, "Remove "+u.Name), "Remove "+u.Name+" from "+pr.Name+"?",
		"They lose access to the project at once. You can invite them again later.",
		"/projects/"+pr.ID+"/team/"+u.ID+"/remove", "Remove from team", "/projects/"+pr.ID+"/team"), nil)
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
	if m.TeamRole == "Project Owner" {
		return m, &appError{Status: http.StatusConflict, Message: "The project owner cannot be removed from the team."}
	}
	return m, h.st.RemoveMember(c.Request().Context(), pr.ID, userID)
}

func (h *Handlers) teamRemove(c echo.Context) error {
	m, err := h.removeMember(c, c.Param("userId"))
	if err != nil {
		return err
	}
	if !isHTMX(c) {
		h.flash(c, m.Name+" was removed from the team.")
		return redirect(c, "/projects/"+currentProject(c).ID+"/team")
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
	if !isHTMX(c) {
		h.flash(c, "Invitation revoked.")
		return redirect(c, "/projects/"+pr.ID+"/team")
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
	return render(c, http.StatusOK, views.InvitationPage(h.page(c, "Join "+inv.ProjectName), inv, views.AccountValues{}, nil, currentUser(c)), nil)
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
		return redirect(c, "/projects/"+pid)
	}
	f := accountForm{Name: c.FormValue("name"), Email: inv.Email, Password: c.FormValue("password"),
		Role: string(authz.RoleInHouse), Entity: c.FormValue("entity")}
	_, errs := f.validate([]authz.Role{authz.RoleInHouse}, true, nil)
	var pid string
	if len(errs) == 0 {
		hash, err := h.HashPassword(f.Password)
		if err != nil {
			return err
		}
		var u store.User
		err = h.st.WithTx(ctx, func(tx *store.Tx) error {
			var err error
			if u, err = tx.CreateUser(ctx, store.NewUser{Name: f.Name, Email: inv.Email, PasswordHash: hash, Role: authz.RoleInHouse, Entity: f.Entity}); err != nil {
				return err
			}
			pid, err = tx.AcceptInvitation(ctx, token, u.ID)
			return err
		})
		switch {
		case errors.Is(err, store.ErrEmailTaken):
			errs.add("", "An account with "+inv.Email+" exists already: sign in to accept the invitation.")
		case err != nil:
			return err
		default:
			if err := h.startSession(c, u.ID); err != nil {
				return err
			}
			h.flash(c, "Welcome to 14Build. You joined "+inv.ProjectName+".")
			return redirect(c, "/projects/"+pid)
		}
	}
	return render(c, http.StatusUnprocessableEntity, views.InvitationPage(h.page(c, "Join "+inv.ProjectName), inv, f.values(), views.Errors(errs), nil), nil)
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
	return invitationJSON{ID: inv.ID, Email: inv.Email, URL: h.cfg.BaseURL + "/invitations/" + inv.Token,
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
	if authz.CanInProject(currentUser(c).Role, t.Membership, authz.ManageTeam) {
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
	res, errs, err := h.invite(c.Request().Context(), currentProject(c), currentUser(c), body.Email)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return errInvalid(errs)
	}
	if res.Added != nil {
		return c.JSON(http.StatusCreated, map[string]any{"teamMember": memberJSON{UserID: res.Added.ID, Role: "In-House User", JoinedAt: time.Now().UTC(), User: toUserJSON(*res.Added)}})
	}
	return c.JSON(http.StatusCreated, map[string]any{"invitation": h.toInvitationJSON(*res.Invitation)})
}

func (h *Handlers) apiTeamRemove(c echo.Context) error {
	if _, err := h.removeMember(c, c.Param("userId")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
