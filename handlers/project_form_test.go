package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/14build/14build/authz"
)

// The edit form refused: 422, the reason beside the field, what was typed kept, nothing saved.
func TestProjectEditFormRefusals(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	o := a.user(authz.RoleOwner, "o@example.com")
	p := a.project(o, "P1")
	a.project(o, "P2")
	c := a.login(o.Email)
	edit := "/projects/" + p.ID
	form := url.Values{"name": {"Renamed"}, "code": {"P2"}, "status": {"tendering"}, "budget": {"10.00"}, "currency": {"usd"}, "timeZone": {"UTC"}}
	res := c.form(edit, form)
	if res.Code != http.StatusUnprocessableEntity {
		t.Fatalf("taken code: %d, want 422", res.Code)
	}
	d := res.Doc(t)
	if msg := d.Find("#err-code").Text(); !strings.Contains(msg, "already used") {
		t.Errorf("code message %q", msg)
	}
	if v, _ := d.Find("#name").Attr("value"); v != "Renamed" {
		t.Errorf("name not kept: %q", v)
	}
	if d.Find(`form[action="`+edit+`"] button[type=submit]`).Length() != 1 {
		t.Errorf("the form does not post back to %s", edit)
	}
	if n := a.count(`SELECT count(*) FROM projects WHERE name = 'Renamed'`); n != 0 {
		t.Error("a refused edit was saved")
	}

	// Several problems at once: each field says its own; the typed budget's reading wins
	// over the generic "required".
	form = url.Values{"name": {""}, "code": {"P1"}, "status": {"dreaming"}, "budget": {"1.234"}, "currency": {"usd"}, "timeZone": {"Mars/Olympus"}}
	d = c.form(edit, form).Doc(t)
	for id, want := range map[string]string{"#err-name": "Enter the project name.", "#err-status": "must be one of", "#err-timeZone": "Choose a time zone", "#err-budget\\.amount": "The budget has more decimal places than the currency allows."} {
		if got := d.Find(id).Text(); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want it to say %q", id, got, want)
		}
	}

	res = c.form(edit, url.Values{"name": {"Renamed"}, "code": {"P1"}, "status": {"tendering"}, "budget": {""}, "currency": {"usd"}, "timeZone": {"UTC"}})
	if res.Code != http.StatusSeeOther || res.Header.Get("Location") != edit {
		t.Fatalf("valid edit: %d to %q", res.Code, res.Header.Get("Location"))
	}
	if n := a.count(`SELECT count(*) FROM projects WHERE name = 'Renamed' AND budget_amount = 0 AND status = 'tendering'`); n != 1 {
		t.Error("the edit was not saved (an empty budget is 0)")
	}
}

// The API's project rules are the page's: one validate, every problem reported at once.
func TestProjectAPIReportsEveryField(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	a.user(authz.RoleOwner, "o@example.com")
	res := a.login("o@example.com").do("POST", "/api/projects", `{"name":"","code":"A1","timeZone":"Mars/Olympus"}`)
	if res.Code != http.StatusBadRequest {
		t.Fatalf("%d %s", res.Code, res.Body)
	}
	fields, _ := res.JSON(t)["fields"].(map[string]any)
	for _, f := range []string{"name", "budget", "timeZone"} {
		if fields[f] == nil {
			t.Errorf("no message for %s: %v", f, fields)
		}
	}
	if n := a.count(`SELECT count(*) FROM projects`); n != 0 {
		t.Errorf("%d projects written", n)
	}
}

