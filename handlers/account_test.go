package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/units"
)

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	a.user(authz.RoleOwner, "o@example.com")
	here, elsewhere := a.login("o@example.com"), a.login("o@example.com")
	res := here.form("/account/password", url.Values{"current": {"wrong one!"}, "password": {"a new long password"}})
	if res.Code != 422 || res.Doc(t).Find("#err-current").Length() != 1 {
		t.Fatalf("wrong current password: %d", res.Code)
	}
	res = here.form("/account/password", url.Values{"current": {testPassword}, "password": {"a new long password"}})
	if res.Code != http.StatusSeeOther {
		t.Fatalf("change: %d %s", res.Code, res.Body)
	}
	if res := here.get("/api/me"); res.Code != 200 {
		t.Errorf("this session ended: %d", res.Code)
	}
	if res := elsewhere.get("/api/me"); res.Code != 401 {
		t.Errorf("other session survived: %d", res.Code)
	}
	if res := a.client().do("POST", "/api/auth/login", map[string]any{"email": "o@example.com", "password": "a new long password"}); res.Code != 200 {
		t.Errorf("new password: %d", res.Code)
	}
}

func TestProfileUpdate(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	a.user(authz.RoleBidder, "b@example.com")
	c := a.login("b@example.com")
	res := c.form("/account", url.Values{"name": {"Bea B"}, "entity": {"Spark Ltd"}, "category": {""}})
	if res.Code != 422 || res.Doc(t).Find("#err-category").Length() != 1 {
		t.Fatalf("bidder without trade: %d", res.Code)
	}
	res = c.form("/account", url.Values{"name": {"Bea B"}, "entity": {"Spark Ltd"}, "category": {"Electrical"}})
	if res.Code != http.StatusSeeOther {
		t.Fatalf("save: %d", res.Code)
	}
	me := c.get("/api/me").JSON(t)["user"].(map[string]any)
	if me["name"] != "Bea B" || me["entity"].(map[string]any)["name"] != "Spark Ltd" || me["category"].(map[string]any)["name"] != "Electrical" {
		t.Errorf("me = %v", me)
	}
}

// Owners work in no trade: no form asks them for one, and one sent anyway is not stored.
func TestOwnersAreNotAskedForATrade(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	a.user(authz.RoleOwner, "o@example.com")
	admin := a.user(authz.RoleAdmin, "admin@example.com")
	o := a.login("o@example.com")
	if n := o.get("/account").Doc(t).Find("#category").Length(); n != 0 {
		t.Error("the account page asks an owner for a trade category")
	}
	if res := o.form("/account", url.Values{"name": {"Olive O"}, "entity": {"Olive Homes"}, "category": {"Electrical"}}); res.Code != http.StatusSeeOther {
		t.Fatalf("owner's profile: %d", res.Code)
	}
	if n := a.count(`SELECT count(*) FROM users WHERE email = 'o@example.com' AND category_id IS NULL AND name = 'Olive O'`); n != 1 {
		t.Error("an owner's profile kept a trade category")
	}

	// Registration: the field is there for bidders, hidden (CSS :has) while "owner" is
	// chosen, and an owner registering with a category sent gets none.
	d := a.client().get("/register").Doc(t)
	cls, _ := d.Find("[data-trade-category]").Attr("class")
	if !strings.Contains(cls, "[value=owner]:checked") {
		t.Errorf("the category field is not hidden while owner is chosen: class %q", cls)
	}
	res := a.client().form("/register", url.Values{"name": {"New Owner"}, "email": {"new@example.com"}, "password": {"long enough pw"},
		"role": {"owner"}, "entity": {"New Homes"}, "category": {"Electrical"}})
	if res.Code != http.StatusSeeOther {
		t.Fatalf("owner registration: %d", res.Code)
	}
	if n := a.count(`SELECT count(*) FROM users WHERE email = 'new@example.com' AND category_id IS NULL`); n != 1 {
		t.Error("a registering owner was given a trade category")
	}
	// A bidder still must name one, in a whole sentence.
	res = a.client().form("/register", url.Values{"name": {"Bo"}, "email": {"bo@example.com"}, "password": {"long enough pw"}, "role": {"bidder"}, "entity": {"Bo's Bricks"}})
	if msg := res.Doc(t).Find("#err-category").Text(); res.Code != 422 || msg != msgBidderCategory {
		t.Errorf("bidder without trade: %d %q", res.Code, msg)
	}

	// The administrator's form: an owner made with a category has none.
	ac := a.login(admin.Email)
	if res := ac.do("POST", "/api/users", map[string]any{"name": "Own Er", "email": "owner2@example.com", "password": "long enough pw",
		"role": "owner", "entity": "Harbour Homes", "category": "Electrical"}); res.Code != 201 {
		t.Fatalf("admin create owner: %d %s", res.Code, res.Body)
	}
	if n := a.count(`SELECT count(*) FROM users WHERE email = 'owner2@example.com' AND category_id IS NULL`); n != 1 {
		t.Error("an owner created by an administrator was given a trade category")
	}
}

