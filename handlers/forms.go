package handlers

import (
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/field"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/store"
)

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
func (f *accountForm) validate(roles []authz.Role, needPassword bool, cats []store.Category) (categoryID int64, errs field.Errors) {
	errs = field.Errors{}
	errs.Text("name", f.Name, 1, 200)
	errs.Email("email", f.Email)
	if needPassword || f.Password != "" {
		errs.Password("password", f.Password)
	}
	role := authz.Role(f.Role)
	if f.Role == "" {
		errs.Add("role", "is required")
	} else if !role.Valid() || !containsRole(roles, role) {
		names := make([]string, len(roles))
		for i, r := range roles {
			names[i] = `"` + string(r) + `"`
		}
		errs.Add("role", "must be one of "+strings.Join(names, ", "))
	}
	errs.Text("entity", f.Entity, 1, 200)
	if strings.TrimSpace(f.Category) != "" {
		cat, ok := soq.Categories(cats).Match(f.Category)
		if !ok {
			errs.Add("category", soq.MsgUnknownCategory)
		}
		categoryID = cat.ID
	} else if role == authz.RoleBidder {
		errs.Add("category", "is required for bidders: it decides which tenders you see")
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

// maxPage bounds ?page=: beyond it an offset would be absurd (and page × perPage could
// overflow into a negative OFFSET, which PostgreSQL refuses with a 500).
const maxPage = 100_000

// parsePage is the one reader of ?page= and ?perPage=: whole numbers, page 1..maxPage and
// perPage 1..maxPer (default def). A bad value is a field error; the numbers returned are
// always in range (the default or the nearest bound), so a caller may also just use them.
func parsePage(c echo.Context, def, maxPer int) (page, per int, errs field.Errors) {
	errs = field.Errors{}
	page, per = 1, def
	if s := c.QueryParam("page"); s != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		switch {
		case err != nil || n < 1:
			errs.Add("page", "must be a whole number from 1 to "+itoa(maxPage))
		case n > maxPage:
			errs.Add("page", "must be a whole number from 1 to "+itoa(maxPage))
			page = maxPage
		default:
			page = int(n)
		}
	}
	if s := c.QueryParam("perPage"); s != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		switch {
		case err != nil || n < 1:
			errs.Add("perPage", "must be a whole number from 1 to "+itoa(maxPer))
		case n > int64(maxPer):
			errs.Add("perPage", "must be a whole number from 1 to "+itoa(maxPer))
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
