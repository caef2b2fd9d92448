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