// Messages beside fields are whole sentences, and the first field in error has focus.
func TestFormMessagesAreSentences(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	res := a.client().form("/register", url.Values{"name": {""}, "email": {"nope"}, "password": {"short"}, "role": {"owner"}, "entity": {""}})
	d := res.Doc(t)
	for id, want := range map[string]string{
		"#err-name":     "Enter the full name.",
		"#err-email":    "Enter an email address such as name@example.com.",
		"#err-password": "The password must be at least 10 characters.",
		"#err-entity":   "Enter the company's name.",
	} {
		if got := d.Find(id).Text(); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	if _, ok := d.Find("#name").Attr("autofocus"); !ok {
		t.Error("the first field in error (name) has no autofocus")
	}
	if _, ok := d.Find("#email").Attr("autofocus"); ok {
		t.Error("a later field has autofocus too")
	}
}

// Every page links the favicon under a content-hashed URL, served as SVG.
func TestFavicon(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	c := a.client()
	href, _ := c.get("/login").Doc(t).Find(`link[rel="icon"]`).Attr("href")
	if !strings.HasPrefix(href, "/static/favicon.") || !strings.HasSuffix(href, ".svg") || href == "/static/favicon.svg" {
		t.Fatalf("favicon link %q: want a hashed /static URL", href)
	}
	res := c.get(href)
	if res.Code != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "image/svg+xml") || !strings.Contains(res.Body, "<svg") {
		t.Errorf("favicon: %d %s", res.Code, res.Header.Get("Content-Type"))
	}
}

func TestProjectIncludesUnits(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	o := a.user(authz.RoleOwner, "o@example.com")
	p := a.project(o, "U1")
	if _, err := a.st.CreateUnits(context.Background(), p.ID, []units.Unit{{UnitNumber: "A-01", UnitType: "Townhouse", TotalArea: 14250, NumberOfFloors: 2, NumberOfRooms: 3, NumberOfBathrooms: 2, FloorAreas: []units.Area{7000, 7250}}}, false); err != nil {
		t.Fatal(err)
	}
	m := a.login(o.Email).get("/api/projects/" + p.ID).JSON(t)
	units := m["units"].([]any)
	if len(units) != 1 {
		t.Fatalf("units %v", m["units"])
	}
	u := units[0].(map[string]any)
	if u["unitNumber"] != "A-01" || u["totalFloorArea"] != 142.5 || u["numberOfFloors"] != float64(2) || u["createdByAI"] != false {
		t.Errorf("unit %v", u)
	}
	if page := a.login(o.Email).get("/projects/" + p.ID); !strings.Contains(page.Body, "142.50") {
		t.Error("project page lacks the unit")
	}
}
