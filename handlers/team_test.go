package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/14build/14build/authz"
)

func TestInviteExistingAndNewInHouseUsers(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	o := a.user(authz.RoleOwner, "o@example.com")
	est := a.user(authz.RoleInHouse, "est@example.com")
	p := a.project(o, "T1")
	c := a.login(o.Email)

	// An existing in-house account is invited, not added: it must accept first.
	res := c.do("POST", "/api/projects/"+p.ID+"/team", map[string]any{"email": "EST@example.com"})
	if res.Code != 201 || res.JSON(t)["invitation"] == nil || res.JSON(t)["teamMember"] != nil {
		t.Fatalf("invite existing: %d %s", res.Code, res.Body)
	}
	ec := a.login(est.Email)
	if res := ec.get("/api/projects/" + p.ID); res.Code != 404 {
		t.Errorf("invitee reads the project before accepting: %d", res.Code)
	}
	invs := ec.get("/api/me/invitations").JSON(t)["invitations"].([]any)
	if len(invs) != 1 {
		t.Fatalf("invitee's invitations: %v", invs)
	}
	invID := int(invs[0].(map[string]any)["id"].(float64))
	if res := ec.do("POST", "/api/invitations/"+itoa(invID)+"/accept", nil); res.Code != 200 {
		t.Fatalf("accept: %d %s", res.Code, res.Body)
	}
	if res := ec.get("/api/projects/" + p.ID); res.Code != 200 {
		t.Errorf("member cannot read the project: %d", res.Code)
	}
	// Refusals are field errors; only people already on the team (whom the owner sees) are named.
	for email, why := range map[string]string{"est@example.com": "already on the team", "o@example.com": "already on the team", "nope": "email address"} {
		res := c.do("POST", "/api/projects/"+p.ID+"/team", map[string]any{"email": email})
		if res.Code != 400 || !strings.Contains(res.Body, why) {
			t.Errorf("invite %s: %d %s", email, res.Code, res.Body)
		}
	}
	// An unknown email gets a link; the link registers an in-house user who joins.
	res = c.do("POST", "/api/projects/"+p.ID+"/team", map[string]any{"email": "new.qs@example.com"})
	if res.Code != 201 || res.JSON(t)["message"] != "Invitation sent to new.qs@example.com." {
		t.Fatalf("invite new: %d %s", res.Code, res.Body)
	}
	link := res.JSON(t)["invitation"].(map[string]any)["url"].(string)
	if !strings.HasPrefix(link, "http://14build.test/invitations/") {
		t.Fatalf("link %q", link)
	}
	path := strings.TrimPrefix(link, "http://14build.test")
	if res := c.do("POST", "/api/projects/"+p.ID+"/team", map[string]any{"email": "new.qs@example.com"}); res.Code != 400 {
		t.Errorf("second invitation: %d", res.Code)
	}
	// The owner sees it on the team page with its link.
	if !strings.Contains(c.get("/projects/"+p.ID+"/team").Body, path) {
		t.Error("team page lacks the pending invitation link")
	}
	guest := a.client()
	page := guest.get(path)
	if page.Code != 200 || !strings.Contains(page.Body, "new.qs@example.com") || !strings.Contains(page.Body, p.Name) {
		t.Fatalf("invitation page: %d", page.Code)
	}
	res = guest.form(path, url.Values{"name": {""}, "password": {"short"}, "entity": {"QS Ltd"}})
	if res.Code != 422 || res.Doc(t).Find("#err-name").Length() != 1 || res.Doc(t).Find("#err-password").Length() != 1 {
		t.Fatalf("invalid acceptance: %d", res.Code)
	}
	res = guest.form(path, url.Values{"name": {"Nia QS"}, "password": {"a long password"}, "entity": {"QS Ltd"}})
	if res.Code != http.StatusSeeOther || res.Header.Get("Location") != "/projects/"+p.ID {
		t.Fatalf("accept: %d %s", res.Code, res.Header.Get("Location"))
	}
	me := guest.get("/api/me").JSON(t)["user"].(map[string]any)
	if me["role"] != "inhouse" || me["email"] != "new.qs@example.com" {
		t.Errorf("new account %v", me)
	}
	if res := guest.get("/projects/" + p.ID); res.Code != 200 {
		t.Errorf("new member cannot open the project: %d", res.Code)
	}
	// The link is spent.
	if res := a.client().get(path); res.Code != 404 {
		t.Errorf("used link: %d", res.Code)
	}
	team := c.get("/api/projects/" + p.ID + "/team").JSON(t)
	if len(team["teamMembers"].([]any)) != 3 || len(team["invitations"].([]any)) != 0 {
		t.Errorf("team after acceptance: %v", team)
	}
}

func TestRemoveMemberEndsAccess(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	o := a.user(authz.RoleOwner, "o@example.com")
	m := a.user(authz.RoleInHouse, "m@example.com")
	p := a.project(o, "T2", m)
	mc := a.login(m.Email)
	c := a.login(o.Email)
	// Without JavaScript there is a confirmation page first.
	conf := c.get("/projects/" + p.ID + "/team/" + m.ID + "/remove")
	if conf.Code != 200 || conf.Doc(t).Find(`form[action="/projects/`+p.ID+`/team/`+m.ID+`/remove"]`).Length() != 1 {
		t.Fatalf("confirm page: %d", conf.Code)
	}
	res := c.form("/projects/"+p.ID+"/team/"+m.ID+"/remove", nil, "HX-Request", "true")
	if res.Code != 200 || strings.Contains(res.Body, "m@example.com") || !strings.Contains(res.Body, "was removed") {
		t.Fatalf("remove: %d", res.Code)
	}
	if res := mc.get("/projects/" + p.ID); res.Code != 404 {
		t.Errorf("removed member still sees the project: %d", res.Code)
	}
	// The owner cannot be removed.
	if res := c.do("DELETE", "/api/projects/"+p.ID+"/team/"+o.ID, nil); res.Code != http.StatusConflict {
		t.Errorf("remove owner: %d", res.Code)
	}
	// Someone not on the team: 404.
	if res := c.do("DELETE", "/api/projects/"+p.ID+"/team/"+m.ID, nil); res.Code != 404 {
		t.Errorf("remove non-member: %d", res.Code)
	}
}

