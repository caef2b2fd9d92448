package handlers

// Regression tests for issue 8, "Sessions and credentials" and "Logins": each performs the
// attack the issue describes and shows it refused. Races run many times.

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/store"
)

// sessionCookie returns the client's session cookie value.
func (c *client) sessionCookie(t testing.TB) string {
	t.Helper()
	for _, ck := range c.hc.Jar.Cookies(mustURL(c.a.srv.URL)) {
		if ck.Name == sessionName {
			return ck.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

// rawCookie sends a request carrying exactly this session cookie, with no jar: a cleared
// cookie in the answer cannot hide a session that still works.
func (a *testApp) rawCookie(method, path, cookie string, form url.Values) int {
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req, _ := http.NewRequest(method, a.srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.AddCookie(&http.Cookie{Name: sessionName, Value: cookie})
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.Do(req)
	if err != nil {
		a.t.Error(err)
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

// The attack: requests already in flight with the old cookie save the session
// (a flash message) while a password change or a deactivation deletes it. Saving used to
// upsert the row, so the old cookie worked again in 9 of 10 trials.
func TestDeletedSessionNeverComesBack(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	admin := a.user(authz.RoleAdmin, "admin@example.com")
	ac := a.login(admin.Email)
	profile := url.Values{"name": {"Vic Victim"}, "entity": {"Victim Co"}, "category": {""}}
	const trials, loops = 12, 8

	for _, how := range []string{"password change", "deactivation"} {
		for trial := 0; trial < trials; trial++ {
			email := strings.ReplaceAll(how, " ", "-") + itoa(trial) + "@example.com"
			u := a.user(authz.RoleOwner, email)
			old := a.login(email).sessionCookie(t)
			keeper := a.login(email) // the device that changes the password

			stop := make(chan struct{})
			var wg sync.WaitGroup
			var saved atomic.Int64
			for range loops {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						if a.rawCookie("POST", "/account", old, profile) == http.StatusSeeOther {
							saved.Add(1)
						}
					}
				}()
			}
			// Let the loop get going, end the session in the middle of it, keep it going.
			for saved.Load() < loops {
				time.Sleep(time.Millisecond)
			}
			switch how {
			case "password change":
				if res := keeper.form("/account/password", url.Values{"current": {testPassword}, "password": {"a brand new password"}}); res.Code != http.StatusSeeOther {
					t.Fatalf("change password: %d", res.Code)
				}
			case "deactivation":
				if res := ac.do("DELETE", "/api/users/"+u.ID, nil); res.Code != http.StatusNoContent {
					t.Fatalf("deactivate: %d", res.Code)
				}
			}
			time.Sleep(30 * time.Millisecond)
			close(stop)
			wg.Wait()

			if code := a.rawCookie("GET", "/api/me", old, nil); code != http.StatusUnauthorized {
				t.Errorf("%s, trial %d: the old cookie works again: GET /api/me = %d", how, trial, code)
			}
			if n := a.count(`SELECT count(*) FROM sessions WHERE id_hash = $1`, hashToken(old)); n != 0 {
				t.Errorf("%s, trial %d: the deleted session row is back", how, trial)
			}
			want := 0
			if how == "password change" {
				want = 1 // the device that changed it stays signed in
			}
			if n := a.count(`SELECT count(*) FROM sessions WHERE user_id = $1`, u.ID); n != want {
				t.Errorf("%s, trial %d: %d sessions, want %d", how, trial, n, want)
			}
		}
	}
}

// A logged-out cookie answers as a stranger even when a request saves the session after
// the logout; the saving request's answer clears the cookie instead of resurrecting it.
func TestSaveAfterLogoutClearsCookie(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	a.user(authz.RoleOwner, "o@example.com")
	c := a.login("o@example.com")
	old := c.sessionCookie(t)
	if err := a.st.DeleteSession(t.Context(), hashToken(old)); err != nil {
		t.Fatal(err)
	}
	// Updating a row that is gone is refused by the store itself.
	uid := "00000000-0000-0000-0000-000000000000"
	if err := a.st.UpdateSession(t.Context(), hashToken(old), &uid, map[string]any{"flash": "x"}, time.Now().Add(time.Hour)); err != store.ErrNotFound {
		t.Errorf("UpdateSession on a deleted row: %v", err)
	}
	if code := a.rawCookie("GET", "/api/me", old, nil); code != http.StatusUnauthorized {
		t.Errorf("logged-out cookie: %d", code)
	}
	if n := a.count(`SELECT count(*) FROM sessions`); n != 0 {
		t.Errorf("%d sessions", n)
	}
}

// tokenFor creates an API token for the signed-in client and returns it.
func (c *client) tokenFor(t testing.TB, name string) string {
	t.Helper()
	res := c.form("/account/tokens", url.Values{"name": {name}})
	if res.Code != http.StatusCreated {
		t.Fatalf("create token: %d", res.Code)
	}
	tok, _ := res.Doc(t).Find("#new-token").Attr("value")
	return tok
}

func (a *testApp) bearer(tok string) *client {
	c := a.client()
	c.headers.Set("Authorization", "Bearer "+tok)
	return c
}

// A password change (the user's own, or an administrator's reset by API or page) ends the
// other sessions and revokes every API token: one store function serves all three.
func TestPasswordChangeRevokesSessionsAndTokens(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	admin := a.user(authz.RoleAdmin, "admin@example.com")
	ac := a.login(admin.Email)
	u := a.user(authz.RoleOwner, "o@example.com")

	// The user's own change, on the page.
	here, elsewhere := a.login(u.Email), a.login(u.Email)
	tok := here.tokenFor(t, "ci")
	if res := a.bearer(tok).get("/api/me"); res.Code != 200 {
		t.Fatalf("token before: %d", res.Code)
	}
	if res := here.form("/account/password", url.Values{"current": {testPassword}, "password": {"second password!"}}); res.Code != http.StatusSeeOther {
		t.Fatalf("change: %d", res.Code)
	}
	if res := a.bearer(tok).get("/api/me"); res.Code != 401 {
		t.Errorf("API token survived the password change: %d", res.Code)
	}
	if res := elsewhere.get("/api/me"); res.Code != 401 {
		t.Errorf("other session survived: %d", res.Code)
	}
	if res := here.get("/api/me"); res.Code != 200 {
		t.Errorf("the changing session ended: %d", res.Code)
	}
	if n := a.count(`SELECT count(*) FROM api_tokens WHERE user_id = $1`, u.ID); n != 0 {
		t.Errorf("%d tokens left", n)
	}

	// An administrator's reset through the API (the query used to compare with NULL and end
	// nothing): every session and token of the user ends.
	tok = here.tokenFor(t, "ci 2")
	other := a.login2(u.Email, "second password!")
	res := ac.do("PUT", "/api/users/"+u.ID, map[string]any{"name": u.Name, "email": u.Email, "role": "owner", "entity": u.EntityName, "password": "third password!"})
	if res.Code != 200 {
		t.Fatalf("admin reset: %d %s", res.Code, res.Body)
	}
	for name, c := range map[string]*client{"here": here, "other": other, "token": a.bearer(tok)} {
		if res := c.get("/api/me"); res.Code != 401 {
			t.Errorf("admin API reset: %s still works: %d", name, res.Code)
		}
	}
	if n := a.count(`SELECT count(*) FROM sessions WHERE user_id = $1`, u.ID) + a.count(`SELECT count(*) FROM api_tokens WHERE user_id = $1`, u.ID); n != 0 {
		t.Errorf("admin API reset left %d sessions and tokens", n)
	}

	// The administrators' page form resets too.
	s := a.login2(u.Email, "third password!")
	tok = s.tokenFor(t, "ci 3")
	res = ac.form("/admin/users/"+u.ID, url.Values{"name": {u.Name}, "email": {u.Email}, "role": {"owner"}, "entity": {u.EntityName}, "active": {"true"}, "password": {"fourth password!"}})
	if res.Code != http.StatusSeeOther {
		t.Fatalf("admin page reset: %d %s", res.Code, res.Body)
	}
	for name, c := range map[string]*client{"session": s, "token": a.bearer(tok)} {
		if res := c.get("/api/me"); res.Code != 401 {
			t.Errorf("admin page reset: %s still works: %d", name, res.Code)
		}
	}
	if res := a.client().do("POST", "/api/auth/login", map[string]any{"email": u.Email, "password": "fourth password!"}); res.Code != 200 {
		t.Errorf("new password: %d", res.Code)
	}
	// The administrator's own session is untouched.
	if res := ac.get("/api/me"); res.Code != 200 {
		t.Errorf("admin signed out: %d", res.Code)
	}
}

// login2 signs in with a given password.
func (a *testApp) login2(email, password string) *client {
	a.t.Helper()
	c := a.client()
	if res := c.do("POST", "/api/auth/login", map[string]any{"email": email, "password": password}); res.Code != http.StatusOK {
		a.t.Fatalf("login %s: %d %s", email, res.Code, res.Body)
	}
	return c
}

// A bearer token cannot make, list or revoke tokens, nor change the password: a leaked token
// could otherwise mint itself successors or lock the owner out.
func TestBearerTokenCannotManageCredentials(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	u := a.user(authz.RoleOwner, "o@example.com")
	c := a.login(u.Email)
	tok := c.tokenFor(t, "ci")
	var id int
	if err := a.st.DB().Get(&id, `SELECT id FROM api_tokens`); err != nil {
		t.Fatal(err)
	}
	hashBefore, _ := a.st.PasswordHash(t.Context(), u.ID)
	api := a.bearer(tok)
	for _, tc := range []struct {
		method, path string
		form         url.Values
	}{
		{"POST", "/account/tokens", url.Values{"name": {"minted by a token"}}},
		{"GET", "/account", nil},
		{"POST", "/account/tokens/" + itoa(id) + "/delete", nil},
		{"POST", "/account/password", url.Values{"current": {testPassword}, "password": {"attacker's password"}}},
		{"POST", "/account", url.Values{"name": {"Renamed"}, "entity": {"X"}}},
	} {
		var res response
		if tc.method == "GET" {
			res = api.get(tc.path)
		} else {
			res = api.form(tc.path, tc.form)
		}
		if res.Code != http.StatusForbidden || !strings.Contains(res.Body, "browser session") {
			t.Errorf("%s %s with a bearer token: %d", tc.method, tc.path, res.Code)
		}
		if strings.Contains(res.Body, tok[:10]) {
			t.Errorf("%s %s lists the token", tc.method, tc.path)
		}
	}
	if n := a.count(`SELECT count(*) FROM api_tokens`); n != 1 {
		t.Errorf("%d tokens after the refused requests, want 1", n)
	}
	if h, _ := a.st.PasswordHash(t.Context(), u.ID); h != hashBefore {
		t.Error("password changed through a bearer token")
	}
	// The token still works where tokens may work, and the browser session can manage it.
	if res := api.get("/api/me"); res.Code != 200 {
		t.Errorf("token on the API: %d", res.Code)
	}
	if res := c.get("/account"); res.Code != 200 {
		t.Errorf("browser account page: %d", res.Code)
	}

	// Every route about tokens or passwords is in the route table as browser-session only,
	// so a new one cannot slip through (public sign-in routes and invitation links aside).
	re := regexp.MustCompile(`(?i)token|password|^/account`)
	for _, r := range a.h.Routes() {
		// The forgotten-password routes are for someone who cannot sign in: public, like /login.
		if !re.MatchString(r.Path()) || strings.HasPrefix(r.Path(), "/invitations/") || strings.HasPrefix(r.Path(), "/account/invitations/") ||
			strings.HasPrefix(r.Path(), "/password/") {
			continue
		}
		if r.Access.kind != accessBrowserSession {
			t.Errorf("%s %s is %s, want browser session only", r.Method, r.Path(), r.Access)
		}
	}
}

// After an administrator changes a user's role, project rights follow the new role; a
// role change that would leave projects with an owner who may not own them is refused
// until the projects are transferred.
func TestRightsFollowCurrentRole(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	admin := a.user(authz.RoleAdmin, "admin@example.com")
	olivia := a.user(authz.RoleOwner, "olivia@example.com")
	oscar := a.user(authz.RoleOwner, "oscar@example.com")
	ivan := a.user(authz.RoleInHouse, "ivan@example.com")
	p1 := a.project(olivia, "P1", ivan)
	p2 := a.project(olivia, "P2")
	ac := a.login(admin.Email)
	edit := func(role string) map[string]any {
		return map[string]any{"name": olivia.Name, "email": olivia.Email, "role": role, "entity": olivia.EntityName, "category": "Concrete"}
	}

	// The attack: demote Olivia to bidder. Refused, naming the projects.
	res := ac.do("PUT", "/api/users/"+olivia.ID, edit("bidder"))
	if res.Code != http.StatusConflict || !strings.Contains(res.Body, "2 projects") {
		t.Fatalf("demote an owner of 2 projects: %d %s", res.Code, res.Body)
	}
	page := ac.form("/admin/users/"+olivia.ID, url.Values{"name": {olivia.Name}, "email": {olivia.Email}, "role": {"inhouse"}, "entity": {olivia.EntityName}, "active": {"true"}})
	if page.Code != http.StatusConflict || !strings.Contains(page.Doc(t).Find("#err-role").Text(), "2 projects") {
		t.Fatalf("admin page demotion: %d", page.Code)
	}
	if n := a.count(`SELECT count(*) FROM users WHERE id = $1 AND role = 'owner'`, olivia.ID); n != 1 {
		t.Fatal("the refused change was written")
	}
	// Owner to administrator keeps the right to own: allowed. (And back.)
	for _, role := range []string{"admin", "owner"} {
		if res := ac.do("PUT", "/api/users/"+olivia.ID, edit(role)); res.Code != 200 {
			t.Fatalf("owner to %s: %d %s", role, res.Code, res.Body)
		}
	}

	// Rows left over from an earlier role grant nothing: as a bidder (set behind the
	// application's back, as old data could be), Olivia is a stranger to her projects.
	oc := a.login(olivia.Email)
	setRole := func(r authz.Role) {
		if _, err := a.st.DB().Exec(`UPDATE users SET role = $2 WHERE id = $1`, olivia.ID, r); err != nil {
			t.Fatal(err)
		}
	}
	upd := map[string]any{"name": "Hijacked", "code": "P1", "status": "planning", "timeZone": "UTC", "budget": map[string]any{"amount": 1, "currency": "usd"}}
	setRole(authz.RoleBidder)
	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{"PUT", "/api/projects/" + p1.ID, upd},
		{"GET", "/api/projects/" + p1.ID, nil},
		{"POST", "/api/projects/" + p1.ID + "/team", map[string]any{"email": "x@example.com"}},
		{"GET", "/api/soq?projectId=" + p1.ID, nil},
	} {
		if res := oc.do(tc.method, tc.path, tc.body); res.Code != 404 && res.Code != 403 {
			t.Errorf("bidder %s %s: %d", tc.method, tc.path, res.Code)
		}
	}
	if l := oc.get("/api/projects").JSON(t); l["total"] != float64(0) {
		t.Errorf("bidder lists %v projects", l["total"])
	}
	// As in-house while still projects.owner_id: a member's rights, not the owner's.
	setRole(authz.RoleInHouse)
	if res := oc.do("PUT", "/api/projects/"+p1.ID, upd); res.Code != 403 {
		t.Errorf("former owner edits: %d", res.Code)
	}
	if res := oc.do("POST", "/api/projects/"+p1.ID+"/team", map[string]any{"email": "x@example.com"}); res.Code != 403 {
		t.Errorf("former owner invites: %d", res.Code)
	}
	if res := oc.get("/api/projects/" + p1.ID); res.Code != 200 {
		t.Errorf("former owner, still on the team, reads: %d", res.Code)
	}
	if n := a.count(`SELECT count(*) FROM projects WHERE name = 'Hijacked'`) + a.count(`SELECT count(*) FROM invitations`); n != 0 {
		t.Fatalf("refused requests wrote %d rows", n)
	}
	setRole(authz.RoleOwner)

	// Transfer: administrators only; the new owner must be an active Project Owner.
	if res := a.login(oscar.Email).do("POST", "/api/projects/"+p1.ID+"/transfer", map[string]any{"ownerId": oscar.ID}); res.Code != 404 {
		t.Errorf("outsider transfers: %d", res.Code)
	}
	if res := oc.do("POST", "/api/projects/"+p1.ID+"/transfer", map[string]any{"ownerId": oscar.ID}); res.Code != 403 {
		t.Errorf("owner transfers: %d", res.Code)
	}
	bidder := a.user(authz.RoleBidder, "bidder@example.com")
	gone := a.user(authz.RoleOwner, "gone@example.com")
	if err := a.st.DeactivateUser(t.Context(), gone.ID); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{bidder.ID, ivan.ID, gone.ID, olivia.ID, "not-a-uuid", "", admin.ID} {
		res := ac.do("POST", "/api/projects/"+p1.ID+"/transfer", map[string]any{"ownerId": bad})
		if res.Code != 400 || res.JSON(t)["fields"].(map[string]any)["ownerId"] == nil {
			t.Errorf("transfer to %q: %d %s", bad, res.Code, res.Body)
		}
	}
	if n := a.count(`SELECT count(*) FROM projects WHERE owner_id = $1`, olivia.ID); n != 2 {
		t.Fatalf("refused transfers moved projects: %d left", n)
	}
	// The admin's user page lists what Olivia owns, with a transfer form per project.
	ep := ac.get("/admin/users/" + olivia.ID + "/edit").Doc(t)
	if ep.Find(`#owned-projects form[action="/projects/`+p1.ID+`/transfer"] option[value="`+oscar.ID+`"]`).Length() != 1 {
		t.Error("admin page lacks the transfer form")
	}
	// By API, then by the page form.
	res = ac.do("POST", "/api/projects/"+p1.ID+"/transfer", map[string]any{"ownerId": oscar.ID})
	if res.Code != 200 || res.JSON(t)["ownerId"] != oscar.ID {
		t.Fatalf("transfer: %d %s", res.Code, res.Body)
	}
	if res := ac.form("/projects/"+p2.ID+"/transfer", url.Values{"ownerId": {oscar.ID}}); res.Code != http.StatusSeeOther || res.Header.Get("Location") != "/admin/users/"+olivia.ID+"/edit" {
		t.Fatalf("page transfer: %d %s", res.Code, res.Header.Get("Location"))
	}
	// One consistent team: Oscar is 'Project Owner', Olivia is off, Ivan stays.
	for _, p := range []store.Project{p1, p2} {
		if n := a.count(`SELECT count(*) FROM team_members WHERE project_id = $1 AND user_id = $2 AND role = 'Project Owner'`, p.ID, oscar.ID); n != 1 {
			t.Errorf("%s: new owner not on the team as owner", p.Code)
		}
		if n := a.count(`SELECT count(*) FROM team_members WHERE project_id = $1 AND role = 'Project Owner'`, p.ID); n != 1 {
			t.Errorf("%s: %d team owners", p.Code, n)
		}
		if n := a.count(`SELECT count(*) FROM team_members WHERE project_id = $1 AND user_id = $2`, p.ID, olivia.ID); n != 0 {
			t.Errorf("%s: old owner still on the team", p.Code)
		}
	}
	if n := a.count(`SELECT count(*) FROM team_members WHERE project_id = $1 AND user_id = $2`, p1.ID, ivan.ID); n != 1 {
		t.Error("transfer dropped a member")
	}
	if res := a.login(oscar.Email).do("PUT", "/api/projects/"+p1.ID, upd); res.Code != 200 {
		t.Errorf("new owner edits: %d %s", res.Code, res.Body)
	}
	if res := oc.get("/api/projects/" + p1.ID); res.Code != 404 {
		t.Errorf("old owner still reads: %d", res.Code)
	}
	// Owning nothing now, Olivia's role may change.
	if res := ac.do("PUT", "/api/users/"+olivia.ID, edit("bidder")); res.Code != 200 {
		t.Errorf("demote after transfer: %d %s", res.Code, res.Body)
	}
}

// A role change and a transfer to the same person race: whichever commits first, nobody
// ends up owning a project with a role that cannot own one.
func TestRoleChangeAndTransferRace(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	admin := a.user(authz.RoleAdmin, "admin@example.com")
	olivia := a.user(authz.RoleOwner, "olivia@example.com")
	ac := a.login(admin.Email)
	for trial := range 25 {
		email := "new" + itoa(trial) + "@example.com"
		n := a.user(authz.RoleOwner, email)
		p := a.project(olivia, "R"+itoa(trial))
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			ac.do("POST", "/api/projects/"+p.ID+"/transfer", map[string]any{"ownerId": n.ID})
		}()
		go func() {
			defer wg.Done()
			ac.do("PUT", "/api/users/"+n.ID, map[string]any{"name": n.Name, "email": email, "role": "bidder", "entity": n.EntityName, "category": "Concrete"})
		}()
		wg.Wait()
		if bad := a.count(`SELECT count(*) FROM projects p JOIN users u ON u.id = p.owner_id WHERE u.role NOT IN ('owner', 'admin')`); bad != 0 {
			t.Fatalf("trial %d: %d projects owned by a user who may not own them", trial, bad)
		}
	}
}

// The attack: a self-registered owner "invited" another company's in-house user,
// who joined at once, and read back their name and company. Now the answer is the same
// for any email and nobody joins without accepting.
func TestInvitationsNeedConsent(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	attacker := a.user(authz.RoleOwner, "mallory@example.com")
	victim := a.user(authz.RoleInHouse, "victim@othercorp.example")
	bystander := a.user(authz.RoleInHouse, "bystander@example.com")
	a.user(authz.RoleBidder, "bidder@example.com")
	p := a.project(attacker, "M1")
	mc := a.login(attacker.Email)

	// The same answer for an in-house account, a bidder's account and an unknown email.
	shape := regexp.MustCompile(`"(id|url|createdAt|expiresAt)":("[^"]*"|\d+)`)
	var answers []string
	for _, email := range []string{"victim@othercorp.example", "bidder@example.com", "nobody@example.com"} {
		res := mc.do("POST", "/api/projects/"+p.ID+"/team", map[string]any{"email": email})
		if res.Code != http.StatusCreated || res.JSON(t)["message"] != "Invitation sent to "+email+"." {
			t.Fatalf("invite %s: %d %s", email, res.Code, res.Body)
		}
		if strings.Contains(res.Body, victim.Name) || strings.Contains(res.Body, victim.EntityName) || strings.Contains(res.Body, "teamMember") {
			t.Errorf("invite answer reveals the account: %s", res.Body)
		}
		answers = append(answers, strings.ReplaceAll(shape.ReplaceAllString(res.Body, `"$1":_`), email, "EMAIL"))
	}
	if answers[0] != answers[1] || answers[1] != answers[2] {
		t.Errorf("answers differ by account:\n%s\n%s\n%s", answers[0], answers[1], answers[2])
	}
	// The page form too: a notice naming only the email.
	res := mc.form("/projects/"+p.ID+"/team", url.Values{"email": {"bystander@example.com"}}, "HX-Request", "true")
	if res.Code != 200 || strings.TrimSpace(res.Doc(t).Find("#invite-notice").Text()) != "Invitation sent to bystander@example.com." {
		t.Errorf("page invite: %d %q", res.Code, res.Doc(t).Find("#invite-notice").Text())
	}
	team := mc.get("/projects/" + p.ID + "/team")
	api := mc.get("/api/projects/" + p.ID + "/team")
	for _, body := range []string{team.Body, api.Body} {
		if strings.Contains(body, victim.Name) || strings.Contains(body, victim.EntityName) || strings.Contains(body, bystander.Name) {
			t.Error("the team lists an invitee's name or company")
		}
	}
	// Nobody joined.
	if n := a.count(`SELECT count(*) FROM team_members WHERE project_id = $1`, p.ID); n != 1 {
		t.Fatalf("%d team members after inviting, want the owner only", n)
	}
	vc := a.login(victim.Email)
	if res := vc.get("/api/projects/" + p.ID); res.Code != 404 {
		t.Errorf("invitee reads the project before accepting: %d", res.Code)
	}

	// The invitee sees the invitation on their dashboard and in the API.
	dash := vc.get("/").Doc(t)
	if dash.Find("#my-invitations").Length() != 1 || !strings.Contains(dash.Find("#my-invitations").Text(), p.Name) {
		t.Fatal("dashboard lacks the invitation")
	}
	invs := vc.get("/api/me/invitations").JSON(t)["invitations"].([]any)
	if len(invs) != 1 {
		t.Fatalf("invitations: %v", invs)
	}
	invID := itoa(int(invs[0].(map[string]any)["id"].(float64)))
	if dash.Find(`form[action="/account/invitations/`+invID+`/accept"]`).Length() != 1 || dash.Find(`form[action="/account/invitations/`+invID+`/decline"]`).Length() != 1 {
		t.Error("dashboard lacks the Accept and Decline buttons")
	}
	// Only the invitee can answer it: anyone else gets 404, and nothing changes.
	bc := a.login(bystander.Email)
	for _, c := range []*client{bc, mc} {
		for _, path := range []string{"/api/invitations/" + invID + "/accept", "/api/invitations/" + invID + "/decline"} {
			if res := c.do("POST", path, nil); res.Code != 404 && res.Code != 409 {
				t.Errorf("someone else POST %s: %d", path, res.Code)
			}
		}
		if res := c.form("/account/invitations/"+invID+"/accept", nil); res.Code != 404 && res.Code != 409 {
			t.Errorf("someone else accepts on the page: %d", res.Code)
		}
	}
	if n := a.count(`SELECT count(*) FROM team_members WHERE project_id = $1`, p.ID); n != 1 {
		t.Fatalf("%d team members after refused accepts", n)
	}
	// Declining removes it; nobody joins.
	bInv := bc.get("/api/me/invitations").JSON(t)["invitations"].([]any)
	if len(bInv) != 1 {
		t.Fatalf("bystander invitations: %v", bInv)
	}
	if res := bc.form("/account/invitations/"+itoa(int(bInv[0].(map[string]any)["id"].(float64)))+"/decline", nil); res.Code != http.StatusSeeOther {
		t.Errorf("decline: %d", res.Code)
	}
	if n := a.count(`SELECT count(*) FROM invitations WHERE email = 'bystander@example.com'`); n != 0 {
		t.Error("declined invitation remains")
	}
	// Accepting on the page joins the team.
	if res := vc.form("/account/invitations/"+invID+"/accept", nil); res.Code != http.StatusSeeOther || res.Header.Get("Location") != "/projects/"+p.ID {
		t.Fatalf("accept: %d %s", res.Code, res.Header.Get("Location"))
	}
	if res := vc.get("/api/projects/" + p.ID); res.Code != 200 {
		t.Errorf("member after accepting: %d", res.Code)
	}
	if res := vc.do("POST", "/api/invitations/"+invID+"/accept", nil); res.Code != 404 {
		t.Errorf("accepting twice: %d", res.Code)
	}
	if len(vc.get("/api/me/invitations").JSON(t)["invitations"].([]any)) != 0 {
		t.Error("accepted invitation still listed")
	}
	// A bidder cannot join a team by accepting.
	bidc := a.login("bidder@example.com")
	var bidInv int
	if err := a.st.DB().Get(&bidInv, `SELECT id FROM invitations WHERE email = 'bidder@example.com'`); err != nil {
		t.Fatal(err)
	}
	if res := bidc.do("POST", "/api/invitations/"+itoa(bidInv)+"/accept", nil); res.Code != http.StatusConflict {
		t.Errorf("bidder accepts: %d", res.Code)
	}
}

// Registration is limited per client address, like login.
func TestRegistrationRateLimited(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, func(c *Config) { c.RegisterLimit = 3; c.TrustProxy = true })
	reg := func(i int, ip string) response {
		c := a.client()
		c.headers.Set("X-Forwarded-For", ip)
		return c.do("POST", "/api/auth/register", map[string]any{"name": "Spam " + itoa(i), "email": "spam" + itoa(i) + "@example.com",
			"password": "long enough password", "role": "owner", "entity": "Spam Co"})
	}
	for i := range 3 {
		if res := reg(i, "203.0.113.9"); res.Code != http.StatusCreated {
			t.Fatalf("registration %d: %d %s", i, res.Code, res.Body)
		}
	}
	res := reg(3, "203.0.113.9")
	if res.Code != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("4th registration: %d, Retry-After %q", res.Code, res.Header.Get("Retry-After"))
	}
	// The page form too, and nothing is written.
	c := a.client()
	c.headers.Set("X-Forwarded-For", "203.0.113.9")
	page := c.form("/register", url.Values{"name": {"Spam"}, "email": {"spam9@example.com"}, "password": {"long enough password"}, "role": {"owner"}, "entity": {"Spam Co"}})
	if page.Code != http.StatusTooManyRequests || page.Header.Get("Retry-After") == "" {
		t.Errorf("page registration: %d", page.Code)
	}
	if n := a.count(`SELECT count(*) FROM users WHERE email LIKE 'spam%'`); n != 3 {
		t.Errorf("%d accounts, want 3", n)
	}
	// Another address is not affected.
	if res := reg(10, "198.51.100.7"); res.Code != http.StatusCreated {
		t.Errorf("other address: %d", res.Code)
	}
}

