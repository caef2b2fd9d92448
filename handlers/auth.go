package handlers

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/labstack/echo/v4"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/field"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/store"
	"github.com/14build/14build/views"
)

// Roles a person may choose when registering; in-house users join by invitation and
// administrators are made by administrators.
var selfServiceRoles = []authz.Role{authz.RoleOwner, authz.RoleBidder}

const badCredentials = "Email or password is incorrect."

// HashPassword hashes with argon2id at the configured cost, outside the request hashing
// limit: for the command line and demo data. Requests use hashPassword (ratelimit.go).
func (h *Handlers) HashPassword(pw string) (string, error) {
	return argon2id.CreateHash(pw, h.cfg.Argon2)
}

var (
	dummyOnce sync.Once
	dummyHash string
)

// checkLogin verifies credentials, applying the rate limits. It returns the user id, or an
// appError: 429 when limited or busy, 401 otherwise — the same words whether the email is
// unknown or the password wrong.
//
// The attempt is reserved (counted) before the password is checked, in one step, so a
// burst of concurrent guesses gets at most the limit through to argon2.
func (h *Handlers) checkLogin(c echo.Context, email, password string) (string, error) {
	key := strings.ToLower(strings.TrimSpace(email))
	ip := c.RealIP()
	if ok, wait := h.limiter.Acquire(key, ip); !ok {
		return "", tooMany(c, wait, "sign-in attempts")
	}
	id, hash, active, err := h.st.Credentials(c.Request().Context(), key)
	known := err == nil
	if errors.Is(err, store.ErrNotFound) {
		// Spend the same time as a real check so response times do not reveal accounts.
		dummyOnce.Do(func() { dummyHash, _ = argon2id.CreateHash("not a password", h.cfg.Argon2) })
		hash, err = dummyHash, nil
	}
	if err != nil {
		h.limiter.Release(key, ip)
		return "", err
	}
	ok, err := h.verifyPassword(c, password, hash)
	if err != nil {
		// Busy, or a malformed stored hash: not the caller's failed guess.
		h.limiter.Release(key, ip)
		return "", err
	}
	if !ok || !active || !known {
		return "", &appError{Status: http.StatusUnauthorized, Message: badCredentials}
	}
	h.limiter.Succeed(key, ip)
	return id, nil
}

// startSession signs the user in under a fresh session id (the old one, if any, is ended:
// no session fixation).
func (h *Handlers) startSession(c echo.Context, userID string) error {
	req := c.Request()
	sess := currentSession(c)
	if sess == nil {
		var err error
		if sess, err = h.sessions.New(req, sessionName); err != nil {
			return err
		}
	}
	if sess.ID != "" {
		if err := h.st.DeleteSession(req.Context(), hashToken(sess.ID)); err != nil {
			return err
		}
	}
	sess.ID = ""
	sess.IsNew = true
	sess.Values = map[any]any{"uid": userID}
	sess.Options = h.sessions.options(req)
	return h.sessions.create(req, c.Response(), sess)
}

func (h *Handlers) endSession(c echo.Context) error {
	sess := currentSession(c)
	if sess == nil {
		return nil
	}
	sess.Options.MaxAge = -1
	return h.sessions.Save(c.Request(), c.Response(), sess)
}

// safeNext keeps redirects on this site: only a same-site path survives (sameSitePath in
// render.go), anything else becomes "/".
func safeNext(next string) string {
	return sameSitePath(next)
}

func (h *Handlers) loginPage(c echo.Context) error {
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
	}
	notice := ""
	if c.QueryParam("signedout") == "1" {
		notice = "You have signed out."
	}
	return render(c, http.StatusOK, views.LoginPage(h.page(c, "Sign in"), views.LoginForm{Next: c.QueryParam("next"), Notice: notice}), nil)
}

func (h *Handlers) loginSubmit(c echo.Context) error {
	f := views.LoginForm{Email: c.FormValue("email"), Next: c.FormValue("next"), Errs: field.Errors{}}
	password := c.FormValue("password")
	if strings.TrimSpace(f.Email) == "" {
		f.Errs.Add("email", "Enter your email.")
	}
	if password == "" {
		f.Errs.Add("password", "Enter your password.")
	}
	if f.Errs.Any() {
		return render(c, http.StatusUnprocessableEntity, views.LoginPage(h.page(c, "Sign in"), f), nil)
	}
	id, err := h.checkLogin(c, f.Email, password)
	var ae *appError
	if errors.As(err, &ae) {
		// Wrong credentials or too many tries: the form again, with the reason above it.
		f.Errs.Add("", ae.Message)
		return render(c, ae.Status, views.LoginPage(h.page(c, "Sign in"), f), nil)
	}
	if err != nil {
		return err
	}
	if err := h.startSession(c, id); err != nil {
		return err
	}
	return redirect(c, safeNext(f.Next))
}

func (h *Handlers) registerPage(c echo.Context) error {
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, paths.Dashboard())
	}
	cats, err := h.st.Categories(c.Request().Context())
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.RegisterPage(h.page(c, "Create account"), views.RegisterForm{Values: views.AccountValues{Role: c.QueryParam("role")}, Categories: cats}), nil)
}

