package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/store"
)

// fixture: owner O owns project P with in-house member I; owner O2 owns P2 that O is not on;
// bidder B; administrator A; in-house I2 on no team; and an anonymous visitor.
type fixture struct {
	a       *testApp
	P, P2   store.Project
	users   map[string]store.User
	clients map[string]*client
}

func newFixture(t *testing.T) *fixture {
	a := newTestApp(t)
	f := &fixture{a: a, users: map[string]store.User{}, clients: map[string]*client{}}
	for name, spec := range map[string]struct {
		role  authz.Role
		email string
	}{
		"owner": {authz.RoleOwner, "o@example.com"}, "inhouse": {authz.RoleInHouse, "i@example.com"},
		"otherOwner": {authz.RoleOwner, "o2@example.com"}, "bidder": {authz.RoleBidder, "b@example.com"},
		"admin": {authz.RoleAdmin, "a@example.com"}, "outsider": {authz.RoleInHouse, "i2@example.com"},
	} {
		f.users[name] = a.user(spec.role, spec.email)
	}
	f.P = a.project(f.users["owner"], "P", f.users["inhouse"])
	f.P2 = a.project(f.users["otherOwner"], "P2")
	for name, u := range f.users {
		f.clients[name] = a.login(u.Email)
	}
	f.clients["anonymous"] = a.client()
	return f
}

func (f *fixture) expand(path string) string {
	r := strings.NewReplacer("{P}", f.P.ID, "{P2}", f.P2.ID, "{I}", f.users["inhouse"].ID, "{O}", f.users["owner"].ID,
		"{B}", f.users["bidder"].ID, "{A}", f.users["admin"].ID, "{I2}", f.users["outsider"].ID)
	return r.Replace(path)
}

var everyone = []string{"owner", "inhouse", "otherOwner", "bidder", "admin", "outsider", "anonymous"}

func TestAPIPermissions(t *testing.T) {
	t.Parallel()
	project := map[string]any{"name": "N", "code": "NEW", "address": "", "status": "planning", "budget": map[string]any{"amount": 5, "currency": "usd"}}
	user := map[string]any{"name": "New Person", "email": "new@example.com", "password": "long enough pw", "role": "inhouse", "entity": "Co"}
	userEdit := map[string]any{"name": "Renamed", "email": "i@example.com", "role": "inhouse", "entity": "Co"}
	cases := []struct {
		method, path string
		body         any
		want         map[string]int // role -> status; roles not listed must match def
		def          int
	}{
		// Project scope: off the team is 404 (ids do not leak), on it but not allowed is 403.
		{"GET", "/api/projects/{P}", nil, map[string]int{"owner": 200, "inhouse": 200, "admin": 200, "anonymous": 401}, 404},
		{"GET", "/api/projects/{P2}", nil, map[string]int{"otherOwner": 200, "admin": 200, "anonymous": 401}, 404},
		{"PUT", "/api/projects/{P}", project, map[string]int{"owner": 200, "admin": 200, "inhouse": 403, "anonymous": 401}, 404},
		{"DELETE", "/api/projects/{P}", nil, map[string]int{"admin": 204, "owner": 403, "inhouse": 403, "anonymous": 401}, 404},
		{"GET", "/api/projects/{P}/team", nil, map[string]int{"owner": 200, "inhouse": 200, "admin": 200, "anonymous": 401}, 404},
		{"POST", "/api/projects/{P}/team", map[string]any{"email": "i2@example.com"}, map[string]int{"owner": 201, "admin": 201, "inhouse": 403, "anonymous": 401}, 404},
		{"DELETE", "/api/projects/{P}/team/{I}", nil, map[string]int{"owner": 204, "admin": 204, "inhouse": 403, "anonymous": 401}, 404},
		// CREATE_PROJECT
		{"POST", "/api/projects", project, map[string]int{"owner": 201, "otherOwner": 201, "admin": 201, "anonymous": 401}, 403},
		// Lists are scoped, never refused, for signed-in users.
		{"GET", "/api/projects", nil, map[string]int{"anonymous": 401}, 200},
		// MANAGE_USERS
		{"GET", "/api/users", nil, map[string]int{"admin": 200, "anonymous": 401}, 403},
		{"POST", "/api/users", user, map[string]int{"admin": 201, "anonymous": 401}, 403},
		{"PUT", "/api/users/{I}", userEdit, map[string]int{"admin": 200, "anonymous": 401}, 403},
		{"DELETE", "/api/users/{I}", nil, map[string]int{"admin": 204, "anonymous": 401}, 403},
		// Another account is invisible to non-administrators; one's own is readable.
		{"GET", "/api/users/{B}", nil, map[string]int{"admin": 200, "bidder": 200, "anonymous": 401}, 404},
		{"GET", "/api/me", nil, map[string]int{"anonymous": 401}, 200},
	}
	for _, c := range cases {
		want := func(role string) int {
			if w, ok := c.want[role]; ok {
				return w
			}
			return c.def
		}
		check := func(t *testing.T, f *fixture, role string) {
			res := f.clients[role].do(c.method, f.expand(c.path), c.body)
			if res.Code != want(role) {
				t.Errorf("%s: %d, want %d (%s)", role, res.Code, want(role), res.Body)
			}
			if res.Code >= 400 {
				if m := res.JSON(t); m["error"] == "" || m["error"] == nil {
					t.Errorf("%s: error body without a message: %s", role, res.Body)
				}
			}
		}
		// Each case, and each role a write is meant to succeed for, runs in parallel on its
		// own database: run one fixture after another, the matrix was the slowest test.
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			var writers []string
			for _, role := range everyone {
				if c.method != "GET" && want(role) < 300 {
					// A write that succeeds changes the world: that role gets a fresh one.
					// (Refusals change nothing, which TestProjectScopeOnWrites checks.)
					writers = append(writers, role)
					continue
				}
				check(t, f, role)
			}
			for _, role := range writers {
				t.Run(role, func(t *testing.T) {
					t.Parallel()
					check(t, newFixture(t), role)
				})
			}
		})
	}
}

