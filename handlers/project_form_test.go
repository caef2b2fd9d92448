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
	for id, want := range map[string]string{"#err-name": "required", "#err-status": "must be one of", "#err-timeZone": "IANA", "#err-budget\\.amount": "decimal places"} {
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
