package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/field"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/store"
	"github.com/14build/14build/views"
)

func (h *Handlers) accountView(c echo.Context) (views.AccountView, error) {
	ctx := c.Request().Context()
	u := currentUser(c)
	cats, err := h.st.Categories(ctx)
	if err != nil {
		return views.AccountView{}, err
	}
	toks, err := h.st.APITokens(ctx, u.ID)
	if err != nil {
		return views.AccountView{}, err
	}
	reminders, err := h.st.NotifyReminders(ctx, u.ID)
	if err != nil {
		return views.AccountView{}, err
	}
	return views.AccountView{Profile: valuesOf(*u), Tokens: toks, Categories: cats, AskTrade: hasTrade(u.Role), Reminders: reminders}, nil
}

func (h *Handlers) accountPage(c echo.Context) error {
	a, err := h.accountView(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.AccountPage(h.page(c, "Account"), a), nil)
}

func (h *Handlers) accountUpdate(c echo.Context) error {
	u := currentUser(c)
	a, err := h.accountView(c)
	if err != nil {
		return err
	}
	v := views.AccountValues{Name: c.FormValue("name"), Entity: c.FormValue("entity"), Category: c.FormValue("category"), Email: u.Email, Role: string(u.Role)}
	errs := field.Errors{}
	errs.Text("name", v.Name, 1, 200)
	errs.Text("entity", v.Entity, 1, 200)
	var catID int64
	switch {
	case !hasTrade(u.Role):
		// Owners and administrators are not asked for a trade; none is kept for them.
		v.Category = ""
	case strings.TrimSpace(v.Category) != "":
		cat, ok := soq.Categories(a.Categories).Match(v.Category)
		if !ok {
			errs.Add("category", soq.MsgUnknownCategory)
		}
		catID = cat.ID
	case u.Role == authz.RoleBidder:
		errs.Add("category", msgBidderCategory)
	}
	errs = sentences(errs, accountSubjects)
	if len(errs) > 0 {
		a.Profile, a.ProfileErrs = v, errs
		return render(c, http.StatusUnprocessableEntity, views.AccountPage(h.page(c, "Account"), a), nil)
	}
	if _, err := h.st.UpdateProfile(c.Request().Context(), u.ID, v.Name, v.Entity, catID); err != nil {
		return err
	}
	h.flash(c, "Profile saved.")
	return redirect(c, paths.Account())
}

func (h *Handlers) accountPassword(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	current, next := c.FormValue("current"), c.FormValue("password")
	errs := field.Errors{}
	hash, err := h.st.PasswordHash(ctx, u.ID)
	if err != nil {
		return err
	}
	if ok, err := h.verifyPassword(c, current, hash); err != nil {
		return err
	} else if !ok {
		errs.Add("current", "That is not your current password.")
	}
	errs.Password("password", next)
	errs = sentences(errs, map[string]fieldWords{"current": accountSubjects["current"], "password": {"a new password", "The new password"}})
	if len(errs) > 0 {
		a, err := h.accountView(c)
		if err != nil {
			return err
		}
		a.PasswordErr = errs
		return render(c, http.StatusUnprocessableEntity, views.AccountPage(h.page(c, "Account"), a), nil)
	}
	newHash, err := h.hashPassword(c, next)
	if err != nil {
		return err
	}
	var keep []byte
	if s := currentSession(c); s != nil && s.ID != "" {
		keep = hashToken(s.ID)
	}
	if err := h.st.SetPassword(ctx, u.ID, newHash, keep); err != nil {
		return err
	}
	h.flash(c, "Password changed. Other devices have been signed out and your API tokens revoked.")
	return redirect(c, paths.Account())
}

// API tokens carry a recognisable prefix so a leaked one is easy to spot in logs or code.
const tokenPrefix = "14b_"

func (h *Handlers) tokenCreate(c echo.Context) error {
	u := currentUser(c)
	name := strings.TrimSpace(c.FormValue("name"))
	errs := field.Errors{}
	errs.Text("name", name, 1, 100)
	errs = sentences(errs, map[string]fieldWords{"name": {"a name for the token", "The token's name"}})
	a, err := h.accountView(c)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		a.TokenErrs, a.TokenName = errs, name
		return render(c, http.StatusUnprocessableEntity, views.AccountPage(h.page(c, "Account"), a), nil)
	}
	token := tokenPrefix + newToken()
	t, err := h.st.CreateAPIToken(c.Request().Context(), u.ID, name, hashToken(token), token[:len(tokenPrefix)+6])
	if err != nil {
		return err
	}
	// Shown once, in this response only: never stored in the clear.
	a.Tokens = append([]store.APIToken{t}, a.Tokens...)
	a.NewToken = token
	c.Response().Header().Set("Cache-Control", "no-store")
	return render(c, http.StatusCreated, views.AccountPage(h.page(c, "Account"), a), nil)
}

func (h *Handlers) tokenDelete(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("tokenId"), 10, 64)
	if err != nil {
		return errNotFound()
	}
	if err := h.st.DeleteAPIToken(c.Request().Context(), currentUser(c).ID, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errNotFound()
		}
		return err
	}
	h.flash(c, "Token revoked.")
	return redirect(c, paths.Account()+"#tokens")
}

func (h *Handlers) dashboard(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	d := views.DashboardView{}
	var err error
	if d.Invitations, err = h.myInvitations(c); err != nil {
		return err
	}
	if d.Milestones, err = h.milestoneTodos(ctx, u); err != nil { // contract_pages.go
		return err
	}
	// Tenders: one query per list (store/dashboard.go), amounts never.
	d.Now = time.Now()
	if u.Role == authz.RoleBidder {
		if d.MyTenders, err = h.st.BidderTenders(ctx, u.ID, d.Now); err != nil {
			return err
		}
	} else {
		scope := viewerScope(*u)
		if d.Closing, err = h.st.TendersClosingSoon(ctx, scope, d.Now, views.ClosingWindow, d.Now.Add(-views.SubmittedWindow)); err != nil {
			return err
		}
		if d.Submissions, err = h.st.RecentSubmissions(ctx, scope, d.Now.Add(-views.SubmittedWindow)); err != nil {
			return err
		}
	}
	if u.Role != authz.RoleBidder {
		if d.Counts, err = h.st.ProjectStatusCounts(ctx, viewerScope(*u)); err != nil {
			return err
		}
		if d.Recent, d.TotalCount, err = h.st.ListProjects(ctx, viewerScope(*u), store.ProjectFilter{Page: 1, PerPage: 5}); err != nil {
			return err
		}
		if u.Role == authz.RoleAdmin {
			if _, d.UserCount, err = h.st.ListUsers(ctx, store.UserFilter{Page: 1, PerPage: 1}); err != nil {
				return err
			}
		}
	}
	return render(c, http.StatusOK, views.DashboardPage(h.page(c, "Dashboard"), d), nil)
}
