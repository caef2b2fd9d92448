package handlers

import (
	"errors"
	"net/http"
	"net/mail"
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

// Mail (issue 16): the administrators' Mailbox (the outbox as the mails would arrive), its
// JSON twin, the password reset flow, and the account's reminders switch. The mails
// themselves are written by the store in the transactions of the changes that cause them.

const mailboxPerPage = 25

// mailRoutes: issue 16 the mailbox, outbox and password reset.
func (h *Handlers) mailRoutes() []Route {
	return []Route{
		{"GET", paths.NameMailbox, perm(authz.ManageUsers), h.mailboxPage},
		{"GET", paths.NameMailboxMail, perm(authz.ManageUsers), h.mailboxMailPage},
		{"GET", paths.NameAPIOutbox, perm(authz.ManageUsers), h.apiOutbox},
		{"GET", paths.NamePasswordForgot, public(), h.passwordForgotPage},
		{"POST", paths.NamePasswordForgot, public(), h.passwordForgotSubmit},
		{"GET", paths.NamePasswordReset, public(), h.passwordResetPage},
		{"POST", paths.NamePasswordReset, public(), h.passwordResetSubmit},
		{"POST", paths.NameAccountNotifications, browserSession(), h.accountNotifications},
	}
}

func (h *Handlers) mailboxPage(c echo.Context) error {
	page, per, errs := parsePage(c, mailboxPerPage, 100)
	if len(errs) > 0 {
		return errInvalid(errs)
	}
	ms, total, err := h.st.Outbox(c.Request().Context(), page, per)
	if err != nil {
		return err
	}
	l := views.MailboxList{Mails: ms, Pager: views.Pager{Page: page, PerPage: per, Total: total,
		URL: func(n int) string { return paths.Mailbox() + "?page=" + strconv.Itoa(n) }}}
	for _, m := range ms {
		l.Held = l.Held || m.Status == store.MailHeld
	}
	return render(c, http.StatusOK, views.MailboxPage(h.page(c, "Mailbox"), l), nil)
}

func (h *Handlers) mailboxMailPage(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("mailId"), 10, 64)
	if err != nil || id < 1 {
		return errNotFound()
	}
	m, err := h.st.OutboxMailByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.MailboxMailPage(h.page(c, m.Subject), m), nil)
}

type outboxMailJSON struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	To        []string  `json:"to"`
	Subject   string    `json:"subject"`
	Text      string    `json:"text"`
	Status    string    `json:"status"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"lastError,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
}

// apiOutbox is GET /api/outbox: the outbox newest first, ?page= and ?perPage= (25).
func (h *Handlers) apiOutbox(c echo.Context) error {
	page, per, errs := parsePage(c, mailboxPerPage, 200)
	if len(errs) > 0 {
		return errInvalid(errs)
	}
	ms, total, err := h.st.Outbox(c.Request().Context(), page, per)
	if err != nil {
		return err
	}
	out := make([]outboxMailJSON, 0, len(ms))
	for _, m := range ms {
		out = append(out, outboxMailJSON{ID: m.ID, Kind: m.Kind, To: m.To, Subject: m.Subject, Text: m.Text, Status: m.Status,
			Attempts: m.Attempts, LastError: m.LastError, CreatedAt: m.CreatedAt.UTC()})
	}
	return c.JSON(http.StatusOK, map[string]any{"mails": out, "page": page, "perPage": per, "total": total})
}

func (h *Handlers) passwordForgotPage(c echo.Context) error {
	return render(c, http.StatusOK, views.PasswordForgotPage(h.page(c, "Reset your password"), views.PasswordForgotForm{}), nil)
}

// passwordForgotSubmit answers the same whether or not the address has an account, so
// the form does not tell who has one; the mail goes only to an active account.
func (h *Handlers) passwordForgotSubmit(c echo.Context) error {
	f := views.PasswordForgotForm{Email: strings.TrimSpace(c.FormValue("email")), Errs: field.Errors{}}
	if a, err := mail.ParseAddress(f.Email); err != nil || a.Address != f.Email || len(f.Email) > 254 {
		f.Errs.Add("email", "Enter the email address of your account, such as name@example.com.")
		return render(c, http.StatusUnprocessableEntity, views.PasswordForgotPage(h.page(c, "Reset your password"), f), nil)
	}
	// Limited like sign-in attempts (per address and per client, a key of its own), so the
	// form cannot be used to flood someone's inbox.
	if ok, wait := h.limiter.Acquire("password-reset:"+strings.ToLower(f.Email), c.RealIP()); !ok {
		return tooMany(c, wait, "password reset requests")
	}
	if err := h.st.RequestPasswordReset(c.Request().Context(), f.Email, newToken()); err != nil {
		return err
	}
	f.Sent = true
	return render(c, http.StatusOK, views.PasswordForgotPage(h.page(c, "Reset your password"), f), nil)
}

func (h *Handlers) passwordResetPage(c echo.Context) error {
	token := c.Param("token")
	ok, err := h.st.PasswordResetValid(c.Request().Context(), token)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if !ok {
		status = http.StatusGone
	}
	return render(c, status, views.PasswordResetPage(h.page(c, "Set a new password"), views.PasswordResetForm{Token: token, Invalid: !ok}), nil)
}

// passwordResetSubmit sets the password with a single-use token and signs the account out
// everywhere (sessions and API tokens); the person then signs in with the new password.
func (h *Handlers) passwordResetSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	f := views.PasswordResetForm{Token: c.Param("token"), Errs: field.Errors{}}
	ok, err := h.st.PasswordResetValid(ctx, f.Token)
	if err != nil {
		return err
	}
	if !ok {
		f.Invalid = true
		return render(c, http.StatusGone, views.PasswordResetPage(h.page(c, "Set a new password"), f), nil)
	}
	pw := c.FormValue("password")
	f.Errs.Password("password", pw)
	if len(f.Errs) > 0 {
		return render(c, http.StatusUnprocessableEntity, views.PasswordResetPage(h.page(c, "Set a new password"), f), nil)
	}
	hash, err := h.hashPassword(c, pw)
	if err != nil {
		return err
	}
	if _, err := h.st.ResetPassword(ctx, f.Token, hash); errors.Is(err, store.ErrResetInvalid) {
		f.Invalid = true
		return render(c, http.StatusGone, views.PasswordResetPage(h.page(c, "Set a new password"), f), nil)
	} else if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.LoginPage(h.page(c, "Sign in"), views.LoginForm{Notice: "Your password is set. Sign in with it."}), nil)
}

// accountNotifications is the account page's reminders switch (a checkbox: absent is off).
func (h *Handlers) accountNotifications(c echo.Context) error {
	on := c.FormValue("reminders") == "on"
	if err := h.st.SetNotifyReminders(c.Request().Context(), currentUser(c).ID, on); err != nil {
		return err
	}
	if on {
		h.flash(c, "Closing reminders are on.")
	} else {
		h.flash(c, "Closing reminders are off.")
	}
	return redirect(c, paths.Account())
}
