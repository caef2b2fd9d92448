// Package views holds the templ components: the layout, shared components and one file per
// resource.
package views

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/a-h/templ"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/field"
	"github.com/14build/14build/money"
	"github.com/14build/14build/project"
	"github.com/14build/14build/static"
	"github.com/14build/14build/store"
	"github.com/14build/14build/tzone"
	"github.com/14build/14build/units"
)

// Page is what the layout needs from every request.
type Page struct {
	Title string
	User  *store.User
	Flash string
	Path  string
	// Can and InProject are what the viewer may do: handlers fill them from the authz
	// rules that the route table enforces (h.page), so a view shows a control exactly when
	// the route behind it would allow it, and views never decide permissions themselves.
	Can       Can
	InProject ProjectCan
}

// Can is what the signed-in person may do anywhere.
type Can struct {
	CreateProject  bool // "New project"
	ManageUsers    bool // the Users menu and the accounts card
	SeeProjects    bool // the Projects menu and the project lists (not bidders)
	SeeAllProjects bool // every project, not only those they are on the team of
	BidOnTenders   bool // the Tenders menu: the board of tenders open to a bidder
}

// ProjectCan is what the viewer may do in the project the page is about (all false
// outside a project).
type ProjectCan struct {
	Edit       bool // edit the project's details
	Delete     bool
	ManageTeam bool // invite and remove members
	EditUnits  bool
	EditSOQ    bool // create and edit SOQs (a draft's; an issued SOQ is read-only to all)
}

func asset(name string) string { return static.URL(name) }

func navActive(p Page, prefix string) bool {
	if prefix == "/" {
		return p.Path == "/"
	}
	return p.Path == prefix || strings.HasPrefix(p.Path, prefix+"/")
}

func navClass(p Page, prefix string) string {
	if navActive(p, prefix) {
		return "nav-link nav-link-active"
	}
	return "nav-link"
}

func initials(name string) string {
	f := strings.Fields(name)
	switch len(f) {
	case 0:
		return "?"
	case 1:
		return strings.ToUpper(firstRune(f[0]))
	}
	return strings.ToUpper(firstRune(f[0]) + firstRune(f[len(f)-1]))
}

func firstRune(s string) string {
	for _, r := range s {
		return string(r)
	}
	return ""
}

func fmtMoney(amount int64, currency string) string { return money.FormatCode(amount, currency) }

// CurrencyLabel is how every form and heading names a currency: its ISO code in capitals
// ("NZD"), whatever case it is stored in.
func CurrencyLabel(code string) string { return strings.ToUpper(strings.TrimSpace(code)) }

func fmtDate(t time.Time) string { return t.UTC().Format("2 Jan 2006") }