func TestInvitePageFormKeepsInputOnError(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	o := a.user(authz.RoleOwner, "o@example.com")
	p := a.project(o, "T3")
	c := a.login(o.Email)
	res := c.form("/projects/"+p.ID+"/team", url.Values{"email": {"not an email"}}, "HX-Request", "true")
	if res.Code != 422 {
		t.Fatalf("code %d", res.Code)
	}
	d := res.Doc(t)
	if v, _ := d.Find("#invite-email").Attr("value"); v != "not an email" || d.Find("#err-email").Length() != 1 {
		t.Errorf("value %q", v)
	}
	// Revoking a pending invitation.
	c.form("/projects/"+p.ID+"/team", url.Values{"email": {"later@example.com"}})
	var id int
	if err := a.st.DB().Get(&id, `SELECT id FROM invitations`); err != nil {
		t.Fatal(err)
	}
	if res := c.form("/projects/"+p.ID+"/invitations/"+itoa(id)+"/revoke", nil); res.Code != http.StatusSeeOther {
		t.Errorf("revoke: %d", res.Code)
	}
	if n := a.count(`SELECT count(*) FROM invitations`); n != 0 {
		t.Errorf("%d invitations left", n)
	}
}

func TestAdminUsers(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	admin := a.user(authz.RoleAdmin, "admin@example.com")
	c := a.login(admin.Email)
	res := c.do("POST", "/api/users", map[string]any{"name": "Sam Surveyor", "email": "sam@example.com", "password": "long enough pw",
		"role": "inhouse", "entity": "Harbour Homes", "category": "Concrete"})
	if res.Code != 201 {
		t.Fatalf("create: %d %s", res.Code, res.Body)
	}
	u := res.JSON(t)["user"].(map[string]any)
	if u["category"].(map[string]any)["name"] != "Concrete" || u["entity"].(map[string]any)["name"] != "Harbour Homes" {
		t.Errorf("user %v", u)
	}
	id := u["id"].(string)
	res = c.do("PUT", "/api/users/"+id, map[string]any{"name": "Sam S.", "email": "sam@example.com", "role": "owner", "entity": "harbour homes ", "category": ""})
	if res.Code != 200 || res.JSON(t)["user"].(map[string]any)["role"] != "owner" {
		t.Fatalf("update: %d %s", res.Code, res.Body)
	}
	// Entities are matched by name whatever the case.
	if n := a.count(`SELECT count(*) FROM entities WHERE lower(name) = 'harbour homes'`); n != 1 {
		t.Errorf("%d Harbour Homes entities", n)
	}
	list := c.get("/api/users?q=sam").JSON(t)
	if list["total"] != float64(1) {
		t.Errorf("search: %v", list["total"])
	}
	// An administrator cannot lock themselves out.
	if res := c.do("DELETE", "/api/users/"+admin.ID, nil); res.Code != http.StatusConflict {
		t.Errorf("self-deactivate: %d", res.Code)
	}
	res = c.do("PUT", "/api/users/"+admin.ID, map[string]any{"name": "A", "email": "admin@example.com", "role": "owner", "entity": "X"})
	if res.Code != 400 {
		t.Errorf("self-demote: %d", res.Code)
	}
	// The page form: invalid input re-renders with messages.
	res = c.form("/admin/users", url.Values{"name": {"X"}, "email": {"x@"}, "password": {"short"}, "role": {"bidder"}, "entity": {"Co"}})
	if res.Code != 422 || res.Doc(t).Find("#err-category").Length() != 1 {
		t.Errorf("admin form: %d", res.Code)
	}
	page := c.get("/admin/users?role=owner")
	if page.Code != 200 || !strings.Contains(page.Body, "sam@example.com") || strings.Contains(page.Body, "admin@example.com</div>") {
		t.Errorf("users page filter: %d", page.Code)
	}
}

// Invitation times are shown in the project's zone, and the zone is named: on the team page
// and on the invitee's dashboard.
func TestInvitationTimesInTheProjectZone(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	o := a.user(authz.RoleOwner, "o@example.com")
	est := a.user(authz.RoleInHouse, "est@example.com")
	p := a.project(o, "T1")
	if _, err := a.st.DB().Exec(`UPDATE projects SET time_zone = 'Pacific/Auckland' WHERE id = $1`, p.ID); err != nil {
		t.Fatal(err)
	}
	c := a.login(o.Email)
	if res := c.do("POST", "/api/projects/"+p.ID+"/team", map[string]any{"email": est.Email}); res.Code != 201 {
		t.Fatalf("invite: %d %s", res.Code, res.Body)
	}
	if got := c.get("/projects/" + p.ID + "/team").Body; !strings.Contains(got, "(Pacific/Auckland)") || !strings.Contains(got, "NZ") {
		t.Error("the team page does not show the invitation's expiry in the project's zone")
	}
	if got := a.login(est.Email).get("/").Body; !strings.Contains(got, "(Pacific/Auckland)") {
		t.Error("the invitee's dashboard does not name the project's zone")
	}
}
