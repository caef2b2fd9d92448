package handlers

import (
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/money"
	"github.com/14build/14build/store"
)

// fieldErrors maps a field's name (as the API spells it) to a message for a person.
type fieldErrors map[string]string

func (f fieldErrors) add(field, msg string) {
	if _, ok := f[field]; !ok {
		f[field] = msg
	}
}

func (f fieldErrors) text(field string, v string, min, max int) {
	n := utf8.RuneCountInString(strings.TrimSpace(v))
	switch {
	case n < min && min == 1:
		f.add(field, "is required")
	case n < min:
		f.add(field, "must be at least "+itoa(min)+" characters")
	case n > max:
		f.add(field, "must be at most "+itoa(max)+" characters")
	}
	if strings.ContainsRune(v, 0) {
		f.add(field, "must not contain a NUL character")
	}
}

func (f fieldErrors) email(field, v string) {
	v = strings.TrimSpace(v)
	if v == "" {
		f.add(field, "is required")
		return
	}
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v || len(v) > 254 || !strings.Contains(v[strings.LastIndex(v, "@"):], ".") {
		f.add(field, "must be an email address such as name@example.com")
	}
}

func (f fieldErrors) password(field, v string) {
	n := utf8.RuneCountInString(v)
	switch {
	case n == 0:
		f.add(field, "is required")
	case n < 10:
		f.add(field, "must be at least 10 characters")
	case n > 128:
		f.add(field, "must be at most 128 characters")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// accountForm is registration and an administrator's create/edit of a user.
type accountForm struct {
	Name     string `json:"name"`
	Email    string `json:"email"`
	Password string `json:"password"`
	Role     string `json:"role"`
	Entity   string `json:"entity"`
	Category string `json:"category"`
	Active   *bool  `json:"active,omitempty"`
}

// validate checks the form; roles lists the roles this form may choose; needPassword is
// false when editing. It resolves the category name to its id.
func (f *accountForm) validate(roles []authz.Role, needPassword bool, cats []store.Category) (categoryID int64, errs fieldErrors) {
	errs = fieldErrors{}
	errs.text("name", f.Name, 1, 200)
	errs.email("email", f.Email)
	if needPassword || f.Password != "" {
		errs.password("password", f.Password)
	}
	role := authz.Role(f.Role)
	if f.Role == "" {
		errs.add("role", "is required")
	} else if !role.Valid() || !containsRole(roles, role) {
		names := make([]string, len(roles))
		for i, r := range roles {
			names[i] = `"` + string(r) + `"`
		}
		errs.add("role", "must be one of "+strings.Join(names, ", "))
	}
	errs.text("entity", f.Entity, 1, 200)
	if strings.TrimSpace(f.Category) != "" {
		for _, c := range cats {
			if strings.EqualFold(c.Name, strings.TrimSpace(f.Category)) {
				categoryID = c.ID
			}
		}
		if categoryID == 0 {
			errs.add("category", "is not a trade category we know")
		}
	} else if role == authz.RoleBidder {
		errs.add("category", "is required for bidders: it decides which tenders you see")
	}
	return categoryID, errs
}

func containsRole(rs []authz.Role, r authz.Role) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

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
func (f *projectForm) validate() (store.ProjectInput, fieldErrors) {
	errs := fieldErrors{}
	errs.text("name", f.Name, 1, 200)
	errs.text("code", f.Code, 1, 40)
	errs.text("address", f.Address, 0, 500)
	in := store.ProjectInput{Name: f.Name, Code: f.Code, Address: f.Address, Status: f.Status, TimeZone: f.TimeZone}
	if in.Status == "" {
		in.Status = "planning"
	}
	if !store.ValidProjectStatus(in.Status) {
		errs.add("status", "must be one of "+strings.Join(store.ProjectStatuses, ", "))
	}
	if in.TimeZone == "" {
		in.TimeZone = "UTC"
	}
	if _, err := time.LoadLocation(in.TimeZone); err != nil || strings.EqualFold(in.TimeZone, "local") {
		errs.add("timeZone", "must be an IANA time zone such as Europe/London")
	}
	if f.Budget == nil {
		in.Currency = "usd"
	} else {
		in.Currency = strings.ToLower(strings.TrimSpace(f.Budget.Currency))
		if in.Currency == "" {
			in.Currency = "usd"
		}
		if _, ok := money.Lookup(in.Currency); !ok {
			errs.add("budget.currency", "is not a currency we support")
		}
		if f.Budget.Amount == nil {
			errs.add("budget.amount", "is required (an integer in minor units: 125000 = 1,250.00)")
		} else if *f.Budget.Amount < 0 {
			errs.add("budget.amount", "must not be negative")
		} else if *f.Budget.Amount > money.MaxMinor {
			errs.add("budget.amount", "is too large")
		} else {
			in.BudgetAmount = *f.Budget.Amount
		}
	}
	return in, errs
}

// maxPage bounds ?page=: beyond it an offset would be absurd (and page × perPage could
// overflow into a negative OFFSET, which PostgreSQL refuses with a 500).
const maxPage = 100_000

// parsePage is the one reader of ?page= and ?perPage=: whole numbers, page 1..maxPage and
// perPage 1..maxPer (default def). A bad value is a field error; the numbers returned are
// always in range (the default or the nearest bound), so a caller may also just use them.
func parsePage(c echo.Context, def, maxPer int) (page, per int, errs fieldErrors) {
	errs = fieldErrors{}
	page, per = 1, def
	if s := c.QueryParam("page"); s != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		switch {
		case err != nil || n < 1:
			errs.add("page", "must be a whole number from 1 to "+itoa(maxPage))
		case n > maxPage:
			errs.add("page", "must be a whole number from 1 to "+itoa(maxPage))
			page = maxPage
		default:
			page = int(n)
		}
	}
	if s := c.QueryParam("perPage"); s != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		switch {
		case err != nil || n < 1:
			errs.add("perPage", "must be a whole number from 1 to "+itoa(maxPer))
		case n > int64(maxPer):
			errs.add("perPage", "must be a whole number from 1 to "+itoa(maxPer))
			per = maxPer
		default:
			per = int(n)
		}
	}
	return page, per, errs
}

// pageNumber is ?page= for pages that show the nearest page rather than an error.
func pageNumber(c echo.Context) int {
	page, _, _ := parsePage(c, 1, 1)
	return page
}