func formAccount(c echo.Context) accountForm {
	return accountForm{
		Name: c.FormValue("name"), Email: c.FormValue("email"), Password: c.FormValue("password"),
		Role: c.FormValue("role"), Entity: c.FormValue("entity"), Category: c.FormValue("category"),
	}
}

func (f accountForm) values() views.AccountValues {
	v := views.AccountValues{Name: f.Name, Email: f.Email, Role: f.Role, Entity: f.Entity, Category: f.Category, Active: true}
	if f.Active != nil {
		v.Active = *f.Active
	}
	return v
}

// register creates a self-service account; errors are field errors or appErrors.
func (h *Handlers) register(c echo.Context, f accountForm) (store.User, field.Errors, error) {
	ctx := c.Request().Context()
	// Every attempt counts, refused ones too: each costs a hash or answers whether an email
	// is registered.
	if ok, wait := h.regLimiter.Acquire("", c.RealIP()); !ok {
		return store.User{}, nil, tooMany(c, wait, "accounts created from your address")
	}
	cats, err := h.st.Categories(ctx)
	if err != nil {
		return store.User{}, nil, err
	}
	catID, errs := f.validate(selfServiceRoles, true, cats)
	if len(errs) > 0 {
		return store.User{}, errs, nil
	}
	hash, err := h.hashPassword(c, f.Password)
	if err != nil {
		return store.User{}, nil, err
	}
	u, err := h.st.CreateUser(ctx, store.NewUser{Name: f.Name, Email: f.Email, PasswordHash: hash,
		Role: authz.Role(f.Role), Entity: f.Entity, CategoryID: catID})
	if errors.Is(err, store.ErrEmailTaken) {
		return store.User{}, field.Errors{"email": "This email is already registered: sign in instead."}, nil
	}
	if err != nil {
		return store.User{}, nil, err
	}
	return u, nil, h.startSession(c, u.ID)
}

func (h *Handlers) registerSubmit(c echo.Context) error {
	f := formAccount(c)
	_, errs, err := h.register(c, f)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		cats, err := h.st.Categories(c.Request().Context())
		if err != nil {
			return err
		}
		return render(c, http.StatusUnprocessableEntity, views.RegisterPage(h.page(c, "Create account"), views.RegisterForm{Values: f.values(), Errs: errs, Categories: cats}), nil)
	}
	h.flash(c, "Welcome to 14Build. Your account is ready.")
	return redirect(c, paths.Dashboard())
}

func (h *Handlers) logout(c echo.Context) error {
	if err := h.endSession(c); err != nil {
		return err
	}
	return redirect(c, paths.Login()+"?signedout=1")
}

// API

func (h *Handlers) apiRegister(c echo.Context) error {
	var f accountForm
	if err := decodeJSON(c, &f); err != nil {
		return err
	}
	if f.Active != nil {
		return errInvalid(field.Errors{"active": "unknown field"})
	}
	u, errs, err := h.register(c, f)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return errInvalid(errs)
	}
	return c.JSON(http.StatusCreated, map[string]any{"user": toUserJSON(u)})
}

func (h *Handlers) apiLogin(c echo.Context) error {
	var body struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	errs := field.Errors{}
	if strings.TrimSpace(body.Email) == "" {
		errs.Add("email", "Enter your email address.")
	}
	if body.Password == "" {
		errs.Add("password", "Enter your password.")
	}
	if len(errs) > 0 {
		return errInvalid(errs)
	}
	id, err := h.checkLogin(c, body.Email, body.Password)
	if err != nil {
		return err
	}
	if err := h.startSession(c, id); err != nil {
		return err
	}
	u, err := h.st.UserByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"user": toUserJSON(u)})
}

func (h *Handlers) apiLogout(c echo.Context) error {
	if err := h.endSession(c); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handlers) apiMe(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"user": toUserJSON(*currentUser(c))})
}

func (h *Handlers) apiCategories(c echo.Context) error {
	cats, err := h.st.Categories(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]categoryJSON, len(cats))
	for i, ct := range cats {
		out[i] = categoryJSON{ID: ct.ID, Name: ct.Name}
	}
	return c.JSON(http.StatusOK, map[string]any{"categories": out})
}

// JSON shapes

type entityJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type categoryJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type userJSON struct {
	ID        string        `json:"id"`
	Name      string        `json:"name"`
	Email     string        `json:"email"`
	Role      authz.Role    `json:"role"`
	RoleLabel string        `json:"roleLabel"`
	Entity    entityJSON    `json:"entity"`
	Category  *categoryJSON `json:"category"`
	Active    bool          `json:"active"`
	CreatedAt time.Time     `json:"createdAt"`
}

func toUserJSON(u store.User) userJSON {
	j := userJSON{ID: u.ID, Name: u.Name, Email: u.Email, Role: u.Role, RoleLabel: u.Role.Label(),
		Entity: entityJSON{ID: u.EntityID, Name: u.EntityName}, Active: u.Active, CreatedAt: u.CreatedAt.UTC()}
	if u.CategoryID.Valid {
		j.Category = &categoryJSON{ID: u.CategoryID.Int64, Name: u.CategoryName.String}
	}
	return j
}