// The attack: 40 concurrent wrong passwords for one account were all checked
// against a limit of 5. Now exactly the limit reach argon2 (401) and the rest are refused
// before hashing (429), every round.
func TestConcurrentWrongPasswordsCheckedAtMostLimit(t *testing.T) {
	t.Parallel()
	// A long hashing wait: on a loaded machine a busy 429 must not be mistaken for the limit.
	a := newTestApp(t, func(c *Config) { c.LoginLimitIP = 100000; c.HashWait = 30 * time.Second })
	const burst, limit = 40, 5
	for round := range 5 {
		email := "target" + itoa(round) + "@example.com"
		a.user(authz.RoleOwner, email)
		before := a.h.PasswordChecks()
		codes := make(chan int, burst)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range burst {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				res := a.client().do("POST", "/api/auth/login", map[string]any{"email": email, "password": "wrong password"})
				if res.Code == http.StatusTooManyRequests && res.Header.Get("Retry-After") == "" {
					t.Error("429 without Retry-After")
				}
				codes <- res.Code
			}()
		}
		close(start)
		wg.Wait()
		close(codes)
		count := map[int]int{}
		for c := range codes {
			count[c]++
		}
		if count[401] != limit || count[429] != burst-limit {
			t.Errorf("round %d: %v, want %d×401 and %d×429", round, count, limit, burst-limit)
		}
		if n := a.h.PasswordChecks() - before; n != limit {
			t.Errorf("round %d: %d password checks reached argon2, want %d", round, n, limit)
		}
		// Even the right password waits out the window now.
		if res := a.client().do("POST", "/api/auth/login", map[string]any{"email": email, "password": testPassword}); res.Code != http.StatusTooManyRequests {
			t.Errorf("round %d: right password during the lockout: %d", round, res.Code)
		}
	}
	// The same for unknown emails (no account to look up, still counted and bounded).
	before := a.h.PasswordChecks()
	var wg sync.WaitGroup
	for range burst {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.client().do("POST", "/api/auth/login", map[string]any{"email": "ghost@example.com", "password": "x"})
		}()
	}
	wg.Wait()
	if n := a.h.PasswordChecks() - before; n != limit {
		t.Errorf("unknown email: %d checks, want %d", n, limit)
	}
}

