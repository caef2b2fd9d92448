package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/field"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/store"
	"github.com/14build/14build/views"
)

const usersPerPage = 25

func userFilter(c echo.Context, defaultPer int) (store.UserFilter, field.Errors) {
	errs := field.Errors{}
	f := store.UserFilter{Query: c.QueryParam("q"), Role: authz.Role(c.QueryParam("role")), Page: 1, PerPage: defaultPer}
	if f.Role != "" && !f.Role.Valid() {
		errs.Add("role", "The role must be owner, inhouse, bidder or admin.")
	}
	// One page parser for every list (handlers/forms.go).
	var perr field.Errors
	f.Page, f.PerPage, perr = parsePage(c, defaultPer, 200)
	for k, v := range perr {
		errs[k] = v
	}
	if len(f.Query) > 200 {
		errs.Add("q", "The search must be at most 200 characters.")
	}
	return f, errs
}

func (h *Handlers) adminUsersPage(c echo.Context) error {
	f, errs := userFilter(c, usersPerPage)
	if len(errs) > 0 {
		f = store.UserFilter{Page: 1, PerPage: usersPerPage}
	}
	users, total, err := h.st.ListUsers(c.Request().Context(), f)
	if err != nil {
		return err
	}
	l := views.UserList{Users: users, Query: f.Query, Role: string(f.Role), Roles: roleOptions(authz.Roles),
		Pager: views.Pager{Page: f.Page, PerPage: f.PerPage, Total: total, URL: func(n int) string { return views.UsersURL(f.Query, string(f.Role), n) }}}
	return render(c, http.StatusOK, views.UsersPage(h.page(c, "Users"), l), views.UsersRegion(l))
}

func (h *Handlers) adminUserNewPage(c echo.Context) error {
	cats, err := h.st.Categories(c.Request().Context())
	if err != nil {
		return err
	}
	v := views.AccountValues{Role: string(authz.RoleInHouse), Active: true}
	return render(c, http.StatusOK, views.UserFormPage(h.page(c, "New user"), views.UserForm{Title: "New user", Action: paths.AdminUsers(), Values: v, Roles: roleOptions(authz.Roles), Categories: cats}), nil)
}

// createUser is an administrator's create, shared by page and API.
func (h *Handlers) createUser(c echo.Context, f accountForm) (store.User, field.Errors, error) {
	ctx := c.Request().Context()
	cats, err := h.st.Categories(ctx)
	if err != nil {
		return store.User{}, nil, err
	}
	catID, errs := f.validate(authz.Roles, true, cats)
	if len(errs) > 0 {
		return store.User{}, errs, nil
	}
	hash, err := h.hashPassword(c, f.Password)
	if err != nil {
		return store.User{}, nil, err
	}
	u, err := h.st.CreateUser(ctx, store.NewUser{Name: f.Name, Email: f.Email, PasswordHash: hash, Role: authz.Role(f.Role), Entity: f.Entity, CategoryID: catID})
	if errors.Is(err, store.ErrEmailTaken) {
		return store.User{}, field.Errors{"email": "This email is already registered to another account."}, nil
	}
	return u, nil, err
}

func (h *Handlers) adminUserCreate(c echo.Context) error {
	f := formAccount(c)
	u, errs, err := h.createUser(c, f)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		cats, err := h.st.Categories(c.Request().Context())
		if err != nil {
			return err
		}
		return render(c, http.StatusUnprocessableEntity, views.UserFormPage(h.page(c, "New user"), views.UserForm{Title: "New user", Action: paths.AdminUsers(), Values: f.values(), Errs: errs, Roles: roleOptions(authz.Roles), Categories: cats}), nil)
	}
	h.flash(c, u.Name+" can now sign in as "+u.Role.Label()+".")
	return redirect(c, paths.AdminUsers())
}

func valuesOf(u store.User) views.AccountValues {
	return views.AccountValues{Name: u.Name, Email: u.Email, Role: string(u.Role), Entity: u.EntityName, Category: u.CategoryName.String, Active: u.Active}
}

func (h *Handlers) adminUserEditPage(c echo.Context) error {
	ctx := c.Request().Context()
	u, err := h.st.UserByID(ctx, c.Param("uid"))
	if err != nil {
		return err
	}
	cats, err := h.st.Categories(ctx)
	if err != nil {
		return err
	}
	tr, err := h.transferView(c, u.ID)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.UserFormPage(h.page(c, "Edit "+u.Name), views.UserForm{Title: "Edit " + u.Name, Action: paths.AdminUser(u.ID), Values: valuesOf(u), Roles: roleOptions(authz.Roles), Categories: cats, Editing: &u, Transfer: tr}), nil)
}