func TestPagePermissions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cases := []struct {
		path string
		want map[string]int
		def  int
	}{
		{"/projects/{P}", map[string]int{"owner": 200, "inhouse": 200, "admin": 200, "anonymous": 303}, 404},
		{"/projects/{P}/team", map[string]int{"owner": 200, "inhouse": 200, "admin": 200, "anonymous": 303}, 404},
		{"/projects/{P}/edit", map[string]int{"owner": 200, "admin": 200, "inhouse": 403, "anonymous": 303}, 404},
		{"/projects/{P}/delete", map[string]int{"admin": 200, "owner": 403, "inhouse": 403, "anonymous": 303}, 404},
		{"/projects/{P}/team/{I}/remove", map[string]int{"owner": 200, "admin": 200, "inhouse": 403, "anonymous": 303}, 404},
		{"/projects/new", map[string]int{"owner": 200, "otherOwner": 200, "admin": 200, "anonymous": 303}, 403},
		{"/admin/users", map[string]int{"admin": 200, "anonymous": 303}, 403},
		{"/admin/users/{I}/edit", map[string]int{"admin": 200, "anonymous": 303}, 403},
		{"/projects", map[string]int{"anonymous": 303}, 200},
		{"/account", map[string]int{"anonymous": 303}, 200},
		{"/", map[string]int{"anonymous": 303}, 200},
	}
	for _, c := range cases {
		for _, role := range everyone {
			want, ok := c.want[role]
			if !ok {
				want = c.def
			}
			if res := f.clients[role].get(f.expand(c.path)); res.Code != want {
				t.Errorf("GET %s as %s: %d, want %d", c.path, role, res.Code, want)
			}
		}
	}
	// The 404 page for another team's project says nothing of it.
	res := f.clients["bidder"].get(f.expand("/projects/{P}"))
	if strings.Contains(res.Body, f.P.Name) {
		t.Error("404 page leaks the project's name")
	}
}

func TestPartialPermissions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// HTMX requests get the same refusals, as a toast retargeted to #toasts.
	for _, role := range []string{"bidder", "otherOwner", "outsider"} {
		res := f.clients[role].get(f.expand("/projects/{P}/team"), "HX-Request", "true")
		if res.Code != 404 || res.Header.Get("HX-Retarget") != "#toasts" || strings.Contains(res.Body, "<html") {
			t.Errorf("%s partial: %d retarget=%q", role, res.Code, res.Header.Get("HX-Retarget"))
		}
		res = f.clients[role].form(f.expand("/projects/{P}/team"), url.Values{"email": {"x@example.com"}}, "HX-Request", "true")
		if res.Code != 404 {
			t.Errorf("%s invite partial: %d", role, res.Code)
		}
	}
	res := f.clients["inhouse"].form(f.expand("/projects/{P}/team"), url.Values{"email": {"x@example.com"}}, "HX-Request", "true")
	if res.Code != http.StatusForbidden {
		t.Errorf("in-house invite: %d", res.Code)
	}
	if n := f.a.count(`SELECT count(*) FROM invitations`); n != 0 {
		t.Errorf("%d invitations written by refused requests", n)
	}
	// The list partial shows only the caller's projects.
	res = f.clients["otherOwner"].get("/projects?status=planning", "HX-Request", "true")
	if res.Code != 200 || strings.Contains(res.Body, f.P.ID) || !strings.Contains(res.Body, f.P2.ID) {
		t.Errorf("list partial for otherOwner: %d", res.Code)
	}
	if strings.Contains(res.Body, "<html") || res.Header.Get("Vary") == "" {
		t.Error("partial must be a fragment and Vary on HX-Request")
	}
}

func TestProjectScopeOnWrites(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// Another owner cannot edit, invite into, or remove from P, by page or API, and nothing changes.
	c := f.clients["otherOwner"]
	c.form(f.expand("/projects/{P}"), url.Values{"name": {"Hijacked"}, "code": {"H"}, "status": {"planning"}, "currency": {"usd"}})
	c.form(f.expand("/projects/{P}/team/{I}/remove"), nil)
	c.do("DELETE", f.expand("/api/projects/{P}/team/{I}"), nil)
	p, _, err := f.a.st.ProjectFor(t.Context(), f.P.ID, f.users["owner"].ID)
	if err != nil || p.Name != f.P.Name || p.MemberCount != 2 {
		t.Errorf("project changed by an outsider: %+v %v", p, err)
	}
	// A malformed id is a 404, not a 500.
	for _, path := range []string{"/api/projects/not-a-uuid", "/api/projects/00000000-0000-0000-0000-000000000000", "/api/users/'%20OR%201=1--"} {
		if res := f.clients["admin"].get(path); res.Code != 404 {
			t.Errorf("%s: %d", path, res.Code)
		}
	}
}