// Hashing runs under a fixed number of slots; with every slot taken a login, a
// registration and a password change answer 429 with Retry-After after a short wait,
// run no hash, and a busy answer does not count as a failed attempt.
func TestPasswordHashingBounded(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, func(c *Config) { c.HashConcurrency = 2; c.HashWait = 50 * time.Millisecond })
	if cap(a.h.hashSlots) != 2 {
		t.Fatalf("%d hashing slots, want 2", cap(a.h.hashSlots))
	}
	u := a.user(authz.RoleOwner, "o@example.com")
	signedIn := a.login(u.Email)
	// Take every slot, as a burst of slow hashes would.
	a.h.hashSlots <- struct{}{}
	a.h.hashSlots <- struct{}{}
	before := a.h.PasswordChecks()
	for i := range 8 { // more than the failure limit: busy answers are not failures
		res := a.client().do("POST", "/api/auth/login", map[string]any{"email": u.Email, "password": testPassword})
		if res.Code != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
			t.Fatalf("login %d while busy: %d %q", i, res.Code, res.Header.Get("Retry-After"))
		}
	}
	if res := a.client().do("POST", "/api/auth/register", map[string]any{"name": "N", "email": "n@example.com", "password": "long enough password", "role": "owner", "entity": "Co"}); res.Code != http.StatusTooManyRequests {
		t.Errorf("register while busy: %d", res.Code)
	}
	if res := signedIn.form("/account/password", url.Values{"current": {testPassword}, "password": {"another password"}}); res.Code != http.StatusTooManyRequests {
		t.Errorf("password change while busy: %d", res.Code)
	}
	if n := a.h.PasswordChecks() - before; n != 0 {
		t.Errorf("%d checks ran without a slot", n)
	}
	if n := a.count(`SELECT count(*) FROM users WHERE email = 'n@example.com'`); n != 0 {
		t.Error("registered while busy")
	}
	<-a.h.hashSlots
	<-a.h.hashSlots
	if res := a.client().do("POST", "/api/auth/login", map[string]any{"email": u.Email, "password": testPassword}); res.Code != http.StatusOK {
		t.Errorf("login once slots are free: %d %s", res.Code, res.Body)
	}
}

// Creating a project and losing the right to own one race: nobody ends up owning a project
// with a role that cannot own one.
func TestRoleChangeAndCreateProjectRace(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	admin := a.user(authz.RoleAdmin, "admin@example.com")
	ac := a.login(admin.Email)
	for trial := range 25 {
		email := "creator" + itoa(trial) + "@example.com"
		u := a.user(authz.RoleOwner, email)
		uc := a.login(email)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			uc.do("POST", "/api/projects", map[string]any{"name": "Race", "code": "RC", "budget": map[string]any{"amount": 0, "currency": "usd"}})
		}()
		go func() {
			defer wg.Done()
			ac.do("PUT", "/api/users/"+u.ID, map[string]any{"name": u.Name, "email": email, "role": "inhouse", "entity": u.EntityName})
		}()
		wg.Wait()
		if bad := a.count(`SELECT count(*) FROM projects p JOIN users u ON u.id = p.owner_id WHERE u.role NOT IN ('owner', 'admin')`); bad != 0 {
			t.Fatalf("trial %d: %d projects owned by a user who may not own them", trial, bad)
		}
	}
}