// updateUser is an administrator's edit, shared by page and API. An administrator cannot
// deactivate or demote themselves (someone must be left to manage users).
func (h *Handlers) updateUser(c echo.Context, id string, f accountForm) (store.User, field.Errors, error) {
	ctx := c.Request().Context()
	if _, err := h.st.UserByID(ctx, id); err != nil {
		return store.User{}, nil, err
	}
	cats, err := h.st.Categories(ctx)
	if err != nil {
		return store.User{}, nil, err
	}
	catID, errs := f.validate(authz.Roles, false, cats)
	active := f.Active == nil || *f.Active
	if id == currentUser(c).ID {
		if !active {
			errs.Add("active", "You cannot deactivate your own account.")
		}
		if f.Role != string(authz.RoleAdmin) {
			errs.Add("role", "You cannot remove your own administrator role.")
		}
	}
	if len(errs) > 0 {
		return store.User{}, errs, nil
	}
	uu := store.UserUpdate{Name: f.Name, Email: f.Email, Role: authz.Role(f.Role), Entity: f.Entity, CategoryID: catID, Active: active}
	if f.Password != "" {
		// An administrator's reset ends every session of the user and revokes their API
		// tokens, in the same transaction as the edit.
		if uu.PasswordHash, err = h.hashPassword(c, f.Password); err != nil {
			return store.User{}, nil, err
		}
	}
	var u store.User
	err = h.st.WithTx(ctx, func(tx *store.Tx) error {
		// The account is locked for update before its projects are counted: a project
		// created for it or transferred to it meanwhile waits, so the count holds.
		cur, err := tx.LockUser(ctx, id)
		if err != nil {
			return err
		}
		if cur.Role != uu.Role {
			owned, err := tx.CountOwnedProjects(ctx, id)
			if err != nil {
				return err
			}
			if !authz.CanChangeRole(cur.Role, uu.Role, owned) {
				msg := "This user owns " + plural(owned, "project") + ". Transfer " + pick(owned == 1, "it", "them") +
					" to another Project Owner before changing the role."
				return &appError{Status: http.StatusConflict, Message: msg, Fields: field.Errors{"role": msg}}
			}
		}
		u, err = tx.UpdateUser(ctx, id, uu)
		return err
	})
	switch {
	case errors.Is(err, store.ErrEmailTaken):
		return store.User{}, field.Errors{"email": "This email is already registered to another account."}, nil
	case err != nil:
		return store.User{}, nil, err
	}
	return u, nil, nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return itoa(n) + " " + what + "s"
}

func pick(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}

func (h *Handlers) adminUserUpdate(c echo.Context) error {
	f := formAccount(c)
	active := c.FormValue("active") == "true"
	f.Active = &active
	id := c.Param("uid")
	u, errs, err := h.updateUser(c, id, f)
	status := http.StatusUnprocessableEntity
	var ae *appError
	if errors.As(err, &ae) && ae.Status == http.StatusConflict && ae.Fields != nil {
		// A refused role change: the form again, with the reason beside the role.
		errs, err, status = ae.Fields, nil, ae.Status
	}
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		ctx := c.Request().Context()
		cats, err := h.st.Categories(ctx)
		if err != nil {
			return err
		}
		orig, err := h.st.UserByID(ctx, id)
		if err != nil {
			return err
		}
		tr, err := h.transferView(c, id)
		if err != nil {
			return err
		}
		return render(c, status, views.UserFormPage(h.page(c, "Edit "+orig.Name), views.UserForm{Title: "Edit " + orig.Name, Action: paths.AdminUser(id), Values: f.values(), Errs: errs, Roles: roleOptions(authz.Roles), Categories: cats, Editing: &orig, Transfer: tr}), nil)
	}
	h.flash(c, u.Name+" saved.")
	return redirect(c, paths.AdminUsers())
}

func (h *Handlers) adminUserDeactivateConfirm(c echo.Context) error {
	u, err := h.st.UserByID(c.Request().Context(), c.Param("uid"))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.Confirm(h.page(c, "Deactivate "+u.Name), views.ConfirmParams{
		Title:   "Deactivate " + u.Name + "?",
		Message: u.Email + " will be signed out everywhere, their API tokens revoked, and they cannot sign in until reactivated. Their projects and history stay.",
		Action:  paths.AdminUserDeactivate(u.ID), Button: "Deactivate", Cancel: paths.AdminUserEdit(u.ID),
	}), nil)
}

func (h *Handlers) deactivate(c echo.Context, id string) error {
	if id == currentUser(c).ID {
		return &appError{Status: http.StatusConflict, Message: "You cannot deactivate your own account."}
	}
	return h.st.DeactivateUser(c.Request().Context(), id)
}

func (h *Handlers) adminUserDeactivate(c echo.Context) error {
	if err := h.deactivate(c, c.Param("uid")); err != nil {
		return err
	}
	h.flash(c, "User deactivated and signed out everywhere.")
	return redirect(c, paths.AdminUsers())
}