// The zone field takes what the picker offers, a city people know, or a picker label; it
// stores the canonical zone name and refuses anything that is not a real zone.
func TestProjectTimeZoneIsAZone(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	o := a.user(authz.RoleOwner, "o@example.com")
	p := a.project(o, "P1")
	c := a.login(o.Email)
	edit := "/projects/" + p.ID
	form := func(zone string) url.Values {
		return url.Values{"name": {"P"}, "code": {"P1"}, "status": {"planning"}, "budget": {"1,250.50"}, "currency": {"nzd"}, "timeZone": {zone}}
	}
	for typed, want := range map[string]string{
		"Wellington":       "Pacific/Auckland",
		"Pacific/Auckland": "Pacific/Auckland",
		"asia/kolkata":     "Asia/Kolkata",
		"Mumbai, Delhi — Asia/Kolkata, India (UTC+5:30)": "Asia/Kolkata",
	} {
		if res := c.form(edit, form(typed)); res.Code != http.StatusSeeOther {
			t.Fatalf("zone %q: %d, want 303", typed, res.Code)
		}
		if n := a.count(`SELECT count(*) FROM projects WHERE id = $1 AND time_zone = $2`, p.ID, want); n != 1 {
			t.Errorf("zone %q was not stored as %s", typed, want)
		}
	}
	for _, typed := range []string{"Mars/Olympus", "Local", "Atlantis", "../../etc/passwd"} {
		res := c.form(edit, form(typed))
		if res.Code != http.StatusUnprocessableEntity {
			t.Fatalf("zone %q: %d, want 422", typed, res.Code)
		}
		d := res.Doc(t)
		if msg := d.Find("#err-timeZone").Text(); !strings.HasPrefix(msg, "Choose a time zone") || !strings.HasSuffix(msg, ".") {
			t.Errorf("zone %q: message %q", typed, msg)
		}
		if _, ok := d.Find("#timeZone[autofocus]").Attr("autofocus"); !ok {
			t.Errorf("zone %q: the field in error is not focused", typed)
		}
		if v, _ := d.Find("#timeZone").Attr("aria-invalid"); v != "true" {
			t.Errorf("zone %q: the field is not marked invalid", typed)
		}
	}
	// The API is held to the same rule.
	res := c.do("POST", "/api/projects", `{"name":"X","code":"X1","budget":{"amount":0,"currency":"usd"},"timeZone":"Mars/Olympus"}`)
	if fields, _ := res.JSON(t)["fields"].(map[string]any); res.Code != http.StatusBadRequest || fields["timeZone"] == nil {
		t.Errorf("API: %d %s", res.Code, res.Body)
	}
}

// The picker lists the zones with their cities, so typing "Wellington" finds Auckland's zone.
func TestProjectFormOffersZonesByCity(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	a.user(authz.RoleOwner, "o@example.com")
	d := a.login("o@example.com").get("/projects/new").Doc(t)
	// The cities are in the option's value, which every browser searches as one types.
	opt := d.Find(`#time-zones option[value*="— Pacific/Auckland,"]`)
	if v, _ := opt.Attr("value"); !strings.HasPrefix(v, "Wellington, Auckland") || !strings.Contains(v, "(UTC+1") {
		t.Errorf("Auckland's option reads %q", v)
	}
	if n := d.Find("#time-zones option").Length(); n < 300 {
		t.Errorf("%d zones offered", n)
	}
	if got := d.Find(`#currency option[value="nzd"]`).Text(); !strings.HasPrefix(got, "NZD") {
		t.Errorf("currency option %q: codes are written in capitals", got)
	}
}

// A new project starts in the currency and zone of the owner's latest project; a first
// project in US dollars and UTC.
func TestNewProjectDefaultsFromTheLatestProject(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	o := a.user(authz.RoleOwner, "o@example.com")
	other := a.user(authz.RoleOwner, "other@example.com")
	c := a.login(o.Email)
	check := func(cur, zone string) {
		t.Helper()
		d := c.get("/projects/new").Doc(t)
		if got, _ := d.Find("#currency option[selected]").Attr("value"); got != cur {
			t.Errorf("currency %q, want %q", got, cur)
		}
		if got, _ := d.Find("#timeZone").Attr("value"); got != zone {
			t.Errorf("time zone %q, want %q", got, zone)
		}
	}
	check("usd", "UTC")
	for _, p := range []struct{ code, cur, zone string }{{"A1", "gbp", "Europe/London"}, {"A2", "nzd", "Pacific/Auckland"}} {
		res := c.form("/projects", url.Values{"name": {"Project " + p.code}, "code": {p.code}, "status": {"planning"}, "budget": {"100"}, "currency": {p.cur}, "timeZone": {p.zone}})
		if res.Code != http.StatusSeeOther {
			t.Fatalf("create %s: %d", p.code, res.Code)
		}
	}
	// Another owner's newer project is not this owner's market.
	a.login(other.Email).form("/projects", url.Values{"name": {"Theirs"}, "code": {"T1"}, "status": {"planning"}, "budget": {"1"}, "currency": {"jpy"}, "timeZone": {"Asia/Tokyo"}})
	check("nzd", "Pacific/Auckland")
}
