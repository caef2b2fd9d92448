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

// sentences rewrites field messages as the whole sentences a person reads beside a field.
// The rules (field.Text, field.Email, units.Validate…) speak in fragments shared with the API
// and imports ("is required", "must be at most 200 characters"); names says what each field
// is, so "is required" reads "Enter the project name." and another fragment gets its
// subject, a capital and a full stop. A field without a name keeps its words and only gets
// the capital and full stop.
func sentences(errs field.Errors, names map[string]fieldWords) field.Errors {
	out := make(field.Errors, len(errs))
	for name, msg := range errs {
		out[name] = sentence(names[name], msg)
	}
	return out
}

// fieldWords is how messages name a field: what to enter ("the project name") and the
// subject of a sentence about it ("The project name").
type fieldWords struct{ Enter, Subject string }

// sentenceFor holds fragments whose sentence is better said another way than with a
// subject in front.
var sentenceFor = map[string]string{
	"must be an email address such as name@example.com": "Enter an email address such as name@example.com.",
	soq.MsgUnknownCategory:                              "Choose a trade category from the list.",
	"must not contain a NUL character":                  "Remove the NUL character (a control character) from this field.",
}

func sentence(n fieldWords, msg string) string {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return msg
	}
	if s, ok := sentenceFor[msg]; ok {
		return s
	}
	switch {
	case n.Enter != "" && (msg == "is required" || strings.HasSuffix(msg, " is required")):
		// "total floor area is required": some rules name the field themselves.
		return "Enter " + n.Enter + "."
	case n.Subject != "" && (strings.HasPrefix(msg, "is ") || strings.HasPrefix(msg, "must ") || strings.HasPrefix(msg, "has ")):
		msg = n.Subject + " " + msg
	}
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	switch msg[len(msg)-1] {
	case '.', '?', '!':
		return msg
	}
	return msg + "."
}

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
		errs.Add("role", "Choose a role.")
	} else if !role.Valid() || !containsRole(roles, role) {
		names := make([]string, len(roles))
		for i, r := range roles {
			names[i] = `"` + string(r) + `"`
		}
		errs.Add("role", "must be one of "+strings.Join(names, ", "))
	}
	errs.Text("entity", f.Entity, 1, 200)
	switch {
	case !hasTrade(role):
		// Owners and administrators price nothing: a category sent for them is ignored, not
		// stored, and the forms do not ask for one.
	case strings.TrimSpace(f.Category) != "":
		cat, ok := soq.Categories(cats).Match(f.Category)
		if !ok {
			errs.Add("category", soq.MsgUnknownCategory)
		}
		categoryID = cat.ID
	case role == authz.RoleBidder:
		errs.Add("category", msgBidderCategory)
	}
	return categoryID, sentences(errs, accountSubjects)
}

const msgBidderCategory = "Choose your trade category: it decides which tenders you are offered."

// hasTrade reports whether people with role r work in a trade: bidders must name theirs
// (tenders are offered by trade) and in-house staff may; owners and administrators are not
// asked.
func hasTrade(r authz.Role) bool { return r == authz.RoleBidder || r == authz.RoleInHouse }

// accountSubjects names the account forms' fields in their messages.
var accountSubjects = map[string]fieldWords{
	"name":     {"the full name", "The full name"},
	"email":    {"an email address", "The email address"},
	"password": {"a password", "The password"},
	"current":  {"the current password", "The current password"},
	"role":     {"a role", "The role"},
	"entity":   {"the company's name", "The company's name"},
	"category": {"a trade category", "The trade category"},
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
			errs.Add("page", "The page must be a whole number from 1 to "+itoa(maxPage)+".")
		case n > maxPage:
			errs.Add("page", "The page must be a whole number from 1 to "+itoa(maxPage)+".")
			page = maxPage
		default:
			page = int(n)
		}
	}
	if s := c.QueryParam("perPage"); s != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		switch {
		case err != nil || n < 1:
			errs.Add("perPage", "The page size must be a whole number from 1 to "+itoa(maxPer)+".")
		case n > int64(maxPer):
			errs.Add("perPage", "The page size must be a whole number from 1 to "+itoa(maxPer)+".")
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