func fmtDateTime(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") }

// ProjectTime writes t in the project's time zone and names the zone, so a reader in
// another city knows which clock it is: "3 Dec 2026, 14:05 NZDT (Pacific/Auckland)".
// An unknown or empty zone falls back to UTC rather than hiding the time.
func ProjectTime(t time.Time, zone string) string {
	loc := projectLocation(zone)
	lt := t.In(loc)
	abbr := lt.Format("MST")
	if loc == time.UTC {
		return lt.Format("2 Jan 2006, 15:04") + " UTC"
	}
	// Zones without a letter abbreviation (Asia/Dubai) format it as "+04"; the offset then
	// reads better as UTC+4.
	if abbr != "" && (abbr[0] == '+' || abbr[0] == '-') {
		abbr = "UTC" + tzone.Offset(lt)
	}
	return lt.Format("2 Jan 2006, 15:04") + " " + abbr + " (" + loc.String() + ")"
}

// ProjectDate is the calendar date of t in the project's zone ("3 Dec 2026"): a time just
// after midnight in Auckland is the next day there, whatever the server's clock says.
func ProjectDate(t time.Time, zone string) string {
	return t.In(projectLocation(zone)).Format("2 Jan 2006")
}

func projectLocation(zone string) *time.Location {
	if zone == "" || strings.EqualFold(zone, "local") {
		return time.UTC
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return time.UTC
	}
	return loc
}

func itoa(n int) string { return strconv.Itoa(n) }

// Counted writes a count with its noun in the right number: "1 bath", "19,980 rows".
func Counted(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return Count(n) + " " + many
}

// Count writes a whole number with thousands separators: "19,980".
func Count(n int) string { return Thousands(int64(n)) }

// Thousands writes n with a comma between each group of three digits: "-1,234,567".
func Thousands(n int64) string { return money.Group(n) }

// Decimal writes a fixed-point number stored as an integer count of 10^-places with
// thousands separators and exactly places decimals, so a column of them lines up on the
// decimal point: Decimal(199104, 2) = "1,991.04", Decimal(5, 3) = "0.005".
func Decimal(scaled int64, places int) string {
	if places <= 0 {
		return Thousands(scaled)
	}
	neg := scaled < 0
	if neg {
		scaled = -scaled
	}
	scale := int64(1)
	for range places {
		scale *= 10
	}
	s := Thousands(scaled/scale) + "." + fmt.Sprintf("%0*d", places, scaled%scale)
	if neg {
		return "-" + s
	}
	return s
}

// Area writes an area (hundredths of a square metre) as "1,991.04"; the unit is the
// caller's, written as "m²" and never upper-cased.
func Area(a units.Area) string { return Decimal(int64(a), 2) }

// statusLabel names a project status; "" is the filter's "All".
func statusLabel(s project.Status) string {
	if s == "" {
		return "All"
	}
	return s.Label()
}

func statusBadge(s project.Status) string {
	switch s {
	case project.Planning:
		return "badge bg-sky-50 text-sky-700 ring-sky-600/20"
	case project.Tendering:
		return "badge bg-amber-50 text-amber-800 ring-amber-600/20"
	case project.Construction:
		return "badge bg-indigo-50 text-indigo-700 ring-indigo-600/20"
	case project.Completed:
		return "badge bg-emerald-50 text-emerald-700 ring-emerald-600/20"
	case project.Cancelled:
		return "badge bg-slate-100 text-slate-600 ring-slate-500/20"
	}
	return "badge bg-slate-50 text-slate-600 ring-slate-500/20"
}

// roleBadge colours a role's badge. It is the one use of authz in views: the Role type's
// values, to tell roles apart on screen; what a role may do reaches views as Page.Can.
func roleBadge(r authz.Role) string {
	switch r {
	case authz.RoleAdmin:
		return "badge bg-rose-50 text-rose-700 ring-rose-600/20"
	case authz.RoleOwner:
		return "badge bg-brand-50 text-brand-700 ring-brand-600/20"
	case authz.RoleInHouse:
		return "badge bg-violet-50 text-violet-700 ring-violet-600/20"
	case authz.RoleBidder:
		return "badge bg-amber-50 text-amber-800 ring-amber-600/20"
	}
	return "badge"
}

// fieldAria ties an input to its message when it has one (aria-invalid, and the message
// after any hints in aria-describedby), so a screen reader reads the reason with the field
// and app.js can move focus to the first field in error.
func fieldAria(errs field.Errors, name string, hints ...string) templ.Attributes {
	ids := strings.Join(hints, " ")
	a := templ.Attributes{}
	if errs.Has(name) {
		a["aria-invalid"] = "true"
		ids = strings.TrimSpace(ids + " err-" + name)
	}
	if ids != "" {
		a["aria-describedby"] = ids
	}
	return a
}

// focusFirst is the field that gets autofocus: the first of order (the form's fields top to
// bottom) that has a message, or the first field when none has one. It is the no-JavaScript
// path; app.js does the same after an HTMX swap.
func focusFirst(errs field.Errors, order ...string) string {
	if name := firstInError(errs, order...); name != "" || len(order) == 0 {
		return name
	}
	return order[0]
}

// firstInError is the first of order that has a message, or "": for a page of several
// forms, where nothing takes focus until one of them is refused.
func firstInError(errs field.Errors, order ...string) string {
	for _, name := range order {
		if errs.Has(name) {
			return name
		}
	}
	return ""
}

func inputClass(errs field.Errors, name string) string {
	if errs.Has(name) {
		return "input input-error"
	}
	return "input"
}

// Pager describes one page of a longer list.
type Pager struct {
	Page, PerPage, Total int
	// URL builds the link to page n, keeping the list's filters.
	URL func(n int) string
}

func (p Pager) Pages() int {
	if p.PerPage <= 0 {
		return 1
	}
	n := (p.Total + p.PerPage - 1) / p.PerPage
	if n < 1 {
		n = 1
	}
	return n
}

func (p Pager) From() int {
	if p.Total == 0 {
		return 0
	}
	return (p.Page-1)*p.PerPage + 1
}

func (p Pager) To() int {
	return min(p.Page*p.PerPage, p.Total)
}

func firstName(name string) string {
	if f := strings.Fields(name); len(f) > 0 {
		return f[0]
	}
	return name
}

func firstUnits(us []store.Unit, n int) []store.Unit {
	if len(us) > n {
		return us[:n]
	}
	return us
}

// Sentence writes a rule's message ("reference B1 is already used in this SOQ") as a whole
// sentence for a reader: capital first letter, closing full stop.
func Sentence(msg string) string {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return msg
	}
	r, n := utf8.DecodeRuneInString(msg)
	msg = string(unicode.ToUpper(r)) + msg[n:]
	if !strings.ContainsAny(msg[len(msg)-1:], ".!?") {
		msg += "."
	}
	return msg
}