// API

func (h *Handlers) apiUsersList(c echo.Context) error {
	f, errs := userFilter(c, 50)
	if len(errs) > 0 {
		return errInvalid(errs)
	}
	users, total, err := h.st.ListUsers(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := make([]userJSON, len(users))
	for i, u := range users {
		out[i] = toUserJSON(u)
	}
	return c.JSON(http.StatusOK, map[string]any{"users": out, "page": f.Page, "perPage": f.PerPage, "total": total})
}

func (h *Handlers) apiUserCreate(c echo.Context) error {
	var f accountForm
	if err := decodeJSON(c, &f); err != nil {
		return err
	}
	u, errs, err := h.createUser(c, f)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return errInvalid(errs)
	}
	return c.JSON(http.StatusCreated, map[string]any{"user": toUserJSON(u)})
}

// apiUserGet is one account: the caller's own, or any for MANAGE_USERS (routes.go, selfOr).
func (h *Handlers) apiUserGet(c echo.Context) error {
	u, err := h.st.UserByID(c.Request().Context(), c.Param("uid"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"user": toUserJSON(u)})
}

func (h *Handlers) apiUserUpdate(c echo.Context) error {
	var f accountForm
	if err := decodeJSON(c, &f); err != nil {
		return err
	}
	u, errs, err := h.updateUser(c, c.Param("uid"), f)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return errInvalid(errs)
	}
	return c.JSON(http.StatusOK, map[string]any{"user": toUserJSON(u)})
}

// apiUserDelete deactivates: accounts own projects and history, so they are never erased.
func (h *Handlers) apiUserDelete(c echo.Context) error {
	if err := h.deactivate(c, c.Param("uid")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// Project ownership transfer (administrators).

// transferView loads the projects a user owns and the active Project Owners who could take
// them.
func (h *Handlers) transferView(c echo.Context, userID string) (views.Transfer, error) {
	ctx := c.Request().Context()
	owned, err := h.st.OwnedProjects(ctx, userID)
	if err != nil || len(owned) == 0 {
		return views.Transfer{}, err
	}
	owners, _, err := h.st.ListUsers(ctx, store.UserFilter{Role: authz.RoleOwner, Page: 1, PerPage: 200})
	if err != nil {
		return views.Transfer{}, err
	}
	tr := views.Transfer{Owned: owned}
	for _, o := range owners {
		if o.Active {
			tr.Owners = append(tr.Owners, o)
		}
	}
	return tr, nil
}

// transfer gives the current project to ownerID; it returns the previous owner's id.
func (h *Handlers) transfer(c echo.Context, ownerID string) (string, error) {
	pr := currentProject(c)
	ctx := c.Request().Context()
	ownerID = strings.TrimSpace(ownerID)
	var old string
	err := h.st.WithTx(ctx, func(tx *store.Tx) error {
		// The project is locked, and the new owner's account share-locked: a role change of
		// theirs (which locks it for update) waits, then counts this project as theirs.
		var err error
		if old, err = tx.LockProjectOwner(ctx, pr.ID); err != nil {
			return err
		}
		if old == ownerID {
			return errInvalid(field.Errors{"ownerId": "This person already owns the project."})
		}
		to, err := tx.ShareLockUser(ctx, ownerID)
		if errors.Is(err, store.ErrNotFound) || err == nil && !(to.Active && to.Role.CanReceiveProjects()) {
			return errInvalid(field.Errors{"ownerId": "Choose an active Project Owner."})
		}
		if err != nil {
			return err
		}
		return tx.TransferProject(ctx, pr.ID, old, ownerID)
	})
	switch {
	case errors.Is(err, store.ErrCodeTaken):
		return "", &appError{Status: http.StatusConflict, Message: "The new owner already has a project with code " + pr.Code + ". Change one of the codes first.",
			Fields: field.Errors{"ownerId": "The new owner already has a project with code " + pr.Code + "."}}
	}
	return old, err
}

func (h *Handlers) projectTransfer(c echo.Context) error {
	old, err := h.transfer(c, c.FormValue("ownerId"))
	if err != nil {
		return err
	}
	h.flash(c, currentProject(c).Name+" was transferred.")
	return redirect(c, paths.AdminUserEdit(old))
}

func (h *Handlers) apiProjectTransfer(c echo.Context) error {
	var body struct {
		OwnerID string `json:"ownerId"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if _, err := h.transfer(c, body.OwnerID); err != nil {
		return err
	}
	p, _, err := h.st.ProjectFor(c.Request().Context(), currentProject(c).ID, currentUser(c).ID)
	if err != nil {
		return err
	}
	return h.writeProject(c, http.StatusOK, p)
}
